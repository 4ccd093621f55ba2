"""The roles on the platforms that cannot run here, macOS above all: each role's real entry
point runs in check mode on this machine with a platform's facts (files/check_platform.yml),
so every task's arguments are computed as on that platform and nothing is changed. The results
(json callback, --diff) show what each task would do: the files, owners, groups and modes, and
the service definitions' content, which are parsed here.

What this cannot show: launchctl and the macOS user tools never run (no Mac here).
"""

from __future__ import annotations

import configparser
import json
import plistlib
import shlex
from pathlib import Path

import pytest
from playbook_cases import run_cases

PLAYBOOK = Path(__file__).with_name("files") / "check_platform.yml"
# A CA certificate (self-signed, test only) for the students' PCs to trust.
TEST_CA = Path(__file__).with_name("files") / "test-ca.crt"

MAC = {
    "os_family": "Darwin", "system": "Darwin", "distribution": "MacOSX", "service_mgr": "launchd",
    "hostname": "lab-mac-03", "fqdn": "lab-mac-03.lab.school.example", "nodename": "lab-mac-03",
    "all_ipv4_addresses": ["10.1.2.103"],
}
LINUX_SYSTEMD = dict(MAC, os_family="Debian", system="Linux", distribution="Debian", service_mgr="systemd",
                     hostname="lab-pc-07", fqdn="lab-pc-07.lab.school.example", nodename="lab-pc-07",
                     all_ipv4_addresses=["10.1.2.7"])
LINUX_NOINIT = dict(LINUX_SYSTEMD, service_mgr="sysvinit")


# The runs are in check mode on this machine, so what is on its disk shows in the diffs: a lab
# folder that no run here makes (`make lab` makes the default one, and then a check run would
# report its files as unchanged instead of showing what it writes).
BASE = "/opt/labroom-platform-check"
CLIENT_VENV = "/opt/labroom-platform-check-client"


def server(facts, **settings):
    # A Python that exists here (preflight runs it); ports that nothing here listens on.
    return dict({"platform_facts": facts, "role_under_test": "mlflow_server", "mlflow_server_base_dir": BASE,
                 "mlflow_server_python": "/usr/bin/python3", "mlflow_server_port": 18931}, **settings)


