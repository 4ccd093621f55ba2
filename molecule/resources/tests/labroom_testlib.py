"""Helpers and the `conf` fixture shared by the testinfra checks of every Molecule scenario.

Loaded as a pytest plugin (`-p labroom_testlib`, see .config/molecule/config.yml).

Each lab PC's settings and the commands run on it come from labroom_commands, which the
side_effect step uses too.

Verify only reads: what changes a host (restarts, reboots, resets, refused playbook runs, a
student's logged run) happens in Molecule's side_effect step (molecule/resources/side_effect.py),
which records what it observed; `observed()` reads that record.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner

import labroom_commands

PROJECT = labroom_commands.PROJECT


def room_hosts(group="lab_room"):
    """The scenario's hosts in an inventory group (by default every lab PC)."""
    return testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(group)


SIDE_EFFECT = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ".")) / "side_effect.json"


def observed(step, host=None):
    """What the side_effect step recorded for a step (of the room, or of one host)."""
    if not SIDE_EFFECT.exists():
        pytest.fail("%s is missing: run `molecule side_effect` before `molecule verify`" % SIDE_EFFECT)
    record = json.loads(SIDE_EFFECT.read_text())
    steps = record["steps"] if host is None else record["hosts"].get(host, {})
    if step not in steps:
        pytest.fail("side_effect recorded no step %r%s (recorded: %s)"
                    % (step, "" if host is None else " on " + host, ", ".join(steps) or "none"))
    entry = steps[step]
    if "error" in entry:
        pytest.fail("side_effect step %r%s raised:\n%s" % (step, "" if host is None else " on " + host, entry["error"]))
    return entry


def changed_on(run, host):
    """A recorded playbook run's changed count for a host (None when the host is not in its
    recap); the counts come from Ansible's json callback (tests/support/playbook_run.py)."""
    return run["stats"].get(host, {}).get("changed")


def why(*runs, log=None):
    """Text for a failed assertion: the playbook runs' accounts and the server's log."""
    return "\n\n".join([run["text"][-4000:] for run in runs if run] + ([log] if log else []))


def settings(host):
    hostvars = host.ansible.get_variables()
    return labroom_commands.settings(hostvars["inventory_hostname"], hostvars,
                                     lambda: host.file("/run/systemd/system").is_directory)


@pytest.fixture(scope="module")
def conf(host):
    """This host's settings (role defaults overlaid with its inventory variables)."""
    return settings(host)


def service_log(host, conf, lines=60):
    """The server's log (the journal under systemd, mlflow.log elsewhere), to print beside a
    failed assertion."""
    command = labroom_commands.log_command(conf, lines)
    out = host.run(command)
    return "\n--- %s ---\n%s" % (command, out.stdout or out.stderr)


def server_processes(host, conf):
    """(state, [users of the server's processes]) as the service manager reports them."""
    unit = conf["mlflow_server_service_name"]
    if conf["manager"] == "systemd":
        out = host.run(
            "systemctl is-enabled %s; systemctl is-active %s; "
            "pid=$(systemctl show -p MainPID --value %s); ps -o user= --pid $pid --ppid $pid",
            unit, unit, unit,
        )
        enabled, active, *users = out.stdout.split()
        return "%s/%s" % (enabled, active), users
    out = host.run(
        "%s/bin/supervisorctl -c %s status %s | awk '{print $2, $4}'",
        conf["venv"], conf["supervisor_conf"], unit,
    )
    state, pid = (out.stdout.split() + ["", ""])[:2]
    users = host.run("ps -o user= --pid %s --ppid %s", pid.rstrip(","), pid.rstrip(",")).stdout.split()
    return state, users


def http_get(host, conf, path, host_header=None):
    """GET a path of the host's server from the host itself; return (status, body)."""
    out = host.run(labroom_commands.http_get_command(conf, path, host_header=host_header or ""))
    assert out.rc == 0, out.stderr + service_log(host, conf)
    answer = json.loads(out.stdout)
    return answer["status"], answer["body"]


def stat(host, *paths):
    """One `stat` call for many paths: {path: {"user", "group", "mode", "type"}} (missing: absent)."""
    out = host.run("stat -c '%%n|%%U|%%G|%%a|%%F' %s 2>/dev/null; true" % " ".join(shlex.quote(p) for p in paths))
    found = {}
    for line in out.stdout.splitlines():
        name, user, group, mode, kind = line.split("|")
        found[name] = {"user": user, "group": group, "mode": int(mode, 8), "type": kind}
    return found


def logged_run(host, conf):
    """The run a student logged on this host in the side_effect step (the client asserted
    that it read back the param, the metric and the artifact's content)."""
    return observed("roundtrip", conf["inventory_hostname"])["logged"]


def run_client(host, conf, *args):
    """Run client_roundtrip.py on the host with the venv's Python, as an unprivileged user.

    Running as 'nobody' proves the client reaches the data only through the server: that
    user cannot write to the server's folders. The script goes in on stdin: nothing is
    written on the host.
    """
    payload = base64.b64encode(labroom_commands.CLIENT_SCRIPT.read_bytes()).decode()
    out = host.run("echo %s | base64 -d | (%s)" % (payload, labroom_commands.client_command(conf, *args)))
    assert out.rc == 0, "client failed:\n%s\n%s%s" % (out.stdout, out.stderr, service_log(host, conf))
    return json.loads(out.stdout.strip().splitlines()[-1])
