"""No init system: supervisord keeps the server running and logs to mlflow.log."""

from labroom_testlib import room_hosts, server_processes, service_log, stat

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
    # kill -9 the process serving the port (the uvicorn worker, run by the service account);
    # supervisord must bring a new server up by itself.
    serving = "pgrep -u %s -f 'uvicorn .*mlflow'" % conf["mlflow_server_user"]
    before = host.run(serving).stdout.split()
    assert len(before) == 1, before
    assert host.run("kill -9 %s", before[0]).rc == 0
    result = host.ansible(
        "labroom.mlflow.tracking_health",
        "url=http://127.0.0.1:%s timeout=120" % conf["mlflow_server_port"],
        check=False,
    )
    assert result["healthy"] is True, str(result) + service_log(host, conf)
    after = host.run(serving).stdout.split()
    assert len(after) == 1 and after != before, (before, after)
    state, users = server_processes(host, conf)
    assert state == "RUNNING" and set(users) == {conf["mlflow_server_user"]}, users
