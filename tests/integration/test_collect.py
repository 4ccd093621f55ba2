"""playbooks/collect.yml over a room of local hosts and one real MLflow basic-auth server.

The room: a course server (lab-pc-07, group mlflow_course_server: each student's experiment read
as the admin), a lab PC whose own server is the same one (localhost, every experiment, its
student from the seat map), a PC whose server refuses the connection and one that cannot be
reached. What the students logged must come back exactly in runs.csv and summary.csv; the hosts
that could not be read get a row with the reason and fail the run; nothing changes. Bad settings
are refused before any server is read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_server import basic_auth_server, rest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
ADMIN = ("admin", "admin-password-for-collect")
STUDENTS = {"alice": "alice-password-0001", "bob": "bob-password-00002", "carol": "carol-password-0003"}
READ_TASK = "Read the runs of the server"
MLMODEL = b"flavors:\n  sklearn: {pickled_model: model.pkl}\n# \xe0\xb8\x81\xff not UTF-8 after the Thai letter\n"


def log_runs(url):
    """alice: 2 runs (one failed), bob: 1, carol: none; in carol's... nothing. Returns what was logged."""
    logged = []
    for student, runs in (("alice", [(0.81, "FINISHED"), (0.93, "FAILED")]), ("bob", [(0.77, "FINISHED")])):
        auth = (student, STUDENTS[student])
        _status, found = rest(url, "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=%s" % student, auth=auth)
        experiment_id = found["experiment"]["experiment_id"]
        for number, (accuracy, status) in enumerate(runs):
            code, created = rest(url, "POST", "/api/2.0/mlflow/runs/create", auth=auth, body={
                "experiment_id": experiment_id, "run_name": "%s-%d" % (student, number),
                "start_time": 1796515200000 + 60000 * len(logged)})
            assert code == 200, created
            run_id = created["run"]["info"]["run_id"]
            params = {"C": str(number + 1), "solver": "lbfgs, saga"}
            code, answer = rest(url, "POST", "/api/2.0/mlflow/runs/log-batch", auth=auth, body={
                "run_id": run_id, "params": [{"key": k, "value": v} for k, v in params.items()],
                "metrics": [{"key": "accuracy", "value": accuracy, "timestamp": 1796515200000, "step": 0}]})
            assert code == 200, answer
            code, answer = rest(url, "POST", "/api/2.0/mlflow/runs/update", auth=auth, body={
                "run_id": run_id, "status": status, "end_time": 1796515200000 + 60000 * len(logged) + 30000})
            assert code == 200, answer
            logged.append({"student": student, "run_id": run_id, "status": status, "params": params, "accuracy": accuracy})
    return logged


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("collect-server")
    with basic_auth_server(base, ADMIN) as running:
        url = running["url"]
        for student, password in STUDENTS.items():
            assert rest(url, "POST", "/api/2.0/mlflow/users/create", auth=ADMIN,
                        body={"username": student, "password": password})[0] == 200
            code, made = rest(url, "POST", "/api/2.0/mlflow/experiments/create", auth=ADMIN, body={"name": student})
            assert code == 200, made
            assert rest(url, "POST", "/api/3.0/mlflow/users/permissions/grant", auth=ADMIN, body={
                "username": student, "resource_type": "experiment", "resource_id": made["experiment_id"],
                "permission": "MANAGE"})[0] == 200, "grant"
        running["logged"] = log_runs(url)
        running["base"] = base
        # alice's first run gets a model file and a larger one, kept where the server keeps them
        # (as if her client had logged them: the server lists them through its REST API).
        first = running["logged"][0]
        _code, got = rest(url, "GET", "/api/2.0/mlflow/runs/get?run_id=%s" % first["run_id"], auth=ADMIN)
        folder = base / "mlartifacts" / got["run"]["info"]["artifact_uri"][len("mlflow-artifacts:/"):] / "model"
        folder.mkdir(parents=True)
        (folder / "MLmodel").write_bytes(MLMODEL)
        (folder / "model.pkl").write_bytes(b"\x80\x04" * 1024)
        yield running


