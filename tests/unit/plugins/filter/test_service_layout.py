"""The service manager choice and the paths of a program (plugins/filter/service_layout.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.service_layout import (
    FilterModule,
    service_layout,
    service_state,
    systemd_env_file,
)

MAC = {"os_family": "Darwin", "service_mgr": "launchd"}
SYSTEMD = {"os_family": "Debian", "service_mgr": "systemd"}
NO_INIT = {"os_family": "Debian", "service_mgr": "sysvinit"}
BASE, BIN = "/opt/lab", "/opt/lab/.venv/bin"


def layout(facts, manager="auto", name="mlflow-server"):
    return service_layout(name, facts=facts, base_dir=BASE, bin_dir=BIN, manager=manager)


@pytest.mark.parametrize(("facts", "manager"), [(MAC, "launchd"), (SYSTEMD, "systemd"), (NO_INIT, "supervisor"),
                                                ({"os_family": "Debian"}, "supervisor")])
def test_auto_picks_the_hosts_own_manager(facts, manager):
    found = layout(facts)
    assert found["manager"] == manager and found["supported"] is True


@pytest.mark.parametrize(("facts", "manager", "supported"), [
    (SYSTEMD, "supervisor", True),
    (NO_INIT, "systemd", False),
    (SYSTEMD, "launchd", False),
    (MAC, "supervisor", False),
    (MAC, "systemd", False),
])
def test_an_explicit_manager_is_kept_and_judged_against_the_host(facts, manager, supported):
    found = layout(facts, manager)
    assert (found["manager"], found["supported"]) == (manager, supported)


def test_systemd_paths():
    found = layout(SYSTEMD)
    assert found["runtime_dir"] == "/run/mlflow-server"
    assert found["definition_file"] == "/etc/systemd/system/mlflow-server.service"
    assert found["status_argv"] == ["systemctl", "show", "--property=ActiveState", "--property=UnitFileState", "--",
                                    "mlflow-server.service"]
    assert found["requirements"] == []


def test_supervisor_paths_live_under_the_programs_folder_and_venv():
    found = layout(NO_INIT)
    assert found["runtime_dir"] == BASE + "/run"
    assert found["definition_file"] == found["supervisor_conf"] == BASE + "/supervisor/supervisord.conf"
    conf = BASE + "/supervisor/supervisord.conf"
    assert found["status_argv"] == [BIN + "/supervisorctl", "-c", conf, "status", "mlflow-server"]
    assert found["supervisord"] == BIN + "/supervisord"
    assert [r.split("==", maxsplit=1)[0] for r in found["requirements"]] == ["supervisor"]


def test_launchd_paths():
    found = layout(MAC, name="labroom-package-cache")
    assert found["launchd_label"] == "org.labroom.labroom-package-cache"
    assert found["definition_file"] == "/Library/LaunchDaemons/org.labroom.labroom-package-cache.plist"
    assert found["status_argv"] == ["launchctl", "print", "system/org.labroom.labroom-package-cache"]
    assert found["runtime_dir"] == BASE + "/run"


def test_trailing_slashes_do_not_double():
    found = service_layout("x", facts=NO_INIT, base_dir=BASE + "/", bin_dir=BIN + "/")
    assert found["supervisor_dir"] == BASE + "/supervisor" and found["supervisorctl"] == BIN + "/supervisorctl"


@pytest.mark.parametrize("manager", ["openrc", "", None])
def test_an_unknown_manager_is_an_error(manager):
    with pytest.raises(AnsibleFilterError, match="manager must be"):
        layout(SYSTEMD, manager)


def test_facts_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="facts"):
        service_layout("x", facts="Debian", base_dir=BASE, bin_dir=BIN)


def test_registered_under_its_name():
    assert FilterModule().filters() == {"service_layout": service_layout, "service_state": service_state,
                                        "systemd_env_file": systemd_env_file}


UNIT = {"exists": True, "type": "file", "sha256": "ab", "content": "[Unit]\n"}
MISSING = {"exists": False, "content": None}


@pytest.mark.parametrize(("stdout", "rc", "running", "enabled"), [
    ("ActiveState=active\nUnitFileState=enabled\n", 0, True, True),
    ("ActiveState=inactive\nUnitFileState=disabled\n", 0, False, False),
    ("ActiveState=activating\nUnitFileState=enabled\n", 0, False, True),
    ("", 1, False, False),
])
def test_systemd_state_is_read_from_systemctl_show(stdout, rc, running, enabled):
    found = service_state(layout(SYSTEMD), {"rc": rc, "stdout": stdout}, UNIT)
    assert (found["running"], found["enabled"], found["supervisord_up"]) == (running, enabled, False)
    assert found["definition"] == "[Unit]\n" and found["definition_sha256"] == "ab"
    assert found["manager"] == "systemd"


@pytest.mark.parametrize(("stdout", "rc", "running", "up"), [
    ("mlflow-server RUNNING pid 7, uptime 0:01:00", 0, True, True),
    ("mlflow-server STOPPED", 3, False, True),
    ("mlflow-server: ERROR (no such process)", 4, False, True),
    ("unix:///opt/lab/supervisor/supervisor.sock no such file", 4, False, False),
])
def test_supervisor_state(stdout, rc, running, up):
    found = service_state(layout(NO_INIT), {"rc": rc, "stdout": stdout}, UNIT)
    assert (found["running"], found["supervisord_up"], found["enabled"]) == (running, up, True)


def test_launchd_state_and_a_missing_definition():
    found = service_state(layout(MAC), {"rc": 0, "stdout": "\tstate = running\n"}, MISSING)
    assert found["running"] is True and found["enabled"] is False
    assert found["definition"] == "" and found["definition_sha256"] is None


def test_service_state_needs_a_layout():
    with pytest.raises(AnsibleFilterError, match="service_layout result"):
        service_state({}, {}, {})
    assert FilterModule().filters()["service_state"] is service_state


def test_the_systemd_environment_file_escapes_what_systemd_unescapes():
    text = systemd_env_file({"PGPASSWORD": 'pa$$"w\\o`rd', "A_KEY": "plain"})
    assert text == 'A_KEY="plain"\nPGPASSWORD="pa\\$\\$\\"w\\\\o\\`rd"\n'


@pytest.mark.parametrize("env", [{"BAD-NAME": "x"}, {"1X": "x"}, {"KEY": "two\nlines"}, ["KEY=x"]])
def test_the_systemd_environment_file_refuses_what_systemd_cannot_read(env):
    with pytest.raises(AnsibleFilterError):
        systemd_env_file(env)
