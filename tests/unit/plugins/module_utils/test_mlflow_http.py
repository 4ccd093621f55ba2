"""Unit tests of the collection's one HTTP client for MLflow (plugins/module_utils/mlflow_http.py):
what it hands to fetch_url (mocked), and one round trip through the real fetch_url to a local
HTTP server."""

from __future__ import annotations

import base64
import http.server
import io
import json
import threading

import pytest

from ansible_collections.labroom.mlflow.plugins.module_utils import mlflow_http
from ansible_collections.labroom.mlflow.plugins.module_utils.mlflow_http import (
    MlflowClient,
    MlflowError,
    basic_auth,
    connection_cause,
    mlflow_connection_argument_spec,
    read_answer,
)

BASE = "http://127.0.0.1:8080"
INVALID_HOST = "Invalid Host header - possible DNS rebinding attack detected"


class Failed(Exception):
    def __init__(self, result):
        super().__init__(result["msg"])
        self.result = result


class FakeModule:
    """What the client and fetch_url use of an AnsibleModule: params (the spec's defaults under
    the given ones), tmpdir, fail_json."""

    def __init__(self, tmpdir="/tmp", **params):
        self.params = {name: spec.get("default") for name, spec in mlflow_connection_argument_spec().items()}
        self.params.update(params)
        self.tmpdir = str(tmpdir)

    def fail_json(self, **result):
        raise Failed(result)


class FakeFetch:
    """Stands in for fetch_url: records each call and answers from `answers` (status, body,
    extra info), the last one again when they run out."""

    def __init__(self, *answers):
        self.answers = list(answers) or [(200, "{}", {})]
        self.calls = []

    def __call__(self, module, url, **kwargs):
        self.calls.append(dict(kwargs, module=module, url=url, headers=dict(kwargs.get("headers") or {})))
        status, body, extra = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        info = dict(extra, status=status, url=url)
        if status == -1:
            return None, dict(info, msg=body)
        if status == 200:
            return io.BytesIO(body.encode()), dict(info, msg="OK")
        # Like fetch_url: an HTTPError comes back already read, its body in info["body"].
        return io.BytesIO(b""), dict(info, msg="HTTP Error %d" % status, body=body.encode())


@pytest.fixture
def fetch(monkeypatch):
    def install(*answers):
        fake = FakeFetch(*answers)
        monkeypatch.setattr(mlflow_http, "fetch_url", fake)
        return fake

    return install


def client(**params):
    params.setdefault("url", BASE)
    return MlflowClient(FakeModule(**params))


# The connection options -------------------------------------------------------------------------


def test_the_connection_options_and_their_defaults():
    spec = mlflow_connection_argument_spec()
    assert {name: (option["type"], option.get("default")) for name, option in spec.items()} == {
        "url": ("str", None),
        "host_header": ("str", None),
        "url_username": ("str", None),
        "url_password": ("str", None),
        "force_basic_auth": ("bool", True),
        "validate_certs": ("bool", True),
        "ca_path": ("path", None),
        "use_proxy": ("bool", True),
        "request_timeout": ("float", 10.0),
        "connect_address": ("str", None),
    }
    assert spec["url"]["required"] is True
    assert spec["url_password"]["no_log"] is True


def test_each_module_gets_its_own_copy_of_the_spec():
    spec = mlflow_connection_argument_spec()
    spec["url_username"].update(required=True, aliases=["admin_username"])
    assert "aliases" not in mlflow_connection_argument_spec()["url_username"]


# URLs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "path", "params", "sent"), [
    ("http://127.0.0.1:8080", "/health", None, "http://127.0.0.1:8080/health"),
    ("http://127.0.0.1:8080/", "/health", None, "http://127.0.0.1:8080/health"),
    ("http://lab-pc-07:8080/mlflow/", "/version", None, "http://lab-pc-07:8080/mlflow/version"),
    ("https://mlflow.school.example", "/api/2.0/mlflow/experiments/search", {"max_results": 1000, "page_token": "a b"},
     "https://mlflow.school.example/api/2.0/mlflow/experiments/search?max_results=1000&page_token=a+b"),
    ("http://127.0.0.1:8080", "/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": "alice/1&2"},
     "http://127.0.0.1:8080/api/2.0/mlflow/experiments/get-by-name?experiment_name=alice%2F1%262"),
])
def test_the_path_and_query_are_joined_to_the_base_url(fetch, url, path, params, sent):
    fake = fetch()
    answer = client(url=url).request("GET", path, params=params)
    assert fake.calls[0]["url"] == sent
    assert answer.url == sent and answer.where == "GET " + sent


