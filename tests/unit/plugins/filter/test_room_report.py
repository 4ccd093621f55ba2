"""Unit tests of the room report filters (labroom.mlflow.room_report_rows, room_report_cache_rows,
room_report_tier_rows, room_report_failing)."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.labroom.mlflow.plugins.filter import room_report
from ansible_collections.labroom.mlflow.plugins.filter.room_report import (
    NOT_CHECKED,
    FilterModule,
    room_report_cache_rows,
    room_report_failing,
    room_report_row,
    room_report_rows,
    room_report_tier_rows,
)

HEALTHY = {
    "host": "pc1",
    "url": "http://pc1:8080",
    "mode": "persistent",
    "state": "started",
    "healthy": True,
    "version": "3.17.2",
    "latency_ms": 12.5,
    "experiments": 2,
    "runs": 7,
    "db_kib": 340,
    "artifacts_kib": 12,
    "error": "",
}
FAILING = dict(HEALTHY, healthy=False, version="", latency_ms=None, experiments=None, runs=None,
               error="GET http://127.0.0.1:8080/health: connection refused after 30 s")
STOPPED = dict(HEALTHY, state="stopped", healthy=False, version="", latency_ms=None, experiments=None, runs=None)


def row(host_vars, host="pc1"):
    return room_report_row(host, host_vars)


def test_healthy_row_keeps_the_checked_values():
    result = row({"mlflow_server_status": HEALTHY})
    assert result == dict(HEALTHY, role="server", users=None, tls="", cert_days=None, warning="", status="healthy", error="")


def test_a_course_server_row_keeps_its_role_and_accounts():
    result = row({"mlflow_server_status": dict(HEALTHY, role="course", users=31)})
    assert (result["role"], result["users"], result["status"]) == ("course", 31, "healthy")


def test_a_host_without_any_fact_is_unreachable_not_checked():
    result = row({"inventory_hostname": "pc1"})
    assert result == {
        "host": "pc1", "role": "server", "url": "", "version": "", "mode": "", "healthy": False, "latency_ms": None,
        "experiments": None, "runs": None, "db_kib": None, "artifacts_kib": None, "users": None,
        "tls": "", "cert_days": None, "warning": "", "status": "unreachable", "error": NOT_CHECKED,
    }


def test_empty_status_counts_as_not_checked():
    assert row({"mlflow_server_status": {}})["error"] == NOT_CHECKED
    assert row({"mlflow_server_status": None})["status"] == "unreachable"


def test_unreachable_reason_is_one_line():
    reason = "Failed to connect to the host via ssh:\r\n  ssh: connect to host pc1\n port 22: No route\n"
    result = row({"mlflow_server_unreachable": reason})
    assert result["status"] == "unreachable"
    assert result["error"] == "Failed to connect to the host via ssh: ssh: connect to host pc1 port 22: No route"


def test_unreachable_wins_over_a_checked_row_and_a_provision_error():
    # The role's status entry point records a row and the reason when the host went away.
    result = row({"mlflow_server_status": FAILING, "mlflow_server_unreachable": "timed out",
                  "mlflow_server_provision_error": "Install: failed"})
    assert (result["status"], result["error"]) == ("unreachable", "timed out")
    assert result["url"] == "http://pc1:8080"  # what the check knew is still shown


def test_a_reason_of_only_line_breaks_is_no_reason():
    result = row({"mlflow_server_status": HEALTHY, "mlflow_server_unreachable": " \n\r\n "})
    assert (result["status"], result["error"]) == ("healthy", "")


def test_stopped_on_purpose_is_stopped_even_when_healthy_is_set():
    assert row({"mlflow_server_status": STOPPED})["status"] == "stopped"
    assert row({"mlflow_server_status": dict(STOPPED, healthy=True)})["status"] == "stopped"
    assert row({"mlflow_server_status": STOPPED})["error"] == ""


@pytest.mark.parametrize("value, status", [
    (True, "healthy"), ("True", "healthy"), ("yes", "healthy"), ("1", "healthy"), (1, "healthy"),
    (False, "failing"), ("False", "failing"), ("no", "failing"), ("0", "failing"), (0, "failing"),
    (None, "failing"), ("maybe", "failing"),
])
def test_healthy_is_read_as_the_bool_filter_reads_it(value, status):
    assert row({"mlflow_server_status": dict(HEALTHY, healthy=value)})["status"] == status


def test_failing_row_has_the_check_error():
    result = row({"mlflow_server_status": FAILING})
    assert (result["status"], result["error"]) == ("failing", FAILING["error"])


def test_failing_without_check_error_falls_back_to_the_provision_error_then_nothing():
    checked = dict(FAILING, error="")
    both = {"mlflow_server_status": checked, "mlflow_server_provision_error": "Install: failed"}
    assert row(both)["error"] == "Install: failed"
    assert row({"mlflow_server_status": checked})["error"] == ""
    assert row({"mlflow_server_status": {"host": "pc1", "healthy": False}})["status"] == "failing"


def test_check_error_wins_over_the_provision_error():
    result = row({"mlflow_server_status": FAILING, "mlflow_server_provision_error": "Install: failed"})
    assert (result["status"], result["error"]) == ("failing", FAILING["error"])


def test_provisioning_failed_without_a_check_is_failed_with_its_error():
    result = row({"mlflow_server_provision_error": "Install MLflow: No space left on device"})
    assert (result["status"], result["error"]) == ("failed", "Install MLflow: No space left on device")
    assert result["url"] == "" and result["runs"] is None


def test_an_empty_provision_error_is_failed_but_not_checked():
    result = row({"mlflow_server_provision_error": ""})
    assert (result["status"], result["error"]) == ("failed", NOT_CHECKED)


def test_rows_follow_the_host_order_and_default_unknown_hosts():
    hostvars = {
        "pc1": {"mlflow_server_status": HEALTHY},
        "pc2": {"mlflow_server_provision_error": "boom"},
    }
    rows = room_report_rows(["pc2", "pc9", "pc1"], hostvars)
    assert [(r["host"], r["status"]) for r in rows] == [("pc2", "failed"), ("pc9", "unreachable"), ("pc1", "healthy")]
    assert rows[1]["error"] == NOT_CHECKED


def test_rows_do_not_change_hostvars():
    checked = dict(FAILING)
    room_report_rows(["pc1"], {"pc1": {"mlflow_server_status": checked}})
    assert checked == FAILING


@pytest.mark.parametrize("hosts", ["pc1", {"pc1": {}}, None, 3])
def test_rows_want_a_list_of_hosts(hosts):
    with pytest.raises(AnsibleFilterError, match="list of host names"):
        room_report_rows(hosts, {})


def test_a_status_that_is_not_a_mapping_is_refused():
    with pytest.raises(AnsibleFilterError, match="mlflow_server_status of pc1"):
        row({"mlflow_server_status": "healthy"})
    with pytest.raises(AnsibleFilterError, match="variables of pc1"):
        row(["mlflow_server_status"])


ROWS = [
    {"host": "pc1", "status": "healthy"},
    {"host": "pc2", "status": "stopped"},
    {"host": "pc3", "status": "failing"},
    {"host": "pc4", "status": "failed"},
    {"host": "pc5", "status": "unreachable"},
]


def test_failing_hosts_are_all_but_healthy_and_stopped():
    assert room_report_failing(ROWS) == ["pc3", "pc4", "pc5"]
    assert room_report_failing(ROWS, False) == ["pc3", "pc4", "pc5"]
    assert room_report_failing([]) == []


@pytest.mark.parametrize("check_mode", [True, "true", "yes"])
def test_in_check_mode_a_failing_check_is_expected(check_mode):
    assert room_report_failing(ROWS, check_mode) == ["pc4", "pc5"]


def test_failing_wants_rows():
    with pytest.raises(AnsibleFilterError, match="rows of room_report_rows"):
        room_report_failing([{"host": "pc1"}])


CACHE_OK = {"host": "cache", "url": "http://10.0.0.5:3141/root/pypi/+simple/", "version": "6.20.3",
            "healthy": True, "error": ""}


def cache_rows(hostvars, hosts=("cache",)):
    return room_report_cache_rows(list(hosts), hostvars)


def test_a_healthy_cache_has_its_url_version_and_the_cache_role():
    (result,) = cache_rows({"cache": {"package_cache_status": CACHE_OK}})
    assert result["role"] == result["mode"] == "cache"
    assert (result["status"], result["url"], result["version"], result["error"]) == (
        "healthy", CACHE_OK["url"], "6.20.3", "")
    assert result["runs"] is None and result["healthy"] is True
    assert set(result) == set(room_report.ROW_DEFAULTS) | {"status"}


def test_a_cache_that_does_not_answer_is_failing_with_the_reason():
    down = dict(CACHE_OK, healthy=False, version="", error="devpi-server does not answer on http://127.0.0.1:3141")
    (result,) = cache_rows({"cache": {"package_cache_status": down}})
    assert (result["status"], result["error"], result["healthy"]) == ("failing", down["error"], False)


def test_a_cache_host_switched_off_is_unreachable_with_ansibles_reason():
    (result,) = cache_rows({"cache": {"package_cache_unreachable": "Failed to connect\n  to the host via ssh"}})
    assert (result["status"], result["error"], result["url"]) == ("unreachable", "Failed to connect to the host via ssh", "")


def test_a_cache_that_failed_to_install_is_failed_even_if_an_old_one_answers():
    (result,) = cache_rows({"cache": {"package_cache_provision_error": "Install devpi-server: no space",
                                      "package_cache_status": CACHE_OK}})
    assert (result["status"], result["error"]) == ("failed", "Install devpi-server: no space")


def test_a_cache_host_left_out_of_the_run_has_no_row():
    hostvars = {"cache": {"package_cache_status": CACHE_OK}, "old": {}, "off": {"package_cache_status": None}}
    assert [r["host"] for r in cache_rows(hostvars, hosts=("old", "cache", "off", "unknown"))] == ["cache"]


def test_a_failing_cache_counts_as_failing_for_the_room():
    rows = cache_rows({"cache": {"package_cache_unreachable": "down"}})
    rows += room_report_rows(["pc1"], {"pc1": {"mlflow_server_status": HEALTHY}})
    assert room_report_failing(rows) == ["cache"]


@pytest.mark.parametrize("hosts", ["cache", None, {"cache": {}}])
def test_cache_rows_want_a_list_of_hosts(hosts):
    with pytest.raises(AnsibleFilterError, match="list of host names"):
        room_report_cache_rows(hosts, {})


def test_a_cache_status_that_is_not_a_mapping_is_refused():
    with pytest.raises(AnsibleFilterError, match="package_cache_status of cache"):
        cache_rows({"cache": {"package_cache_status": "healthy"}})


DB_DOWN = {"host": "db", "url": "postgresql://db:5432/mlflow", "version": "", "healthy": False,
           "error": "PostgreSQL does not answer (systemctl is-active postgresql: inactive): no socket."}
FRONT_OK = {"host": "front", "url": "https://front", "version": "3.17.2", "healthy": True, "latency_ms": 31.5,
            "tls": "own_ca", "cert_days": 364, "error": ""}


def test_a_tiers_front_and_database_get_their_rows_and_roles():
    hostvars = {"front": {"mlflow_server_tier_front_status": FRONT_OK}, "db": {"mlflow_server_tier_database_status": DB_DOWN}}
    (front,) = room_report_tier_rows(["front"], hostvars, "front")
    (db,) = room_report_tier_rows(["db"], hostvars, "database")
    assert (front["role"], front["status"], front["latency_ms"], front["cert_days"], front["tls"]) == (
        "front", "healthy", 31.5, 364, "own_ca")
    assert (db["role"], db["mode"], db["status"], db["healthy"], db["error"]) == (
        "database", "database", "failing", False, DB_DOWN["error"])
    assert set(db) == set(room_report.ROW_DEFAULTS) | {"status"}
    # A failing database fails the room, with its host named.
    assert room_report_failing([front, db]) == ["db"]


def test_a_tier_host_refused_or_off_or_left_out():
    hostvars = {"db": {"mlflow_server_tier_database_provision_error": "The course tier cannot be set up"},
                "front": {"mlflow_server_tier_front_unreachable": "Failed to connect\n to the host"}, "old": {}}
    assert [(r["host"], r["status"]) for r in room_report_tier_rows(["db", "old"], hostvars, "database")] == [("db", "failed")]
    assert room_report_tier_rows(["front"], hostvars, "front")[0]["error"] == "Failed to connect to the host"
    # The front's variables say nothing of the database's part of the same host.
    assert room_report_tier_rows(["front"], hostvars, "database") == []


def test_tier_rows_want_a_known_role():
    with pytest.raises(AnsibleFilterError, match="role must be one of front, database"):
        room_report_tier_rows(["db"], {}, "cache")


def test_filters_are_registered_under_their_documented_names():
    assert FilterModule().filters() == {"room_report_rows": room_report_rows, "room_report_failing": room_report_failing,
                                        "room_report_cache_rows": room_report_cache_rows,
                                        "room_report_tier_rows": room_report_tier_rows}
    assert room_report.OK_STATUSES == ("healthy", "stopped")


# The Jinja expression playbooks/status.yml built each row with before the filter (commit
# d7adc1a), kept here as the reference (one line folded): the filter must decide every case the same way.
JINJA_ROW = yaml.safe_load(r'''
__room_checked: "{{ hostvars[item].mlflow_server_status | default({}) }}"
__room_unreachable: "{{ hostvars[item].mlflow_server_unreachable | default('')
  | regex_replace('\\s*[\\r\\n]+\\s*', ' ') | trim }}"
__room_row: >-
  {{ {'host': item, 'url': '', 'version': '', 'mode': '', 'healthy': false, 'latency_ms': none,
      'experiments': none, 'runs': none, 'db_kib': none, 'artifacts_kib': none, 'error': ''}
     | combine(__room_checked)
     | combine({'status': 'unreachable' if __room_unreachable | length > 0
                          else 'stopped' if __room_checked.state | default('') == 'stopped'
                          else 'healthy' if __room_checked.healthy | default(false) | bool
                          else 'failing' if __room_checked | length > 0
                          else 'failed' if hostvars[item].mlflow_server_provision_error is defined
                          else 'unreachable',
                'error': __room_unreachable
                         or __room_checked.error | default('')
                         or hostvars[item].mlflow_server_provision_error | default('')
                         or ('' if __room_checked | length > 0
                             else 'not checked: left out of this run (--limit), or the run stopped before the check')}) }}
''')

CASES = {
    "healthy": {"mlflow_server_status": HEALTHY},
    "healthy as text": {"mlflow_server_status": dict(HEALTHY, healthy="yes")},
    "stopped": {"mlflow_server_status": STOPPED},
    "failing": {"mlflow_server_status": FAILING},
    "failing, no error": {"mlflow_server_status": dict(FAILING, error="")},
    "failing, provision error": {"mlflow_server_status": dict(FAILING, error=""),
                                 "mlflow_server_provision_error": "Install: failed"},
    "failing, both errors": {"mlflow_server_status": FAILING, "mlflow_server_provision_error": "Install: failed"},
    "failing, extra key": {"mlflow_server_status": dict(FAILING, note="kept")},
    "failed": {"mlflow_server_provision_error": "Gathering facts: Permission denied"},
    "failed, empty error": {"mlflow_server_provision_error": ""},
    "unreachable": {"mlflow_server_unreachable": "Failed to connect:\r\n  no route\n"},
    "unreachable and checked": {"mlflow_server_status": FAILING, "mlflow_server_unreachable": "gone",
                                "mlflow_server_provision_error": "x"},
    "blank reason": {"mlflow_server_status": HEALTHY, "mlflow_server_unreachable": "\n \n"},
    "nothing": {},
    "empty status": {"mlflow_server_status": {}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_row_as_the_jinja_expression_it_replaces(case):
    hostvars = {"pc1": CASES[case]}
    variables = {name: trust_as_template(expression) for name, expression in JINJA_ROW.items()}
    variables.update(hostvars=hostvars, item="pc1")
    expected = Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ __room_row }}"))
    # The filter adds keys the expression did not have: the row's role, the accounts of a
    # course server (users) and its HTTPS front (tls, cert_days, warning), unless the checked
    # row has them.
    added = {"users": None, "tls": "", "cert_days": None, "warning": ""}
    assert room_report_rows(["pc1"], hostvars) == [dict(added, **dict(expected, role="server"))]
