"""The upgrade scenario's side effects (run by molecule/resources/side_effect.py), in the order
an instructor meets them during a term, after the upgrade that converge made:

  check_mode            site.yml --check --diff over the room
  downgrade             site.yml with last term's release: refused
  reset_unconfirmed     reset.yml without its confirmation: refused, nothing changed (the
                        confirmed reset, backup and restore are rows of the README's operator
                        table, run in the default scenario)
  restart_kill_reboot   systemctl restart, kill -9 of the main process, a reboot of the PC
                        (the re-run after a reboot with a new address: default, new_addresses)
  bad_settings          14 bad settings, each on an inventory alias of the PC, in one site.yml run

verify (molecule/upgrade/tests/test_upgrade.py) asserts on what each step recorded.
"""

from __future__ import annotations

import json
import shlex

import yaml

# Each bad setting, given to one inventory alias of a PC: every one must be refused before
# anything on the PC changes. alias -> (variables, the variable the refusal must name).
BAD_SETTINGS = {
    "port-zero": ({"mlflow_server_port": 0}, "mlflow_server_port"),
    "port-too-big": ({"mlflow_server_port": 70000}, "mlflow_server_port"),
    "bind-address": ({"mlflow_server_host": "0.0.0.0; rm -rf /"}, "mlflow_server_host"),
    "mode": ({"mlflow_server_mode": "in-memory"}, "mlflow_server_mode"),
    "system-base-dir": ({"mlflow_server_base_dir": "/opt/"}, "mlflow_server_base_dir"),
    "relative-base-dir": ({"mlflow_server_base_dir": "mlflowserver-lab"}, "mlflow_server_base_dir"),
    "root-user": ({"mlflow_server_user": "root"}, "mlflow_server_user"),
    "mlflow-2": ({"mlflow_server_version": "2.22.0"}, "mlflow_server_version"),
    "no-mlflow-package": ({"mlflow_server_packages": ["pandas"]}, "mlflow_server_packages"),
    "zero-workers": ({"mlflow_server_workers": 0}, "mlflow_server_workers"),
    "allow-any-host": ({"mlflow_server_allowed_hosts_extra": ["*"]}, "mlflow_server_allowed_hosts_extra"),
    "service-manager": ({"mlflow_server_service_manager": "openrc"}, "mlflow_server_service_manager"),
    "missing-python": ({"mlflow_server_python": "/usr/bin/python3.99"}, "mlflow_server_python"),
    "index-url": ({"mlflow_server_index_url": "pypi.org/simple"}, "mlflow_server_index_url"),
}

# The PC's files (but the data, which a run may append to) and the server's process.
SNAPSHOT = (
    "find {base} /etc/systemd/system/{unit}.service -path {base}/mlruns_db -prune -o -path {base}/backups -prune "
    "-o -printf '%p %s %T@ %m %u\\n' | sort; systemctl show -p MainPID --value {unit}"
)


def run(room):
    room.step("check_mode", check_mode, room)
    room.step("downgrade", downgrade, room)
    for host in room.hosts():
        room.step("reset_unconfirmed", reset_unconfirmed, room, host, host=host)
        room.step("restart_kill_reboot", restart_kill_reboot, room, host, host=host)
        room.step("bad_settings", bad_settings, room, host, host=host)


def old_run(room, host):
    """The run a student logged last term (prepare.yml kept its ids on the PC)."""
    return json.loads(room.sh(host, "cat /root/labroom-upgrade-run.json").stdout)


def check_mode(room):
    return {"run": room.playbook("site.yml", "--check", "--diff").to_dict()}


def downgrade(room):
    releases = {room.hostvars(h)["labroom_upgrade_from"] for h in room.hosts()}
    assert len(releases) == 1, releases
    release = releases.pop()
    return {"release": release, "run": room.playbook("site.yml", "-e", "mlflow_server_version=%s" % release).to_dict()}


def reset_unconfirmed(room, host):
    """reset.yml for one PC without the confirmation: refused before anything changes."""
    last_term = old_run(room, host)
    return {"old_run": last_term,
            "reset_unconfirmed": room.playbook("playbooks/reset.yml", "--limit", host).to_dict(),
            "old_run_after": room.client(host, "read", last_term["run_id"], last_term["content"])}


