"""A term of classes: upgrade with migration, refused downgrade, backup / reset / restore,
and the data surviving a restart, kill -9 and a reboot.

Converge made the upgrade; the side_effect step (molecule/upgrade/side_effect_steps.py) did
the rest and recorded it. These tests read that record and the PC's final state.
"""

from __future__ import annotations

import json

import pytest

from labroom_testlib import changed_on, observed, room_hosts, run_client, service_log, stat, why

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
    ok, detail = healthy(host, conf)
    assert ok, detail
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
    run = observed("check_mode")["run"]
    assert run["rc"] == 0, why(run)
    assert changed_on(run, host.backend.host) == 0, why(run)


def test_a_downgrade_is_refused_and_changes_nothing(host):
    seen = observed("downgrade")
    run = seen["run"]
    assert seen["release"] == host.ansible.get_variables()["labroom_upgrade_from"]
    assert run["rc"] != 0, why(run)
    assert "cannot downgrade its database schema" in run["text"], why(run)
    assert changed_on(run, host.backend.host) == 0, why(run)


def test_a_reset_without_its_confirmation_is_refused(host, old_run):
    name = host.backend.host
    seen = observed("reset_unconfirmed", name)
    assert seen["old_run"] == old_run
    refused = seen["reset_unconfirmed"]
    assert refused["rc"] != 0, why(refused)
    assert "Nothing was changed" in refused["text"], why(refused)
    assert changed_on(refused, name) == 0, why(refused)
    assert seen["old_run_after"] == {"read": True}


def test_the_data_survives_a_restart_kill_9_and_a_reboot(host):
    seen = observed("restart_kill_reboot", host.backend.host)
    restart, kill, reboot = seen["restart"], seen["kill_9"], seen["reboot"]
    assert restart["rc"] == 0, restart["stderr"] + seen["log"]
    assert restart["health"]["healthy"] is True, str(restart["health"]) + seen["log"]
    assert restart["old_run"] == {"read": True}

    # kill -9 of the main process: systemd (Restart=on-failure) started a new one by itself
    # (its restart count went up), healthy, with a new main PID.
    assert kill["kill_rc"] == 0
    assert kill["restarted_by_systemd"], "systemd did not restart the server" + seen["log"]
    assert kill["health"]["healthy"] is True, str(kill["health"]) + seen["log"]
    assert kill["main_pid_after"] not in ("0", kill["main_pid"]), kill

    # A reboot of the PC (podman restart): healthy again without Ansible, the run still there.
    assert reboot["rc"] == 0, reboot["stderr"]
    assert reboot["health"]["healthy"] is True, str(reboot["health"]) + seen["log"]
    assert reboot["old_run"] == {"read": True}
    # It came back with a new address, as a DHCP lab PC does; students reach it by that address
    # at once (the allowed hosts hold names and private-range patterns, never the address of
    # the moment; the default scenario's new_addresses step re-runs site.yml: 0 changed).
    assert reboot["addresses_after"] and set(reboot["addresses_after"]) != set(reboot["addresses_before"]), reboot
    assert reboot["by_new_address"] and set(reboot["by_new_address"].values()) == {200}, reboot["by_new_address"]


def test_bad_settings_are_refused_and_leave_the_pc_untouched(host):
    # 14 bad settings, each on an inventory alias of this PC, in one site.yml run: every one
    # refused before anything on the PC changed, and listed as failed in the room report.
    seen = observed("bad_settings", host.backend.host)
    run = seen["run"]
    assert len(seen["aliases"]) == 14
    assert run["rc"] != 0, why(run)
    for alias, found in seen["aliases"].items():
        assert found["changed"] == 0, why(run)
        assert found["row"] is not None and found["row"]["status"] == "failed", (alias, found["row"])
        assert found["variable"] in found["row"]["error"], (alias, found["row"])
    assert seen["snapshot_after"] == seen["snapshot_before"]