CASES = {
    "mac": server(MAC),
    "mac_ephemeral": server(MAC, mlflow_server_mode="ephemeral", mlflow_server_port=18932),
    "mac_backup": server(MAC, entry_point="backup"),
    "mac_cache": {"platform_facts": MAC, "role_under_test": "package_cache", "package_cache_port": 18933},
    # A wheelhouse on a Mac: nginx installed by hand and named (a program that exists here).
    "mac_cache_wheelhouse": {"platform_facts": MAC, "role_under_test": "package_cache", "package_cache_port": 18940,
                             "package_cache_wheelhouse": "nginx", "package_cache_wheelhouse_port": 18941,
                             "package_cache_nginx": "/usr/bin/env"},
    # ...and one whose nginx is not there: refused before any change, naming the setting.
    "mac_cache_wheelhouse_missing": {"platform_facts": MAC, "role_under_test": "package_cache", "package_cache_port": 18942,
                                     "package_cache_wheelhouse": "nginx", "package_cache_nginx": "/opt/homebrew/bin/nginx"},
    # Reached by a DNS name: students may type it. (ansible_host is not used by the local connection.)
    "linux_systemd": server(LINUX_SYSTEMD, ansible_host="pc07.dhcp.school.example"),
    # Reached by its address of the moment: not a name students are let in by.
    "linux_systemd_by_address": server(LINUX_SYSTEMD, ansible_host="10.1.2.107", mlflow_server_port=18939),
    "linux_noinit": server(LINUX_NOINIT),
    "linux_noinit_ephemeral": server(LINUX_NOINIT, mlflow_server_mode="ephemeral", mlflow_server_port=18934),
    # Explicit choices: preflight refuses the ones the host cannot honour.
    "linux_systemd_as_supervisor": server(LINUX_SYSTEMD, mlflow_server_service_manager="supervisor"),
    "linux_noinit_as_systemd": server(LINUX_NOINIT, mlflow_server_service_manager="systemd"),
    "linux_as_launchd": server(LINUX_SYSTEMD, mlflow_server_service_manager="launchd"),
    "mac_as_supervisor": server(MAC, mlflow_server_service_manager="supervisor"),
    # A course server on a Mac: an existing PostgreSQL (a local one is Debian's package), basic auth.
    # (The HTTPS front is Debian's nginx: a Mac course server runs without it, accepted in clear.)
    "mac_course": server(MAC, mlflow_server_port=18935, mlflow_server_backend="postgresql", mlflow_server_auth="basic",
                         mlflow_server_postgresql_host="db.cs.example.ac.th", mlflow_server_postgresql_password="db-password-1",
                         mlflow_server_admin_password="a-long-admin-password", mlflow_server_tls="none",
                         mlflow_server_tls_insecure_ok=True),
    # With auth the front is the default, and a Mac cannot run it: refused before any change.
    "mac_course_front": server(MAC, mlflow_server_port=18938, mlflow_server_backend="postgresql", mlflow_server_auth="basic",
                               mlflow_server_postgresql_host="db.cs.example.ac.th",
                               mlflow_server_postgresql_password="db-password-1",
                               mlflow_server_admin_password="a-long-admin-password"),
    "mac_course_local_postgresql": server(MAC, mlflow_server_port=18936, mlflow_server_backend="postgresql"),
    "linux_course": server(LINUX_SYSTEMD, mlflow_server_port=18937, mlflow_server_backend="postgresql",
                           mlflow_server_auth="basic", mlflow_server_postgresql_host="db.cs.example.ac.th",
                           mlflow_server_postgresql_password="db-password-1",
                           mlflow_server_admin_password="a-long-admin-password"),
    # The students' venv goes to a folder no run makes here; its Python is this machine's.
    "mac_client": {"platform_facts": MAC, "role_under_test": "mlflow_client", "mlflow_client_venv_dir": CLIENT_VENV,
                   "mlflow_client_tracking_uri": "http://course-server.cs.example.ac.th:8080"},
    "linux_client": {"platform_facts": LINUX_SYSTEMD, "role_under_test": "mlflow_client", "mlflow_client_venv_dir": CLIENT_VENV,
                     "mlflow_client_tracking_uri": "http://course-server.cs.example.ac.th:8080"},
    # An https course server with the school's CA: the trust store, the profile, the keychain.
    "mac_client_ca": {"platform_facts": MAC, "role_under_test": "mlflow_client", "mlflow_client_venv_dir": CLIENT_VENV,
                      "mlflow_client_tracking_uri": "https://mlflow.cs.example.ac.th", "mlflow_client_ca_cert": str(TEST_CA)},
    "linux_client_ca": {"platform_facts": LINUX_SYSTEMD, "role_under_test": "mlflow_client",
                        "mlflow_client_venv_dir": CLIENT_VENV, "mlflow_client_tracking_uri": "https://mlflow.cs.example.ac.th",
                        "mlflow_client_ca_cert": str(TEST_CA)},
}
PLIST = "/Library/LaunchDaemons/org.labroom.mlflow-server.plist"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """{case: [(task name, result)]} in the order the tasks ran."""
    report, run = run_cases(PLAYBOOK, CASES, tmp_path_factory.mktemp("platforms"), extra_args=("--check", "--diff"))
    found = {case: [] for case in CASES}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                found[host].append((task["task"]["name"], result))
    assert all(found.values()), run.text
    return found


def failures(results, case):
    return [(name, result.get("msg")) for name, result in results[case] if result.get("failed")]


def written(results, case):
    """{path: (module args, content after)} of every file or directory the run would make."""
    files = {}
    for _name, result in results[case]:
        args = (result.get("invocation") or {}).get("module_args") or {}
        path = args.get("dest") or args.get("path")
        if path and result.get("action", "").endswith(("file", "template", "copy")):
            diff = result.get("diff") or {}
            # A template's diff may list the file's attributes beside its content: keep the content.
            afters = [part.get("after") for part in (diff if isinstance(diff, list) else [diff])]
            files[path] = (args, next((after for after in afters if isinstance(after, str)), ""))
    return files


