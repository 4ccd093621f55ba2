"""Unit tests of labroom.mlflow.mlflow_runs, against an in-memory MLflow tracking server that
answers fetch_url (of the collection's MLflow client, plugins/module_utils/mlflow_http.py; no
network): its experiments and runs searches page with offset tokens as MLflow 3.17.2's do."""

from __future__ import annotations

import base64
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.labroom.mlflow.plugins.module_utils import mlflow_http
from ansible_collections.labroom.mlflow.plugins.modules import mlflow_runs as module
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

BASE = "https://mlflow.cs.example.ac.th"
ADMIN = ("admin", "admin-password-123")
T0 = 1796083200000  # 2026-12-01T00:00:00Z


def _answer(status, body):
    text = body if isinstance(body, str) else json.dumps(body)
    if status == 200:
        return io.BytesIO(text.encode()), {"status": 200, "msg": "OK"}
    # Like fetch_url: an HTTPError comes back already read, its body in info["body"].
    return io.BytesIO(b""), {"status": status, "msg": "HTTP Error %d" % status, "body": text.encode()}


def _token(offset):
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _page(items, body, key):
    """One page of `items` as MLflow answers a search: max_results of them from the token's offset."""
    offset = json.loads(base64.b64decode(body["page_token"]))["offset"] if body.get("page_token") else 0
    size = body["max_results"]
    page = {key: items[offset:offset + size]} if items[offset:offset + size] else {}
    if offset + size < len(items):
        page["next_page_token"] = _token(offset + size)
    return page


