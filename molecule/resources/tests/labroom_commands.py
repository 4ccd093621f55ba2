"""What the Molecule checks run on a lab PC, written once for both places that run it: the
testinfra checks of verify (labroom_testlib, through testinfra's host.run) and the side_effect
step (molecule/resources/side_effect.py, through podman exec). Plain Python: it builds the
settings and the shell commands; running them is the caller's.

Each lab PC's settings are the role's defaults overlaid with the host's inventory variables,
read from the same files Ansible reads, so no check restates a default.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[3]
DEFAULTS = yaml.safe_load((PROJECT / "roles/mlflow_server/defaults/main.yml").read_text())
CLIENT_SCRIPT = Path(__file__).with_name("client_roundtrip.py")

# GET a URL (argv[1]) with an optional Host header (argv[2]); prints {"status", "body"}.
HTTP_GET = (
    "import json, sys, urllib.request, urllib.error\n"
    "host = sys.argv[2] if len(sys.argv) > 2 else ''\n"
    "req = urllib.request.Request(sys.argv[1], headers={'Host': host} if host else {})\n"
    "try:\n"
    "    r = urllib.request.urlopen(req, timeout=20); status, body = r.status, r.read()\n"
    "except urllib.error.HTTPError as e:\n"
    "    status, body = e.code, e.read()\n"
    "print(json.dumps({'status': status, 'body': body.decode('utf-8', 'replace')}))\n"
)


def settings(inventory_hostname, hostvars, booted_with_systemd):
    """The PC's settings, and the service manager the role chose for it: systemd where the
    host booted with it (booted_with_systemd() is asked only when the choice is auto)."""
    conf = dict(DEFAULTS)
    conf.update({k: v for k, v in hostvars.items() if k.startswith("mlflow_server_")})
    conf["inventory_hostname"] = inventory_hostname
    conf["venv"] = conf["mlflow_server_base_dir"] + "/.venv"
    conf["python"] = conf["venv"] + "/bin/python"
    manager = conf["mlflow_server_service_manager"]
    if manager == "auto":
        manager = "systemd" if booted_with_systemd() else "supervisor"
    conf["manager"] = manager
    conf["supervisor_conf"] = conf["mlflow_server_base_dir"] + "/supervisor/supervisord.conf"
    return conf


def log_command(conf, lines=60):
    """The server's log: the journal under systemd, mlflow.log elsewhere."""
    if conf["manager"] == "systemd":
        return "journalctl -u %s --no-pager -n %d" % (shlex.quote(conf["mlflow_server_service_name"]), lines)
    return "tail -n %d %s/mlflow.log" % (lines, shlex.quote(conf["mlflow_server_base_dir"]))


def http_get_command(conf, path, address="127.0.0.1", host_header=""):
    """GET a path of the PC's server from the PC itself, by an address, optionally with
    another Host header."""
    url = "http://%s:%s%s" % (address, conf["mlflow_server_port"], path)
    return "%s -c %s %s %s" % (shlex.quote(conf["python"]), shlex.quote(HTTP_GET), shlex.quote(url),
                               shlex.quote(host_header))


def client_command(conf, *args):
    """client_roundtrip.py, read from standard input, as the unprivileged user 'nobody' (who
    reaches the data only through the server), against http://<inventory name>:<port>."""
    url = "http://%s:%s" % (conf["inventory_hostname"], conf["mlflow_server_port"])
    return "cd /tmp && HOME=/tmp runuser -u nobody -- %s - %s" % (
        shlex.quote(conf["python"]), " ".join(shlex.quote(a) for a in (url, *args)))