# launchctl does not exist here: on macOS cases the run ends where the LaunchDaemon is loaded.
LAUNCHCTL = "launchctl"


@pytest.mark.parametrize("case", ["mac", "mac_ephemeral", "mac_cache", "mac_cache_wheelhouse", "mac_course"])
def test_on_a_mac_only_the_launchctl_call_cannot_run_here(results, case):
    failed = failures(results, case)
    assert len(failed) == 1, failed
    name, msg = failed[0]
    assert LAUNCHCTL in str(msg), failed


@pytest.mark.parametrize("case", ["linux_systemd", "linux_noinit", "linux_noinit_ephemeral", "linux_systemd_as_supervisor",
                                  "mac_backup", "linux_course", "mac_client", "linux_client", "mac_client_ca",
                                  "linux_client_ca"])
def test_the_check_run_passes(results, case):
    assert failures(results, case) == []


def test_the_front_is_refused_on_a_mac_before_any_change(results):
    failed = failures(results, "mac_course_front")
    assert len(failed) == 1 and "the HTTPS front (mlflow_server_tls own_ca)" in failed[0][1], failed
    assert "never tested on macOS" in failed[0][1], failed
    assert not [name for name, result in results["mac_course_front"] if result.get("changed")]


@pytest.mark.parametrize(("case", "anchor"), [
    ("mac_client_ca", "/Library/Application Support/labroom.mlflow/labroom-mlflow-ca.crt"),
    ("linux_client_ca", "/usr/local/share/ca-certificates/labroom-mlflow-ca.crt"),
])
def test_a_pc_trusts_the_course_ca_in_its_store_and_its_profile(results, case, anchor):
    files = written(results, case)
    args, _content = files[anchor]
    assert (args["owner"], args["mode"]) == ("root", "0644") and args["group"] in ("root", "wheel"), args
    profile = [after for path, (_args, after) in files.items() if path.endswith("mlflow-tracking.sh")]
    assert profile and "export MLFLOW_TRACKING_SERVER_CERT_PATH=%s" % shlex.quote(anchor) in profile[0], profile
    assert "MLFLOW_TRACKING_INSECURE_TLS" not in profile[0]


@pytest.mark.parametrize("case", ["mac", "mac_ephemeral", "mac_backup", "mac_cache", "mac_course", "mac_client",
                                  "mac_client_ca"])
def test_root_owned_files_belong_to_wheel_on_a_mac(results, case):
    files = written(results, case)
    assert files, results[case]
    groups = {path: args.get("group") for path, (args, _after) in files.items() if args.get("owner") == "root"}
    assert groups, files
    # macOS has no "root" group: gid 0 is wheel. Root-owned files that are not the service
    # account's belong to wheel.
    assert "root" not in groups.values(), groups
    for path, group in groups.items():
        assert group in ("wheel", "mlflow", "devpi"), (path, group)


def test_the_service_account_is_a_hidden_account_without_a_shell_on_a_mac(results):
    users = [result["invocation"]["module_args"] for _name, result in results["mac"]
             if result.get("action", "").endswith("user") and "invocation" in result]
    assert len(users) == 1, users
    assert users[0]["shell"] == "/usr/bin/false" and users[0]["hidden"] is True and users[0]["system"] is True


def test_the_manager_is_picked_from_the_facts(results):
    cases = ("mac", "linux_systemd", "linux_noinit", "linux_systemd_as_supervisor")
    definitions = {case: set(written(results, case)) for case in cases}
    assert PLIST in definitions["mac"]
    assert "/etc/systemd/system/mlflow-server.service" in definitions["linux_systemd"]
    assert BASE + "/supervisor/supervisord.conf" in definitions["linux_noinit"]
    assert BASE + "/supervisor/supervisord.conf" in definitions["linux_systemd_as_supervisor"]


@pytest.mark.parametrize("case", ["linux_noinit_as_systemd", "linux_as_launchd", "mac_as_supervisor"])
def test_a_manager_the_host_cannot_run_is_refused_before_any_change(results, case):
    failed = failures(results, case)
    assert len(failed) == 1 and "this host cannot run mlflow-server under" in failed[0][1], failed
    assert not [name for name, result in results[case] if result.get("changed")], results[case]


