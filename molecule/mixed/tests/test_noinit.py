"""No init system: supervisord keeps the server running and logs to mlflow.log.

The kill -9 happens in the side_effect step (molecule/mixed/side_effect_steps.py).
"""

from labroom_testlib import observed, room_hosts, server_processes, stat

testinfra_hosts = room_hosts("no_init_pcs")


def test_supervisord_runs_as_root_and_logs_to_mlflow_log(host, conf):
    assert conf["manager"] == "supervisor"
    base = conf["mlflow_server_base_dir"]
    users = host.run("ps -o user= -C supervisord; pgrep -u root -f 'bin/supervisord -c' >/dev/null && echo ok").stdout.split()
    assert "ok" in users
    log = stat(host, base + "/mlflow.log").get(base + "/mlflow.log")
    assert log is not None and log["mode"] & 0o007 == 0
    assert "Uvicorn running on http://%s:%s" % (conf["mlflow_server_host"], conf["mlflow_server_port"]) in host.run(
        "cat %s/mlflow.log", base
    ).stdout


def test_killed_server_comes_back_without_ansible(host, conf):
    # kill -9 of the process serving the port (the uvicorn worker, run by the service
    # account); supervisord must have brought a new server up by itself.
    seen = observed("kill_9", conf["inventory_hostname"])
    assert len(seen["before"]) == 1, seen["before"]
    assert seen["kill_rc"] == 0
    assert seen["health"]["healthy"] is True, str(seen["health"]) + seen["log"]
    assert len(seen["after"]) == 1 and seen["after"] != seen["before"], (seen["before"], seen["after"])
    # And it is still the one serving now, under supervisord, as the service account.
    state, users = server_processes(host, conf)
    assert state == "RUNNING" and set(users) == {conf["mlflow_server_user"]}, users
