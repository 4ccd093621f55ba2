"""inventory/course-tier.example.yml: Ansible reads it as a course tier (two course hosts, a
database host, a front, 30 students' PCs), site.yml accepts it, and the tier's check refuses the
inventories the issue names, before anything changes, naming the group or the variable. The
check reads only the inventory (no connection): provision.yml's first play runs it on hosts that
do not exist here (the same file provision.yml's first play includes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "inventory" / "course-tier.example.yml"
ENV = {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "%s:/usr/bin:/bin" % BIN}


def inventory(tmp_path, change=None):
    """The example, with vault_mlflow_admin_password given, changed by `change(document)`."""
    document = yaml.safe_load(EXAMPLE.read_text())
    tier = document["all"]["children"]["mlflow_course_tier"]
    tier["vars"]["mlflow_server_admin_password"] = "a-long-password-1"
    tier["vars"]["mlflow_server_roster_file"] = ""
    tier["vars"]["mlflow_server_students"] = ["alice"]
    if change:
        change(document, tier["children"])
    path = tmp_path / "tier.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def tier_check(path):
    """Only the tier's check play, through a playbook that imports nothing else."""
    playbook = path.parent / "check.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The tier's check", "hosts": "mlflow_course_server:mlflow_course_database:mlflow_course_front",
        "gather_facts": False,
        "tasks": [{"name": "Check", "ansible.builtin.include_role": {
            "name": "labroom.mlflow.mlflow_server", "tasks_from": "course_tier_check"}}]}]))
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(path), str(playbook)],
                          cwd=ROOT, capture_output=True, text=True, env=ENV, check=False)


def test_the_example_is_a_tier_and_thirty_students_pcs(tmp_path):
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(inventory(tmp_path)), "--list"], cwd=ROOT,
                            capture_output=True, text=True, check=True, env=ENV)
    found = json.loads(listed.stdout)
    assert found["mlflow_course_server"]["hosts"] == ["mlflow-course-1", "mlflow-course-2"]
    assert found["mlflow_course_database"]["hosts"] == ["mlflow-db"]
    assert found["mlflow_course_front"]["hosts"] == ["mlflow-front"]
    assert len(found["mlflow_clients"]["hosts"]) == 30


def test_site_accepts_the_example_and_its_check_passes(tmp_path):
    path = inventory(tmp_path)
    checked = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(path), "site.yml", "--syntax-check"],
                             cwd=ROOT, capture_output=True, text=True, env=ENV, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    passed = tier_check(path)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def _two_databases(document, groups):
    groups["mlflow_course_database"]["hosts"]["mlflow-db-2"] = None


def _versions(document, groups):
    groups["mlflow_course_server"]["hosts"]["mlflow-course-2"] = {"mlflow_server_version": "3.16.0"}


def _sqlite(document, groups):
    document["all"]["children"]["mlflow_course_tier"]["vars"]["mlflow_server_backend"] = "sqlite"


def _no_tls(document, groups):
    tier_vars = document["all"]["children"]["mlflow_course_tier"]["vars"]
    tier_vars.update(mlflow_server_tls="none", mlflow_server_tls_insecure_ok=True)


def _front_alone(document, groups):
    del groups["mlflow_course_server"]
    groups["mlflow_course_server"] = {"hosts": {}}


def _no_front(document, groups):
    del groups["mlflow_course_front"]


@pytest.mark.parametrize("change, expected", [
    (_two_databases, "The group mlflow_course_database has 2 hosts (mlflow-db, mlflow-db-2)"),
    (_versions, "mlflow_server_version differs between the course hosts (mlflow-course-1: '3.17.2', mlflow-course-2: '3.16.0')"),
    (_sqlite, "mlflow_server_backend is not postgresql on mlflow-course-1, mlflow-course-2"),
    (_no_tls, "mlflow_server_tls is none (no HTTPS) in a course tier"),
    (_front_alone, "but the group mlflow_course_server has none"),
    (_no_front, "and mlflow_course_front none"),
], ids=["two database hosts", "different versions", "sqlite", "no TLS with auth", "front without course hosts", "no front"])
def test_the_tier_check_refuses_naming_the_setting(tmp_path, change, expected):
    refused = tier_check(inventory(tmp_path, change))
    output = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0
    assert "The course tier cannot be set up with this inventory, nothing was changed" in output
    assert expected in output, output[-3000:]


def test_a_secret_that_differs_is_refused_without_showing_it(tmp_path):
    def change(document, groups):
        groups["mlflow_course_server"]["hosts"]["mlflow-course-2"] = {"mlflow_server_admin_password": "another-password-2"}

    refused = tier_check(inventory(tmp_path, change))
    output = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0
    assert "mlflow_server_admin_password differs between the tier's hosts (" in output
    assert "another-password-2" not in output and "a-long-password-1" not in output


def test_a_lab_pc_beside_a_tier_is_not_checked_as_part_of_it(tmp_path):
    """A per-PC server (no HTTPS, SQLite) in the same inventory as a tier passes the role's settings check."""
    def change(document, groups):
        document["all"]["children"]["lab_room"] = {"hosts": {"lab-pc-01": {"ansible_connection": "local"}}}

    path = inventory(tmp_path, change)
    playbook = path.parent / "lab-pc.yml"
    playbook.write_text(yaml.safe_dump([{"name": "A lab PC", "hosts": "lab_room", "gather_facts": False,
                                         "roles": [{"role": "labroom.mlflow.mlflow_server"}]}]))
    checked = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(path), str(playbook), "--tags", "mlflow_server_settings"],
                             cwd=ROOT, capture_output=True, text=True, env=ENV, check=False)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
