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


def clients_room(tmp_path, lab_pcs):
    """A room whose students' PCs all fail: one with a bad setting (refused before any change),
    one switched off (nothing listens on that loopback port)."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = tmp_path / "room.json"
    inventory.write_text(json.dumps({
        "lab_room": {"hosts": {name: dict(local, **settings) for name, settings in lab_pcs.items()}},
        "mlflow_clients": {"hosts": {
            "student-pc-01": dict(local, mlflow_client_tracking_uri="ftp://course-server"),
            "student-pc-02": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9,
                              "ansible_ssh_common_args": "-o ConnectTimeout=5 -o StrictHostKeyChecking=no"},
        }},
    }))
    return run_playbook("site.yml", inventories=[inventory], args=["-e", "mlflow_report_dir=%s" % tmp_path])


def test_students_pcs_that_fail_or_are_off_fail_at_the_end_of_the_run_with_their_reasons(tmp_path):
    # Ansible stops a run in which every host of a play failed: the client play keeps the reasons
    # instead, and the run's last play fails each PC with its own.
    run = clients_room(tmp_path, {})
    assert run.rc != 0, run.text
    last = {f["host"]: f["msg"] for f in run.failures if f["task"] == "Mark this student's PC as failed"}
    assert set(last) == {"student-pc-01", "student-pc-02"}, run.text
    assert "mlflow_client_tracking_uri is 'ftp://course-server'" in last["student-pc-01"], last
    assert last["student-pc-02"].startswith("unreachable: "), last
    assert run.changed("student-pc-01") == 0, run.text


def test_students_pcs_that_fail_do_not_stop_the_room_report(tmp_path):
    # With a lab PC that fails too: the report is written, and says which students' PCs failed.
    run = clients_room(tmp_path, {"lab-pc-99": {"mlflow_server_port": 0}})
    assert run.rc != 0, run.text
    (row,) = json.loads((tmp_path / "room-report.json").read_text())["hosts"]
    assert row["host"] == "lab-pc-99" and row["status"] == "failed", row
    said = json.dumps(run.document)
    assert "student-pc-01: " in said and "student-pc-02: unreachable" in said, run.text
