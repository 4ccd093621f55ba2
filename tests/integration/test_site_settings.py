"""site.yml, as an instructor runs it, with two broken settings on one lab PC: both are named in
one failure, the PC is reported failed with that message, the run exits non-zero, and nothing
on the PC changed (the settings are refused in preflight, before any task that acts).

The lab PC is this machine, reached with a local connection; the refused run never gets past
the role's settings check, so the machine is not touched.
"""

from __future__ import annotations

import json
import sys

from playbook_run import run_playbook


def test_two_broken_settings_are_reported_together_through_site_yml(tmp_path):
    inventory = tmp_path / "room.json"
    inventory.write_text(json.dumps({"lab_room": {"hosts": {"lab-pc-99": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "mlflow_server_port": 0, "mlflow_server_workers": 0,
    }}}}))
    run = run_playbook("site.yml", inventories=[inventory], args=["-e", "mlflow_report_dir=%s" % tmp_path])
    assert run.rc != 0, run.text
    assert run.changed("lab-pc-99") == 0, run.text
    refusals = [f["msg"] for f in run.failures if f["host"] == "lab-pc-99" and "cannot run with these settings" in f["msg"]]
    assert len(refusals) == 1, run.text
    assert "mlflow_server_port is '0'" in refusals[0] and "mlflow_server_workers is '0'" in refusals[0], refusals[0]
    assert "nothing was changed on lab-pc-99" in refusals[0]
    (row,) = json.loads((tmp_path / "room-report.json").read_text())["hosts"]
    assert row["host"] == "lab-pc-99" and row["status"] == "failed", row
    assert "mlflow_server_port is '0'" in row["error"] and "mlflow_server_workers is '0'" in row["error"], row