class FakeMlflow:
    """Experiments and runs, the admin account, and the read-only routes the module uses."""

    def __init__(self):
        self.experiments = [{"experiment_id": "0", "name": "Default", "lifecycle_stage": "active"}]
        self.runs = []
        self.requests = []  # (method, path, query or JSON body)
        self.accounts = {ADMIN[0]: (ADMIN[1], True), "ta": ("ta-password-1234", False)}
        self.refuse_connections = False
        self.fail = {}  # path -> (status, body) answered instead
        self.repeat_last_run = False  # each runs page after the first starts with the last run of the one before
        self.artifacts = {}  # run id -> {path: size in bytes, or None for a folder}

    def add_experiment(self, name, lifecycle_stage="active"):
        experiment_id = str(len(self.experiments))
        self.experiments.append({"experiment_id": experiment_id, "name": name, "lifecycle_stage": lifecycle_stage})
        return experiment_id

    def add_run(self, experiment_id, start, params=None, metrics=None, end=None, user="alice"):
        run_id = "r%04d" % len(self.runs)
        info = {"run_id": run_id, "run_uuid": run_id, "run_name": "run-%d" % len(self.runs), "experiment_id": experiment_id,
                "user_id": user, "lifecycle_stage": "active", "artifact_uri": "mlflow-artifacts:/%s" % run_id,
                "status": "RUNNING" if end is None else "FINISHED", "start_time": start}
        if end is not None:
            info["end_time"] = end
        data = {"params": [{"key": key, "value": value} for key, value in (params or {}).items()],
                "metrics": [{"key": key, "value": value, "timestamp": start, "step": 0}
                            for key, value in (metrics or {}).items()],
                "tags": [{"key": "mlflow.user", "value": user}, {"key": "mlflow.source.name", "value": "train.py"},
                         {"key": "mlflow.source.type", "value": "LOCAL"}]}
        self.runs.append({"info": info, "data": data})
        return info["run_id"]

    def sent(self, path):
        return [args for _method, sent_path, args in self.requests if sent_path == path]

    def __call__(self, module_, url, data=None, headers=None, method="GET", timeout=10, **kwargs):
        parts = urlsplit(url)
        if self.refuse_connections:
            return None, {"status": -1, "msg": "Request failed: <urlopen error [Errno 111] Connection refused>"}
        args = {key: value[0] for key, value in parse_qs(parts.query).items()} if method == "GET" else json.loads(data or "{}")
        self.requests.append((method, parts.path, args))
        token = (headers or {}).get("Authorization", "Basic ").split(" ", 1)[1]
        username, _colon, password = base64.b64decode(token).decode().partition(":")
        if self.accounts.get(username, (None,))[0] != password:
            return _answer(401, "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/")
        if parts.path in self.fail:
            return _answer(*self.fail[parts.path])
        if parts.path == module.CURRENT_USER:
            return _answer(200, {"user": {"username": username, "is_admin": self.accounts[username][1]}})
        if parts.path == module.GET_EXPERIMENT_BY_NAME:
            for experiment in self.experiments:
                if experiment["name"] == args["experiment_name"]:
                    return _answer(200, {"experiment": experiment})
            return _answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST",
                                 "message": "Could not find experiment with name '%s'" % args["experiment_name"]})
        if parts.path == module.SEARCH_EXPERIMENTS:
            assert method == "POST" and args["view_type"] == "ACTIVE_ONLY" and args["order_by"] == ["experiment_id ASC"]
            active = [experiment for experiment in self.experiments if experiment["lifecycle_stage"] == "active"]
            return _answer(200, _page(active, args, "experiments"))
        if parts.path == module.SEARCH_RUNS:
            return _answer(200, self.search_runs(args))
        if parts.path == module.LIST_ARTIFACTS:
            # As MLflow's local artifact store lists one folder: its direct entries, files with a size.
            folder = args.get("path", "")
            entries = [{"path": path, "is_dir": size is None, **({} if size is None else {"file_size": size})}
                       for path, size in sorted(self.artifacts.get(args["run_id"], {}).items())
                       if path.rsplit("/", 1)[0] == folder or (not folder and "/" not in path)]
            return _answer(200, {"root_uri": "mlflow-artifacts:/%s" % args["run_id"], "files": entries} if entries
                           else {"root_uri": "mlflow-artifacts:/%s" % args["run_id"]})
        return _answer(404, "<h1>Not Found</h1>")

    def search_runs(self, args):
        assert args["run_view_type"] == "ACTIVE_ONLY" and args["order_by"] == ["attributes.start_time ASC"]
        assert 1 <= len(args["experiment_ids"]) <= module.EXPERIMENT_IDS_PER_SEARCH
        since = int(re.fullmatch(r"attributes\.start_time >= (\d+)", args["filter"]).group(1)) if "filter" in args else 0
        infos = sorted(
            (run["info"] for run in self.runs if run["info"]["experiment_id"] in args["experiment_ids"]),
            key=lambda info: (info["start_time"], info["run_id"]),
        )
        runs = [self.runs[int(info["run_id"][1:])] for info in infos if info["start_time"] >= since]
        page = _page(runs, args, "runs")
        if self.repeat_last_run and args.get("page_token"):
            offset = json.loads(base64.b64decode(args["page_token"]))["offset"]
            page["runs"] = [runs[offset - 1]] + page["runs"]
        return page


@pytest.fixture
def server(monkeypatch):
    fake = FakeMlflow()
    monkeypatch.setattr(mlflow_http, "fetch_url", fake)
    return fake


@pytest.fixture
def warnings(monkeypatch):
    """The module's warnings, caught at AnsibleModule.warn: once a test in this process has
    imported controller code, ansible-core 2.19 sends them to the controller's display."""
    caught = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, warning, **kwargs: caught.append(warning))
    return caught


@pytest.fixture
def run(server):
    """Run the module as Ansible does; returns its AnsibleExitJson or AnsibleFailJson."""

    def call(check_mode=False, **args):
        args.setdefault("url", BASE)
        args.setdefault("url_username", ADMIN[0])
        args.setdefault("url_password", ADMIN[1])
        return run_module(module, args, check_mode)

    return call


