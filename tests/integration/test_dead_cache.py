"""A room whose package cache is down, run on this machine without changing it.

1. playbooks/status.yml with three cache hosts (one answers as devpi does, one refuses the
   connection, one cannot be reached over SSH) and one lab PC stopped on purpose: each cache
   host gets its own row with its state and reason, the PC's row is there, the report is
   written, and the run fails because of the caches alone.
2. site.yml in check mode (nothing changes here) on a lab PC that must install packages while
   the inventory's cache refuses connections: with mlflow_server_index_fallback false the PC
   stops with "package cache <host> unreachable" before any change; with the default (true)
   it goes on, saying it installs from the upstream index.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading

import pytest

from playbook_run import run_playbook


class FakeDevpi(http.server.BaseHTTPRequestHandler):
    """Answers /+api as devpi-server does (status 200 and its version header)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps({"type": "apiconfig", "result": {}}).encode()
        self.send_response(200 if self.path == "/+api" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Devpi-Server-Version", "6.20.3")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def devpi_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeDevpi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def test_each_cache_host_has_its_row_and_the_pcs_are_reported(tmp_path, devpi_port):
    inventory = tmp_path / "room.json"
    inventory.write_text(json.dumps({
        "mlflow_package_cache": {"hosts": {
            "cache-up": dict(LOCAL, package_cache_host="127.0.0.1", package_cache_port=devpi_port),
            # Nothing listens on port 1: refused at once.
            "cache-refused": dict(LOCAL, package_cache_host="127.0.0.1", package_cache_port=1,
                                  package_cache_health_timeout=5),
            "cache-off": {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh"},
        }},
        "lab_room": {"hosts": {"pc-stopped": dict(LOCAL, mlflow_server_state="stopped", mlflow_server_mode="ephemeral")}},
    }))
    run = run_playbook("playbooks/status.yml", inventories=[inventory], args=["-e", "mlflow_report_dir=%s" % tmp_path])
    report = json.loads((tmp_path / "room-report.json").read_text())
    rows = {row["host"]: row for row in report["hosts"]}
    assert [row["host"] for row in report["hosts"]] == ["pc-stopped", "cache-up", "cache-refused", "cache-off"], run.text
    assert (rows["pc-stopped"]["role"], rows["pc-stopped"]["status"]) == ("server", "stopped")
    up = rows["cache-up"]
    assert (up["role"], up["mode"], up["status"], up["version"], up["error"]) == ("cache", "cache", "healthy", "6.20.3", "")
    assert up["url"] == "http://cache-up:%d/root/pypi/+simple/" % devpi_port
    refused = rows["cache-refused"]
    assert refused["status"] == "failing", refused
    assert refused["error"].startswith(
        "devpi-server does not answer on http://127.0.0.1:1 on the cache host (Request failed"), refused
    assert rows["cache-off"]["status"] == "unreachable" and "ssh" in rows["cache-off"]["error"].lower(), rows["cache-off"]
    assert report["hosts_not_healthy"] == ["cache-refused", "cache-off"]
    assert "cache-refused" in (tmp_path / "room-report.html").read_text()
    # The caches alone make the run fail; the stopped PC does not.
    assert run.rc != 0, run.text
    failed = {f["host"] for f in run.failures if not f["unreachable"]}
    assert failed == {"cache-refused", "cache-off"}, run.failures
    # The table printed at the end (the debug task's lines).
    assert "serves the lab PCs their packages" in json.dumps(run.document)


@pytest.mark.parametrize("fallback", [False, True])
def test_a_pc_that_must_install_while_the_cache_is_down(tmp_path, fallback):
    inventory = tmp_path / "room.json"
    inventory.write_text(json.dumps({
        # Its URL comes from the inventory (it is left out of the run): nothing listens there.
        "mlflow_package_cache": {"hosts": {"dead-cache": {"ansible_host": "127.0.0.1", "package_cache_port": 1}}},
        "lab_room": {"hosts": {"lab-pc-98": dict(
            LOCAL, mlflow_server_index_fallback=fallback, mlflow_server_mode="ephemeral",
            # A folder that does not exist here: the PC holds no MLflow, so it must install.
            mlflow_server_base_dir="/opt/labroom-test-never-created")}},
    }))
    run = run_playbook("site.yml", inventories=[inventory],
                       args=["--check", "--limit", "lab-pc-98", "-e", "mlflow_report_dir=%s" % tmp_path])
    assert run.changed("lab-pc-98") is not None, run.text
    messages = [f["msg"] for f in run.failures if f["host"] == "lab-pc-98"]
    if not fallback:
        assert run.rc != 0, run.text
        assert any(m.startswith("package cache dead-cache unreachable from lab-pc-98 (http://127.0.0.1:1/root/pypi/+simple/:"
                                " Request failed") for m in messages), run.text
        (row,) = json.loads((tmp_path / "room-report.json").read_text())["hosts"]
        assert row["status"] == "failed" and "package cache dead-cache unreachable" in row["error"], row
        assert run.changed("lab-pc-98") == 0
    else:
        # Check mode on a PC without a server: the report says "failing", which a check run expects.
        assert run.rc == 0, run.text
        assert not any("package cache dead-cache unreachable from" in m for m in messages), run.text
        assert "installing from the installer's default index instead" in json.dumps(run.document), run.text
