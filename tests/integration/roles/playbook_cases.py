"""Helper of the role tests: run one playbook over an inventory of cases, one host per case."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from playbook_run import run_playbook

ROOT = Path(__file__).resolve().parents[3]


def run_cases(playbook, cases, workdir, group_vars=None, extra_args=()):
    """Run `playbook` with one local host per case (its variables as host vars) and return the
    json callback's report and the PlaybookRun (tests/support/playbook_run.py). The play runs
    from this checkout's ansible.cfg, so labroom.mlflow resolves to the code under test.
    `extra_args` are added to the ansible-playbook command line (such as --tags)."""
    hosts = {name: dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable)
             for name, variables in cases.items()}
    inventory = Path(workdir) / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars or {}}}))
    run = run_playbook(playbook, inventories=[inventory], args=extra_args, timeout=300,
                       env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": "8"})
    assert run.parsed, run.text
    return run.document, run


FILES = Path(__file__).with_name("files")
# The name Ansible gives the task that validates a role's variables against its argument spec.
SPEC_TASK_PREFIX = "Validating arguments against arg spec 'main'"


def settings_outcomes(role, cases, workdir):
    """Run `role` through its main entry point (files/<role>_settings.yml) with
    --tags <role>_settings, one host per case: Ansible's argument spec validation, then the
    role's settings check, and nothing else. Return ({case: (failed task or None, its result)},
    [names of the tasks that ran])."""
    report, run = run_cases(FILES / ("%s_settings.yml" % role), cases, workdir, extra_args=["--tags", "%s_settings" % role])
    outcomes = {case: (None, None) for case in cases}
    tasks = []
    for play in report["plays"]:
        for task in play["tasks"]:
            name = task["task"]["name"]
            tasks.append(name)
            for host, result in task["hosts"].items():
                if result.get("failed") and outcomes[host][0] is None:
                    outcomes[host] = (name, result)
    assert set(report["stats"]) == set(cases), run.text
    return outcomes, tasks


def assert_refused(result, variables, expected, prefix):
    """A bad case failed in the role's settings check, saying what to change, naming the bad
    variables and only them."""
    assert result.get("failed") is True, result
    message = result["msg"]
    assert expected in message, message
    assert "nothing was changed" in message, message
    assert set(re.findall(r"(%s\w+) is " % re.escape(prefix), message)) == set(variables), message


def assert_refused_by_spec(result, variable, expected):
    """A bad case failed in Ansible's argument spec validation, in Ansible's words, naming the
    variable."""
    assert result.get("failed") is True, result
    message = result["msg"]
    assert message.startswith("Validation of arguments failed"), message
    assert variable in message, message
    assert expected in message, message
