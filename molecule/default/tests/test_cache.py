"""The room's package cache: devpi-server and the wheelhouse's nginx on the cache host, and a room that installed from it.

Also the room-level behaviour that needs several hosts: the report files, and a run where one
lab PC is unreachable and another has a bad setting (made in the side_effect step,
molecule/default/side_effect_steps.py).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import testinfra.utils.ansible_runner
import yaml

from labroom_testlib import PROJECT, changed_on, observed, stat, why

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = RUNNER.get_hosts("mlflow_package_cache")
LAB_PCS = sorted(RUNNER.get_hosts("lab_room"))
CACHE = yaml.safe_load((PROJECT / "roles/package_cache/defaults/main.yml").read_text())
BASE = CACHE["package_cache_base_dir"]
REPORTS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "reports"
MLFLOW_WHEEL = "mlflow-3.17.2-py3-none-any.whl"


def devpi_json(host, path):
    code = (
        "import sys, urllib.request; r = urllib.request.Request(sys.argv[1], headers={'Accept': 'application/json'});"
        "print(urllib.request.urlopen(r, timeout=20).read().decode())"
    )
    out = host.run("python3 -c %s %s", code, "http://127.0.0.1:%s%s" % (CACHE["package_cache_port"], path))
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)


def test_devpi_runs_as_its_own_account_under_supervisord(host):
    users = host.run("ps -o user= -C devpi-server").stdout.split()
    assert users == [CACHE["package_cache_user"]]
    out = host.run("%s/.venv/bin/supervisorctl -c %s/supervisor/supervisord.conf status", BASE, BASE)
    assert "RUNNING" in out.stdout, out.stdout


def test_the_wheelhouse_is_served_by_nginx_as_the_caches_account_under_supervisord(host):
    users = set(host.run("ps -o user= -C nginx").stdout.split())
    assert users == {CACHE["package_cache_user"]}, users
    out = host.run("%s/.venv/bin/supervisorctl -c %s/wheelhouse-server/supervisor/supervisord.conf status", BASE, BASE)
    assert "RUNNING" in out.stdout, out.stdout
    server = BASE + "/wheelhouse-server"
    found = stat(host, BASE + "/wheelhouse", server, server + "/nginx.conf", server + "/log", server + "/supervisor")
    assert found[BASE + "/wheelhouse"] == {"user": CACHE["package_cache_user"], "group": CACHE["package_cache_group"],
                                           "mode": 0o755, "type": "directory"}
    assert found[server] == {"user": "root", "group": "root", "mode": 0o755, "type": "directory"}
    assert found[server + "/nginx.conf"] == {"user": "root", "group": "root", "mode": 0o644, "type": "regular file"}
    assert found[server + "/log"]["user"] == CACHE["package_cache_user"] and found[server + "/log"]["mode"] == 0o750
    assert found[server + "/supervisor"]["user"] == "root" and found[server + "/supervisor"]["mode"] == 0o700
    # Read only: a listing of links and the files; nothing else is accepted.
    code = (
        "import sys, urllib.error, urllib.request\n"
        "try:\n"
        "    body = None if sys.argv[2] == 'GET' else b'x'\n"
        "    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], method=sys.argv[2], data=body), timeout=20)\n"
        "    print(r.status); print(r.read().decode())\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    url = "http://127.0.0.1:%s/" % CACHE["package_cache_wheelhouse_port"]
    page = host.run("python3 -c %s %s GET", code, url)
    assert page.stdout.startswith("200") and '<a href="%s">' % MLFLOW_WHEEL in page.stdout, page.stdout[:500]
    put = host.run("python3 -c %s %s PUT", code, url + "x.whl")
    assert put.stdout.strip() == "403", put.stdout


def test_root_password_and_cached_files_have_narrow_modes(host):
    found = stat(host, BASE + "/root-password", BASE + "/server")
    assert found[BASE + "/root-password"] == {"user": "root", "group": "root", "mode": 0o600, "type": "regular file"}
    assert found[BASE + "/server"]["user"] == CACHE["package_cache_user"]
    assert found[BASE + "/server"]["mode"] == 0o750


def test_the_mirror_follows_upstream_without_the_project_list(host):
    config = devpi_json(host, "/root/pypi?no_projects=")["result"]
    assert config["type"] == "mirror"
    assert config["mirror_url"] == CACHE["package_cache_upstream_url"]
    assert config["mirror_no_project_list"] is True
    assert config["mirror_provides_core_metadata"] is CACHE["package_cache_upstream_core_metadata"]


def test_the_extra_ca_bundle_is_trusted_on_top_of_the_hosts_store(host):
    bundle = host.file(BASE + "/ca-bundle.pem")
    system = host.file("/etc/ssl/certs/ca-certificates.crt")
    extra = Path("/etc/ssl/certs/ca-certificates.crt").read_bytes()
    assert bundle.size == system.size + len(extra)
    assert "SSL_CERT_FILE=\"%s/ca-bundle.pem\"" % BASE in host.file(BASE + "/supervisor/supervisord.conf").content_string


def test_the_room_installed_from_the_wheelhouse_which_fetched_mlflow_once(host):
    # The pass downloaded the wheel from upstream into the wheelhouse, once, with its hash
    # checked; every lab PC downloaded it from there (nginx's access log), not from devpi.
    wheels = host.run("find %s/wheelhouse -name 'mlflow-*'", BASE).stdout.split()
    assert wheels == [BASE + "/wheelhouse/" + MLFLOW_WHEEL], wheels
    access = host.file(BASE + "/wheelhouse-server/log/access.log").content_string.splitlines()
    served = [line for line in access if '"GET /%s HTTP' % MLFLOW_WHEEL in line and '" 200 ' in line]
    assert len(served) >= len(LAB_PCS), access[-20:]
    # devpi never fetched it: the PC added later with --limit (the cache host not in that run)
    # read its kind's pins from the wheelhouse too (test_operator_table.py).
    log = host.file(BASE + "/devpi.log").content_string.splitlines()
    fetched = [line for line in log
               if "reading remote" in line and MLFLOW_WHEEL in line and MLFLOW_WHEEL + ".metadata" not in line]
    assert fetched == [], fetched
    # The pins of the room's one kind of PC, kept beside the wheels for that PC.
    locks = host.run("find %s/wheelhouse/locks -name '*.txt'", BASE).stdout.split()
    assert len(locks) == 1, locks
    assert "mlflow==3.17.2 --hash=sha256:" in host.file(locks[0]).content_string
    # No partial download left behind.
    assert host.run("find %s/wheelhouse -name '.*'", BASE).stdout.split() == []


def test_no_file_crossed_the_uplink_twice(host):
    # No PC made devpi fetch a file twice (three PCs backtracking through files it did not
    # hold did, when pip made the pass), and no probe made it start a fetch twice. With the
    # wheelhouse, devpi fetches no file at all in this room: every PC, the one added with
    # --limit too, installed the room's pins from the wheelhouse (test above); the wheelhouse
    # holds each file once (a file name is a folder entry).
    log = host.file(BASE + "/devpi.log").content_string.splitlines()
    urls = [re.search(r"reading remote: URL\('([^']+)'\)", line).group(1) for line in log if "reading remote: URL(" in line]
    twice = sorted({url for url in urls if urls.count(url) > 1})
    assert not twice, twice
    wheels = [url for url in urls if url.endswith(".whl")]
    assert wheels == [], wheels


def test_the_report_files_list_every_lab_pc():
    report = json.loads((REPORTS / "room-report.json").read_text())
    rows = {row["host"]: row for row in report["hosts"] if row["role"] == "server"}
    assert sorted(rows) == LAB_PCS
    (cache,) = [row for row in report["hosts"] if row["role"] == "cache"]
    assert (cache["host"], cache["status"]) == (testinfra_hosts[0], "healthy"), cache
    assert cache["version"] == CACHE["package_cache_devpi_version"], cache
    for name, row in rows.items():
        assert row["status"] == "healthy", row
        assert row["url"] == "http://%s:8080" % name
        assert row["version"] == "3.17.2"
        assert isinstance(row["runs"], int) and isinstance(row["experiments"], int)
        assert row["db_kib"] > 0 and row["artifacts_kib"] >= 0
    page = (REPORTS / "room-report.html").read_text()
    for name in LAB_PCS:
        assert '<a href="http://%s:8080">' % name in page


def test_one_unreachable_and_one_misconfigured_pc_do_not_stop_the_room():
    # A second site.yml run over the lab PCs plus one that does not answer, with a bad setting
    # on one PC (the cache left out with --limit).
    seen = observed("unreachable_and_misconfigured")
    run, rows = seen["run"], seen["rows"]
    broken, healthy, off = seen["broken"], seen["healthy"], seen["switched_off"]
    assert run["rc"] != 0, why(run)
    assert rows[healthy]["status"] == "healthy", rows[healthy]
    assert rows[broken]["status"] == "failed", rows[broken]
    assert "mlflow_server_workers is '0'" in rows[broken]["error"], rows[broken]
    assert rows[off]["status"] == "unreachable", rows[off]
    assert rows[off]["error"]
    assert off in seen["html"]
    # Every reachable PC ran; nothing was changed on the misconfigured one (it stopped in
    # preflight) nor on the healthy one (already provisioned).
    assert changed_on(run, broken) == 0 and changed_on(run, healthy) == 0, why(run)
