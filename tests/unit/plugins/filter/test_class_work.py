"""class_work, class_work_csv, seat_map and seat_map_problems: the tables of playbooks/collect.yml."""

from __future__ import annotations

import csv
import io

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.class_work import (
    FilterModule,
    class_work,
    class_work_csv,
    seat_map,
    seat_map_problems,
)


def run(run_id, start, metrics=None, params=None, status="FINISHED", experiment="Default", end=None):
    return {"experiment": experiment, "experiment_id": "0", "run_id": run_id, "run_name": "run-" + run_id,
            "status": status, "start_time": start, "end_time": end, "params": params or {},
            "metrics": metrics or {}, "user": "", "source": "", "source_type": ""}


PC_RUNS = [
    run("a1", "2026-12-01T08:00:00Z", {"accuracy": 0.8, "loss": 0.5}, {"C": "1.0"}, end="2026-12-01T08:01:00Z"),
    run("a2", "2026-12-01T08:05:00Z", {"accuracy": 0.9}, {"C": "0.1", "solver": "lbfgs, saga"}, end="2026-12-01T08:06:00Z"),
    run("a3", "2026-12-01T08:10:00Z", {"accuracy": 0.9}, status="FAILED", end="2026-12-01T08:10:30Z"),
]
COURSE_RUNS = [
    run("c1", "2026-12-01T09:00:00Z", {"accuracy": 0.7}, experiment="alice"),
    run("c2", "2026-12-01T09:01:00Z", {"accuracy": 0.6}, experiment="alice", status="RUNNING"),
]
HOSTVARS = {
    "lab-pc-01": {"mlflow_server_collected": {"host": "lab-pc-01", "course": False, "runs": PC_RUNS, "error": ""}},
    "lab-pc-02": {"mlflow_server_collected": {"host": "lab-pc-02", "course": False, "runs": [], "error": ""}},
    "lab-pc-03": {"mlflow_server_unreachable": "Failed to connect\n to the host"},
    "lab-pc-04": {"mlflow_server_collected": {"host": "lab-pc-04", "course": False, "runs": [],
                                              "error": "GET http://127.0.0.1:8080/health: connection refused"}},
    "lab-pc-05": {},
    "course-server": {"mlflow_server_collected": {"host": "course-server", "course": True, "runs": COURSE_RUNS,
                                                  "students": ["alice", "bob"], "error": ""}},
}


def rows_by(table, *keys):
    return {tuple(row[k] for k in keys): row for row in table}


def test_one_row_per_run_with_a_column_per_param_and_metric():
    work = class_work(["lab-pc-01", "course-server"], HOSTVARS, "accuracy")
    assert work["runs_columns"] == ["student", "host", "experiment", "run_id", "run_name", "status", "start_time",
                                    "end_time", "param.C", "param.solver", "metric.accuracy", "metric.loss"]
    assert [r["run_id"] for r in work["runs"]] == ["a1", "a2", "a3", "c1", "c2"]
    a2 = rows_by(work["runs"], "run_id")[("a2",)]
    assert (a2["student"], a2["param.solver"], a2["metric.accuracy"], a2["metric.loss"]) == ("lab-pc-01", "lbfgs, saga", 0.9, "")
    assert rows_by(work["runs"], "run_id")[("c1",)]["student"] == "alice"


def test_the_summary_counts_and_takes_the_earliest_best_run():
    work = class_work(["lab-pc-01", "course-server"], HOSTVARS, "accuracy")
    summary = rows_by(work["summary"], "student")
    pc = summary[("lab-pc-01",)]
    assert (pc["runs"], pc["finished"], pc["failed"], pc["best"], pc["best_run_id"]) == (3, 2, 1, 0.9, "a2")
    assert pc["last_activity"] == "2026-12-01T08:10:30Z" and pc["problem"] == ""
    assert (summary[("alice",)]["runs"], summary[("alice",)]["best"]) == (2, 0.7)
    # A student of the course server without runs: a row with 0.
    assert (summary[("bob",)]["runs"], summary[("bob",)]["best"], summary[("bob",)]["host"]) == (0, None, "course-server")
    assert work["metric_seen"] is True


def test_min_goal():
    work = class_work(["lab-pc-01"], HOSTVARS, "accuracy", "min")
    assert rows_by(work["summary"], "student")[("lab-pc-01",)]["best_run_id"] == "a1"


def test_a_metric_no_run_has_leaves_best_empty():
    work = class_work(["lab-pc-01"], HOSTVARS, "f1")
    assert work["metric_seen"] is False
    assert work["summary"][0]["best"] is None and work["summary"][0]["best_run_id"] == ""


def test_hosts_not_read_get_a_row_with_the_reason_and_a_server_without_runs_a_row_with_0():
    work = class_work(["lab-pc-02", "lab-pc-03", "lab-pc-04", "lab-pc-05"], HOSTVARS, "accuracy",
                      seats={"lab-pc-03": "Somchai"})
    summary = rows_by(work["summary"], "host")
    assert summary[("lab-pc-02",)]["runs"] == 0 and summary[("lab-pc-02",)]["problem"] == ""
    assert summary[("lab-pc-03",)]["student"] == "Somchai"
    assert summary[("lab-pc-03",)]["problem"] == "unreachable: Failed to connect to the host"
    assert "connection refused" in summary[("lab-pc-04",)]["problem"]
    assert summary[("lab-pc-05",)]["problem"].startswith("not read")
    assert [p["host"] for p in work["problems"]] == ["lab-pc-03", "lab-pc-04", "lab-pc-05"]


