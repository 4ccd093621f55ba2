"""labroom.mlflow.tracking_health against a real MLflow server that the test starts.

The server runs from the test environment's MLflow (requirements-test.txt pins the release the
role installs) with the role's flags: absolute SQLite URI, proxied artifacts, an explicit
--allowed-hosts list, one worker.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from mlflow_server import free_port, mlflow_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlflowserver-lab")
    (base / "mlruns_db").mkdir()
    with mlflow_server(base, base / "mlruns_db" / "mlflow.db") as running:
        yield running


def test_waits_for_the_starting_server_and_reports_it_healthy(server, run_module):
    # The first call also waits through the server's start (migrations, worker start-up).
    outcome = run_module(url=server["url"], host_header="lab-pc-07:%d" % server["port"], timeout=120, interval=0.5)
    assert outcome.kind == "exit", outcome.result.get("msg", "") + "\n" + server["log"].read_text()[-2000:]
    result = outcome.result
    assert result["healthy"] is True
    assert result["changed"] is False
    assert result["version"] == "3.17.2"
    assert result["experiment_count"] == 1  # the Default experiment
    assert result["default_artifact_location"] == "mlflow-artifacts:/0"
    assert result["artifact_proxy_ok"] is True
    assert result["latency_ms"] > 0


def test_a_name_outside_allowed_hosts_is_reported_at_once(server, run_module):
    # Whichever test runs first (pytest-xdist may start here): wait until the server answers.
    assert run_module(url=server["url"], host_header="lab-pc-07:%d" % server["port"], timeout=120, interval=0.5).kind == "exit"
    outcome = run_module(url=server["url"], host_header="lab-pc-08:%d" % server["port"], timeout=60)
    assert outcome.kind == "fail"
    assert outcome.result["status"] == 403
    assert outcome.result["attempts"] == 1
    assert "Host: lab-pc-08" in outcome.result["msg"]
    assert outcome.result["version"] == "3.17.2"  # /health and /version skip the Host check


def test_nothing_listening_is_connection_refused(server, run_module):
    url = "http://127.0.0.1:%d" % free_port()
    outcome = run_module(url=url, timeout=1, interval=0.2)
    assert outcome.kind == "fail"
    assert outcome.result["msg"].startswith("GET %s/health: connection refused" % url)
    assert outcome.result["status"] == -1


def test_counts_the_runs_a_client_logged(server, run_module):
    client = subprocess.run(
        [
            sys.executable, "-c",
            "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment('week-1');"
            "[mlflow.start_run().__exit__(None, None, None) for _ in range(3)]",
            server["url"],
        ],
        capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true"),
    )
    assert client.returncode == 0, client.stderr[-2000:]
    outcome = run_module(url=server["url"], host_header="lab-pc-07:%d" % server["port"], timeout=30, count_runs=True)
    assert outcome.kind == "exit", outcome.result.get("msg")
    assert outcome.result["experiment_count"] == 2
    assert outcome.result["run_count"] == 3
    # Without count_runs the report's extra calls are not made.
    assert "run_count" not in run_module(url=server["url"], host_header="lab-pc-07:%d" % server["port"], timeout=30).result
