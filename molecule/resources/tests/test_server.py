"""Checks every lab PC of every scenario must pass: the handout's steps, done as a service."""

import json

from labroom_testlib import http_get, logged_run, room_hosts, server_processes, service_log, stat

testinfra_hosts = room_hosts()


def test_venv_python_is_310_or_newer(host, conf):
    out = host.run("%s -c %s", conf["python"], "import sys; print('%d.%d' % sys.version_info[:2])")
    assert out.rc == 0, out.stderr
    major, minor = (int(x) for x in out.stdout.split("."))
    assert (major, minor) >= (3, 10)


def test_handout_check_prints_pinned_version(host, conf):
    # The handout's own check command, with the venv's interpreter.
    out = host.run("%s -c %s", conf["python"], "import mlflow; print('MLflow version:', mlflow.__version__)")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == "MLflow version: %s" % conf["mlflow_server_version"]


def test_server_runs_under_its_manager_not_as_root(host, conf):
    state, users = server_processes(host, conf)
    expected = {"systemd": "enabled/active", "supervisor": "RUNNING"}[conf["manager"]]
    assert state == expected, service_log(host, conf)
    # The CLI parent and its uvicorn process(es), all under the service account.
    assert users and set(users) == {conf["mlflow_server_user"]}, users


def test_service_definition(host, conf):
    if conf["manager"] == "systemd":
        unit = host.file("/etc/systemd/system/%s.service" % conf["mlflow_server_service_name"]).content_string
        for line in ("NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true"):
            assert line in unit
        capbnd = int(host.run("awk '/^CapBnd/ {print $2}' /proc/1/status").stdout, 16)
        has_sys_admin = bool(capbnd & (1 << 21))
        for line in ("PrivateDevices=true", "LockPersonality=true", "RestrictSUIDSGID=true"):
            assert (line in unit) == has_sys_admin, line
        definition = unit
    else:
        found = stat(host, conf["supervisor_conf"])[conf["supervisor_conf"]]
        assert (found["user"], found["mode"]) == ("root", 0o600)
        definition = host.run("cat %s", conf["supervisor_conf"]).stdout
        assert "\nuser=%s\n" % conf["mlflow_server_user"] in definition
        assert "\nautorestart=true\n" in definition
    base = conf["mlflow_server_base_dir"]
    if conf["mlflow_server_mode"] == "persistent":
        assert "--backend-store-uri sqlite:///%s/mlruns_db/mlflow.db" % base in definition
        assert "--artifacts-destination %s/mlartifacts" % base in definition
    assert "--serve-artifacts" in definition


def test_service_account_cannot_log_in(host, conf):
    entry = host.run("getent passwd %s", conf["mlflow_server_user"]).stdout.strip().split(":")
    assert len(entry) == 7, entry
    assert int(entry[2]) != 0
    assert entry[6].endswith("nologin")


def test_port_listening_on_the_bind_address(host, conf):
    out = host.run("ss -Hltn sport = :%s", str(conf["mlflow_server_port"]))
    listening = [line.split()[3] for line in out.stdout.splitlines()]
    assert listening == ["%s:%s" % (conf["mlflow_server_host"], conf["mlflow_server_port"])], listening


def test_health_endpoint(host, conf):
    status, body = http_get(host, conf, "/health")
    assert (status, body.strip()) == (200, "OK"), service_log(host, conf)


def test_ui_root_returns_html_for_the_pc_name(host, conf):
    # What a student's browser gets at http://lab-pc-NN:PORT/.
    status, body = http_get(host, conf, "/", "%s:%s" % (conf["inventory_hostname"], conf["mlflow_server_port"]))
    assert status == 200, body[:300]
    assert "<html" in body.lower()


def test_the_pcs_address_of_the_moment_is_accepted(host, conf):
    # What a student types when they know the PC's address: it is accepted through the private
    # range patterns, not because the address was listed at install time.
    addresses = host.run("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1").stdout.split()
    assert addresses
    for address in addresses:
        status = http_get(host, conf, "/api/2.0/mlflow/experiments/search?max_results=1",
                          "%s:%s" % (address, conf["mlflow_server_port"]))[0]
        assert status == 200, (address, service_log(host, conf))


def test_foreign_host_header_is_refused(host, conf):
    # --allowed-hosts lists the PC's names, not "*": a DNS-rebinding name is still refused.
    status = http_get(host, conf, "/api/2.0/mlflow/experiments/search?max_results=1", "attacker.example:80")[0]
    assert status == 403


def test_tracking_health_module_on_the_host(host, conf):
    result = host.ansible(
        "labroom.mlflow.tracking_health",
        "url=http://127.0.0.1:%s host_header=%s:%s timeout=30"
        % (conf["mlflow_server_port"], conf["inventory_hostname"], conf["mlflow_server_port"]),
        check=False,
    )
    assert result["healthy"] is True, json.dumps(result) + service_log(host, conf)
    assert result["changed"] is False
    assert result["version"] == conf["mlflow_server_version"]
    assert result["artifact_proxy_ok"] is True
    assert result["default_artifact_location"].startswith("mlflow-artifacts:")


def test_client_round_trip_through_the_server(host, conf):
    # The client asserts that it reads back the param, the metric and the artifact's content.
    logged = logged_run(host, conf)
    assert logged["artifact_uri"].startswith("mlflow-artifacts:/")
    assert logged["run_id"]
