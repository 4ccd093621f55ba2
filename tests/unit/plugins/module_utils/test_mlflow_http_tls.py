"""The HTTPS side of the modules' HTTP client (plugins/module_utils/mlflow_http.py) against a real
TLS server on 127.0.0.1: a CA and certificates made here with `cryptography`, as the course
server's own CA makes them. Covers peer_certificate (the chain, the name, the end date) and
connect_address (a public name checked at a loopback address, through the real fetch_url)."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.labroom.mlflow.plugins.module_utils.mlflow_http import (
    MlflowClient,
    MlflowError,
    connect_to,
    mlflow_connection_argument_spec,
    peer_certificate,
)

NOW = datetime.datetime.now(datetime.timezone.utc)
PUBLIC_NAME = "course.lab.example"


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(tmp_path, common_name="labroom.mlflow test CA"):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / ("%s.crt" % common_name.replace(" ", "-"))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, str(path)


def make_server_cert(tmp_path, ca, names, not_before, not_after):
    ca_key, ca_cert, _path = ca
    key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "server.crt", tmp_path / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_server(tmp_path):
    """Start an HTTPS server on 127.0.0.1 with a certificate from a new CA; returns a function
    (names, days valid, days since issued) -> (port, CA file, Host headers seen)."""
    servers = []

    def start(names=(PUBLIC_NAME,), days=365, issued_days_ago=1):
        ca = make_ca(tmp_path)
        cert, key = make_server_cert(
            tmp_path, ca, list(names), NOW - datetime.timedelta(days=issued_days_ago), NOW + datetime.timedelta(days=days)
        )
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # the name http.server calls
                seen.append(self.headers["Host"])
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return httpd.server_address[1], ca[2], seen

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


class FakeModule:
    def __init__(self, tmpdir, **params):
        self.params = {name: spec.get("default") for name, spec in mlflow_connection_argument_spec().items()}
        self.params.update(params)
        self.tmpdir = str(tmpdir)

    def fail_json(self, **result):
        raise AssertionError(result["msg"])


def test_a_good_certificate_is_described(tls_server):
    port, ca_file, _seen = tls_server(names=(PUBLIC_NAME, "course-server", "10.0.0.5"), days=200)
    cert = peer_certificate(PUBLIC_NAME, port, address="127.0.0.1", ca_path=ca_file)
    assert cert["names"] == [PUBLIC_NAME, "course-server", "10.0.0.5"]
    assert cert["days_left"] in (199, 200)
    assert cert["issuer"] == "labroom.mlflow test CA"
    assert cert["not_after"].startswith((NOW + datetime.timedelta(days=200)).strftime("%Y-%m-%d"))


def test_days_left_counts_from_now(tls_server):
    port, ca_file, _seen = tls_server(days=20)
    later = (NOW + datetime.timedelta(days=10)).timestamp()
    assert peer_certificate(PUBLIC_NAME, port, "127.0.0.1", ca_file, now=later)["days_left"] in (9, 10)


def test_a_certificate_for_another_name_is_refused_naming_it(tls_server):
    port, ca_file, _seen = tls_server(names=("other.lab.example",))
    with pytest.raises(MlflowError, match="certificate is refused: Hostname mismatch.*%s" % PUBLIC_NAME) as raised:
        peer_certificate(PUBLIC_NAME, port, "127.0.0.1", ca_file)
    assert raised.value.final


def test_an_expired_certificate_is_refused_saying_so(tls_server):
    port, ca_file, _seen = tls_server(days=-1, issued_days_ago=30)
    with pytest.raises(MlflowError, match="certificate has expired") as raised:
        peer_certificate(PUBLIC_NAME, port, "127.0.0.1", ca_file)
    assert raised.value.final


def test_a_certificate_from_another_ca_is_refused(tls_server, tmp_path):
    port, _ca_file, _seen = tls_server()
    other_ca = make_ca(tmp_path / "..", common_name="someone else")[2]
    with pytest.raises(MlflowError, match="unable to get local issuer certificate.*trusting the CA in") as raised:
        peer_certificate(PUBLIC_NAME, port, "127.0.0.1", other_ca)
    assert raised.value.final


def test_no_tls_server_is_an_error_waiting_may_fix(tls_server):
    port, ca_file, _seen = tls_server()
    with pytest.raises(MlflowError, match="connection refused") as raised:
        peer_certificate(PUBLIC_NAME, 1, "127.0.0.1", ca_file, timeout=2)
    assert not raised.value.final


def test_connect_to_redirects_only_the_named_host(monkeypatch):
    import socket

    calls = []
    monkeypatch.setattr(socket, "create_connection", lambda destination, *a, **k: calls.append(destination))
    with connect_to("course.lab.example", "127.0.0.1"):
        socket.create_connection(("course.lab.example", 443))
        socket.create_connection(("proxy.school.example", 3128))
    socket.create_connection(("course.lab.example", 443))
    assert calls == [("127.0.0.1", 443), ("proxy.school.example", 3128), ("course.lab.example", 443)]


def test_the_client_reaches_a_public_name_at_a_loopback_address(tls_server, tmp_path, monkeypatch):
    port, ca_file, seen = tls_server()
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    url = "https://%s:%d" % (PUBLIC_NAME, port)
    server = MlflowClient(FakeModule(tmp_path, url=url, ca_path=ca_file, connect_address="127.0.0.1"))
    answer = server.request("GET", "/health")
    assert (answer.status, answer.text) == (200, "OK")
    assert seen == ["%s:%d" % (PUBLIC_NAME, port)]
    assert server.certificate()["names"] == [PUBLIC_NAME]


def test_the_client_refuses_a_server_its_ca_did_not_sign(tls_server, tmp_path):
    port, _ca_file, _seen = tls_server()
    url = "https://%s:%d" % (PUBLIC_NAME, port)
    other_ca = make_ca(tmp_path / "..", common_name="another CA")[2]
    server = MlflowClient(FakeModule(tmp_path, url=url, ca_path=other_ca, connect_address="127.0.0.1"))
    with pytest.raises(MlflowError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        server.request("GET", "/health")


def test_no_certificate_for_http_or_without_validation(tmp_path):
    assert MlflowClient(FakeModule(tmp_path, url="http://127.0.0.1:8080")).certificate() is None
    assert MlflowClient(FakeModule(tmp_path, url="https://x.example", validate_certs=False)).certificate() is None