def play(workdir, server, *extra):
    inventory = workdir / "inventory.json"
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
              "mlflow_server_port": server["port"], "mlflow_server_auth": "basic",
              "mlflow_server_admin_password": ADMIN[1], "mlflow_server_tls": "none",
              "mlflow_server_tls_insecure_ok": True, "mlflow_server_status_timeout": 30,
              "mlflow_server_base_dir": str(server["base"])}
    inventory.write_text(json.dumps({
        "mlflow_course_server": {"hosts": {"lab-pc-07": {}}, "vars": common},
        "lab_room": {"hosts": {
            "localhost": common,
            "pc-refused": dict(common, mlflow_server_port=1, mlflow_server_auth="none"),
            "pc-gone": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
                        "ansible_ssh_common_args": "-o ConnectTimeout=5"},
        }},
    }))
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "playbooks/collect.yml", *extra],
        cwd=ROOT, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", PWD=str(ROOT)),
        capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="module")
def collected(server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("collect")
    seats = workdir / "seats.csv"
    seats.write_text("host,student\nlocalhost,Napat K.\n")
    out = workdir / "class-work"
    run = play(workdir, server, "-e", "mlflow_collect_dir=%s" % out, "-e", "mlflow_collect_metric=accuracy",
               "-e", "mlflow_collect_seat_map=%s" % seats)
    assert (out / "summary.csv").exists() and (out / "runs.csv").exists(), run.stdout[-6000:] + run.stderr[-3000:]
    read = {name: list(csv.DictReader(io.StringIO((out / name).read_text()))) for name in ("runs.csv", "summary.csv")}
    return run, out, read


def test_the_runs_come_back_exactly_as_logged(server, collected):
    _run, _out, read = collected
    course = [row for row in read["runs.csv"] if row["host"] == "lab-pc-07"]
    assert sorted(row["run_id"] for row in course) == sorted(item["run_id"] for item in server["logged"])
    by_id = {row["run_id"]: row for row in course}
    for item in server["logged"]:
        row = by_id[item["run_id"]]
        assert (row["student"], row["experiment"], row["status"]) == (item["student"], item["student"], item["status"])
        assert (row["param.C"], row["param.solver"]) == (item["params"]["C"], item["params"]["solver"])
        assert float(row["metric.accuracy"]) == item["accuracy"]
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", row["start_time"]) and row["end_time"]
    # The lab PC's own server: every experiment, its student from the seat map.
    pc = [row for row in read["runs.csv"] if row["host"] == "localhost"]
    assert sorted(row["run_id"] for row in pc) == sorted(item["run_id"] for item in server["logged"])
    assert {row["student"] for row in pc} == {"Napat K."}


def test_the_summary_has_a_row_per_student_and_per_server_not_read(collected):
    _run, _out, read = collected
    rows = {(row["host"], row["student"]): row for row in read["summary.csv"]}
    alice, bob, carol = rows[("lab-pc-07", "alice")], rows[("lab-pc-07", "bob")], rows[("lab-pc-07", "carol")]
    assert (alice["runs"], alice["finished"], alice["failed"], alice["best"]) == ("2", "1", "1", "0.93")
    assert (bob["runs"], bob["best"]) == ("1", "0.77")
    assert (carol["runs"], carol["best"], carol["problem"]) == ("0", "", "")
    assert rows[("localhost", "Napat K.")]["runs"] == "3"
    assert "connection refused" in rows[("pc-refused", "pc-refused")]["problem"]
    assert rows[("pc-gone", "pc-gone")]["problem"].startswith("unreachable")


def test_the_run_fails_naming_the_hosts_not_read_and_changes_nothing(collected):
    run, _out, _read = collected
    assert run.returncode != 0
    recap = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", run.stdout, re.MULTILINE))
    assert set(recap) == {"lab-pc-07", "localhost", "pc-refused", "pc-gone"} and set(recap.values()) == {"0"}, run.stdout[-3000:]
    assert "Not read: pc-refused, pc-gone" in run.stdout or "Not read: pc-gone, pc-refused" in run.stdout
    # No password in the output.
    assert not any(password in run.stdout + run.stderr for password in [ADMIN[1], *STUDENTS.values()])


def test_the_files_are_for_the_instructor_only_and_the_page_has_the_chart(collected):
    _run, out, _read = collected
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("runs.csv", "summary.csv", "index.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    page = (out / "index.html").read_text()
    assert page.count("<rect") == 3  # alice, bob, Napat K.: the students with an accuracy
    # Nothing fetched from anywhere: it opens offline.
    assert not re.search(r"<script|<link|<img|src=|url\(|@import", page), page


def test_a_metric_no_run_has_leaves_best_empty_and_says_so(server, tmp_path):
    # A relative folder, as an instructor types it: below the directory they run from.
    out = ROOT / "reports" / ("test-collect-%s" % tmp_path.name)
    run = play(tmp_path, server, "-e", "mlflow_collect_dir=reports/%s" % out.name, "-e", "mlflow_collect_metric=f1",
               "--limit", "lab-pc-07")
    assert (out / "summary.csv").exists() and not (ROOT / "playbooks" / "reports").exists(), run.stdout[-3000:]
    assert run.returncode == 0, run.stdout[-3000:]
    assert "no run has the metric f1 (mlflow_collect_metric)" in run.stdout and "Metrics seen: accuracy" in run.stdout
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    shutil.rmtree(out)
    assert [row["best"] for row in rows] == ["", "", ""], rows


def test_the_artifacts_asked_for_are_copied_byte_for_byte_up_to_the_cap(server, tmp_path):
    out = tmp_path / "work"
    run = play(tmp_path, server, "-e", "mlflow_collect_dir=%s" % out, "--limit", "lab-pc-07",
               "-e", "mlflow_collect_artifacts=model/MLmodel,model/model.pkl", "-e", "mlflow_collect_artifact_max_bytes=1024")
    assert run.returncode == 0, run.stdout[-3000:]
    first = server["logged"][0]
    copied = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert copied == ["artifacts/alice/%s/model/MLmodel" % first["run_id"], "index.html", "runs.csv", "summary.csv"]
    kept = out / "artifacts" / "alice" / first["run_id"] / "model" / "MLmodel"
    assert kept.read_bytes() == MLMODEL
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert {stat.S_IMODE(path.stat().st_mode) for path in (out / "artifacts").rglob("*") if path.is_dir()} == {0o700}
    said = " ".join(run.stdout.split())  # as one line: the output wraps long messages
    assert "alice, run %s on lab-pc-07: model/model.pkl not copied, 2048 bytes, more than mlflow_collect_artifact_max_bytes" % (
        first["run_id"]) in said, run.stdout[-3000:]
    assert "model/MLmodel not copied, the run has no such file" in said  # the other runs
    assert "3 runs of 3 students" in said and "1 artifacts in artifacts/" in said, run.stdout[-3000:]
    assert re.search(r"lab-pc-07\s+:\s+ok=\d+\s+changed=0", run.stdout), run.stdout[-3000:]


@pytest.mark.parametrize("extra, said", [
    (["-e", "mlflow_collect_goal=best"], "mlflow_collect_goal must be max or min"),
    (["-e", "mlflow_collect_artifacts=../../etc/shadow"], "mlflow_collect_artifacts must be a list of file paths"),
    (["-e", "mlflow_collect_artifact_max_bytes=lots"], "mlflow_collect_artifact_max_bytes a number of bytes"),
    (["-e", "mlflow_collect_seat_map=/nonexistent/seats.csv"], "mlflow_collect_seat_map /nonexistent/seats.csv cannot be read"),
    (["-e", "mlflow_collect_seat_map={workdir}/dup.csv"], "names the PC localhost twice"),
    (["-e", "mlflow_collect_seat_map={workdir}/cols.csv"], "has no column host"),
    (["-e", "mlflow_collect_dir={workdir}/a-file/work"], "mlflow_collect_dir {workdir}/a-file/work cannot be written"),
])
def test_bad_settings_are_refused_before_any_server_is_read(server, tmp_path, extra, said):
    (tmp_path / "dup.csv").write_text("host,student\nlocalhost,A\nlocalhost,B\n")
    (tmp_path / "cols.csv").write_text("pc,name\nlocalhost,A\n")
    (tmp_path / "a-file").write_text("not a folder\n")
    extra = [part.format(workdir=tmp_path) for part in extra]
    if not any(part.startswith("mlflow_collect_dir=") for part in extra):
        extra += ["-e", "mlflow_collect_dir=%s" % (tmp_path / "out")]
    run = play(tmp_path, server, *extra, "--limit", "lab-pc-07,localhost")
    assert run.returncode != 0
    assert said.format(workdir=tmp_path) in run.stdout, run.stdout[-3000:]
    assert READ_TASK not in run.stdout, run.stdout[-3000:]
