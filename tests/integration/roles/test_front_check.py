"""The HTTPS front's checks before any change (roles/mlflow_server/tasks/front_check.yml), with
real certificates made here: the school's certificate (mlflow_server_tls provided) expired, not
matching its key, or not covering the public URL's host is refused naming the variable; a good
one whose key is a vault-encrypted file passes; a port of the front held by another program is
refused naming it."""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playbook_cases import FILES, run_cases

LINUX_SYSTEMD = {"os_family": "Debian", "system": "Linux", "distribution": "Debian", "service_mgr": "systemd",
                 "hostname": "course-server", "fqdn": "course-server.cs.example.ac.th", "nodename": "course-server",
                 "all_ipv4_addresses": ["10.1.2.200"]}
VAULT_PASSWORD = "front-check-test-vault-password"
NOW = datetime.datetime.now(datetime.timezone.utc)


def certificate(folder, name, names, days=365, key=None, expired=False):
    """A self-signed certificate for `names` and its key, written as <name>.crt and <name>.key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    start = NOW - datetime.timedelta(days=400 if expired else 1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / (name + ".crt")).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / (name + ".key")).write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    return folder / (name + ".crt"), folder / (name + ".key")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("front")
    good_cert, good_key = certificate(folder, "good", ["mlflow.cs.example.ac.th"])
    # The school's key, vault-encrypted as the docs say: the role decrypts it, never prints it.
    (folder / "vault-password").write_text(VAULT_PASSWORD + "\n")
    subprocess.run([str(Path(sys.executable).with_name("ansible-vault")), "encrypt", "--vault-password-file",
                    str(folder / "vault-password"), str(good_key)], check=True, capture_output=True)
    expired_cert, expired_key = certificate(folder, "expired", ["mlflow.cs.example.ac.th"], days=30, expired=True)
    _other_cert, other_key = certificate(folder, "other", ["mlflow.cs.example.ac.th"])
    named_cert, named_key = certificate(folder, "named", ["intranet.example.ac.th"])
    school = {"platform_facts": LINUX_SYSTEMD, "mlflow_server_auth": "basic", "mlflow_server_tls": "provided",
              "mlflow_server_public_url": "https://mlflow.cs.example.ac.th", "mlflow_server_tls_port": 18443}
    with socket.socket() as holder:
        # A program of this test holds the TLS port of one case.
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        cases = {
            "good": dict(school, mlflow_server_tls_cert=str(good_cert), mlflow_server_tls_key=str(good_key)),
            "expired": dict(school, mlflow_server_tls_cert=str(expired_cert), mlflow_server_tls_key=str(expired_key)),
            "other_key": dict(school, mlflow_server_tls_cert=str(good_cert), mlflow_server_tls_key=str(other_key)),
            "other_name": dict(school, mlflow_server_tls_cert=str(named_cert), mlflow_server_tls_key=str(named_key)),
            "port_taken": {"platform_facts": LINUX_SYSTEMD, "mlflow_server_auth": "basic", "mlflow_server_tls": "own_ca",
                           "mlflow_server_tls_port": taken},
        }
        report, run = run_cases(FILES / "check_front.yml", cases, folder,
                                extra_args=("--check", "--vault-password-file", str(folder / "vault-password")))
    found = {case: [] for case in cases}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    found[host].append(result.get("msg", ""))
    return found, run, taken, good_key


def test_a_good_school_certificate_with_a_vaulted_key_passes(outcomes):
    found, run, _taken, good_key = outcomes
    assert found["good"] == [], found["good"]
    # The key was decrypted to be read, and nothing of it was printed.
    assert good_key.read_text().startswith("$ANSIBLE_VAULT")
    assert "PRIVATE KEY" not in run.other_output and "PRIVATE KEY" not in str(run.document), run.text


@pytest.mark.parametrize(("case", "expected"), [
    ("expired", "It expired on"),
    ("other_key", "It does not match mlflow_server_tls_key (another key pair)."),
    ("other_name", "Its names (DNS:intranet.example.ac.th) do not cover mlflow.cs.example.ac.th"),
])
def test_a_school_certificate_that_cannot_serve_is_refused_naming_the_variable(outcomes, case, expected):
    messages = outcomes[0][case]
    assert len(messages) == 1, messages
    assert "mlflow_server_tls_cert" in messages[0] and expected in messages[0], messages
    assert "Nothing was changed" in messages[0]


def test_a_port_held_by_another_program_is_refused_naming_it(outcomes):
    messages, taken = outcomes[0]["port_taken"], outcomes[2]
    assert len(messages) == 1, messages
    assert "port %d is held by python" % taken in messages[0] and "mlflow_server_tls_port" in messages[0], messages
