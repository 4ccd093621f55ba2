"""The role's service manager choice and service definitions for the platforms that cannot
run here: macOS (launchd) is only rendered and parsed, never run, in these tests.

One ansible-playbook call renders every case, with each platform's facts supplied by a
test-only module (files/library/fake_facts.py).
"""

from __future__ import annotations

import configparser
import plistlib
import shlex
from pathlib import Path

import pytest
from playbook_cases import run_cases

PLAYBOOK = Path(__file__).with_name("files") / "render_service.yml"

MAC = {
    "os_family": "Darwin", "system": "Darwin", "distribution": "MacOSX", "service_mgr": "launchd",
    "hostname": "lab-mac-03", "fqdn": "lab-mac-03.lab.school.example", "nodename": "lab-mac-03",
    "all_ipv4_addresses": ["10.1.2.103"],
}
LINUX_SYSTEMD = dict(MAC, os_family="Debian", system="Linux", distribution="Debian", service_mgr="systemd",
                     hostname="lab-pc-07", fqdn="lab-pc-07.lab.school.example", nodename="lab-pc-07",
                     all_ipv4_addresses=["10.1.2.7"])
LINUX_NOINIT = dict(LINUX_SYSTEMD, service_mgr="sysvinit")

CASES = {
    "mac": {"platform_facts": MAC},
    "mac_ephemeral": {"platform_facts": MAC, "mlflow_server_mode": "ephemeral", "mlflow_server_port": 5000},
    "linux_systemd": {"platform_facts": LINUX_SYSTEMD},
    "linux_noinit": {"platform_facts": LINUX_NOINIT},
    "linux_noinit_ephemeral": {"platform_facts": LINUX_NOINIT, "mlflow_server_mode": "ephemeral"},
    # Explicit choices: preflight refuses the ones the host cannot honour.
    "linux_systemd_as_supervisor": {"platform_facts": LINUX_SYSTEMD, "mlflow_server_service_manager": "supervisor"},
    "linux_noinit_as_systemd": {"platform_facts": LINUX_NOINIT, "mlflow_server_service_manager": "systemd"},
    "linux_as_launchd": {"platform_facts": LINUX_SYSTEMD, "mlflow_server_service_manager": "launchd"},
    "mac_as_supervisor": {"platform_facts": MAC, "mlflow_server_service_manager": "supervisor"},
}
BASE = "/opt/mlflowserver-lab"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    report, run = run_cases(PLAYBOOK, CASES, out, group_vars={"render_dir": str(out)})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    reported = {}
    for task in report["plays"][0]["tasks"]:
        reported[task["task"]["name"]] = {host: result.get("msg") for host, result in task["hosts"].items()}
    return out, reported


def test_auto_picks_the_manager_from_the_facts(rendered):
    _, reported = rendered
    managers = reported["Report the service manager the role picks"]
    assert {host: managers[host] for host in CASES if "_as_" not in host} == {
        "mac": "launchd",
        "mac_ephemeral": "launchd",
        "linux_systemd": "systemd",
        "linux_noinit": "supervisor",
        "linux_noinit_ephemeral": "supervisor",
    }


def test_an_explicit_manager_is_kept_and_checked_against_the_host(rendered):
    _, reported = rendered
    managers = reported["Report the service manager the role picks"]
    possible = reported["Report whether the host can run that service manager"]
    assert managers["linux_systemd_as_supervisor"] == "supervisor"
    assert possible["linux_systemd_as_supervisor"] is True
    for refused in ("linux_noinit_as_systemd", "linux_as_launchd", "mac_as_supervisor"):
        assert possible[refused] is False, refused
    assert all(possible[host] is True for host in CASES if "_as_" not in host)


def load_plist(rendered, name):
    out, _ = rendered
    with open(out / ("%s.plist" % name), "rb") as handle:
        return plistlib.load(handle)


def test_launchd_plist_parses_and_runs_the_server_as_the_service_account(rendered):
    plist = load_plist(rendered, "mac")
    assert plist["Label"] == "org.labroom.mlflow-server"
    args = plist["ProgramArguments"]
    assert args[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    flags = dict(zip(args[2::2], args[3::2]))
    assert flags["--host"] == "0.0.0.0" and flags["--port"] == "8080" and flags["--workers"] == "1"
    assert flags["--backend-store-uri"] == "sqlite:///%s/mlruns_db/mlflow.db" % BASE
    assert flags["--artifacts-destination"] == BASE + "/mlartifacts"
    assert "--serve-artifacts" in args
    allowed = args[args.index("--allowed-hosts") + 1].split(",")
    for name in ("mac", "lab-mac-03", "lab-mac-03.lab.school.example", "10.1.2.103", "10.1.2.103:*", "localhost"):
        assert name in allowed, name
    assert (plist["UserName"], plist["GroupName"]) == ("mlflow", "mlflow")
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["StandardOutPath"] == plist["StandardErrorPath"] == BASE + "/mlflow.log"
    assert plist["WorkingDirectory"] == BASE + "/run"
    assert plist["EnvironmentVariables"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert plist["EnvironmentVariables"]["HOME"] == BASE + "/run"


def test_ephemeral_mode_empties_the_runtime_directory_before_each_start(rendered):
    plist = load_plist(rendered, "mac_ephemeral")
    args = plist["ProgramArguments"]
    assert args[0] == "/bin/sh" and "find \"$1\" -mindepth 1 -delete" in args[2]
    assert args[4] == BASE + "/run"
    server = args[5:]
    assert server[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    assert server[server.index("--backend-store-uri") + 1] == "sqlite:///%s/run/mlflow.db" % BASE
    assert server[server.index("--port") + 1] == "5000"


def test_supervisord_program_matches_the_server_command(rendered):
    out, _ = rendered
    config = configparser.RawConfigParser()
    config.read(out / "linux_noinit.conf")
    program = config["program:mlflow-server"]
    assert program["user"] == "mlflow"
    assert program["autorestart"] == "true" and program["autostart"] == "true"
    assert program["stdout_logfile"] == BASE + "/mlflow.log"
    assert program["directory"] == BASE + "/run"
    args = shlex.split(program["command"])
    assert args[:2] == [BASE + "/.venv/bin/mlflow", "server"]
    assert args[args.index("--backend-store-uri") + 1] == "sqlite:///%s/mlruns_db/mlflow.db" % BASE
    assert config["unix_http_server"]["chmod"] == "0700"


def test_supervisord_ephemeral_wraps_the_same_command(rendered):
    out, _ = rendered
    config = configparser.RawConfigParser()
    config.read(out / "linux_noinit_ephemeral.conf")
    args = shlex.split(config["program:mlflow-server"]["command"])
    assert args[0] == "/bin/sh" and args[4] == BASE + "/run"
    assert args[5:7] == [BASE + "/.venv/bin/mlflow", "server"]
