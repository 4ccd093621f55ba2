"""playbooks/status.yml builds its room report with the room_report filters, from real hostvars.

One ansible-playbook run over a room of four local hosts, one per way a host can end up in the
report: provisioning failed, unreachable, stopped on purpose, and a server that refuses the
connection. The JSON report, the table and the play's verdict must say so.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("room-report")
    inventory = workdir / "inventory.json"
    inventory.write_text(json.dumps({"lab_room": {
        "hosts": {
            "pc-failed": {"mlflow_server_provision_error": "Install MLflow: No space left on device"},
            "pc-gone": {"mlflow_server_unreachable": "Failed to connect to the host via ssh:\nNo route to host\n"},
            "pc-stopped": {"mlflow_server_state": "stopped"},
            # Nothing listens on port 1: the check fails at once.
            "pc-refused": {"mlflow_server_port": 1, "mlflow_server_status_timeout": 0},
        },
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "mlflow_server_mode": "ephemeral"},
    }}))
    run = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "playbooks/status.yml", "-e", "mlflow_report_dir=%s" % workdir],
        cwd=ROOT, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")),
        capture_output=True, text=True, timeout=300, check=False,
    )
    json_report = workdir / "room-report.json"
    assert json_report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return run, json.loads(json_report.read_text()), (workdir / "room-report.html").read_text()


def test_each_host_has_its_status_and_cause(report):
    _run, data, _html = report
    rows = {row["host"]: row for row in data["hosts"]}
    assert [row["host"] for row in data["hosts"]] == ["pc-failed", "pc-gone", "pc-stopped", "pc-refused"]
    assert (rows["pc-failed"]["status"], rows["pc-failed"]["error"]) == ("failed", "Install MLflow: No space left on device")
    assert rows["pc-gone"]["status"] == "unreachable"
    assert rows["pc-gone"]["error"] == "Failed to connect to the host via ssh: No route to host"
    assert (rows["pc-stopped"]["status"], rows["pc-stopped"]["error"]) == ("stopped", "")
    assert rows["pc-stopped"]["mode"] == "ephemeral"
    assert rows["pc-refused"]["status"] == "failing"
    assert "http://127.0.0.1:1/health: connection refused" in rows["pc-refused"]["error"]
    assert set(rows["pc-failed"]) == set(rows["pc-refused"]) - {"state"}


def test_summary_and_verdict_name_the_failing_hosts(report):
    run, data, html = report
    assert (data["hosts_total"], data["hosts_healthy"]) == (4, 0)
    assert data["hosts_not_healthy"] == ["pc-failed", "pc-gone", "pc-refused"]
    assert "Not healthy: pc-failed, pc-gone, pc-refused." in html
    assert run.returncode == 2
    assert "Not healthy: pc-failed, pc-gone, pc-refused." in run.stdout
    # The table (debug task): HOST URL VERSION MODE STATUS ... on each host's line.
    table = run.stdout[run.stdout.index("Show the room table"):]
    statuses = {"pc-failed": "failed", "pc-gone": "unreachable", "pc-stopped": "stopped", "pc-refused": "failing"}
    for host, status in statuses.items():
        assert re.search(r"\b%s +\S+ +\S+ +\S+ +%s " % (host, status), table), (host, table)
