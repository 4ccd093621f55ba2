"""Unit tests of labroom.mlflow.tracking_health, with the HTTP layer mocked at fetch_url (of the
collection's MLflow client, plugins/module_utils/mlflow_http.py)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest

from ansible_collections.labroom.mlflow.plugins.module_utils import mlflow_http
from ansible_collections.labroom.mlflow.plugins.modules import tracking_health
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

BASE = "http://lab-pc-07:8080"


class FakeServer:
    """Answers fetch_url like a healthy MLflow 3 server; tests change `routes` to break it."""

    def __init__(self):
        self.routes = {
            "/health": (200, "OK"),
            "/version": (200, "3.17.2"),
            "/api/2.0/mlflow/experiments/search": (200, json.dumps({"experiments": [{"experiment_id": "0"}]})),
            "/api/2.0/mlflow/experiments/get": (
                200,
                json.dumps({"experiment": {"experiment_id": "0", "artifact_location": "mlflow-artifacts:/0"}}),
            ),
            "/api/2.0/mlflow-artifacts/artifacts": (200, json.dumps({})),
        }
        self.requests = []
        self.down_for = 0  # number of requests answered with "connection refused" first

    def __call__(self, module, url, headers=None, method="GET", timeout=10, **kwargs):
        self.requests.append((url, dict(headers or {})))
        if self.down_for > 0:
            self.down_for -= 1
            return None, {"status": -1, "msg": "Request failed: <urlopen error [Errno 111] Connection refused>", "url": url}
        path = urlsplit(url).path
        route = self.routes.get(path, (404, "not found"))
        if callable(route):
            route = route(url, headers or {})
        status, body = route
        if status == 200:
            return io.BytesIO(body.encode()), {"status": 200, "msg": "OK", "url": url}
        # Like fetch_url: the HTTPError comes back as the (already read) response.
        return io.BytesIO(b""), {"status": status, "msg": "HTTP Error %d" % status, "body": body.encode(), "url": url}


@pytest.fixture
def server(monkeypatch):
    fake = FakeServer()
    monkeypatch.setattr(mlflow_http, "fetch_url", fake)
    monkeypatch.setattr(tracking_health.time, "sleep", lambda seconds: None)
    return fake


@pytest.fixture
def run(server):
    """Run the module against the fake server; the URL defaults to BASE."""

    def call(**args):
        args.setdefault("url", BASE)
        return run_module(tracking_health, args)

    return call


def test_healthy_server_reports_facts_and_no_change(server, run):
    outcome = run()
    assert outcome.kind == "exit"
    result = outcome.result
    assert result["changed"] is False
    assert result["healthy"] is True
    assert result["version"] == "3.17.2"
    assert result["experiment_count"] == 1
    assert result["artifact_proxy_ok"] is True
    assert result["default_artifact_location"] == "mlflow-artifacts:/0"
    assert result["url"] == BASE
    assert result["attempts"] == 1
    assert result["status"] == 200
    assert isinstance(result["latency_ms"], float)
    assert "error" not in result


def test_host_header_sent_with_api_calls_but_not_health(server, run):
    run(url="http://127.0.0.1:8080", host_header="lab-pc-07:8080")
    sent = {urlsplit(url).path: headers.get("Host") for url, headers in server.requests}
    assert sent["/health"] is None
    assert sent["/api/2.0/mlflow/experiments/search"] == "lab-pc-07:8080"
    assert sent["/api/2.0/mlflow-artifacts/artifacts"] == "lab-pc-07:8080"


def test_host_header_defaults_to_url_netloc(server, run):
    result = run(url="http://user@lab-pc-07:8080/").result
    assert result["host_header"] == "lab-pc-07:8080"
    assert result["url"] == "http://user@lab-pc-07:8080"


def test_waits_for_a_starting_server(server, run):
    server.down_for = 3
    result = run(timeout=30, interval=0.01).result
    assert result["healthy"] is True
    assert result["attempts"] == 4


def test_connection_refused_fails_naming_url_and_cause(server, run):
    server.down_for = 10**6
    outcome = run(timeout=0)
    assert outcome.kind == "fail"
    assert outcome.result["msg"].startswith("GET http://lab-pc-07:8080/health: connection refused")
    assert outcome.result["healthy"] is False
    assert outcome.result["status"] == -1
    assert outcome.result["url"] == BASE


def test_gives_up_after_timeout_and_says_so(server, run, monkeypatch):
    server.down_for = 10**6
    clock = iter(range(0, 10**6, 1))
    monkeypatch.setattr(tracking_health.time, "monotonic", lambda: float(next(clock)))
    outcome = run(timeout=30, interval=1)
    assert outcome.kind == "fail"
    assert outcome.result["msg"].endswith("after 30 s")
    assert outcome.result["attempts"] > 1


def test_invalid_host_header_is_final_and_explained(server, run):
    server.routes["/api/2.0/mlflow/experiments/search"] = (403, "Invalid Host header - possible DNS rebinding attack detected")
    outcome = run(timeout=600, host_header="lab-pc-07.school.example:8080")
    assert outcome.kind == "fail"
    assert outcome.result["attempts"] == 1  # waiting cannot fix it
    assert "Host: lab-pc-07.school.example:8080" in outcome.result["msg"]
    assert "--allowed-hosts" in outcome.result["msg"]
    assert outcome.result["status"] == 403
    assert outcome.result["version"] == "3.17.2"  # what was learnt before the failure is kept


def test_server_error_is_retried_then_reported(server, run):
    calls = {"n": 0}

    def flaky(url, headers):
        calls["n"] += 1
        return (503, "busy") if calls["n"] < 3 else (200, json.dumps({"experiments": []}))

    server.routes["/api/2.0/mlflow/experiments/search"] = flaky
    result = run(timeout=30, interval=0.01).result
    assert result["healthy"] is True
    assert result["attempts"] == 3
    assert result["experiment_count"] == 0


def test_local_artifact_location_fails_when_artifacts_checked(server, run):
    server.routes["/api/2.0/mlflow/experiments/get"] = (
        200,
        json.dumps({"experiment": {"experiment_id": "0", "artifact_location": "/home/student/mlruns/0"}}),
    )
    outcome = run(timeout=600)
    assert outcome.kind == "fail"
    assert "--serve-artifacts" in outcome.result["msg"]
    assert outcome.result["artifact_proxy_ok"] is False
    assert outcome.result["attempts"] == 1


def test_artifact_checks_can_be_turned_off(server, run):
    server.routes["/api/2.0/mlflow-artifacts/artifacts"] = (404, "not found")
    server.routes["/api/2.0/mlflow/experiments/get"] = (
        200,
        json.dumps({"experiment": {"experiment_id": "0", "artifact_location": "s3://bucket/0"}}),
    )
    result = run(check_artifacts=False).result
    assert result["healthy"] is True
    assert result["artifact_proxy_ok"] is None


def test_missing_artifact_proxy_fails(server, run):
    server.routes["/api/2.0/mlflow-artifacts/artifacts"] = (404, "not found")
    outcome = run(timeout=0)
    assert outcome.kind == "fail"
    assert "/api/2.0/mlflow-artifacts/artifacts" in outcome.result["msg"]
    assert outcome.result["artifact_proxy_ok"] is False


def test_deleted_default_experiment_is_not_a_failure(server, run):
    server.routes["/api/2.0/mlflow/experiments/get"] = (404, json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST"}))
    result = run().result
    assert result["healthy"] is True
    assert result["default_artifact_location"] is None


def test_experiment_count_follows_pages(server, run):
    def search(url, headers):
        if "page_token=p2" in url:
            return 200, json.dumps({"experiments": [{}] * 5})
        return 200, json.dumps({"experiments": [{}] * 1000, "next_page_token": "p2"})

    server.routes["/api/2.0/mlflow/experiments/search"] = search
    assert run().result["experiment_count"] == 1005


def test_unhealthy_without_failing_for_room_reports(server, run):
    server.down_for = 10**6
    outcome = run(timeout=0, fail_on_unhealthy=False)
    assert outcome.kind == "exit"
    assert outcome.result["healthy"] is False
    assert outcome.result["changed"] is False
    assert "connection refused" in outcome.result["error"]


def test_health_answer_other_than_ok_is_unhealthy(server, run):
    server.routes["/health"] = (200, "<html>captive portal</html>")
    outcome = run(timeout=0)
    assert outcome.kind == "fail"
    assert "expected 'OK'" in outcome.result["msg"]


def test_credentials_required_is_final(server, run):
    server.routes["/api/2.0/mlflow/experiments/search"] = (401, "You are not authenticated")
    outcome = run(timeout=600)
    assert outcome.kind == "fail"
    assert "url_username" in outcome.result["msg"]
    assert outcome.result["attempts"] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        ({"url": "lab-pc-07:8080"}, "not an http:// or https:// URL"),
        ({"url": "ftp://lab-pc-07"}, "not an http:// or https:// URL"),
        ({"timeout": -1}, "timeout must be 0 or more"),
        ({"interval": 0}, "interval must be more than 0"),
        ({"request_timeout": -2}, "request_timeout must be more than 0"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(server, run, args, message):
    outcome = run(**args)
    assert outcome.kind == "fail"
    assert message in outcome.result["msg"]
    assert server.requests == []


def test_check_mode_is_supported_and_reads_only(server, run):
    outcome = run(_ansible_check_mode=True)
    assert outcome.kind == "exit"
    assert outcome.result["changed"] is False
    assert outcome.result["healthy"] is True


def test_password_is_never_logged():
    assert tracking_health.ARGUMENT_SPEC["url_password"]["no_log"] is True


def test_an_https_server_gets_its_certificate_checked_first(server, run, monkeypatch):
    seen = []

    def certificate(host, port, address=None, ca_path=None, timeout=10.0):
        seen.append((host, port, address, ca_path))
        return {"not_after": "2027-12-05T00:00:00Z", "days_left": 365, "names": [host], "issuer": "labroom.mlflow CA"}

    monkeypatch.setattr(mlflow_http, "peer_certificate", certificate)
    result = run(url="https://course.lab.example", connect_address="127.0.0.1", ca_path="/opt/lab/tls/ca.crt").result
    assert result["healthy"] is True
    assert result["certificate"]["days_left"] == 365
    assert seen == [("course.lab.example", 443, "127.0.0.1", "/opt/lab/tls/ca.crt")]
    assert run().result["certificate"] is None


def test_a_refused_certificate_is_final_and_says_why(server, run, monkeypatch):
    def certificate(*args, **kwargs):
        raise mlflow_http.MlflowError(
            "TLS to course.lab.example:443: the server's certificate is refused: certificate has expired", final=True)

    monkeypatch.setattr(mlflow_http, "peer_certificate", certificate)
    outcome = run(url="https://course.lab.example", timeout=30)
    assert outcome.kind == "fail"
    assert outcome.result["attempts"] == 1
    assert "certificate has expired" in outcome.result["msg"]
    assert server.requests == []
