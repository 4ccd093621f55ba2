"""labroom.mlflow.mlflow_runs against a real MLflow basic-auth server that the test starts, holding
a class's work: 30 students' experiments with 40 runs each, logged into the server's database
through MLflow's own tracking store (what runs/create and runs/log-batch call), with known start
times, parameters and metrics.

The module runs in-process (the harness of tests/unit/plugins/modules/utils.py, as
test_tracking_health_real.py runs its module) with pages small enough that both searches need
many; what it returns is compared field by field with what was logged.
"""

from __future__ import annotations

import time

import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow_server import basic_auth_server, rest

from ansible_collections.labroom.mlflow.plugins.modules import mlflow_runs
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

ADMIN = ("admin", "admin-password-for-tests")
STUDENTS = ["student-%02d" % number for number in range(1, 31)]
RUNS_PER_STUDENT = 40
T0 = 1764547200000  # 2025-12-01T00:00:00Z; run number i starts i seconds later
FINISHED_EVERY = 97  # every 97th run is ended, the others stay RUNNING


def log_run(store, number, experiment_ids):
    """Log run `number` of the class as its student's client would (what runs/create and
    runs/log-batch store); return what the module must report."""
    student = STUDENTS[number % len(STUDENTS)]
    start = T0 + 1000 * number
    tags = {"mlflow.user": student, "mlflow.source.name": "week%d/train.py" % (number % 3 + 1), "mlflow.source.type": "LOCAL"}
    info = store.create_run(experiment_ids[student], student, start, [RunTag(k, v) for k, v in tags.items()],
                            "run-%04d" % number).info
    run_id = info.run_id
    params = {"alpha": str(number / 1000), "model": ("ridge", "lasso", "tree")[number % 3], "number": str(number)}
    # Two values of rmse: the module returns the latest (the higher step), as runs/search does.
    metrics = [("rmse", 10.0 + number, 0), ("rmse", number / 8, 1), ("r2", 1 - number / 2048, 0)]
    store.log_batch(run_id, [Metric(key, value, start + step, step) for key, value, step in metrics],
                    [Param(key, value) for key, value in params.items()], [])
    end = None
    if number % FINISHED_EVERY == 0:
        end = start + 61004
        store.update_run_info(run_id, RunStatus.FINISHED, end, None)
    return dict(
        experiment=student, experiment_id=experiment_ids[student], run_id=run_id, run_name="run-%04d" % number,
        status="RUNNING" if end is None else "FINISHED",
        start_time=mlflow_runs.iso_time(start), end_time=mlflow_runs.iso_time(end),
        params=params, metrics={"rmse": number / 8, "r2": 1 - number / 2048},
        user=student, source=tags["mlflow.source.name"], source_type="LOCAL", artifact_uri=info.artifact_uri,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlflow-class")
    with basic_auth_server(base, ADMIN, ini_extra="auth_cache_ttl_seconds = 300\n") as running:
        yield dict(running, base=base, db=base / "mlflow.db")


@pytest.fixture(scope="module")
def logged(server):
    """The class's 1,200 runs, logged as the admin: {run number: what the module must report}."""
    started = time.monotonic()
    experiment_ids = {}
    for student in STUDENTS:
        status, answer = rest(server["url"], "POST", "/api/2.0/mlflow/experiments/create", auth=ADMIN, body={"name": student})
        assert status == 200, answer
        experiment_ids[student] = answer["experiment_id"]
    # The runs go straight into the server's database through MLflow's own store (what the
    # REST handlers call), about 3x faster than over HTTP on this 2-core machine.
    store = SqlAlchemyStore("sqlite:///%s" % server["db"], str(server["base"] / "mlartifacts"))
    runs = {number: log_run(store, number, experiment_ids) for number in range(len(STUDENTS) * RUNS_PER_STUDENT)}
    print("logged %d runs in %.1f s" % (len(runs), time.monotonic() - started))
    return runs


@pytest.fixture
def collect(server):
    """collect(**args): run the module against the server as the admin; returns how it ended."""

    def run(**args):
        return run_module(mlflow_runs, {"url": server["url"], "url_username": ADMIN[0], "url_password": ADMIN[1], **args})

    return run


def test_every_run_comes_back_once_with_what_was_logged(logged, collect):
    outcome = collect(page_size=25)
    assert outcome.kind == "exit", outcome.result["msg"]
    result = outcome.result
    assert result["changed"] is False
    assert result["run_count"] == len(result["runs"]) == 1200
    assert result["duplicates_dropped"] == 0
    assert len({entry["run_id"] for entry in result["runs"]}) == 1200
    # Oldest first, so in the order they were logged; every field as logged.
    for number, entry in enumerate(result["runs"]):
        assert entry == logged[number], number
    assert result["experiments"] == [{"experiment_id": "0", "name": "Default", "run_count": 0}] + [
        {"experiment_id": logged[index]["experiment_id"], "name": student, "run_count": 40}
        for index, student in enumerate(STUDENTS)
    ]
    # 31 experiments in pages of 25: 2 searches; 1200 runs in pages of 25: 48; and users/current.
    assert result["requests"] == 1 + 2 + 48


def test_since_returns_exactly_the_runs_started_from_the_cut(logged, collect):
    cut = 700  # run 700 started at T0 + 700 s
    result = collect(since=mlflow_runs.iso_time(T0 + 1000 * cut), page_size=60).result
    assert [entry["run_id"] for entry in result["runs"]] == [logged[number]["run_id"] for number in range(cut, 1200)]
    assert result["runs"] == [logged[number] for number in range(cut, 1200)]
    # In epoch milliseconds, half a second before run 700 started: the same runs.
    assert collect(since=str(T0 + 1000 * cut - 500), page_size=1000).result["runs"] == result["runs"]
    # Half a second after: one run fewer.
    assert collect(since=str(T0 + 1000 * cut + 500)).result["run_count"] == 1200 - cut - 1


def test_only_the_named_experiments_and_the_missing_ones_listed(logged, collect):
    result = collect(experiment_names=["student-07", "nobody", "student-02"], page_size=7).result
    assert result["missing_experiments"] == ["nobody"]
    assert [experiment["name"] for experiment in result["experiments"]] == ["student-07", "student-02"]
    expected = sorted((logged[number] for number in logged if logged[number]["experiment"] in ("student-02", "student-07")),
                      key=lambda entry: entry["start_time"])
    assert result["runs"] == expected and result["run_count"] == 80


def test_an_account_that_is_no_admin_is_warned_and_a_wrong_password_refused(server, logged, collect, monkeypatch):
    # Caught at AnsibleModule.warn (in-process, ansible-core 2.19 may send them to the controller's display).
    warnings = []
    monkeypatch.setattr(mlflow_runs.AnsibleModule, "warn", lambda self, warning, **kwargs: warnings.append(warning))
    status, answer = rest(server["url"], "POST", "/api/2.0/mlflow/users/create", auth=ADMIN,
                          body={"username": "ta", "password": "ta-password-1234"})
    assert status == 200, answer
    # NO_PERMISSIONS by default: MLflow leaves every experiment out, without an error.
    result = collect(url_username="ta", url_password="ta-password-1234").result
    assert result["run_count"] == 0
    assert len(warnings) == 1 and "'ta' (url_username) is not an admin" in warnings[0]
    outcome = collect(url_password="not-the-admin-password")
    assert outcome.kind == "fail"
    assert outcome.result["status"] == 401
    assert "refused the account 'admin' (url_username)" in outcome.result["msg"]
    assert "not-the-admin-password" not in outcome.output