def test_the_seat_map_names_the_student():
    work = class_work(["lab-pc-01"], HOSTVARS, seats={"lab-pc-01": "Napat K."})
    assert {r["student"] for r in work["runs"]} == {"Napat K."}


def test_a_goal_other_than_max_or_min_is_refused():
    with pytest.raises(AnsibleFilterError, match="goal must be max or min"):
        class_work(["lab-pc-01"], HOSTVARS, "accuracy", "best")


def test_csv_quotes_what_needs_it_and_reads_back():
    work = class_work(["lab-pc-01"], HOSTVARS, "accuracy")
    text = class_work_csv(work["runs"], work["runs_columns"])
    back = list(csv.DictReader(io.StringIO(text)))
    assert [r["run_id"] for r in back] == ["a1", "a2", "a3"]
    assert back[1]["param.solver"] == "lbfgs, saga" and back[1]["metric.accuracy"] == "0.9"
    assert back[2]["end_time"] == "2026-12-01T08:10:30Z" and back[0]["metric.loss"] == "0.5"
    assert text.splitlines()[0].startswith("student,host,experiment,run_id")


def test_csv_of_no_rows_is_the_header():
    assert class_work_csv([], ["a", "b"]) == "a,b\n"
    with pytest.raises(AnsibleFilterError):
        class_work_csv([], [])


@pytest.mark.parametrize("text, problem", [
    ("pc,name\nlab-pc-01,A\n", "has no column host and student"),
    ("host\nlab-pc-01\n", "has no column student"),
    ("host,student\nlab-pc-01,A\nlab-pc-01,B\n", "names the PC lab-pc-01 twice (lines 2 and 3)"),
    ("host,student\nlab-pc-01,\n", "line 2 has no student"),
    ("", "has no column host and student"),
])
def test_seat_map_problems(text, problem):
    (said,) = seat_map_problems(text)
    assert said.startswith(problem), said
    with pytest.raises(AnsibleFilterError, match="seat map"):
        seat_map(text)


def test_seat_map_reads_a_spreadsheet_export():
    text = "\ufeffhost, student ,seat\r\nlab-pc-01, Napat K. ,1\r\n\r\nlab-pc-02,สมชาย ใจดี,2\r\n"
    assert seat_map_problems(text) == []
    assert seat_map(text) == {"lab-pc-01": "Napat K.", "lab-pc-02": "สมชาย ใจดี"}


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"class_work", "class_work_csv", "seat_map", "seat_map_problems"}


def test_artifacts_to_copy_get_their_file_on_the_host_and_the_others_a_reason():
    looked = [{"path": "model/MLmodel", "state": "found", "size": 512},
              {"path": "model/model.pkl", "state": "too_large", "size": 4194304},
              {"path": "notes.txt", "state": "missing", "size": None},
              {"path": "plots", "state": "directory", "size": None}]
    pc_run = dict(run("a1", "2026-12-01T08:00:00Z"), artifact_uri="mlflow-artifacts:/1/a1/artifacts", artifacts=looked)
    local_run = dict(run("a2", "2026-12-01T08:01:00Z"), artifact_uri="file:///srv/runs/2/a2/artifacts",
                     artifacts=looked[:1])
    s3_run = dict(run("a3", "2026-12-01T08:02:00Z"), artifact_uri="s3://bucket/2/a3/artifacts", artifacts=looked[:1])
    hostvars = {"lab-pc-01": {"mlflow_server_collected": {
        "host": "lab-pc-01", "course": False, "runs": [pc_run, local_run, s3_run], "error": "",
        "artifact_root": "/opt/mlflowserver-lab/mlartifacts/"}}}
    work = class_work(["lab-pc-01"], hostvars, seats={"lab-pc-01": "somchai"})
    assert work["artifacts"] == [
        {"student": "somchai", "host": "lab-pc-01", "run_id": "a1", "path": "model/MLmodel", "size": 512,
         "file": "/opt/mlflowserver-lab/mlartifacts/1/a1/artifacts/model/MLmodel"},
        {"student": "somchai", "host": "lab-pc-01", "run_id": "a2", "path": "model/MLmodel", "size": 512,
         "file": "/srv/runs/2/a2/artifacts/model/MLmodel"},
    ]
    reasons = {(item["run_id"], item["path"]): item["reason"] for item in work["artifacts_skipped"]}
    assert reasons == {
        ("a1", "model/model.pkl"): "4194304 bytes, more than mlflow_collect_artifact_max_bytes",
        ("a1", "notes.txt"): "the run has no such file",
        ("a1", "plots"): "a folder, not a file",
        ("a3", "model/MLmodel"): "kept outside the server's host (s3://bucket/2/a3/artifacts)",
    }


def test_without_artifacts_asked_there_is_nothing_to_copy():
    work = class_work(["lab-pc-01", "course-server"], HOSTVARS, "accuracy")
    assert work["artifacts"] == [] and work["artifacts_skipped"] == []
