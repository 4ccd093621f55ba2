"""Unit tests of labroom.mlflow.mlflow_accounts: the planning functions, and the module against an
in-memory MLflow basic-auth server that answers fetch_url (of the collection's MLflow client,
plugins/module_utils/mlflow_http.py; no network)."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ansible_collections.labroom.mlflow.plugins.module_utils import mlflow_http
from ansible_collections.labroom.mlflow.plugins.modules import mlflow_accounts as module
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

BASE = "http://127.0.0.1:8080"
ADMIN = ("admin", "admin-password-123")
STUDENTS = [
    {"username": "alice", "password": "alice-password-1"},
    {"username": "bob", "password": "bob-password-123"},
    {"username": "carol", "password": "carol-password-1"},
]


# The server: the answers of MLflow 3.17.2's basic-auth app, as checked against a real one ---------


def _answer(status, body):
    text = body if isinstance(body, str) else json.dumps(body)
    if status == 200:
        return io.BytesIO(text.encode()), {"status": 200, "msg": "OK"}
    # Like fetch_url: an HTTPError comes back already read, its body in info["body"].
    return io.BytesIO(b""), {"status": status, "msg": "HTTP Error %d" % status, "body": text.encode()}


def _error(status, code, message):
    return _answer(status, {"error_code": code, "message": message})


class FakeMlflow:
    """Users (with their own grants on experiments), experiments, and the REST routes the module uses."""

    def __init__(self):
        self.users = {}
        self.experiments = {"0": {"name": "Default", "lifecycle_stage": "active"}}
        self.next_user_id = 1
        self.add_user(*ADMIN, is_admin=True)
        self.allowed_hosts = {"127.0.0.1:8080", "lab-pc-07:8080"}
        self.requests = []  # (method, path, user)
        self.refuse_connections = False
        self.fail = {}  # path -> (status, body) answered instead

    def add_user(self, username, password, is_admin=False):
        self.users[username] = {"id": self.next_user_id, "password": password, "is_admin": is_admin, "grants": {}}
        self.next_user_id += 1

    def add_experiment(self, name, lifecycle_stage="active"):
        experiment_id = str(max(int(key) for key in self.experiments) + 1)
        self.experiments[experiment_id] = {"name": name, "lifecycle_stage": lifecycle_stage}
        return experiment_id

    def experiment_id(self, name):
        return next(key for key, experiment in self.experiments.items() if experiment["name"] == name)

    @property
    def changes(self):
        return [(method, path) for method, path, _user in self.requests if method != "GET"]

    def __call__(self, module_, url, data=None, headers=None, method="GET", timeout=10, **kwargs):
        assert kwargs.get("use_netrc") is False
        headers = headers or {}
        parts = urlsplit(url)
        if self.refuse_connections:
            return None, {"status": -1, "msg": "Request failed: <urlopen error [Errno 111] Connection refused>"}
        if headers.get("Host", parts.netloc) not in self.allowed_hosts:
            return _answer(403, "Invalid Host header - possible DNS rebinding attack detected")
        scheme, token = (headers.get("Authorization", "").split(" ", 1) + [""])[:2]
        username, password = (base64.b64decode(token).decode().split(":", 1) + [""])[:2] if scheme == "Basic" else ("", "")
        self.requests.append((method, parts.path, username))
        user = self.users.get(username)
        if user is None or user["password"] != password:
            return _answer(401, "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/")
        if parts.path in self.fail:
            return _answer(*self.fail[parts.path])
        args = parse_qs(parts.query) if method == "GET" else json.loads(data or "{}")
        args = {key: value[0] if isinstance(value, list) else value for key, value in args.items()}
        if parts.path == module.CURRENT_USER:
            return _answer(200, {"user": {"id": user["id"], "username": username, "is_admin": user["is_admin"]},
                                 "is_basic_auth": True})
        if parts.path != module.LIST_USERS and not user["is_admin"]:
            return _answer(403, "Permission denied")
        return self.route(method, parts.path, args)

    def route(self, method, path, args):
        name = args.get("username")
        if (method, path) == ("GET", module.LIST_USERS):
            return _answer(200, {"users": [
                {"id": user["id"], "username": username, "is_admin": user["is_admin"], "roles": [
                    {"id": user["id"], "name": "__user_%d__" % user["id"], "workspace": "default", "description": None,
                     "permissions": [{"permission": permission, "resource_pattern": experiment_id,
                                      "resource_type": "experiment", "role_id": user["id"]}
                                     for experiment_id, permission in user["grants"].items()]}
                ] if user["grants"] else []}
                for username, user in self.users.items()
            ]})
        if (method, path) == ("POST", module.CREATE_USER):
            if name in self.users:
                return _error(400, "RESOURCE_ALREADY_EXISTS",
                              "User (username=%s) already exists. Error: (sqlite3.IntegrityError)\n[SQL: INSERT INTO users]"
                              "\n[parameters: ('%s', 'scrypt:32768:8:1$secret-hash', 0)]" % (name, name))
            if len(args["password"]) < 12:
                return _error(400, "INVALID_PARAMETER_VALUE", "Password must be at least 12 characters.")
            self.add_user(name, args["password"])
            return _answer(200, {"user": {"id": self.users[name]["id"], "username": name, "is_admin": False}})
        if name is not None and name not in self.users:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "User with username=%s not found" % name)
        if (method, path) == ("PATCH", module.UPDATE_PASSWORD):
            self.users[name]["password"] = args["password"]
            return _answer(200, {})
        if (method, path) == ("DELETE", module.DELETE_USER):
            del self.users[name]
            return _answer(200, {})
        if (method, path) == ("GET", module.GET_EXPERIMENT_BY_NAME):
            for experiment_id, experiment in self.experiments.items():
                if experiment["name"] == args["experiment_name"]:
                    return _answer(200, {"experiment": dict(experiment, experiment_id=experiment_id)})
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '%s'" % args["experiment_name"])
        if (method, path) == ("POST", module.CREATE_EXPERIMENT):
            if any(experiment["name"] == args["name"] for experiment in self.experiments.values()):
                return _error(400, "RESOURCE_ALREADY_EXISTS", "Experiment(name=%s) already exists." % args["name"])
            return _answer(200, {"experiment_id": self.add_experiment(args["name"])})
        if (method, path) == ("POST", module.RESTORE_EXPERIMENT):
            self.experiments[args["experiment_id"]]["lifecycle_stage"] = "active"
            return _answer(200, {})
        if (method, path) == ("POST", module.GRANT):
            assert args["resource_type"] == "experiment"
            grants = self.users[name]["grants"]
            if args["resource_id"] in grants:
                return _error(400, "RESOURCE_ALREADY_EXISTS", "Permission for user=%s already exists." % name)
            grants[args["resource_id"]] = args["permission"]
            return _answer(200, {})
        if (method, path) == ("POST", module.REVOKE):
            if self.users[name]["grants"].pop(args["resource_id"], None) is None:
                return _error(404, "RESOURCE_DOES_NOT_EXIST", "Permission not found.")
            return _answer(200, {})
        return _answer(404, "<h1>Not Found</h1>")


@pytest.fixture
def server(monkeypatch):
    fake = FakeMlflow()
    monkeypatch.setattr(mlflow_http, "fetch_url", fake)
    return fake


@pytest.fixture
def run(server):
    """Run the module as Ansible does (its JSON output, with no_log values masked); returns
    (result, output text)."""

    def call(check_mode=False, **args):
        args.setdefault("url", BASE)
        args.setdefault("url_username", ADMIN[0])
        args.setdefault("url_password", ADMIN[1])
        outcome = run_module(module, args, check_mode)
        return outcome.result, outcome.output

    return call


def students(*names, **passwords):
    return [{"username": name, "password": passwords.get(name, name + "-password-1")} for name in names]


# The planning functions ------------------------------------------------------------------------


def accounts_of(**users):
    """parse_accounts() shape: name=(is_admin, {experiment_id: permission})."""
    return {
        name: {"id": index, "is_admin": is_admin,
               "grants": {("experiment", eid): {"__user_%d__" % index: perm} for eid, perm in grants.items()}}
        for index, (name, (is_admin, grants)) in enumerate(users.items(), start=1)
    }


def test_plan_for_a_fresh_server_creates_everything():
    accounts = accounts_of(admin=(True, {}))
    plan = module.plan_changes(accounts, ["alice", "bob"], "admin", False, {}, {"alice": None, "bob": None}, "MANAGE")
    assert plan == dict(create=["alice", "bob"], update_password=[], delete=[], create_experiment=["alice", "bob"],
                        restore_experiment=[], grant=["alice", "bob"], revoke=[], read_grant=[], read_revoke=[])
    assert module.has_changes(plan)
    assert module.users_after(accounts, plan) == ["alice", "bob"]


def test_plan_for_the_converged_server_is_empty():
    accounts = accounts_of(admin=(True, {}), alice=(False, {"1": "MANAGE"}), bob=(False, {"2": "MANAGE"}))
    experiments = {"alice": {"experiment_id": "1", "lifecycle_stage": "active"},
                   "bob": {"experiment_id": "2", "lifecycle_stage": "active"}}
    plan = module.plan_changes(accounts, ["alice", "bob"], "admin", True, {"alice": True, "bob": True}, experiments, "MANAGE")
    assert not module.has_changes(plan), plan
    assert module.users_after(accounts, plan) == ["alice", "bob"]


def test_plan_sets_a_refused_password_and_treats_an_unchecked_one_as_refused():
    accounts = accounts_of(admin=(True, {}), alice=(False, {}), bob=(False, {}))
    plan = module.plan_changes(accounts, ["alice", "bob"], "admin", False, {"alice": False}, None, "MANAGE")
    assert plan["update_password"] == ["alice", "bob"]
    assert plan["create"] == [] and plan["grant"] == []


def test_prune_never_deletes_the_admin_nor_other_admins():
    accounts = accounts_of(admin=(True, {}), teacher=(True, {}), alice=(False, {}), dave=(False, {}), eve=(False, {}))
    plan = module.plan_changes(accounts, ["alice"], "admin", True, {"alice": True}, None, "MANAGE")
    assert plan["delete"] == ["dave", "eve"]
    assert module.users_after(accounts, plan) == ["alice"]
    # An empty list prunes every student, still no admin.
    plan = module.plan_changes(accounts, [], "admin", True, {}, None, "MANAGE")
    assert plan["delete"] == ["alice", "dave", "eve"]
    # The named admin is kept even when the server does not flag it admin.
    accounts["admin"]["is_admin"] = False
    assert "admin" not in module.plan_changes(accounts, [], "admin", True, {}, None, "MANAGE")["delete"]


def test_without_prune_or_without_users_nothing_is_deleted():
    accounts = accounts_of(admin=(True, {}), dave=(False, {}))
    assert module.plan_changes(accounts, [], "admin", False, {}, None, "MANAGE")["delete"] == []
    plan = module.plan_changes(accounts, None, "admin", True, {}, None, "MANAGE")
    assert not module.has_changes(plan)


def test_a_deleted_experiment_is_restored_and_a_held_grant_kept():
    accounts = accounts_of(admin=(True, {}), alice=(False, {"4": "MANAGE"}))
    experiments = {"alice": {"experiment_id": "4", "lifecycle_stage": "deleted"}}
    plan = module.plan_changes(accounts, ["alice"], "admin", False, {"alice": True}, experiments, "MANAGE")
    assert plan["restore_experiment"] == ["alice"]
    assert plan["create_experiment"] == [] and plan["grant"] == [] and plan["revoke"] == []


def test_an_existing_experiment_is_reused_and_a_different_permission_replaced():
    accounts = accounts_of(admin=(True, {}), alice=(False, {"4": "READ"}), bob=(False, {}))
    experiments = {"alice": {"experiment_id": "4", "lifecycle_stage": "active"},
                   "bob": {"experiment_id": "5", "lifecycle_stage": "active"}}
    plan = module.plan_changes(accounts, ["alice", "bob"], "admin", False, {"alice": True, "bob": True}, experiments, "EDIT")
    assert plan["create_experiment"] == []
    assert plan["grant"] == ["alice", "bob"]
    assert plan["revoke"] == ["alice"]


def test_a_grant_through_another_role_is_not_the_users_own():
    accounts = accounts_of(admin=(True, {}), alice=(False, {}))
    accounts["alice"]["grants"][("experiment", "4")] = {"teaching-assistants": "MANAGE"}
    experiments = {"alice": {"experiment_id": "4", "lifecycle_stage": "active"}}
    plan = module.plan_changes(accounts, ["alice"], "admin", False, {"alice": True}, experiments, "MANAGE")
    assert plan["grant"] == ["alice"] and plan["revoke"] == []


def test_shared_experiments_names_other_students_but_not_admins_nor_pruned():
    accounts = accounts_of(admin=(True, {"3": "MANAGE"}), alice=(False, {"3": "MANAGE"}), carol=(False, {}),
                           dave=(False, {"3": "READ"}))
    experiments = {"carol": {"experiment_id": "3", "lifecycle_stage": "active"}}
    plan = module.plan_changes(accounts, ["carol"], "admin", False, {"carol": True}, experiments, "MANAGE")
    assert module.shared_experiments(accounts, experiments, ["carol"], plan) == [
        ("carol", "3", "alice", "MANAGE"), ("carol", "3", "dave", "READ")]
    plan = module.plan_changes(accounts, ["carol", "alice"], "admin", True, {"carol": True, "alice": True},
                               dict(experiments, alice=None), "MANAGE")
    assert module.shared_experiments(accounts, experiments, ["carol"], plan) == [("carol", "3", "alice", "MANAGE")]


def test_parse_accounts_reads_the_real_users_list_answer():
    # GET /api/2.0/mlflow/users/list as the admin, verbatim from MLflow 3.17.2 (bob has no grant yet).
    answer = (
        '{"users":[{"id":1,"is_admin":true,"roles":[{"description":null,"id":1,"name":"__user_1__","permissions":'
        '[{"id":1,"permission":"MANAGE","resource_pattern":"1","resource_type":"experiment","role_id":1}],'
        '"workspace":"default"}],"username":"admin"},{"id":2,"is_admin":false,"roles":[{"description":null,"id":2,'
        '"name":"__user_2__","permissions":[{"id":5,"permission":"EDIT","resource_pattern":"1","resource_type":'
        '"experiment","role_id":2}],"workspace":"default"}],"username":"alice"},'
        '{"id":3,"is_admin":false,"roles":[],"username":"bob"}]}'
    )
    accounts = module.parse_accounts(json.loads(answer))
    assert accounts["admin"]["is_admin"] is True and accounts["bob"]["is_admin"] is False
    assert module.own_grant(accounts["alice"], "1") == "EDIT"
    assert module.own_grant(accounts["alice"], 1) == "EDIT"
    assert module.own_grant(accounts["bob"], "1") is None


def test_validate_users_names_users_never_passwords():
    users = [
        {"username": "alice", "password": "alice-password-1"},
        {"username": "alice", "password": "alice-password-2"},
        {"username": "bob", "password": "tiny-secret"},
        {"username": "admin", "password": "admin-password-123"},
    ]
    problems = module.validate_users(users, "admin")
    text = "; ".join(problems)
    assert "more than once: alice" in text
    assert "password of bob is shorter than 12 characters" in text
    assert "admin account 'admin'" in text
    assert "tiny-secret" not in text and "alice-password" not in text
    assert module.validate_users(STUDENTS, "admin") == []
    assert module.validate_users([{"username": "ok", "password": "x" * 12}], "admin") == []


def test_server_messages_leave_out_sql_and_its_parameters():
    body = json.dumps({"error_code": "RESOURCE_ALREADY_EXISTS", "message": (
        "User (username=alice) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed"
        "\n[SQL: INSERT INTO users]\n[parameters: ('alice', 'scrypt:32768:8:1$hash', 0)]")})
    assert mlflow_http.server_message(body) == "User (username=alice) already exists."
    assert mlflow_http.server_message("Permission denied") == "Permission denied"


# The module against the fake server ------------------------------------------------------------


def test_creates_students_experiments_and_grants(server, run):
    result, out = run(users=STUDENTS)
    assert result["changed"] is True
    assert result["created"] == ["alice", "bob", "carol"]
    assert result["experiments_created"] == ["alice", "bob", "carol"]
    assert result["permissions_granted"] == ["alice", "bob", "carol"]
    assert result["passwords_updated"] == [] and result["deleted"] == [] and result["experiments_restored"] == []
    assert result["users"] == ["alice", "bob", "carol"] and result["user_count"] == 3
    for name in ("alice", "bob", "carol"):
        experiment_id = server.experiment_id(name)
        assert result["experiment_ids"][name] == experiment_id
        assert server.users[name]["grants"] == {experiment_id: "MANAGE"}
        assert server.users[name]["password"] == name + ("-password-123" if name == "bob" else "-password-1")
    for student in STUDENTS:
        assert student["password"] not in out
    assert ADMIN[1] not in out


def test_a_second_run_changes_nothing_and_sends_no_change(server, run):
    run(users=STUDENTS)
    before = len(server.changes)
    result, _out = run(users=STUDENTS, prune=True)
    assert result["changed"] is False
    assert server.changes[before:] == []
    assert all(not result[key] for key in module.CHANGE_KEYS)
    assert result["user_count"] == 3


def test_a_wrong_password_is_set_again(server, run):
    run(users=STUDENTS)
    server.users["bob"]["password"] = "changed-by-bob-1"
    result, _out = run(users=STUDENTS)
    assert result["changed"] is True
    assert result["passwords_updated"] == ["bob"]
    assert server.users["bob"]["password"] == "bob-password-123"
    assert ("PATCH", module.UPDATE_PASSWORD) in server.changes


def test_check_mode_reports_the_same_as_the_real_run_and_changes_nothing(server, run):
    server.add_user("dave", "dave-password-1")
    server.add_user("teacher", "teacher-password", is_admin=True)
    server.add_user("bob", "an-old-password")
    server.add_experiment("alice", lifecycle_stage="deleted")
    args = dict(users=STUDENTS, prune=True)
    checked, _out = run(check_mode=True, **args)
    assert server.changes == []
    assert checked["changed"] is True
    assert checked["experiment_ids"] == {"alice": server.experiment_id("alice"), "bob": None, "carol": None}
    done, _out = run(**args)
    for key in module.CHANGE_KEYS + ("changed", "users", "user_count"):
        assert checked[key] == done[key], key
    assert done["created"] == ["alice", "carol"]
    assert done["passwords_updated"] == ["bob"]
    assert done["deleted"] == ["dave"]
    assert done["experiments_restored"] == ["alice"]
    assert done["experiments_created"] == ["bob", "carol"]
    assert done["users"] == ["alice", "bob", "carol"]
    assert set(server.users) == {"admin", "teacher", "alice", "bob", "carol"}


def test_prune_keeps_the_experiment_of_a_deleted_student(server, run):
    run(users=STUDENTS)
    experiment_id = server.experiment_id("carol")
    result, _out = run(users=STUDENTS[:2], prune=True)
    assert result["deleted"] == ["carol"]
    assert "carol" not in server.users
    assert server.experiments[experiment_id] == {"name": "carol", "lifecycle_stage": "active"}
    assert ("POST", "/api/2.0/mlflow/experiments/delete") not in server.changes
    # Listed again, carol gets her experiment back.
    result, _out = run(users=STUDENTS)
    assert result["created"] == ["carol"] and result["experiments_created"] == []
    assert result["experiment_ids"]["carol"] == experiment_id
    assert server.users["carol"]["grants"] == {experiment_id: "MANAGE"}


def test_query_mode_changes_nothing_even_with_prune(server, run):
    server.add_user("dave", "dave-password-1")
    server.add_user("teacher", "teacher-password", is_admin=True)
    result, _out = run(prune=True)
    assert result["changed"] is False
    assert server.changes == []
    assert result["users"] == ["dave"] and result["user_count"] == 1
    assert result["experiment_ids"] == {}


def test_experiments_false_creates_accounts_only(server, run):
    result, _out = run(users=STUDENTS, experiments=False)
    assert result["created"] == ["alice", "bob", "carol"]
    assert result["experiments_created"] == [] and result["permissions_granted"] == []
    assert result["experiment_ids"] == {}
    assert [experiment["name"] for experiment in server.experiments.values()] == ["Default"]


def test_a_changed_permission_is_revoked_then_granted(server, run):
    run(users=STUDENTS)
    result, _out = run(users=STUDENTS, permission="READ")
    assert result["permissions_granted"] == ["alice", "bob", "carol"]
    assert all(server.users[name]["grants"] == {server.experiment_id(name): "READ"} for name in ("alice", "bob", "carol"))
    assert run(users=STUDENTS, permission="READ")[0]["changed"] is False


def test_a_classmates_grant_on_the_experiment_is_warned_about(server, run, monkeypatch):
    # Caught at AnsibleModule.warn: once a test in this process has imported controller code,
    # ansible-core 2.19 sends module warnings to the controller's display, not the result.
    warnings = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, warning, **kwargs: warnings.append(warning))
    server.add_user("alice", "alice-password-1")
    server.users["alice"]["grants"][server.add_experiment("bob")] = "MANAGE"
    result, _out = run(users=STUDENTS)
    assert result["experiments_created"] == ["alice", "carol"]
    assert warnings == ["user 'alice' also holds MANAGE on the experiment 'bob' (id %s) of user 'bob'; revoke it if "
                        "that is unwanted" % server.experiment_id("bob")], result


READERS = [{"username": "ta-somchai", "password": "ta-somchai-password"}]


def test_a_reader_gets_read_on_every_students_experiment_and_no_experiment_of_its_own(server, run, monkeypatch):
    warnings = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, warning, **kwargs: warnings.append(warning))
    result, out = run(users=STUDENTS, readers=READERS)
    assert result["created"] == ["alice", "bob", "carol", "ta-somchai"]
    assert result["experiments_created"] == ["alice", "bob", "carol"]
    assert result["read_granted"] == {"ta-somchai": ["alice", "bob", "carol"]}
    assert server.users["ta-somchai"]["grants"] == {server.experiment_id(name): "READ" for name in ("alice", "bob", "carol")}
    assert "ta-somchai-password" not in out
    # Converged: nothing to do, and a reader's READ is not a classmate's grant to warn about.
    again, _out = run(users=STUDENTS, readers=READERS, prune=True)
    assert again["changed"] is False and again["read_granted"] == {} and warnings == []
    # A student added later: the reader gets READ on the new experiment too.
    later, _out = run(users=STUDENTS + students("dave"), readers=READERS)
    assert later["read_granted"] == {"ta-somchai": ["dave"]}
    assert server.users["ta-somchai"]["grants"][server.experiment_id("dave")] == "READ"


def test_a_readers_other_permission_is_replaced_by_read(server, run):
    run(users=STUDENTS, readers=READERS)
    server.users["ta-somchai"]["grants"][server.experiment_id("bob")] = "EDIT"
    grants = server.users["ta-somchai"]["grants"]
    result, _out = run(users=STUDENTS, readers=READERS, check_mode=True)
    assert result["read_granted"] == {"ta-somchai": ["bob"]} and grants[server.experiment_id("bob")] == "EDIT"
    result, _out = run(users=STUDENTS, readers=READERS)
    assert result["read_granted"] == {"ta-somchai": ["bob"]} and grants[server.experiment_id("bob")] == "READ"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"users": STUDENTS, "readers": students("alice")}, "alice in both users and readers"),
        ({"readers": READERS}, "readers needs users and experiments=true"),
        ({"users": STUDENTS, "experiments": False, "readers": READERS}, "readers needs users and experiments=true"),
        ({"users": STUDENTS, "readers": students("ta", ta="short-pass")}, "password of ta is shorter than 12 characters"),
        ({"users": STUDENTS, "readers": students("admin")}, "readers lists the admin account 'admin'"),
    ],
)
def test_bad_readers_are_refused_before_any_request(server, run, args, message):
    result, out = run(**args)
    assert result["failed"] is True and message in result["msg"], result
    assert server.requests == [] and "short-pass" not in out


def test_a_refused_admin_password_fails_clearly(server, run):
    result, out = run(users=STUDENTS, url_password="not-the-admin-password")
    assert result["failed"] is True
    assert result["msg"].startswith("the server refused the admin account 'admin': mlflow_server_admin_password is not "
                                    "its password on this server (MLflow sets the admin's password only on its first start")
    assert result["status"] == 401 and result["changed"] is False
    assert server.changes == []
    assert "not-the-admin-password" not in out


def test_an_account_that_is_no_admin_is_refused(server, run):
    server.add_user("dave", "dave-password-1")
    result, _out = run(users=STUDENTS, url_username="dave", url_password="dave-password-1")
    assert result["failed"] is True
    assert "'dave'" in result["msg"] and "is not an admin" in result["msg"]


def test_listing_an_admin_account_is_refused(server, run):
    server.add_user("teacher", "teacher-password", is_admin=True)
    result, _out = run(users=STUDENTS + students("teacher"))
    assert result["failed"] is True
    assert "teacher" in result["msg"] and "admin account" in result["msg"]
    assert server.changes == []


def test_connection_refused_names_the_url(server, run):
    server.refuse_connections = True
    result, _out = run(users=STUDENTS)
    assert result["failed"] is True
    assert result["msg"] == "GET %s/api/2.0/mlflow/users/current: connection refused " \
        "(is the server running and listening on this port?)" % BASE
    assert result["status"] == -1


def test_a_refused_host_header_names_it(server, run):
    result, _out = run(users=STUDENTS, host_header="lab-pc-08:8080")
    assert result["failed"] is True
    assert "Host: lab-pc-08:8080" in result["msg"] and "Invalid Host header" in result["msg"]
    assert run(users=STUDENTS, url="http://127.0.0.1:8080/", host_header="lab-pc-07:8080")[0]["changed"] is True


def test_a_failure_half_way_reports_what_was_done(server, run):
    server.fail[module.GRANT] = (500, json.dumps({"error_code": "INTERNAL_ERROR", "message": "database is locked"}))
    result, _out = run(users=STUDENTS)
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["created"] == ["alice", "bob", "carol"]
    assert result["permissions_granted"] == []
    assert result["msg"] == "POST %s%s: HTTP 500 database is locked" % (BASE, module.GRANT)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"users": students("alice", "bob", "alice")}, "more than once: alice"),
        ({"users": students("alice", "bob", bob="short-pass")}, "password of bob is shorter than 12 characters"),
        ({"users": students("admin")}, "the admin account 'admin'"),
        ({"users": STUDENTS, "url": "127.0.0.1:8080"}, "not an http:// or https:// URL"),
        ({"users": STUDENTS, "timeout": 0}, "timeout must be more than 0"),
        ({"users": STUDENTS, "request_timeout": -1}, "request_timeout must be more than 0"),
    ],
)
def test_bad_input_is_refused_before_any_request(server, run, args, message):
    result, out = run(**args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert server.requests == []
    assert "short-pass" not in out


def test_the_earlier_option_names_still_work(server):
    outcome = run_module(module, {"url": BASE, "admin_username": ADMIN[0], "admin_password": ADMIN[1], "timeout": 5,
                                  "users": STUDENTS[:1]})
    assert outcome.kind == "exit", outcome.result
    assert outcome.result["created"] == ["alice"]
    assert ADMIN[1] not in outcome.output and STUDENTS[0]["password"] not in outcome.output


def test_passwords_are_never_logged():
    assert module.ARGUMENT_SPEC["url_password"]["no_log"] is True
    assert module.ARGUMENT_SPEC["users"]["options"]["password"]["no_log"] is True


def test_return_documents_every_result_key():
    # The documentation's options against the argument spec: ansible-test sanity (validate-modules).
    returned = yaml.safe_load(module.RETURN)
    assert set(module.CHANGE_KEYS) | {"experiment_ids", "users", "user_count", "url"} == set(returned)
