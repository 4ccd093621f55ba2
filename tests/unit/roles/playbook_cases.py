"""Helper of the role tests: run one playbook over an inventory of cases, one host per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def run_cases(playbook, cases, workdir, group_vars=None):
    """Run `playbook` with one local host per case (its variables as host vars) and return the
    json callback's report and the completed process. The play runs from this checkout's
    ansible.cfg, so labroom.mlflow resolves to the code under test."""
    hosts = {name: dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable)
             for name, variables in cases.items()}
    inventory = Path(workdir) / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars or {}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_FORKS="8")
    run = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return json.loads(run.stdout), run