def plist(results, case):
    args, content = written(results, case)[PLIST]
    assert (args["owner"], args["group"], args["mode"]) == ("root", "wheel", "0644")
    return plistlib.loads(content.encode())


def test_launchd_plist_runs_the_server_as_the_service_account(results):
    loaded = plist(results, "mac")
    assert loaded["Label"] == "org.labroom.mlflow-server"
    args = loaded["ProgramArguments"]
    assert args[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    flags = dict(zip(args[2::2], args[3::2]))
    assert flags["--host"] == "0.0.0.0" and flags["--port"] == "18931" and flags["--workers"] == "1"
    assert flags["--backend-store-uri"] == "sqlite:///%s/mlruns_db/mlflow.db" % BASE
    assert flags["--artifacts-destination"] == BASE + "/mlartifacts"
    assert "--serve-artifacts" in args
    allowed = args[args.index("--allowed-hosts") + 1].split(",")
    for name in ("mac", "mac:*", "lab-mac-03", "lab-mac-03.lab.school.example", "localhost", "127.0.0.1:*", "[::1]",
                 "10.*", "172.16.*", "172.31.*", "192.168.*"):
        assert name in allowed, name
    # Only names and patterns: the address the PC has now (DHCP) is not what lets students in.
    assert "10.1.2.103" not in allowed and "172.32.*" not in allowed and "*" not in allowed
    assert (loaded["UserName"], loaded["GroupName"]) == ("mlflow", "mlflow")
    assert loaded["RunAtLoad"] is True
    assert loaded["KeepAlive"] == {"SuccessfulExit": False}
    assert loaded["StandardOutPath"] == loaded["StandardErrorPath"] == BASE + "/mlflow.log"
    assert loaded["WorkingDirectory"] == BASE + "/run"
    assert loaded["EnvironmentVariables"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert loaded["EnvironmentVariables"]["HOME"] == BASE + "/run"


def test_ephemeral_mode_empties_the_runtime_directory_before_each_start(results):
    args = plist(results, "mac_ephemeral")["ProgramArguments"]
    assert args[0] == "/bin/sh" and "find \"$1\" -mindepth 1 -delete" in args[2]
    assert args[4] == BASE + "/run"
    server_argv = args[5:]
    assert server_argv[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    assert server_argv[server_argv.index("--backend-store-uri") + 1] == "sqlite:///%s/run/mlflow.db" % BASE
    assert server_argv[server_argv.index("--port") + 1] == "18932"


def test_the_package_cache_runs_under_launchd_too(results):
    path = "/Library/LaunchDaemons/org.labroom.labroom-package-cache.plist"
    args, content = written(results, "mac_cache")[path]
    assert (args["owner"], args["group"]) == ("root", "wheel")
    loaded = plistlib.loads(content.encode())
    assert loaded["ProgramArguments"][0] == "/opt/labroom-package-cache/.venv/bin/devpi-server"
    assert loaded["UserName"] == "devpi"
    assert loaded["EnvironmentVariables"]["SSL_CERT_FILE"] == "/etc/ssl/cert.pem"


def test_a_mac_cache_has_no_wheelhouse_unless_asked(results):
    # auto: devpi alone on a Mac (no nginx package to install there).
    assert not [path for path in written(results, "mac_cache") if "wheelhouse" in path]
    made = written(results, "mac_cache_wheelhouse")
    args, conf = made["/opt/labroom-package-cache/wheelhouse-server/nginx.conf"]
    assert (args["owner"], args["group"], args["mode"]) == ("root", "wheel", "0644")
    # Outside systemd the runtime folder is the service layer's own, under the server's folder.
    assert "pid /opt/labroom-package-cache/wheelhouse-server/run/nginx.pid;" in conf
    assert "listen 0.0.0.0:18941;" in conf and "root /opt/labroom-package-cache/wheelhouse;" in conf
    args = made["/opt/labroom-package-cache/wheelhouse"][0]
    assert (args["owner"], args["group"], args["mode"]) == ("devpi", "devpi", "0755")
    args = made["/opt/labroom-package-cache/wheelhouse-server"][0]
    assert (args["owner"], args["group"]) == ("root", "wheel")
    # No apt on a Mac.
    assert not [name for name, result in results["mac_cache_wheelhouse"] if name.endswith("Install nginx for the wheelhouse")
                and not result.get("skipped")]


def test_a_mac_wheelhouse_without_nginx_is_refused_before_any_change(results):
    failed = failures(results, "mac_cache_wheelhouse_missing")
    assert len(failed) == 1 and "package_cache_nginx (/opt/homebrew/bin/nginx) is not there" in failed[0][1], failed
    assert not [name for name, result in results["mac_cache_wheelhouse_missing"] if result.get("changed")]


def supervisor_program(results, case):
    args, content = written(results, case)[BASE + "/supervisor/supervisord.conf"]
    assert (args["owner"], args["group"], args["mode"]) == ("root", "root", "0600")
    config = configparser.RawConfigParser()
    config.read_string(content)
    return config


def test_supervisord_program_matches_the_server_command(results):
    config = supervisor_program(results, "linux_noinit")
    program = config["program:mlflow-server"]
    assert program["user"] == "mlflow"
    assert program["autorestart"] == "true" and program["autostart"] == "true"
    assert program["stdout_logfile"] == BASE + "/mlflow.log"
    assert program["directory"] == BASE + "/run"
    args = shlex.split(program["command"])
    assert args[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    assert args[args.index("--backend-store-uri") + 1] == "sqlite:///%s/mlruns_db/mlflow.db" % BASE
    assert config["unix_http_server"]["chmod"] == "0700"


def test_supervisord_ephemeral_wraps_the_same_command(results):
    args = shlex.split(supervisor_program(results, "linux_noinit_ephemeral")["program:mlflow-server"]["command"])
    assert args[0] == "/bin/sh" and args[4] == BASE + "/run"
    assert args[5:7] == [BASE + "/.venv/bin/mlflow", "server"]


def test_supervisor_goes_into_the_venv_only_where_it_runs_the_server(results):
    requirements = {case: written(results, case)[BASE + "/requirements.txt"][1]
                    for case in ("linux_noinit", "linux_systemd", "mac")}
    assert "supervisor==" in requirements["linux_noinit"]
    assert "supervisor==" not in requirements["linux_systemd"] and "supervisor==" not in requirements["mac"]


def test_systemd_unit_is_hardened_and_runs_the_same_command(results):
    args, unit = written(results, "linux_systemd")["/etc/systemd/system/mlflow-server.service"]
    assert (args["owner"], args["group"], args["mode"]) == ("root", "root", "0644")
    for line in ("User=mlflow", "NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true",
                 "RuntimeDirectory=mlflow-server", "Restart=on-failure",
                 "ReadWritePaths=%s/mlruns_db %s/mlartifacts" % (BASE, BASE)):
        assert line in unit.splitlines(), line
    exec_start = [line for line in unit.splitlines() if line.startswith("ExecStart=")][0]
    assert shlex.split(exec_start[len("ExecStart="):])[:2] == [BASE + "/.venv/bin/mlflow", "server"]


def allowed_hosts(results, case):
    _args, unit = written(results, case)["/etc/systemd/system/mlflow-server.service"]
    exec_start = shlex.split([line for line in unit.splitlines() if line.startswith("ExecStart=")][0][len("ExecStart="):])
    return exec_start[exec_start.index("--allowed-hosts") + 1].split(",")


def test_ansible_host_is_an_allowed_host_only_when_it_is_a_name(results):
    by_name, by_address = allowed_hosts(results, "linux_systemd"), allowed_hosts(results, "linux_systemd_by_address")
    assert "pc07.dhcp.school.example" in by_name and "pc07.dhcp.school.example:*" in by_name
    # An address there changes nothing: switching a PC from name to address, or between
    # addresses, leaves the unit as it was (only the name the inventory dropped goes).
    assert "10.1.2.107" not in by_address and "10.*" in by_address
    # Otherwise the same list, but for each case's own inventory name.
    assert ([name for name in by_name if not name.startswith(("pc07.", "linux_systemd"))]
            == [name for name in by_address if not name.startswith("linux_systemd")])


def test_a_local_postgresql_is_refused_on_a_mac_before_any_change(results):
    failed = failures(results, "mac_course_local_postgresql")
    assert len(failed) == 1 and "installs Debian's PostgreSQL" in failed[0][1], failed
    assert not [name for name, result in results["mac_course_local_postgresql"] if result.get("changed")]


def test_a_course_servers_secrets_are_root_only_on_a_mac(results):
    files = written(results, "mac_course")
    secrets = BASE + "/secrets"
    assert (files[secrets][0]["owner"], files[secrets][0]["group"], files[secrets][0]["mode"]) == ("root", "wheel", "0700")
    # The plist holds the secret environment under launchd: it is written with no_log, and
    # nothing of it shows in the run's output.
    plist_tasks = [result for name, result in results["mac_course"]
                   if name.endswith("Install the service definition for launchd")]
    assert plist_tasks and all("censored" in result for result in plist_tasks), plist_tasks
    output = json.dumps(results["mac_course"])
    assert "a-long-admin-password" not in output and "db-password-1" not in output


def test_a_course_servers_unit_reads_its_secrets_from_a_root_only_file(results):
    files = written(results, "linux_course")
    unit = files["/etc/systemd/system/mlflow-server.service"][1]
    assert "EnvironmentFile=%s/secrets/mlflow-server.env" % BASE in unit
    assert "--app-name basic-auth" in unit
    assert "postgresql+psycopg://mlflow@db.cs.example.ac.th:5432/mlflow" in unit
    assert "password" not in unit.lower()
    output = json.dumps(results["linux_course"])
    assert "a-long-admin-password" not in output and "db-password-1" not in output


@pytest.mark.parametrize(("case", "path", "group"), [("mac_client", "/etc/mlflow-tracking.sh", "wheel"),
                                                     ("linux_client", "/etc/profile.d/mlflow-tracking.sh", "root")])
def test_the_students_shells_get_the_tracking_uri(results, case, path, group):
    args, content = written(results, case)[path]
    assert (args["owner"], args["group"], args["mode"]) == ("root", group, "0644")
    assert "export MLFLOW_TRACKING_URI=http://course-server.cs.example.ac.th:8080" in content


@pytest.mark.parametrize("case", ["mac_client", "linux_client"])
def test_the_students_get_a_client_venv_pinned_to_the_servers_release(results, case):
    assert not failures(results, case)
    ran = {name.split(" : ")[-1]: result for name, result in results[case]}
    # The Python search walks the OS family's list (the platform facts the server role reads
    # too, roles/_service/vars), newest first.
    search = ran["Find a Python 3.10+ for the venv"]["invocation"]["module_args"]["pythons"]["python"]
    assert search["minimum"] == "3.10"
    if case == "mac_client":
        assert search["candidates"][:2] == ["/opt/homebrew/bin/python3.14", "/opt/homebrew/bin/python3.13"], search
        assert search["candidates"][-1] == "/usr/bin/python3"
    else:
        assert search["candidates"][0] == "/usr/bin/python3"
    created = ran["Create the venv"]
    assert created["changed"] and created["cmd"][1:] == ["-m", "venv", CLIENT_VENV]
    # uv comes next, after the venv exists: in check mode on a new PC there is none to ask.
    assert ran["Install MLflow's client and the handout's packages"].get("skipped")


def test_a_linux_desktop_session_gets_the_uri_too(results):
    args, content = written(results, "linux_client")["/etc/environment.d/60-mlflow-tracking.conf"]
    assert (args["owner"], args["group"], args["mode"]) == ("root", "root", "0644")
    assert "MLFLOW_TRACKING_URI=http://course-server.cs.example.ac.th:8080\n" in content
    assert "/etc/environment.d/60-mlflow-tracking.conf" not in written(results, "mac_client")


@pytest.mark.parametrize("case", ["mac_client", "linux_client"])
def test_the_profile_says_where_the_client_venv_is(results, case):
    path = "/etc/mlflow-tracking.sh" if case == "mac_client" else "/etc/profile.d/mlflow-tracking.sh"
    _args, content = written(results, case)[path]
    assert "export LABROOM_MLFLOW_VENV=%s" % CLIENT_VENV in content
    assert ". %s/bin/activate" % CLIENT_VENV in content
