"""Helper of the role tests: run one playbook over an inventory of cases, one host per case."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def run_cases(playbook, cases, workdir, group_vars=None, check=False):
    """Run `playbook` with one local host per case (its variables as host vars) and return the
    json callback's report and the completed process; with check, in check mode with --diff. The play runs from this checkout's
    ansible.cfg, so labroom.mlflow resolves to the code under test."""
    hosts = {name: dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable)
             for name, variables in cases.items()}
    inventory = Path(workdir) / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars or {}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_FORKS="8")
    run = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook)] + (["--check", "--diff"] if check else []),
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return json.loads(run.stdout), run


PREFLIGHT_PLAYBOOK = Path(__file__).with_name("files") / "preflight_settings.yml"


def preflight_outcomes(role, task_suffix, good, bad, workdir):
    """Run a role's settings checks (files/preflight_settings.yml) once for every good and bad
    case; return {case: result of the task whose name ends with task_suffix}."""
    cases = dict(good)
    cases.update({name: variables for name, (variables, _) in bad.items()})
    report, run = run_cases(PREFLIGHT_PLAYBOOK, cases, workdir, group_vars={"role_under_test": role})
    results = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(task_suffix):
                results.update(task["hosts"])
    assert set(results) == set(cases), run.stderr
    return results


def assert_refused(result, variables, expected, prefix):
    """A bad case failed, saying what to change, naming the bad variables and only them."""
    assert result.get("failed") is True, result
    message = result["msg"]
    assert expected in message, message
    assert "nothing was changed" in message, message
    assert set(re.findall(r"(%s\w+) is " % re.escape(prefix), message)) == set(variables), message