@pytest.mark.parametrize(("params", "message"), [
    ({"url": "lab-pc-07:8080"}, "url 'lab-pc-07:8080' is not an http:// or https:// URL with a host name"),
    ({"url": "ftp://lab-pc-07"}, "is not an http:// or https:// URL"),
    ({"url": "http://:8080"}, "is not an http:// or https:// URL"),
    ({"request_timeout": 0.0}, "request_timeout must be more than 0 seconds (is 0.0)"),
])
def test_bad_settings_fail_the_module_before_any_request(fetch, params, message):
    fake = fetch()
    with pytest.raises(Failed) as failed:
        client(**params)
    assert message in failed.value.result["msg"]
    assert fake.calls == []


# Headers and body --------------------------------------------------------------------------------


def test_the_host_header_is_the_urls_host_and_port_by_default(fetch):
    fake = fetch()
    server = client(url="http://student@lab-pc-07:8080/")
    server.request("GET", "/api/2.0/mlflow/experiments/search")
    assert server.host_header == "lab-pc-07:8080"
    assert fake.calls[0]["headers"] == {"Accept": "application/json", "Host": "lab-pc-07:8080"}


def test_host_header_overrides_it_and_can_be_left_out_per_request(fetch):
    fake = fetch()
    server = client(url="http://127.0.0.1:8080", host_header="lab-pc-07.school.example:8080")
    server.request("GET", "/api/2.0/mlflow/experiments/search")
    server.request("GET", "/health", host_header=False)
    assert fake.calls[0]["headers"]["Host"] == "lab-pc-07.school.example:8080"
    assert "Host" not in fake.calls[1]["headers"]


def test_a_json_body_is_sent_with_its_content_type(fetch):
    fake = fetch((200, '{"experiment_id": "4"}', {}))
    answer = client().request("POST", "/api/2.0/mlflow/experiments/create", body={"name": "alice", "tags": []})
    call = fake.calls[0]
    assert call["method"] == "POST"
    assert json.loads(call["data"]) == {"name": "alice", "tags": []}
    assert call["headers"]["Content-Type"] == "application/json"
    assert (answer.status, json.loads(answer.text)) == (200, {"experiment_id": "4"})
    client().request("GET", "/health")
    assert fake.calls[1]["data"] is None and "Content-Type" not in fake.calls[1]["headers"]


def test_basic_auth_is_sent_with_the_first_request(fetch):
    fake = fetch()
    server = client(url_username="admin", url_password="admin-password-123")
    server.request("GET", "/api/2.0/mlflow/users/current")
    token = fake.calls[0]["headers"]["Authorization"]
    assert token == "Basic " + base64.b64encode(b"admin:admin-password-123").decode()
    assert token == basic_auth("admin", "admin-password-123")
    assert len(fake.calls) == 1


def test_a_request_as_another_account_sends_that_accounts_credentials(fetch):
    fake = fetch()
    client(url_username="admin", url_password="admin-password-123").request(
        "GET", "/api/2.0/mlflow/users/current", auth=("alice", "alice-password-1"))
    assert fake.calls[0]["headers"]["Authorization"] == basic_auth("alice", "alice-password-1")


def test_fetch_url_never_sees_the_credentials_nor_reads_netrc_with_them(fetch):
    # fetch_url would replace the Authorization header with url_username's (force_basic_auth),
    # answer a 401 with them, or take ~/.netrc's: the client sends the credentials itself.
    fake = fetch()
    client(url_username="admin", url_password="admin-password-123").request(
        "GET", "/api/2.0/mlflow/users/current", auth=("alice", "alice-password-1"))
    module = fake.calls[0]["module"]
    assert module.params["url_username"] is None and module.params["url_password"] is None
    assert fake.calls[0]["use_netrc"] is False
    client().request("GET", "/health")
    assert fake.calls[1]["use_netrc"] is True
    assert "Authorization" not in fake.calls[1]["headers"]


def test_without_force_basic_auth_the_credentials_answer_a_basic_challenge(fetch):
    fake = fetch((401, "You are not authenticated", {"www-authenticate": 'Basic realm="mlflow"'}), (200, "{}", {}))
    answer = client(url_username="admin", url_password="admin-password-123", force_basic_auth=False).request(
        "GET", "/api/2.0/mlflow/users/current")
    assert answer.status == 200
    assert "Authorization" not in fake.calls[0]["headers"]
    assert fake.calls[1]["headers"]["Authorization"] == basic_auth("admin", "admin-password-123")


def test_without_force_basic_auth_and_no_challenge_the_401_is_returned(fetch):
    fake = fetch((401, "You are not authenticated", {}))
    server = client(url_username="admin", url_password="x", force_basic_auth=False)
    answer = server.request("GET", "/api/2.0/mlflow/users/current")
    assert answer.status == 401 and len(fake.calls) == 1


# What fetch_url is given ------------------------------------------------------------------------


