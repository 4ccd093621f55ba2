"""The students' client venv takes the tracking server's release: the course server's
mlflow_server_version when the inventory has one, else the PC's own server's, else the
collection's default; mlflow_client_version wins over all. Each case is the mlflow_client role
in check mode on this machine with a Debian PC's facts (files/check_platform.yml); the release
shows in the profile script the run would write (and is what the venv's requirement pins)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from playbook_run import run_playbook

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = Path(__file__).with_name("files") / "check_platform.yml"
DEFAULT = yaml.safe_load((ROOT / "roles/mlflow_server/defaults/main.yml").read_text())["mlflow_server_version"]
FACTS = {"os_family": "Debian", "system": "Linux", "distribution": "Debian", "service_mgr": "systemd",
         "hostname": "lab-pc-31", "fqdn": "lab-pc-31.lab.school.example", "nodename": "lab-pc-31",
         "all_ipv4_addresses": ["10.1.2.31"]}
PC = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "platform_facts": FACTS,
      "role_under_test": "mlflow_client", "mlflow_client_venv_dir": "/opt/labroom-client-release-check"}


def profile(tmp_path, groups):
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps(groups))
    run = run_playbook(PLAYBOOK, inventories=[inventory], args=["--check", "--diff", "--limit", "lab-pc-31"],
                       env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")})
    assert run.rc == 0, run.text
    for play in run.document["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("lab-pc-31", {})
            if task["task"]["name"].endswith("Write the profile script that exports MLFLOW_TRACKING_URI"):
                return next(part["after"] for part in result["diff"] if isinstance(part.get("after"), str))
    raise AssertionError("no profile script:\n" + run.text)


@pytest.mark.parametrize(("groups", "release"), [
    # A course server on another release than the collection's default: the client follows it.
    ({"mlflow_course_server": {"hosts": {"course-server": {"mlflow_server_version": "3.16.1"}}},
      "mlflow_clients": {"hosts": {"lab-pc-31": PC}}}, "3.16.1"),
    # No course server: the PC's own server's release.
    ({"lab_room": {"hosts": {"lab-pc-31": dict(PC, mlflow_server_version="3.15.0")}},
      "mlflow_clients": {"hosts": {"lab-pc-31": {}}}}, "3.15.0"),
    # Neither sets one: the collection's default.
    ({"mlflow_clients": {"hosts": {"lab-pc-31": dict(PC, mlflow_client_tracking_uri="http://mlflow.cs.example.ac.th")}}},
     DEFAULT),
    # mlflow_client_version wins.
    ({"mlflow_course_server": {"hosts": {"course-server": {"mlflow_server_version": "3.16.1"}}},
      "mlflow_clients": {"hosts": {"lab-pc-31": dict(PC, mlflow_client_version="3.17.0")}}}, "3.17.0"),
], ids=["course_server", "own_server", "default", "explicit"])
def test_the_client_takes_the_servers_release(tmp_path, groups, release):
    text = profile(tmp_path, groups)
    assert "# MLflow's client %s (the server's release)" % release in text, text
