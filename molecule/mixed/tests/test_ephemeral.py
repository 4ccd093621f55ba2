"""Ephemeral mode: the handout's "in-memory" promise, that data is gone when the server stops.

The restart happens in the side_effect step (molecule/mixed/side_effect_steps.py).
"""

from labroom_testlib import observed, room_hosts

testinfra_hosts = room_hosts("ephemeral_pcs")


def test_no_data_folders_in_the_lab_folder(host, conf):
    base = conf["mlflow_server_base_dir"]
    assert not host.file(base + "/mlruns_db").exists
    assert not host.file(base + "/mlartifacts").exists


def test_run_is_gone_after_restart_and_server_healthy_again(conf):
    seen = observed("restart_forgets_runs", conf["inventory_hostname"])
    assert seen["exists_before_restart"] == {"exists": True}
    assert seen["restart"]["rc"] == 0, seen["restart"]["stderr"] + seen["log"]
    assert seen["health"]["healthy"] is True, str(seen["health"]) + seen["log"]
    assert seen["exists_after_restart"] == {"exists": False}
    assert seen["experiments"]["status"] == 200
    assert "labroom-roundtrip" not in seen["experiments"]["body"]
