"""labroom.mlflow.mlflow_accounts against a real MLflow basic-auth server that the test starts.

The server is the test environment's MLflow (requirements-test.txt: mlflow[auth], the release the
role installs) run as `mlflow server --app-name basic-auth`, with its users in a SQLite database
of its own, no permission by default, and an admin created on its first start. The module runs
the way a playbook runs it: through `ansible` (ad hoc, json callback). What it did is then checked
over MLflow's REST API as the students and the admin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_server import basic_auth_server, free_port, rest

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent
ANSIBLE = shutil.which("ansible", path=str(BIN))
ADMIN = ("admin", "admin-password-for-tests")
ROSTER = [
    {"username": "alice", "password": "alice-password-1"},
    {"username": "bob", "password": "bob-password-123"},
    {"username": "carol", "password": "carol-password-1"},
]
PASSWORDS = dict((student["username"], student["password"]) for student in ROSTER)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert ANSIBLE, "ansible is not installed beside this Python: pip install -r requirements-test.txt"
    base = tmp_path_factory.mktemp("mlflow-basic-auth")
    with basic_auth_server(base, ADMIN, ini_extra="auth_cache_ttl_seconds = 60\n") as running:
        yield running


@pytest.fixture(scope="module")
def accounts(server):
    """accounts(check=False, **args): run the module through `ansible localhost`; returns its
    result (with "rc"). Checks that no password ever shows in Ansible's output."""

    def run(check=False, **args):
        args.setdefault("url", server["url"])
        args.setdefault("url_username", ADMIN[0])
        args.setdefault("url_password", ADMIN[1])
        command = [
            ANSIBLE, "localhost", "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable,
            "-m", "labroom.mlflow.mlflow_accounts", "-a", json.dumps(args),
        ] + (["--check"] if check else [])
        env = dict(
            os.environ,
            PATH="%s:%s" % (BIN, os.environ.get("PATH", "")),
            ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
            ANSIBLE_LOAD_CALLBACK_PLUGINS="true",
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_NOCOLOR="true",
        )
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        for password in [args["url_password"]] + [user["password"] for user in args.get("users") or []]:
            assert password not in done.stdout + done.stderr, "a password shows in Ansible's output"
        try:
            result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
        except (ValueError, LookupError, IndexError):
            raise AssertionError("no module result:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
        result["rc"] = done.returncode
        result["warning_texts"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
        return result

    return run


def users_on(server):
    status, answer = rest(server["url"], "GET", "/api/2.0/mlflow/users/list", auth=ADMIN)
    assert status == 200, answer
    return {user["username"]: user["is_admin"] for user in answer["users"]}


def experiment(server, name):
    status, answer = rest(server["url"], "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + name, auth=ADMIN)
    return answer["experiment"] if status == 200 else None


def permission(server, username, experiment_id):
    status, answer = rest(
        server["url"], "GET",
        "/api/3.0/mlflow/users/permissions/get?username=%s&resource_type=experiment&resource_id=%s" % (username, experiment_id),
        auth=ADMIN,
    )
    assert status == 200, answer
    return answer["permission"]


def test_check_mode_on_a_fresh_server_changes_nothing(server, accounts):
    before = users_on(server)
    result = accounts(check=True, users=ROSTER, prune=True)
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["created"] == ["alice", "bob", "carol"]
    assert result["experiments_created"] == ["alice", "bob", "carol"]
    assert result["permissions_granted"] == ["alice", "bob", "carol"]
    assert result["experiment_ids"] == {"alice": None, "bob": None, "carol": None}
    assert result["users"] == ["alice", "bob", "carol"] and result["user_count"] == 3
    assert users_on(server) == before == {"admin": True}
    assert experiment(server, "alice") is None


def test_three_students_get_an_account_an_experiment_and_manage_then_nothing_changes(server, accounts):
    result = accounts(users=ROSTER, host_header="lab-pc-07:%d" % server["port"])
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["created"] == ["alice", "bob", "carol"]
    assert result["experiments_created"] == ["alice", "bob", "carol"]
    assert result["permissions_granted"] == ["alice", "bob", "carol"]
    assert result["passwords_updated"] == [] and result["deleted"] == []
    assert result["users"] == ["alice", "bob", "carol"] and result["user_count"] == 3
    assert users_on(server) == {"admin": True, "alice": False, "bob": False, "carol": False}
    for name in ("alice", "bob", "carol"):
        found = experiment(server, name)
        assert found["lifecycle_stage"] == "active"
        assert result["experiment_ids"][name] == found["experiment_id"]
        assert permission(server, name, found["experiment_id"]) == "MANAGE"
        assert rest(server["url"], "GET", "/api/2.0/mlflow/users/current", auth=(name, PASSWORDS[name]))[0] == 200

    again = accounts(users=ROSTER, host_header="lab-pc-07:%d" % server["port"])
    assert again["rc"] == 0, again.get("msg")
    assert again["changed"] is False
    for key in ("created", "passwords_updated", "deleted", "experiments_created", "experiments_restored", "permissions_granted"):
        assert again[key] == [], key
    assert again["experiment_ids"] == result["experiment_ids"]


def test_a_student_works_in_their_own_experiment_and_cannot_read_anothers(server, accounts):
    ids = accounts(users=ROSTER)["experiment_ids"]
    url = server["url"]
    alice, bob = ("alice", PASSWORDS["alice"]), ("bob", PASSWORDS["bob"])
    status, created = rest(url, "POST", "/api/2.0/mlflow/runs/create", auth=alice, body={"experiment_id": ids["alice"]})
    assert status == 200, created
    run_id = created["run"]["info"]["run_id"]
    assert rest(url, "POST", "/api/2.0/mlflow/runs/log-metric", auth=alice,
                body={"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 0, "step": 0})[0] == 200

    assert rest(url, "GET", "/api/2.0/mlflow/runs/get?run_id=" + run_id, auth=bob)[0] == 403
    assert rest(url, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=" + ids["alice"], auth=bob)[0] == 403
    assert rest(url, "POST", "/api/2.0/mlflow/runs/create", auth=bob, body={"experiment_id": ids["alice"]})[0] == 403
    # A student's experiments search lists only what they may read: their own experiment.
    status, found = rest(url, "GET", "/api/2.0/mlflow/experiments/search?max_results=100", auth=bob)
    assert status == 200
    assert [e["name"] for e in found["experiments"]] == ["bob"]
    # Without credentials: 401, on the API and on the UI.
    assert rest(url, "GET", "/api/2.0/mlflow/runs/get?run_id=" + run_id)[0] == 401
    assert rest(url, "GET", "/")[0] == 401
    assert rest(url, "GET", "/", auth=bob)[0] == 200


def test_the_mlflow_2_permission_api_is_gone(server):
    status, _answer = rest(server["url"], "POST", "/api/2.0/mlflow/experiments/permissions/create", auth=ADMIN,
                           body={"experiment_id": "0", "username": "alice", "permission": "MANAGE"})
    assert status == 404


def test_a_password_changed_on_the_server_is_set_again(server, accounts):
    accounts(users=ROSTER)
    status, answer = rest(server["url"], "PATCH", "/api/2.0/mlflow/users/update-password", auth=ADMIN,
                          body={"username": "bob", "password": "bob-chose-another-one"})
    assert status == 200, answer
    assert rest(server["url"], "GET", "/api/2.0/mlflow/users/current", auth=("bob", PASSWORDS["bob"]))[0] == 401
    result = accounts(users=ROSTER)
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["passwords_updated"] == ["bob"]
    assert result["created"] == [] and result["permissions_granted"] == []
    assert rest(server["url"], "GET", "/api/2.0/mlflow/users/current", auth=("bob", PASSWORDS["bob"]))[0] == 200


def test_a_deleted_experiment_is_restored(server, accounts):
    ids = accounts(users=ROSTER)["experiment_ids"]
    assert rest(server["url"], "POST", "/api/2.0/mlflow/experiments/delete", auth=("carol", PASSWORDS["carol"]),
                body={"experiment_id": ids["carol"]})[0] == 200
    assert experiment(server, "carol")["lifecycle_stage"] == "deleted"
    result = accounts(users=ROSTER)
    assert result["rc"] == 0, result.get("msg")
    assert result["experiments_restored"] == ["carol"]
    assert result["experiments_created"] == [] and result["permissions_granted"] == []
    assert result["experiment_ids"]["carol"] == ids["carol"]
    assert experiment(server, "carol")["lifecycle_stage"] == "active"


def test_prune_deletes_a_removed_student_but_keeps_their_experiment_and_runs(server, accounts):
    dave = {"username": "dave", "password": "dave-password-12"}
    result = accounts(users=ROSTER + [dave])
    assert result["created"] == ["dave"], result
    dave_id = result["experiment_ids"]["dave"]
    status, created = rest(server["url"], "POST", "/api/2.0/mlflow/runs/create", auth=("dave", dave["password"]),
                           body={"experiment_id": dave_id})
    assert status == 200, created

    checked = accounts(check=True, users=ROSTER, prune=True)
    assert checked["deleted"] == ["dave"] and checked["user_count"] == 3
    assert "dave" in users_on(server)

    result = accounts(users=ROSTER, prune=True)
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["deleted"] == ["dave"]
    assert result["users"] == ["alice", "bob", "carol"] and result["user_count"] == 3
    assert users_on(server) == {"admin": True, "alice": False, "bob": False, "carol": False}
    assert rest(server["url"], "GET", "/api/2.0/mlflow/users/current", auth=("dave", dave["password"]))[0] == 401
    kept = experiment(server, "dave")
    assert kept["experiment_id"] == dave_id and kept["lifecycle_stage"] == "active"
    status, runs = rest(server["url"], "POST", "/api/2.0/mlflow/runs/search", auth=ADMIN, body={"experiment_ids": [dave_id]})
    assert status == 200 and [r["info"]["run_id"] for r in runs["runs"]] == [created["run"]["info"]["run_id"]]

    # Pruning again deletes nothing; the admin is never a candidate.
    assert accounts(users=ROSTER, prune=True)["changed"] is False
    # Listed again, dave gets his experiment (and run) back.
    result = accounts(users=ROSTER + [dave])
    assert result["created"] == ["dave"] and result["experiments_created"] == []
    assert result["experiment_ids"]["dave"] == dave_id
    assert permission(server, "dave", dave_id) == "MANAGE"
    assert accounts(users=ROSTER, prune=True)["deleted"] == ["dave"]


def test_a_classmates_experiment_named_after_a_new_student_is_reported(server, accounts):
    accounts(users=ROSTER)
    status, created = rest(server["url"], "POST", "/api/2.0/mlflow/experiments/create", auth=("alice", PASSWORDS["alice"]),
                           body={"name": "erin"})
    assert status == 200, created
    erin = {"username": "erin", "password": "erin-password-12"}
    result = accounts(users=ROSTER + [erin])
    assert result["rc"] == 0, result.get("msg")
    assert result["created"] == ["erin"] and result["experiments_created"] == []
    assert result["experiment_ids"]["erin"] == created["experiment_id"]
    assert result["warning_texts"] == [
        "user 'alice' also holds MANAGE on the experiment 'erin' (id %s) of user 'erin'; revoke it if that is unwanted"
        % created["experiment_id"]]
    assert accounts(users=ROSTER, prune=True)["deleted"] == ["erin"]


def test_a_wrong_admin_password_fails_with_a_clear_message(server, accounts):
    result = accounts(users=ROSTER, url_password="not-the-admin-password")
    assert result["rc"] != 0
    assert result["failed"] is True
    assert result["msg"].startswith(
        "the server refused the admin account 'admin': mlflow_server_admin_password is not its password on this "
        "server (MLflow sets the admin's password only on its first start")
    assert result["changed"] is False


def test_bad_input_and_a_wrong_host_fail_before_any_change(server, accounts):
    before = users_on(server)
    result = accounts(users=ROSTER + [{"username": "frank", "password": "too-short"}])
    assert result["rc"] != 0 and "password of frank is shorter than 12 characters" in result["msg"]
    result = accounts(users=ROSTER + [{"username": "frank", "password": "frank-password-1"}],
                      host_header="lab-pc-08:%d" % server["port"])
    assert result["rc"] != 0 and "Host: lab-pc-08:%d" % server["port"] in result["msg"]
    result = accounts(users=ROSTER, url="http://127.0.0.1:%d" % free_port())
    assert result["rc"] != 0 and "connection refused" in result["msg"]
    assert users_on(server) == before
