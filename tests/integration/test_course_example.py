"""inventory/course.example.yml, which the README tells an instructor to copy: Ansible reads it
as a course server and 30 students' PCs, and site.yml accepts it (the course server's settings
from it pass the role's checks: settings_cases_mlflow_server.py, course_example_inventory)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "inventory" / "course.example.yml"


def test_the_example_is_a_course_server_and_thirty_students_pcs(tmp_path):
    # A copy, away from inventory/group_vars: an instructor's checkout may hold vault files there.
    example = tmp_path / EXAMPLE.name
    example.write_text(EXAMPLE.read_text())
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(example), "--list"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    inventory = json.loads(listed.stdout)
    assert inventory["mlflow_course_server"]["hosts"] == ["course-server"]
    assert len(inventory["mlflow_clients"]["hosts"]) == 30
    course = inventory["_meta"]["hostvars"]["course-server"]
    assert (course["mlflow_server_backend"], course["mlflow_server_auth"], course["mlflow_server_workers"]) == (
        "postgresql", "basic", 4)


def test_site_accepts_the_example(tmp_path):
    example = tmp_path / EXAMPLE.name
    example.write_text(EXAMPLE.read_text())
    checked = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(example), "site.yml", "--syntax-check"], cwd=ROOT,
                             capture_output=True, text=True, env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                                                                  "PATH": "%s:/usr/bin:/bin" % BIN}, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
