"""Ephemeral mode: the handout's "in-memory" promise, that data is gone when the server stops."""

from labroom_testlib import http_get, room_hosts, run_client, service_log

testinfra_hosts = room_hosts("ephemeral_pcs")


def test_no_data_folders_in_the_lab_folder(host, conf):
    base = conf["mlflow_server_base_dir"]
    assert not host.file(base + "/mlruns_db").exists
    assert not host.file(base + "/mlartifacts").exists


def test_run_is_gone_after_restart_and_server_healthy_again(host, conf):
    logged = run_client(host, conf, "log")
    assert run_client(host, conf, "exists", logged["run_id"]) == {"exists": True}

    unit = conf["mlflow_server_service_name"]
    assert host.run("systemctl restart %s", unit).rc == 0, service_log(host, conf)
    result = host.ansible(
        "labroom.mlflow.tracking_health",
        "url=http://127.0.0.1:%s timeout=120" % conf["mlflow_server_port"],
        check=False,
    )
    assert result["healthy"] is True, str(result) + service_log(host, conf)
    assert run_client(host, conf, "exists", logged["run_id"]) == {"exists": False}
    status, body = http_get(host, conf, "/api/2.0/mlflow/experiments/search?max_results=100")
    assert status == 200
    assert "labroom-roundtrip" not in body
