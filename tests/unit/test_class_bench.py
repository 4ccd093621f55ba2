"""The pure parts of bench/class_bench.py: percentiles, error kinds, a load run's summary, the
goal check and its wording, ratios, the table, the role's variables and argument parsing.

Pure Python: no container, no server, no playbook.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("class_bench", ROOT / "bench" / "class_bench.py")
cb = importlib.util.module_from_spec(_SPEC)
# Registered before it runs: its dataclass looks its module up by name.
sys.modules["class_bench"] = cb
_SPEC.loader.exec_module(cb)


# --- percentiles ---------------------------------------------------------------------------

def test_percentile_nearest_rank():
    values = list(range(1, 101))
    random.Random(4).shuffle(values)
    assert cb.percentile(values, 50) == 50
    assert cb.percentile(values, 95) == 95
    assert cb.percentile(values, 100) == 100
    assert cb.percentile(values, 1) == 1


def test_percentile_small_samples_take_the_slow_tail():
    # Four values: p95 is the 4th (ceil(3.8)), the one slow request, not an interpolation.
    assert cb.percentile([0.1, 10.0, 0.3, 0.2], 95) == 10.0
    assert cb.percentile([0.1, 10.0, 0.3, 0.2], 50) == 0.2
    assert cb.percentile([7.0], 95) == 7.0


def test_percentile_of_nothing_and_bad_p():
    assert cb.percentile([], 95) is None
    with pytest.raises(ValueError):
        cb.percentile([1.0], 0)
    with pytest.raises(ValueError):
        cb.percentile([1.0], 101)


# --- error kinds -----------------------------------------------------------------------------

QUEUEPOOL_BODY = ('{"error_code": "BAD_REQUEST", "message": "QueuePool limit of size 5 overflow 10 reached, '
                  'connection timed out, timeout 30.00"}')
LOCKED_BODY = '{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "(sqlite3.OperationalError) database is locked"}'
PG_BODY = ('{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "FATAL: remaining connection slots are reserved '
           'for roles with the SUPERUSER attribute"}')


@pytest.mark.parametrize("status, body, kind", [
    (400, QUEUEPOOL_BODY, "queuepool"),
    (500, QUEUEPOOL_BODY, "queuepool"),
    (503, LOCKED_BODY, "database_locked"),
    (503, PG_BODY, "pg_connections"),
    (500, "psycopg.OperationalError: FATAL: sorry, too many clients already", "pg_connections"),
    (500, '{"error_code": "INTERNAL_ERROR", "message": "boom"}', "http_500"),
    (403, "Invalid Host header", "http_403"),
    (401, "", "http_401"),
    (404, None, "http_404"),
])
def test_classify_error_by_body_then_status(status, body, kind):
    assert cb.classify_error(status, body) == kind


def test_classify_error_timeout_and_connection():
    assert cb.classify_error(timeout=True) == "timeout"
    # A timeout is a timeout, whatever text came with it.
    assert cb.classify_error(None, "database is locked", timeout=True) == "timeout"
    assert cb.classify_error(connection=True) == "connection"
    assert cb.classify_error() == "other"


def test_request_name():
    assert cb.request_name("POST", "/api/2.0/mlflow/runs/log-metric") == "runs/log-metric"
    assert cb.request_name("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=x") == "experiments/get-by-name"
    assert cb.request_name("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/notes.txt") == "artifacts PUT"


# --- a load run's summary ----------------------------------------------------------------------

def student(index, latencies, outcome, errors=None, current=None):
    s = cb.Student(index=index, latencies=list(latencies), requests=len(latencies), outcome=outcome, current=current)
    for kind, request in errors or []:
        s.fail(kind, "%s failed" % request, request)
    return s


def test_summarize_counts_runs_requests_errors_and_deadline():
    students = [
        student(1, [0.1] * 105, "ok"),
        student(2, [0.2] * 105, "ok"),
        student(3, [0.3, 30.0], None, [("timeout", "runs/create")]),
        student(4, [0.4, 0.5], None, [("queuepool", "runs/log-batch")]),
        # Still going when the run stopped at the deadline: no outcome.
        student(5, [0.1] * 50, None, current="runs/log-metric"),
    ]
    figures = cb.summarize("per_pc", students, wall_s=10.0, peak_rss={"mlflow": 512.3})
    assert figures["students"] == 5
    assert figures["runs_ok"] == 2
    assert figures["runs_failed"] == 3
    assert figures["requests"] == 105 + 105 + 2 + 2 + 50
    assert figures["requests_per_s"] == 26.4
    assert figures["runs_per_s"] == 0.2
    assert figures["errors_by_kind"] == {"deadline": 1, "queuepool": 1, "timeout": 1}
    assert figures["errors"] == 3
    assert figures["errors_by_request"] == {"timeout on runs/create": 1, "queuepool on runs/log-batch": 1,
                                            "deadline on runs/log-metric": 1}
    assert figures["max_s"] == 30.0
    assert figures["latencies_counted"] == 264
    assert figures["peak_rss_mb"] == {"mlflow": 512.3}
    assert figures["copes"] is False
    assert figures["error_samples"]["timeout"] == "runs/create failed"


def test_summarize_a_clean_run_copes():
    figures = cb.summarize("course", [student(i, [0.05] * 104 + [0.9], "ok") for i in range(1, 101)], wall_s=50.0)
    assert figures["runs_ok"] == 100
    assert figures["errors"] == 0 and figures["errors_by_kind"] == {}
    assert figures["p50_s"] == 0.05
    assert figures["p95_s"] == 0.05
    assert figures["max_s"] == 0.9
    assert figures["runs_per_s"] == 2.0
    assert figures["copes"] is True


def test_copes_needs_no_error_and_p95_below_one_second():
    assert cb.copes({"errors": 0, "p95_s": 0.99})
    assert not cb.copes({"errors": 0, "p95_s": 1.0})
    assert not cb.copes({"errors": 1, "p95_s": 0.1})
    assert not cb.copes({"errors": 0, "p95_s": None})


# --- goal check, coping, ratios ------------------------------------------------------------------

def run(shape, n, errors=0, p95=0.5, requests_per_s=100.0):
    return {"shape": shape, "students": n, "errors": errors, "p95_s": p95, "requests_per_s": requests_per_s,
            "copes": cb.copes({"errors": errors, "p95_s": p95})}


def test_goal_check_met_wording():
    line = cb.goal_check([run("course", 30), run("course", 100, errors=0, p95=0.73)])
    assert line == "course server, 100 students: errors=0, p95=0.73 s -> goal (0 errors, p95 < 1 s) met"


def test_goal_check_not_met_by_errors_or_latency():
    assert cb.goal_check([run("course", 100, errors=44, p95=0.5)]) == (
        "course server, 100 students: errors=44, p95=0.50 s -> goal (0 errors, p95 < 1 s) not met")
    assert cb.goal_check([run("course", 100, errors=0, p95=1.13)]).endswith("p95=1.13 s -> goal (0 errors, p95 < 1 s) not met")


def test_goal_check_not_measured_names_the_reason():
    assert cb.goal_check([run("per_pc", 100)], {"course": "the role could not provision it: boom"}) == (
        "course server, 100 students: not measured (the role could not provision it: boom)")
    assert "not measured" in cb.goal_check([run("course", 30)])


def test_goal_check_other_shape_label():
    line = cb.goal_check([run("course_auth", 100, errors=3, p95=2.9)], shape="course_auth",
                         label="course server with basic auth")
    assert line.startswith("course server with basic auth, 100 students: errors=3, p95=2.90 s")


def test_coping_check_names_the_first_n_that_fails():
    runs = [run("per_pc", 100, errors=98, p95=30.0), run("per_pc", 10), run("per_pc", 30, errors=0, p95=1.2),
            run("course", 30, errors=5)]
    assert cb.coping_check(runs) == "per-PC shape stops coping at N=30 (errors=0, p95=1.20 s)"


def test_coping_check_when_every_n_copes_or_none_measured():
    assert cb.coping_check([run("per_pc", 30), run("per_pc", 10)]) == (
        "per-PC shape copes at every N measured (10, 30): no errors, p95 < 1 s")
    assert cb.coping_check([], {"per_pc": "skipped"}) == "per-PC shape: not measured (skipped)"


def test_ratios_between_shapes_at_the_same_n():
    runs = [run("per_pc", 100, p95=4.0, requests_per_s=50.0), run("course", 100, p95=1.0, requests_per_s=150.0),
            run("course", 30, p95=0.3)]
    found = cb.ratios(runs)
    assert found["course_vs_per_pc_p95_at_100"] == 0.25
    assert found["course_vs_per_pc_requests_per_s_at_100"] == 3.0
    # No per_pc run at 30: no ratio at 30.
    assert not any(key.endswith("_at_30") for key in found)
    assert cb.ratio(1.0, 0) is None and cb.ratio(None, 1.0) is None


def test_conclusions_literal_lines():
    lines = cb.conclusions([run("per_pc", 30, errors=22, p95=0.69), run("course", 100, p95=0.8)], {})
    assert lines[0] == "course server, 100 students: errors=0, p95=0.80 s -> goal (0 errors, p95 < 1 s) met"
    assert "per-PC shape stops coping at N=30 (errors=22, p95=0.69 s)" in lines


# --- the table -----------------------------------------------------------------------------------

def test_table_row_shows_runs_errors_and_rss():
    figures = cb.summarize("per_pc", [student(1, [0.1] * 105, "ok"), student(2, [0.2], None, [("queuepool", "runs/create")])],
                           wall_s=5.0, peak_rss={"mlflow": 534.5})
    row = cb.table_row(figures)
    assert row.split()[:3] == ["per_pc", "2", "1/2"]
    assert "1: queuepool=1" in row
    assert row.split()[-2:] == ["534", "-"]
    assert cb.table([figures]).splitlines()[0].split()[:2] == ["shape", "N"]


def test_errors_cell():
    assert cb.errors_cell({"errors": 0, "errors_by_kind": {}}) == "0"
    assert cb.errors_cell({"errors": 3, "errors_by_kind": {"deadline": 1, "timeout": 2}}) == "3: deadline=1 timeout=2"


# --- the role's variables, the artifact path, RSS --------------------------------------------------

ACCOUNTS = [{"username": cb.student_name(i), "password": "p%019d" % i} for i in range(1, 101)]


def test_shape_vars_without_auth_have_no_accounts():
    found = cb.shape_vars("per_pc", "admin-secret-password", ACCOUNTS, "/tmp/creds")
    assert found == {"mlflow_server_packages": ["mlflow"], "mlflow_server_backend": "sqlite",
                     "mlflow_server_workers": 1, "mlflow_server_auth": "none"}
    assert cb.shape_vars("course", "x", ACCOUNTS, "/tmp/c")["mlflow_server_backend"] == "postgresql"
    assert cb.shape_vars("course", "x", ACCOUNTS, "/tmp/c")["mlflow_server_workers"] == 4


def test_shape_vars_with_auth_and_their_redaction():
    found = cb.shape_vars("course_auth", "admin-secret-password", ACCOUNTS, "/tmp/creds")
    assert found["mlflow_server_auth"] == "basic"
    assert found["mlflow_server_admin_password"] == "admin-secret-password"
    assert found["mlflow_server_students"][0] == {"username": "student001", "password": ACCOUNTS[0]["password"]}
    assert found["mlflow_server_students"][-1]["username"] == "student100"
    assert found["mlflow_server_auth_default_permission"] == "NO_PERMISSIONS"
    assert found["mlflow_server_credentials_dir"] == "/tmp/creds"
    shown = json.dumps(cb.redacted(found))
    assert "admin-secret-password" not in shown
    assert not any(account["password"] in shown for account in ACCOUNTS)
    assert "100 accounts student001..student100" in shown


def test_make_password():
    first, second = cb.make_password(), cb.make_password()
    assert len(first) == 20 and first.isalnum()
    assert first != second
    assert len(cb.make_password(8)) == 8


@pytest.mark.parametrize("uri, expected", [
    ("mlflow-artifacts:/1/abc/artifacts", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/notes.txt"),
    ("mlflow-artifacts://10.0.0.1:8080/7/r1/artifacts", "/api/2.0/mlflow-artifacts/artifacts/7/r1/artifacts/notes.txt"),
    (None, "/api/2.0/mlflow-artifacts/artifacts/3/r2/artifacts/notes.txt"),
    ("/opt/mlflowserver-lab/mlartifacts/3/r2/artifacts", "/api/2.0/mlflow-artifacts/artifacts/3/r2/artifacts/notes.txt"),
])
def test_artifact_put_path(uri, expected):
    experiment, run_id = ("3", "r2") if uri is None or uri.startswith("/") else ("x", "y")
    assert cb.artifact_put_path(uri, experiment, run_id, "notes.txt") == expected


def test_rss_by_user_sums_each_users_processes():
    output = "mlflow   270764\nmlflow   282176\npostgres 30000\npostgres 10000\nroot 13124\n  garbage\n"
    assert cb.rss_by_user(output) == {"mlflow": 540.0, "postgres": 39.1, "root": 12.8}


# --- what the server runs ------------------------------------------------------------------------

ARGV = ["/opt/mlflowserver-lab/.venv/bin/python", "/opt/mlflowserver-lab/.venv/bin/mlflow", "server", "--host", "0.0.0.0",
        "--port", "8080", "--workers", "1", "--backend-store-uri", "sqlite:////opt/mlflowserver-lab/mlruns_db/mlflow.db",
        "--serve-artifacts"]


def test_observed_shape_and_mismatches():
    observed = cb.observed_shape(ARGV, 200)
    assert observed == {"tls": "none", "backend": "sqlite", "workers": 1, "auth": "none", "status_without_credentials": 200}
    assert cb.shape_mismatches("per_pc", observed) == []
    problems = cb.shape_mismatches("course_auth", observed)
    assert "asked backend=postgresql, the server runs with sqlite" in problems
    assert "asked workers=4, the server runs with 1" in problems
    assert "asked auth=basic, the server runs with none" in problems
    assert "a request without credentials got 200, not 401" in problems


def test_observed_shape_of_a_course_server_with_auth():
    argv = ARGV[:7] + ["--workers", "4", "--backend-store-uri", "postgresql+psycopg://mlflow@127.0.0.1:5432/mlflow",
                       "--app-name", "basic-auth"]
    observed = cb.observed_shape(argv, 401)
    assert cb.shape_mismatches("course_auth", observed) == []
    assert cb.shape_mismatches("course_auth_tls", observed) == ["asked tls=own_ca, the server runs with none"]
    assert cb.observed_shape([], "no answer (ConnectionError)")["backend"] is None


def test_observed_shape_behind_the_front():
    # The front counts only when nginx runs and MLflow listens on the loopback alone.
    argv = ["mlflow", "server", "--host", "127.0.0.1", "--workers", "4",
            "--backend-store-uri", "postgresql+psycopg://mlflow@127.0.0.1:5432/mlflow", "--app-name", "basic-auth"]
    assert cb.shape_mismatches("course_auth_tls", cb.observed_shape(argv, 401, front_active=True)) == []
    assert cb.observed_shape(argv, 401, front_active=False)["tls"] == "none"
    assert cb.observed_shape(ARGV, 200, front_active=True)["tls"] == "none"


def test_shape_vars_of_the_front():
    found = cb.shape_vars("course_auth_tls", "admin-secret-password", ACCOUNTS, "/tmp/c", "https://localhost:4443")
    assert (found["mlflow_server_tls"], found["mlflow_server_public_url"]) == ("own_ca", "https://localhost:4443")
    assert found["mlflow_server_tls_port"] == 4443
    # course_auth measures MLflow itself: no front, accepted in clear on the bench's loopback.
    plain = cb.shape_vars("course_auth", "admin-secret-password", ACCOUNTS, "/tmp/c", "https://localhost:4443")
    assert (plain["mlflow_server_tls"], plain["mlflow_server_tls_insecure_ok"]) == ("none", True)
    assert "mlflow_server_tls" not in cb.shape_vars("per_pc", "x", ACCOUNTS, "/tmp/c")


def test_playbook_error_is_one_line():
    class Run:
        failures = [{"task": "Install", "msg": "No package\n  matching 'x'"}]
        other_output = ""

    assert cb.playbook_error(Run()) == "Install: No package matching 'x'"
    Run.failures = []
    Run.other_output = "[WARNING]: something\n[ERROR]: YAML parsing failed: bad\nOrigin: spec.yml:248:11\n\nmore"
    assert cb.playbook_error(Run()) == "[ERROR]: YAML parsing failed: bad Origin: spec.yml:248:11"
    assert len(cb.short("x" * 1000)) == 600


# --- arguments -----------------------------------------------------------------------------------

def test_parse_args_defaults():
    args = cb.parse_args([])
    assert args.shapes == ["per_pc", "per_pc_auth", "course", "course_auth", "course_auth_mlflow_pool", "course_auth_tls",
                           "course_tier"]
    assert args.students == [30, 100]
    assert args.deadline == 120.0
    assert args.request_timeout == 30.0
    assert args.keep is False and args.ref is None
    assert args.output.endswith("bench/results/class.json")


def test_parse_args_lists():
    args = cb.parse_args(["--shapes", "course, per_pc,course", "--students", "100,10,10", "--deadline", "60", "--keep"])
    assert args.shapes == ["course", "per_pc"]
    assert args.students == [10, 100]
    assert args.deadline == 60.0 and args.keep


@pytest.mark.parametrize("argv", [
    ["--shapes", "per_pc,lab"], ["--shapes", ","], ["--students", "0,30"], ["--students", "x"], ["--students", ""],
    ["--deadline", "0"], ["--request-timeout", "-1"],
])
def test_parse_args_refuses(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cb.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_counts_and_shape_names():
    assert cb.counts("30, 100") == [30, 100]
    with pytest.raises(ValueError):
        cb.counts("-1")
    with pytest.raises(ValueError):
        cb.shape_names("per_pc,nope")
    assert Counter(cb.shape_names("per_pc,per_pc")) == Counter(["per_pc"])


def test_ini_settings_leave_out_what_may_hold_a_secret():
    text = ("# managed\n[mlflow]\ndefault_permission = NO_PERMISSIONS\n"
            "database_uri = postgresql+psycopg://mlflow:hunter2@127.0.0.1/mlflow_auth\n"
            "admin_username = admin\nadmin_password = hunter2\nauth_cache_ttl_seconds = 60\n; note = x\n")
    found = cb.ini_settings(text)
    assert found == {"default_permission": "NO_PERMISSIONS", "admin_username": "admin", "auth_cache_ttl_seconds": "60"}
    assert "hunter2" not in json.dumps(found)


def test_blank_hides_every_password():
    text = "FAILED: user student002 password Abc123 rejected; admin Abc123XYZ"
    assert cb.blank(text, ["Abc123", "Abc123XYZ", ""]) == "FAILED: user student002 password <password> rejected; admin <password>"


# --- the server's CPU per request ------------------------------------------------------------

def test_cgroup_cpu_seconds_reads_v1_and_v2(tmp_path):
    v1 = tmp_path / "cpuacct.usage"
    v1.write_text("2500000000\n")
    assert cb.cgroup_cpu_seconds(v1) == 2.5
    v2 = tmp_path / "cpu.stat"
    v2.write_text("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
    assert cb.cgroup_cpu_seconds(v2) == 1.5
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "empty" / "cpu.stat"
    broken.write_text("user_usec 1\n")
    with pytest.raises(RuntimeError, match="usage_usec"):
        cb.cgroup_cpu_seconds(broken)


def test_cpu_by_user_parses_the_container_script_output():
    assert cb.cpu_by_user("mlflow 12.5\npostgres 3.25\nroot x\n\nbad line here\n") == {"mlflow": 12.5, "postgres": 3.25}


def test_machine_busy_seconds_leaves_out_idle_and_iowait():
    tick = cb.os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    line = "cpu  %d 0 %d 9999 777 0 %d 0 0 0\ncpu0 1 2 3\n" % (3 * tick, tick, tick)
    assert cb.machine_busy_seconds(line) == 5.0


def test_cpu_meter_figures_per_request_and_shares():
    before = {"server": 10.0, "by_user": {"mlflow": 4.0, "postgres": 1.0}, "generator": 2.0, "children": 0.5,
              "machine": 100.0, "at": 50.0}
    after = {"server": 16.0, "by_user": {"mlflow": 8.5, "postgres": 2.5, "root": 0.001}, "generator": 5.0,
             "children": 1.0, "machine": 110.0, "at": 55.0}
    found = cb.CpuMeter.figures(before, after, 3000)
    assert found["server_cpu_s"] == 6.0
    # A user below 10 ms is left out; each user's own difference.
    assert found["server_cpu_by_user_s"] == {"mlflow": 4.5, "postgres": 1.5}
    assert found["generator_cpu_s"] == 3.0
    assert found["sampler_cpu_s"] == 0.5
    assert found["machine_busy_s"] == 10.0
    assert found["generator_share"] == 0.3
    assert found["server_cpu_ms_per_request"] == 2.0
    assert found["requests_per_server_core_s"] == 500.0
    assert found["machine_capacity_s"] == 5.0 * (cb.os.cpu_count() or 1)
    # No request served: no per-request figure rather than a division by zero.
    assert cb.CpuMeter.figures(before, after, 0)["server_cpu_ms_per_request"] is None


def test_ratios_include_the_server_cpu_per_request():
    def run(shape, ms):
        found = cb.summarize(shape, [], 10.0)
        found["cpu"] = {"server_cpu_ms_per_request": ms}
        return found

    found = cb.ratios([run("course", 10.0), run("course_auth", 25.0), run("per_pc", 8.0)])
    assert found["course_auth_vs_course_server_cpu_per_request_at_0"] == 2.5
    assert found["course_vs_per_pc_server_cpu_per_request_at_0"] == 1.25


def test_table_row_shows_the_server_ms_per_request():
    found = cb.summarize("course", [], 10.0)
    # shape N runs-ok runs/s req/s p50 p95 max ms/req ...: the ninth cell.
    assert cb.table_row(found).split()[8] == "-"
    found["cpu"] = {"server_cpu_ms_per_request": 12.34}
    assert cb.table_row(found).split()[8] == "12.3"


# --- where the time goes: py-spy's folded stacks --------------------------------------------

_UVICORN = ('process 9:"python -m uvicorn";process 10:"python -c from multiprocessing.spawn import spawn_main; '
            'spawn_main()";run (uvicorn/main.py:1)')
_AUTH = "_before_request (mlflow/server/auth/__init__.py:10)"
_EXECUTE = "execute (sqlalchemy/engine/base.py:9)"
FOLDED = "\n".join([
    ";".join([_UVICORN, _AUTH, "check_password_hash (werkzeug/security.py:5)", "_hash_internal (werkzeug/security.py:2) 30"]),
    ";".join([_UVICORN, _AUTH, "get_user (mlflow/server/auth/sqlalchemy_store.py:3)", _EXECUTE + " 20"]),
    ";".join([_UVICORN, "_log_metric (mlflow/server/handlers.py:7)",
              "log_metric (mlflow/store/tracking/sqlalchemy_store.py:4)", _EXECUTE + " 40"]),
    ";".join([_UVICORN, "receive (starlette/middleware.py:1) 10"]),
    "not a stack line",
]) + "\n"


def test_profile_summary_charges_each_stack_to_one_area():
    found = cb.profile_summary(FOLDED)
    assert found["samples"] == 100
    areas = {a["function"]: a["share"] for a in found["areas"]}
    # The auth store's SQL counts as auth's; the password check first.
    assert areas == {"auth: password hash check": 0.3, "auth: users, grants, permission checks": 0.2,
                     "tracking store (SQL)": 0.4,
                     "uvicorn, Starlette, anyio (the ASGI server and its WSGI bridge)": 0.1}
    assert found["top_self"][0] == {"function": "execute (sqlalchemy/engine/base.py:9)", "samples": 60, "share": 0.6}
    inclusive = {t["function"]: t["samples"] for t in found["top_inclusive"]}
    assert inclusive["run (uvicorn/main.py:1)"] == 100
    assert inclusive["_before_request (mlflow/server/auth/__init__.py:10)"] == 50
    # The process label (its command line holds a ';') is not a function.
    assert not any("spawn_main" in name or name.startswith("process ") for name in inclusive)


def test_profile_summary_of_nothing():
    assert cb.profile_summary("") == {"samples": 0, "areas": [], "top_self": [], "top_inclusive": []}


def test_parse_args_profile_takes_one_shape_or_none():
    assert cb.parse_args([]).profile == "course_auth"
    assert cb.parse_args(["--profile", ""]).profile == ""
    with pytest.raises(SystemExit):
        cb.parse_args(["--profile", "nope"])


def test_overrides_are_role_variables_read_as_yaml():
    assert cb.overrides(["mlflow_server_workers=2", "mlflow_server_auth_cache_ttl=0",
                         "mlflow_server_environment={A: b}"]) == {
        "mlflow_server_workers": 2, "mlflow_server_auth_cache_ttl": 0, "mlflow_server_environment": {"A": "b"}}
    for bad in ("workers=2", "mlflow_server_workers", "mlflow_server_$x=1"):
        with pytest.raises(ValueError):
            cb.overrides([bad])
    args = cb.parse_args(["--set", "mlflow_server_workers=2"])
    assert args.overrides == {"mlflow_server_workers": 2}
    with pytest.raises(SystemExit):
        cb.parse_args(["--set", "nope=1"])


def test_shape_mismatches_takes_the_workers_tried():
    observed = {"backend": "postgresql", "workers": 2, "auth": "none", "tls": "none", "status_without_credentials": 200}
    assert cb.shape_mismatches("course", observed, workers=2) == []
    assert cb.shape_mismatches("course", observed) == ["asked workers=4, the server runs with 2"]


def test_shape_vars_carry_a_shapes_own_settings():
    found = cb.shape_vars("course_auth_mlflow_pool", "x" * 20, [{"username": "student001", "password": "p"}], "/tmp/c")
    assert found["mlflow_server_db_pool_size"] == 5 and found["mlflow_server_db_max_overflow"] == 10
    assert "mlflow_server_db_pool_size" not in cb.shape_vars("course_auth", "x" * 20, [], "/tmp/c")


def test_cpu_by_user_script_reads_utime_to_cstime(tmp_path):
    # The script's slice of /proc/<pid>/stat (after the command's ")"): fields 14-17, utime,
    # stime, cutime, cstime. Run here against this process: the same order as os.times().
    tick = cb.os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    mine = cb.os.times()
    assert abs(int(fields[11]) / tick - mine.user) < 0.5
    assert abs(int(fields[12]) / tick - mine.system) < 0.5
    assert "fields[11:15]" in cb.CPU_BY_USER
    found = cb.cpu_by_user(cb.subprocess.run([cb.sys.executable, "-c", cb.CPU_BY_USER], capture_output=True,
                                             text=True, check=True).stdout)
    assert found and all(seconds >= 0 for seconds in found.values())


def test_cpu_meter_without_a_reading_before_gives_no_split():
    before = {"server": 1.0, "by_user": {}, "generator": 0.0, "children": 0.0, "machine": 1.0, "at": 0.0}
    after = {"server": 2.0, "by_user": {"mlflow": 500.0}, "generator": 0.0, "children": 0.0, "machine": 2.0, "at": 1.0}
    assert cb.CpuMeter.figures(before, after, 10)["server_cpu_by_user_s"] == {}


def test_stack_frames_without_a_closing_label():
    assert cb.stack_frames('process 1:"python -c x; y') == []
    assert cb.stack_frames("a (x.py:1);b (y.py:2)") == ["a (x.py:1)", "b (y.py:2)"]


# --- the course tier: sizing model, failover sentence, its variables -----------------------------

def test_students_per_core_is_the_documented_model():
    # 28 ms per request: 0.7 * 1000 / 28 = 25 requests per core second; a student sends 105 a
    # minute (1.75 a second): 14.3 students per core.
    assert cb.students_per_core(28.0) == 14.3
    assert cb.students_per_core(14.0) == 28.6
    assert cb.students_per_core(None) is None and cb.students_per_core(0) is None


def test_sizing_leaves_out_the_failover_run_and_runs_without_cpu():
    runs = [{"shape": "course_tier", "students": 30, "cpu": {"server_cpu_ms_per_request": 50.0}},
            {"shape": "course_tier_failover", "students": 30, "failover": {"host": "h"},
             "cpu": {"server_cpu_ms_per_request": 9.0}},
            {"shape": "course", "students": 30}]
    assert cb.sizing(runs) == {"course_tier": {"30": 8.0}}


def test_failover_line_says_what_was_lost():
    figures = {"failover": {"host": "class-bench-tier-2", "stopped_at_s": 5.0}, "students": 30, "runs_ok": 28,
               "errors": 2, "errors_by_kind": {"http_502": 2}, "p95_s": 0.8}
    line = cb.failover_line(figures)
    assert line == ("course tier failover: class-bench-tier-2 stopped 5.0 s into the load of 30 students: 28 of 30 runs "
                    "finished, 2 requests failed (http_502 2), p95 0.8 s")
    assert "failed (none)" in cb.failover_line(dict(figures, errors=0, errors_by_kind={}, runs_ok=30))


def test_the_tier_shape_is_a_course_server_of_two_workers_behind_its_front():
    variables = cb.shape_vars("course_tier", "admin-password-1", [{"username": "s1", "password": "p"}], "/tmp/c",
                              "https://localhost:40123")
    assert (variables["mlflow_server_backend"], variables["mlflow_server_workers"], variables["mlflow_server_auth"],
            variables["mlflow_server_tls"], variables["mlflow_server_tls_port"]) == ("postgresql", 2, "basic", "own_ca", 40123)
    assert cb.TIER_CONTAINERS == (cb.TIER_FRONT, *cb.TIER_COURSE, cb.TIER_DATABASE)
    assert ("course_tier_vs_course_auth_tls", "course_tier", "course_auth_tls") in cb.RATIO_PAIRS