def test_certificates_proxy_and_timeout_are_handed_to_fetch_url(fetch):
    fake = fetch()
    client(url="https://mlflow.school.example", ca_path="/etc/labroom/course-ca.pem", validate_certs=True,
           use_proxy=False, request_timeout=2.5).request("GET", "/health")
    call = fake.calls[0]
    assert call["ca_path"] == "/etc/labroom/course-ca.pem"
    # fetch_url reads validate_certs from the module's params.
    assert call["module"].params["validate_certs"] is True
    assert call["use_proxy"] is False
    assert call["timeout"] == 2.5


def test_validate_certs_false_and_no_ca_path_are_handed_on_too(fetch):
    fake = fetch()
    client(url="https://mlflow.school.example", validate_certs=False).request("GET", "/health")
    call = fake.calls[0]
    assert call["ca_path"] is None
    assert call["module"].params["validate_certs"] is False
    assert call["use_proxy"] is True and call["timeout"] == 10.0


# Answers and failures ----------------------------------------------------------------------------


def test_an_http_error_is_returned_with_its_body(fetch):
    fetch((404, '{"error_code": "RESOURCE_DOES_NOT_EXIST"}', {}))
    server = client()
    answer = server.request("GET", "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert (answer.status, answer.text) == (404, '{"error_code": "RESOURCE_DOES_NOT_EXIST"}')
    assert answer.info["msg"] == "HTTP Error 404"
    assert server.last_status == 404


def test_an_invalid_host_header_is_a_final_error_naming_the_header(fetch):
    fetch((403, INVALID_HOST, {}))
    server = client(host_header="lab-pc-08:8080")
    with pytest.raises(MlflowError) as error:
        server.request("GET", "/api/2.0/mlflow/experiments/search")
    assert str(error.value) == (
        "GET http://127.0.0.1:8080/api/2.0/mlflow/experiments/search with Host: lab-pc-08:8080: refused by MLflow "
        "(%s). Add the name to the server's --allowed-hosts (mlflow_server_allowed_hosts_extra), or set host_header "
        "to a name in it." % INVALID_HOST)
    assert error.value.status == 403 and error.value.final is True
    assert server.last_status == 403


def test_another_403_is_returned_to_the_module(fetch):
    fetch((403, "Permission denied", {}))
    assert client().request("GET", "/api/2.0/mlflow/users/list").status == 403


def test_no_answer_is_an_error_that_waiting_may_fix(fetch):
    fetch((-1, "Request failed: <urlopen error [Errno 111] Connection refused>", {}))
    server = client()
    with pytest.raises(MlflowError) as error:
        server.request("GET", "/health")
    assert str(error.value) == (
        "GET http://127.0.0.1:8080/health: connection refused (is the server running and listening on this port?)")
    assert error.value.status == -1 and error.value.final is False
    assert server.last_status == -1


@pytest.mark.parametrize(("msg", "cause"), [
    ("Request failed: <urlopen error [Errno 111] Connection refused>",
     "connection refused (is the server running and listening on this port?)"),
    ("Request failed: <urlopen error timed out>", "no answer, timed out (is a firewall blocking the port?)"),
    ("Request failed: <urlopen error [Errno -2] Name or service not known>",
     "host name not found (Request failed: <urlopen error [Errno -2] Name or service not known>)"),
    ("", "no HTTP answer"),
])
def test_connection_cause_in_words(msg, cause):
    assert connection_cause(msg) == cause


def test_read_answer_takes_the_body_of_an_http_error_from_info():
    assert read_answer(io.BytesIO(b""), {"status": 500, "body": b"database is locked"}) == (500, "database is locked")
    assert read_answer(io.BytesIO(b"OK"), {"status": 200}) == (200, "OK")
    assert read_answer(None, {"status": -1, "msg": "refused"}) == (-1, "")


# Through the real fetch_url ---------------------------------------------------------------------


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 that answers every GET with 200 and records the headers."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # the name http.server calls
            seen.append(dict(self.headers.items()))
            body = b"OK"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_real_fetch_url_sends_the_clients_headers(local_server, tmp_path, monkeypatch):
    url, seen = local_server
    # A ~/.netrc entry for the host must not replace the account the client logs in as.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = MlflowClient(FakeModule(tmpdir=tmp_path, url=url, host_header="lab-pc-07:8080",
                                     url_username="admin", url_password="admin-password-123"))
    answer = server.request("GET", "/health")
    assert (answer.status, answer.text) == (200, "OK")
    server.request("GET", "/api/2.0/mlflow/users/current", auth=("alice", "alice-password-1"))
    assert seen[0]["Host"] == "lab-pc-07:8080"
    assert seen[0]["Authorization"] == basic_auth("admin", "admin-password-123")
    assert seen[1]["Authorization"] == basic_auth("alice", "alice-password-1")
    # Without credentials, ~/.netrc is read as fetch_url always does.
    MlflowClient(FakeModule(tmpdir=tmp_path, url=url)).request("GET", "/health", host_header=False)
    assert seen[2]["Authorization"] == basic_auth("someone", "from-netrc")