def restart_kill_reboot(room, host):
    conf = room.settings(host)
    unit = shlex.quote(conf["mlflow_server_service_name"])
    last_term = old_run(room, host)
    seen = {}

    restart = room.sh(host, "systemctl restart %s" % unit)
    seen["restart"] = {"rc": restart.returncode, "stderr": restart.stderr[-2000:], "health": room.wait_healthy(host)}
    seen["restart"]["old_run"] = room.client(host, "read", last_term["run_id"], last_term["content"])

    # kill -9 of the main process: systemd (Restart=on-failure) must start a new one by itself.
    # Until it has, the old process's uvicorn child may still answer, so wait for systemd's
    # restart count to go up before asking for health.
    restarts = int(room.sh(host, "systemctl show -p NRestarts --value %s" % unit).stdout.strip())
    main_pid = room.sh(host, "systemctl show -p MainPID --value %s" % unit).stdout.strip()
    kill = room.sh(host, "kill -9 %s" % main_pid)
    wait = room.sh(host, "for i in $(seq 180); do "
                         "[ \"$(systemctl show -p NRestarts --value {unit})\" -gt {restarts} ] && "
                         "[ \"$(systemctl show -p ActiveState --value {unit})\" = active ] && exit 0; sleep 1; done; exit 1"
                         .format(unit=unit, restarts=restarts))
    seen["kill_9"] = {"main_pid": main_pid, "kill_rc": kill.returncode, "restarted_by_systemd": wait.returncode == 0,
                      "health": room.wait_healthy(host),
                      "main_pid_after": room.sh(host, "systemctl show -p MainPID --value %s" % unit).stdout.strip()}

    # A reboot of the PC, which (like a DHCP lab PC) comes back with a new address.
    addresses_before = room.addresses(host)
    seen["reboot"] = room.reboot(host)
    seen["reboot"]["health"] = room.wait_healthy(host)
    seen["reboot"]["old_run"] = room.client(host, "read", last_term["run_id"], last_term["content"])
    seen["reboot"]["addresses_before"] = addresses_before
    seen["reboot"]["addresses_after"] = room.addresses(host)
    # A student who types the new address: the server answers at once, before any re-run.
    seen["reboot"]["by_new_address"] = {
        address: room.http_get(host, "/api/2.0/mlflow/experiments/search?max_results=1", address)["status"]
        for address in seen["reboot"]["addresses_after"]}
    seen["log"] = room.service_log(host)
    return seen


def bad_settings(room, host):
    conf = room.settings(host)
    out = room.workdir / ("bad-settings-%s" % host)
    out.mkdir(exist_ok=True)
    snapshot = SNAPSHOT.format(base=conf["mlflow_server_base_dir"], unit=conf["mlflow_server_service_name"])
    before = room.sh(host, snapshot).stdout
    hostvars = room.hostvars(host)
    aliases = {"bad-%s" % name: dict(variables, ansible_host=room.container(host),
                                     ansible_connection=hostvars.get("ansible_connection", "containers.podman.podman"))
               for name, (variables, _variable) in BAD_SETTINGS.items()}
    extra = out / "bad.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"lab_room": {"hosts": aliases}}}}))
    # Every alias fails: the room report (written on localhost) must still list each one.
    played = room.playbook("site.yml", "--limit", ",".join([*aliases, "localhost"]), "-e", "mlflow_report_dir=%s" % out,
                           inventories=[extra])
    report = out / "room-report.json"
    rows = {row["host"]: row for row in json.loads(report.read_text())["hosts"]} if report.exists() else {}
    return {
        "run": played.to_dict(),
        "aliases": {"bad-" + name: {"variable": variable, "changed": played.changed("bad-" + name),
                                    "row": rows.get("bad-" + name)}
                    for name, (_variables, variable) in BAD_SETTINGS.items()},
        "snapshot_before": before,
        "snapshot_after": room.sh(host, snapshot).stdout,
    }