@pytest.fixture
def classroom(server):
    """Seven students' experiments, 5 runs each, started one second apart across them."""
    ids = [server.add_experiment(name) for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace")]
    for index in range(35):
        server.add_run(ids[index % 7], T0 + 1000 * index, params={"alpha": str(index)}, metrics={"rmse": index / 10.0})
    return ids


def test_every_page_is_followed_and_every_run_returned_once(server, run, classroom):
    outcome = run(page_size=3)
    assert outcome.kind == "exit", outcome.result["msg"]
    result = outcome.result
    assert result["changed"] is False
    assert [run_["run_id"] for run_ in result["runs"]] == ["r%04d" % index for index in range(35)]
    assert result["run_count"] == 35 and result["duplicates_dropped"] == 0
    # 8 experiments: pages of 3, 3 and 2; 35 runs: 11 pages of 3 and one of 2.
    experiment_searches = server.sent(module.SEARCH_EXPERIMENTS)
    assert [body.get("page_token") for body in experiment_searches] == [None, _token(3), _token(6)]
    run_searches = server.sent(module.SEARCH_RUNS)
    assert [body.get("page_token") for body in run_searches] == [None] + [_token(offset) for offset in range(3, 35, 3)]
    assert all(body["max_results"] == 3 for body in experiment_searches + run_searches)
    assert run_searches[0]["experiment_ids"] == ["0"] + classroom
    assert result["requests"] == len(server.requests) == 1 + 3 + 12  # users/current, then the searches
    assert result["experiments"][0] == {"experiment_id": "0", "name": "Default", "run_count": 0}
    assert result["experiments"][1] == {"experiment_id": classroom[0], "name": "alice", "run_count": 5}


def test_a_run_is_returned_with_its_fields(server, run, classroom):
    server.add_run(classroom[1], T0 + 10**6, params={"model": "ridge"}, metrics={"r2": 0.42, "rmse": 0.7},
                   end=T0 + 10**6 + 61004, user="bob")
    result = run().result
    assert result["runs"][0] == {
        "experiment": "alice", "experiment_id": classroom[0], "run_id": "r0000", "run_name": "run-0", "status": "RUNNING",
        "start_time": "2026-12-01T00:00:00.000Z", "end_time": None, "params": {"alpha": "0"}, "metrics": {"rmse": 0.0},
        "user": "alice", "source": "train.py", "source_type": "LOCAL", "artifact_uri": "mlflow-artifacts:/r0000",
    }
    last = result["runs"][-1]
    assert (last["experiment"], last["status"], last["user"]) == ("bob", "FINISHED", "bob")
    assert (last["start_time"], last["end_time"]) == ("2026-12-01T00:16:40.000Z", "2026-12-01T00:17:41.004Z")
    assert last["params"] == {"model": "ridge"} and last["metrics"] == {"r2": 0.42, "rmse": 0.7}


@pytest.mark.parametrize("since, milliseconds", [
    ("2026-12-01T00:00:20Z", T0 + 20000),
    ("2026-12-01T07:00:20+07:00", T0 + 20000),
    ("2026-12-01T00:00:20", T0 + 20000),
    ("2026-12-01T00:00:20.000Z", T0 + 20000),
    (str(T0 + 20000), T0 + 20000),
    ("2026-12-01", T0),
])
def test_since_is_sent_as_a_start_time_filter(server, run, classroom, since, milliseconds):
    result = run(since=since, page_size=4).result
    assert {body["filter"] for body in server.sent(module.SEARCH_RUNS)} == {"attributes.start_time >= %d" % milliseconds}
    assert [entry["run_id"] for entry in result["runs"]] == ["r%04d" % index for index in range((milliseconds - T0) // 1000, 35)]
    assert result["since"] == module.iso_time(milliseconds)


def test_without_since_no_filter_is_sent(server, run, classroom):
    assert run().result["since"] is None
    assert all("filter" not in body for body in server.sent(module.SEARCH_RUNS))


def test_experiment_names_are_looked_up_and_a_missing_one_is_listed(server, run, classroom):
    server.add_experiment("heidi", lifecycle_stage="deleted")
    result = run(experiment_names=["carol", "ivan", "alice", "heidi", "carol"], page_size=2).result
    assert result["missing_experiments"] == ["ivan", "heidi"]
    assert [experiment["name"] for experiment in result["experiments"]] == ["carol", "alice"]
    assert all(experiment["run_count"] == 5 for experiment in result["experiments"])
    assert {entry["experiment"] for entry in result["runs"]} == {"alice", "carol"} and result["run_count"] == 10
    assert server.sent(module.SEARCH_EXPERIMENTS) == []
    assert {tuple(body["experiment_ids"]) for body in server.sent(module.SEARCH_RUNS)} == {(classroom[2], classroom[0])}


def test_many_experiments_are_searched_in_batches_in_one_order(server, run, monkeypatch):
    monkeypatch.setattr(module, "EXPERIMENT_IDS_PER_SEARCH", 3)
    ids = [server.add_experiment("student-%02d" % index) for index in range(10)]
    for index in range(40):
        server.add_run(ids[-1 - index % 10], T0 + 1000 * index)
    result = run(page_size=2).result
    batches = [body["experiment_ids"] for body in server.sent(module.SEARCH_RUNS) if not body.get("page_token")]
    assert batches == [["0"] + ids[:2], ids[2:5], ids[5:8], ids[8:]]
    assert [entry["run_id"] for entry in result["runs"]] == ["r%04d" % index for index in range(40)]


def test_a_run_sent_twice_across_pages_is_returned_once_and_counted(server, run, classroom):
    server.repeat_last_run = True
    result = run(page_size=5).result
    assert [entry["run_id"] for entry in result["runs"]] == ["r%04d" % index for index in range(35)]
    assert result["duplicates_dropped"] == 6  # pages 2 to 7 each start with the run before them
    assert sum(experiment["run_count"] for experiment in result["experiments"]) == 35


def test_a_page_token_given_twice_fails_instead_of_looping(server, run, classroom):
    server.fail[module.SEARCH_EXPERIMENTS] = (200, {"experiments": [], "next_page_token": "same"})
    outcome = run()
    assert outcome.kind == "fail"
    assert "page token 'same' twice" in outcome.result["msg"]
    assert outcome.result["requests"] == 3


def test_a_refused_password_fails_naming_the_account_never_the_password(server, run):
    outcome = run(url_password="not-the-password-99")
    assert outcome.kind == "fail"
    assert outcome.result["msg"] == (
        "GET %s%s: HTTP 401, the server refused the account 'admin' (url_username): url_password is not its password"
        % (BASE, module.CURRENT_USER)
    )
    assert outcome.result["status"] == 401
    assert "not-the-password-99" not in outcome.output


def test_an_account_refused_a_read_fails_naming_url_username(server, run):
    server.fail[module.SEARCH_RUNS] = (403, {"error_code": "PERMISSION_DENIED", "message": "Permission denied"})
    outcome = run()
    assert outcome.kind == "fail"
    assert outcome.result["msg"].startswith("POST %s%s: HTTP 403, the account 'admin' (url_username) may not read" % (
        BASE, module.SEARCH_RUNS))
    assert outcome.result["status"] == 403


def test_no_credentials_on_a_server_that_wants_them(server, run):
    outcome = run(url_username=None, url_password=None)
    assert outcome.kind == "fail"
    assert "set url_username and url_password" in outcome.result["msg"]
    assert server.sent(module.CURRENT_USER) == []  # no account to check


def test_an_account_that_is_no_admin_gets_a_warning(server, run, classroom, warnings):
    result = run(url_username="ta", url_password="ta-password-1234").result
    assert warnings == ["the account 'ta' (url_username) is not an admin of the server: MLflow leaves out the "
                        "experiments it cannot read, so runs may be missing"]
    assert result["run_count"] == 35


def test_a_server_without_accounts_is_read_without_a_warning(server, run, classroom, warnings):
    server.fail[module.CURRENT_USER] = (404, "<h1>Not Found</h1>")
    assert run().result["run_count"] == 35
    assert warnings == []


def test_a_server_error_names_the_url_and_status_without_the_sql(server, run, classroom):
    server.fail[module.SEARCH_RUNS] = (500, {"error_code": "INTERNAL_ERROR", "message": (
        "(sqlite3.OperationalError) database is locked Error: (x)\n[SQL: SELECT runs.run_uuid]\n[parameters: (1, 2)]")})
    outcome = run()
    assert outcome.kind == "fail"
    assert outcome.result["msg"] == "POST %s%s: HTTP 500 (sqlite3.OperationalError) database is locked" % (
        BASE, module.SEARCH_RUNS)
    assert outcome.result["status"] == 500


def test_connection_refused_names_the_url(server, run):
    server.refuse_connections = True
    outcome = run()
    assert outcome.kind == "fail"
    assert outcome.result["msg"].startswith("GET %s%s: connection refused" % (BASE, module.CURRENT_USER))
    assert outcome.result["status"] == -1
    assert outcome.result["url"] == BASE


@pytest.mark.parametrize("args, message", [
    ({"since": "yesterday"}, "since 'yesterday' is neither an ISO 8601 date or time"),
    ({"since": "2026-13-01"}, "since '2026-13-01' is neither"),
    ({"since": ""}, "since '' is neither"),
    ({"since": "9" * 30}, "is neither an ISO 8601"),
    ({"page_size": 0}, "page_size must be from 1 to 1000 (is 0)"),
    ({"page_size": 1001}, "page_size must be from 1 to 1000 (is 1001)"),
    ({"url": "mlflow.cs.example.ac.th"}, "not an http:// or https:// URL"),
    ({"artifacts": ["../etc/passwd"]}, "artifacts: '../etc/passwd' is not a file's path relative to the run's artifact root"),
    ({"artifacts": ["/etc/passwd"]}, "artifacts: '/etc/passwd' is not a file's path"),
    ({"artifacts": ["model/"]}, "artifacts: 'model/' is not a file's path"),
    ({"artifacts": ["model/MLmodel"], "artifact_max_bytes": -1}, "artifact_max_bytes must be 0 or more (is -1)"),
])
def test_bad_arguments_are_refused_before_any_request(server, run, args, message):
    outcome = run(**args)
    assert outcome.kind == "fail"
    assert message in outcome.result["msg"]
    assert server.requests == []


def test_check_mode_reads_the_same_and_changes_nothing(server, run, classroom):
    outcome = run(check_mode=True, page_size=10)
    assert outcome.kind == "exit"
    assert outcome.result["changed"] is False
    assert outcome.result["run_count"] == 35
    assert {method for method, path, _args in server.requests if path != module.CURRENT_USER} == {"POST"}
    paths = {path for _method, path, _args in server.requests}
    assert paths == {module.CURRENT_USER, module.SEARCH_EXPERIMENTS, module.SEARCH_RUNS}


def test_the_password_is_never_logged():
    assert module.ARGUMENT_SPEC["url_password"]["no_log"] is True


def test_artifacts_are_looked_for_in_each_run_with_one_listing_per_folder(server, run, classroom):
    server.artifacts["r0000"] = {"model": None, "model/MLmodel": 512, "model/model.pkl": 4 * 2**20, "notes.txt": 20}
    server.artifacts["r0001"] = {"notes.txt": 2**20}
    server.artifacts["r0002"] = {"model": None, "model/MLmodel": None}
    outcome = run(artifacts=["model/MLmodel", "model/model.pkl", "notes.txt", "model/MLmodel"])
    assert outcome.kind == "exit", outcome.result["msg"]
    runs = {run_["run_id"]: run_["artifacts"] for run_ in outcome.result["runs"]}
    assert runs["r0000"] == [{"path": "model/MLmodel", "state": "found", "size": 512},
                             {"path": "model/model.pkl", "state": "too_large", "size": 4 * 2**20},
                             {"path": "notes.txt", "state": "found", "size": 20}]
    # At the cap is still found; a folder where a file was asked for; a run without artifacts.
    assert runs["r0001"][2] == {"path": "notes.txt", "state": "found", "size": 2**20}
    assert runs["r0002"][0] == {"path": "model/MLmodel", "state": "directory", "size": None}
    assert {entry["state"] for entry in runs["r0003"]} == {"missing"}
    listings = server.sent(module.LIST_ARTIFACTS)
    assert len(listings) == 35 * 2  # each run: its model/ folder and its root, once each
    assert {"run_id": "r0000", "path": "model"} in listings and {"run_id": "r0000"} in listings
    assert outcome.result["requests"] == len(server.requests)


def test_the_size_cap_is_a_setting(server, run, classroom):
    server.artifacts["r0000"] = {"notes.txt": 20}
    runs = run(artifacts=["notes.txt"], artifact_max_bytes=10).result["runs"]
    assert runs[0]["artifacts"] == [{"path": "notes.txt", "state": "too_large", "size": 20}]


def test_without_artifacts_no_listing_is_asked(server, run, classroom):
    result = run().result
    assert server.sent(module.LIST_ARTIFACTS) == []
    assert "artifacts" not in result["runs"][0]
