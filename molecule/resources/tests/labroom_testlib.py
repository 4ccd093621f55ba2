"""Helpers and the `conf` fixture shared by the testinfra checks of every Molecule scenario.

Loaded as a pytest plugin (`-p labroom_testlib`, see .config/molecule/config.yml).

Each lab PC's settings are the role's defaults overlaid with the host's inventory variables,
read from the same files Ansible reads, so the tests never restate a default.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner
import yaml

PROJECT = Path(__file__).resolve().parents[3]
DEFAULTS = yaml.safe_load((PROJECT / "roles/mlflow_server/defaults/main.yml").read_text())
CLIENT_SCRIPT = Path(__file__).with_name("client_roundtrip.py")


def room_hosts(group="lab_room"):
    """The scenario's hosts in an inventory group (by default every lab PC)."""
    return testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(group)


def run_playbook(name, *args, timeout=900):
    """Run one of the collection's playbooks (path from the repo root) over this scenario's
    inventory, as an instructor would; return (exit status, output without colour codes)."""
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".ansible/collections"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    run = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         str(PROJECT / name), *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    return run.returncode, re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)


def changed(output, host):
    """The changed count of a host in the last PLAY RECAP of a playbook's output (None when
    the host is not in it)."""
    found = re.findall(r"^%s\s+:\s+ok=\d+\s+changed=(\d+)" % re.escape(host), output, re.MULTILINE)
    return int(found[-1]) if found else None


def settings(host):
    hostvars = host.ansible.get_variables()
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in hostvars.items() if k.startswith("mlflow_server_")})
    merged["inventory_hostname"] = hostvars["inventory_hostname"]
    merged["venv"] = merged["mlflow_server_base_dir"] + "/.venv"
    merged["python"] = merged["venv"] + "/bin/python"
    # The service manager the role chose: systemd where the host booted with it.
    manager = merged["mlflow_server_service_manager"]
    if manager == "auto":
        manager = "systemd" if host.file("/run/systemd/system").is_directory else "supervisor"
    merged["manager"] = manager
    merged["supervisor_conf"] = merged["mlflow_server_base_dir"] + "/supervisor/supervisord.conf"
    return merged


@pytest.fixture(scope="module")
def conf(host):
    """This host's settings (role defaults overlaid with its inventory variables)."""
    return settings(host)


def service_log(host, conf, lines=60):
    """The server's log (the journal under systemd, mlflow.log elsewhere), to print beside a
    failed assertion."""
    unit = conf["mlflow_server_service_name"]
    if conf["manager"] == "systemd":
        command = "journalctl -u %s --no-pager -n %s" % (shlex.quote(unit), lines)
    else:
        command = "tail -n %s %s/mlflow.log" % (lines, shlex.quote(conf["mlflow_server_base_dir"]))
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
    url = "http://127.0.0.1:%s%s" % (conf["mlflow_server_port"], path)
    code = (
        "import json, sys, urllib.request, urllib.error\n"
        "req = urllib.request.Request(sys.argv[1], headers={'Host': sys.argv[2]} if sys.argv[2] else {})\n"
        "try:\n"
        "    r = urllib.request.urlopen(req, timeout=20); status, body = r.status, r.read()\n"
        "except urllib.error.HTTPError as e:\n"
        "    status, body = e.code, e.read()\n"
        "print(json.dumps({'status': status, 'body': body.decode('utf-8', 'replace')}))\n"
    )
    out = host.run("%s -c %s %s %s", conf["python"], code, url, host_header or "")
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


_LOGGED = {}


def logged_run(host, conf):
    """The run the client logged on this host (logged once per host and test session)."""
    key = conf["inventory_hostname"]
    if key not in _LOGGED:
        _LOGGED[key] = run_client(host, conf, "log")
    return _LOGGED[key]


def run_client(host, conf, *args):
    """Run client_roundtrip.py on the host with the venv's Python, as an unprivileged user.

    Running as 'nobody' proves the client reaches the data only through the server: that
    user cannot write to the server's folders.
    """
    payload = base64.b64encode(CLIENT_SCRIPT.read_bytes()).decode()
    script = "/tmp/labroom_client_roundtrip.py"
    out = host.run("echo %s | base64 -d > %s && chmod 0644 %s", payload, script, script)
    assert out.rc == 0, out.stderr
    url = "http://%s:%s" % (conf["inventory_hostname"], conf["mlflow_server_port"])
    command = "cd /tmp && HOME=/tmp runuser -u nobody -- %s %s %s %s" % (
        shlex.quote(conf["python"]),
        script,
        shlex.quote(url),
        " ".join(shlex.quote(a) for a in args),
    )
    out = host.run(command)
    assert out.rc == 0, "client failed:\n%s\n%s%s" % (out.stdout, out.stderr, service_log(host, conf))
    return json.loads(out.stdout.strip().splitlines()[-1])


# Before xdist's own hook, which reads these markers to build the groups.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Loaded as a plugin (-p labroom_testlib): keep each host's tests on one xdist worker, in
    file order, so the hosts are checked in parallel, each host's client run is made once,
    and tests that restart or reset a host never overlap with others on it."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        host = callspec.params.get("_testinfra_host") if callspec else None
        if host is not None:
            item.add_marker(pytest.mark.xdist_group(name=str(getattr(getattr(host, "backend", None), "host", host))))
