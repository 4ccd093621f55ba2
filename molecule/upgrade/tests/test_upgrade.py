"""A term of classes: upgrade with migration, refused downgrade, backup / reset / restore,
and the data surviving a restart, kill -9 and a reboot."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from labroom_testlib import changed, room_hosts, run_client, run_playbook, service_log, stat

testinfra_hosts = room_hosts()

# The schema head that the venv's MLflow expects, and the one a database file carries.
SCHEMA = (
    "import sqlite3, sys\n"
    "from alembic.script import ScriptDirectory\n"
    "from mlflow.store.db.utils import _get_alembic_config\n"
    "head = ScriptDirectory.from_config(_get_alembic_config('sqlite:///' + sys.argv[1])).get_current_head()\n"
    "db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
    "found = db.execute('select version_num from alembic_version').fetchone()[0]\n"
    "print(head, found)\n"
)


@pytest.fixture(scope="module")
def old_run(host):
    return json.loads(host.file("/root/labroom-upgrade-run.json").content_string)


def healthy(host, conf):
    result = host.ansible("labroom.mlflow.tracking_health", "url=http://127.0.0.1:%s timeout=300" % conf["mlflow_server_port"],
                          check=False)
    return result.get("healthy") is True, str(result) + service_log(host, conf)


def test_the_server_runs_the_new_release_on_a_migrated_schema(host, conf):
    ok, why = healthy(host, conf)
    assert ok, why
    result = host.ansible("labroom.mlflow.tracking_health", "url=http://127.0.0.1:%s timeout=30" % conf["mlflow_server_port"],
                          check=False)
    assert result["version"] == conf["mlflow_server_version"]
    db = conf["mlflow_server_base_dir"] + "/mlruns_db/mlflow.db"
    head, found = host.run("%s -c %s %s", conf["python"], SCHEMA, db).stdout.split()
    assert found == head


def test_the_database_was_backed_up_before_the_upgrade_on_the_old_schema(host, conf):
    backups = host.run("ls %s/backups/", conf["mlflow_server_base_dir"]).stdout.split()
    before = [name for name in backups if name.endswith("-before-%s.db" % conf["mlflow_server_version"])]
    assert len(before) == 1, backups
    path = "%s/backups/%s" % (conf["mlflow_server_base_dir"], before[0])
    assert stat(host, path)[path] == {"user": "root", "group": "root", "mode": 0o600, "type": "regular file"}
    head, found = host.run("%s -c %s %s", conf["python"], SCHEMA, path).stdout.split()
    assert found != head, "the backup carries the old schema, so a migration ran"


def test_the_run_of_last_term_is_readable_through_the_server(host, conf, old_run):
    assert run_client(host, conf, "read", old_run["run_id"], old_run["content"]) == {"read": True}


def test_check_mode_on_the_provisioned_pc_changes_nothing(host):
    rc, output = run_playbook("site.yml", "--check", "--diff")
    assert rc == 0, output[-3000:]
    assert changed(output, host.backend.host) == 0


def test_a_downgrade_is_refused_and_changes_nothing(host):
    rc, output = run_playbook("site.yml", "-e", "mlflow_server_version=%s" % host.ansible.get_variables()["labroom_upgrade_from"])
    assert rc != 0
    assert "cannot downgrade its database schema" in output
    assert changed(output, host.backend.host) == 0


def test_backup_then_reset_then_restore(host, conf, old_run, tmp_path):
    name = host.backend.host
    rc, output = run_playbook("playbooks/backup.yml", "-e", "mlflow_server_backup_dest=%s" % tmp_path)
    assert rc == 0, output[-3000:]
    archives = sorted((tmp_path / name).glob("%s-*.tar.gz" % name))
    assert len(archives) == 1

    rc, output = run_playbook("playbooks/reset.yml")
    assert rc != 0 and "Nothing was changed" in output and changed(output, name) == 0

    rc, output = run_playbook("playbooks/reset.yml", "-e", "mlflow_server_reset_confirm=%s" % name,
                          "-e", "mlflow_server_backup_dest=%s" % tmp_path)
    assert rc == 0, output[-3000:]
    assert run_client(host, conf, "exists", old_run["run_id"]) == {"exists": False}
    assert len(sorted((tmp_path / name).glob("%s-*.tar.gz" % name))) == 2, "reset took an archive first"

    rc, output = run_playbook("playbooks/restore.yml", "-e", "mlflow_server_restore_archive=%s" % archives[0])
    assert rc == 0, output[-3000:]
    assert run_client(host, conf, "read", old_run["run_id"], old_run["content"]) == {"read": True}


def test_the_data_survives_a_restart_kill_9_and_a_reboot(host, conf, old_run):
    unit = conf["mlflow_server_service_name"]
    assert host.run("systemctl restart %s", unit).rc == 0, service_log(host, conf)
    ok, why = healthy(host, conf)
    assert ok, why
    assert run_client(host, conf, "read", old_run["run_id"], old_run["content"]) == {"read": True}

    # kill -9 of the main process: systemd (Restart=on-failure) must start a new one by itself.
    # Until it has, the old process's uvicorn child may still answer, so wait for systemd's
    # restart count to go up before asking for health.
    restarts = host.run("systemctl show -p NRestarts --value %s", unit).stdout.strip()
    main_pid = host.run("systemctl show -p MainPID --value %s", unit).stdout.strip()
    assert host.run("kill -9 %s", main_pid).rc == 0
    wait = host.run(
        "for i in $(seq 180); do "
        "[ \"$(systemctl show -p NRestarts --value {unit})\" -gt {restarts} ] && "
        "[ \"$(systemctl show -p ActiveState --value {unit})\" = active ] && exit 0; sleep 1; done; exit 1"
        .format(unit=unit, restarts=int(restarts)))
    assert wait.rc == 0, "systemd did not restart the server" + service_log(host, conf)
    ok, why = healthy(host, conf)
    assert ok, why
    assert host.run("systemctl show -p MainPID --value %s", unit).stdout.strip() not in ("0", main_pid)

    reboot = subprocess.run(["podman", "restart", "-t", "10", host.backend.host], capture_output=True, text=True,
                            timeout=300)
    assert reboot.returncode == 0, reboot.stderr
    ok, why = healthy(host, conf)
    assert ok, why
    assert run_client(host, conf, "read", old_run["run_id"], old_run["content"]) == {"read": True}


# Each bad setting, given to one inventory alias of this PC: every one must be refused
# before anything on the PC changes.
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

SNAPSHOT = (
    "find {base} /etc/systemd/system/{unit}.service -path {base}/mlruns_db -prune -o -path {base}/backups -prune "
    "-o -printf '%p %s %T@ %m %u\\n' | sort; systemctl show -p MainPID --value {unit}"
)


def test_bad_settings_are_refused_and_leave_the_pc_untouched(host, conf, tmp_path):
    snapshot = SNAPSHOT.format(base=conf["mlflow_server_base_dir"], unit=conf["mlflow_server_service_name"])
    before = host.run(snapshot).stdout
    aliases = {"bad-%s" % name: dict(variables, ansible_host=host.backend.host, ansible_connection="containers.podman.podman")
               for name, (variables, _) in BAD_SETTINGS.items()}
    extra = tmp_path / "bad.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"lab_room": {"hosts": aliases}}}}))
    # Every alias fails: the room report (written on localhost) must still list each one.
    rc, output = run_playbook("site.yml", "-i", str(extra), "--limit", ",".join([*aliases, "localhost"]),
                              "-e", "mlflow_report_dir=%s" % tmp_path)
    assert rc != 0
    rows = {row["host"]: row for row in json.loads((tmp_path / "room-report.json").read_text())["hosts"]}
    for name, (_, variable) in BAD_SETTINGS.items():
        alias = "bad-" + name
        assert changed(output, alias) == 0, alias
        assert rows[alias]["status"] == "failed", rows[alias]
        assert variable in rows[alias]["error"], rows[alias]
    assert host.run(snapshot).stdout == before
