#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mlflow_accounts
short_description: Manage the student accounts of an MLflow tracking server with basic authentication
version_added: "0.5.0"
description:
  - Manages the accounts of an MLflow tracking server that runs MLflow's own authentication app
    (C(mlflow server --app-name basic-auth)), over HTTP, as an admin of that server.
  - Each listed user that does not exist is created with its password. A listed user that
    exists is checked by logging in with the given password; when the server refuses it, the
    password is set to the given one. A second run with the same input changes nothing.
  - With O(experiments=true), each listed user gets an experiment named exactly after the user
    name, created by the admin when it is missing and restored when it is in the deleted state
    (an existing experiment of that name is reused), and the permission O(permission) on it.
  - With O(prune=true), accounts that are not listed are deleted, except the account
    O(url_username) and every other admin account. MLflow keeps their experiments and runs
    (deleting an account deletes only the account and its permissions), so no data is lost; a
    user listed again later gets the same experiment back.
  - Without O(users), the module changes nothing and only reports the server's accounts.
  - Uses the REST API of MLflow 3 (checked on MLflow 3.17.2) C(/api/2.0/mlflow/users/...) for the
    accounts and C(/api/3.0/mlflow/users/permissions/grant) and C(.../revoke) for the
    permissions; the MLflow 2 permission API (C(/api/2.0/mlflow/experiments/permissions/...)) is
    gone.
author:
  - labroom.mlflow contributors (@labroom)
extends_documentation_fragment:
  - labroom.mlflow.mlflow_connection
options:
  url_username:
    description:
      - An admin account of the server; every change is made as this account.
      - MLflow creates it (C(admin_username) of the auth configuration, or
        C(MLFLOW_AUTH_ADMIN_USERNAME)) on the server's first start.
      - C(admin_username), its earlier name, is an alias.
    type: str
    required: true
    aliases: [admin_username]
  url_password:
    description:
      - Password of O(url_username). MLflow sets it only on the server's first start; a later
        change of the configured password does not change it on the server. Never logged.
      - C(admin_password), its earlier name, is an alias.
    type: str
    required: true
    aliases: [admin_password]
  request_timeout:
    description:
      - Seconds one HTTP request may take; more than 0.
      - C(timeout), its earlier name, is an alias.
    type: float
    default: 10.0
    aliases: [timeout]
  users:
    description:
      - The student accounts the server must have.
      - When omitted, the module changes nothing and only reports (O(prune) is ignored).
      - An empty list with O(prune=true) deletes every account that is not an admin.
      - A user name may appear only once, may not be O(url_username), and may not be an admin
        account of the server.
    type: list
    elements: dict
    suboptions:
      username:
        description:
          - The user name the student logs in with; also the name of the student's experiment.
        type: str
        required: true
      password:
        description:
          - The student's password, at least 12 characters (MLflow refuses shorter ones).
          - Never returned nor logged.
        type: str
        required: true
  readers:
    description:
      - Accounts that read every listed user's experiment, such as teaching assistants who
        grade. Each is created (or its password set) like the accounts of O(users), gets no
        experiment of its own, and gets C(READ) on the experiment of every user in O(users) (a
        student added later gets it at the next run). A reader can read but not change a
        student's runs.
      - Needs O(users) and O(experiments=true). A name may not be in both O(users) and
        O(readers). O(prune) keeps the readers.
    type: list
    elements: dict
    default: []
    suboptions:
      username:
        description:
          - The user name the reader logs in with.
        type: str
        required: true
      password:
        description:
          - The reader's password, at least 12 characters. Never returned nor logged.
        type: str
        required: true
    version_added: "0.8.0"
  experiments:
    description:
      - Give each listed user an experiment named after the user name, and O(permission) on it.
    type: bool
    default: true
  permission:
    description:
      - Permission each listed user gets on their own experiment.
      - V(MANAGE) also lets the student delete the experiment and give others access to it.
      - A different permission granted earlier to the user on that experiment is replaced.
    type: str
    default: MANAGE
    choices: [READ, EDIT, MANAGE]
  prune:
    description:
      - Delete the accounts that are not in O(users). Never deletes O(url_username) nor any
        other admin account.
      - The experiments and runs of a deleted account are kept; only the account and its
        permissions go.
    type: bool
    default: false
notes:
  - Supports check mode; it then reports what would change, with the same return values, and
    changes nothing. Logging in as the listed users to check their passwords changes nothing.
  - With MLflow's default of no workspaces, any logged-in user may create experiments. When
    another user already holds a permission on the experiment named after a listed user (for
    example because a classmate created it first), the experiment is still used and a warning
    names that user; revoke it by hand if it is unwanted.
  - Passwords are checked by logging in as each listed user that exists (C(GET
    /api/2.0/mlflow/users/current)), one request each.
  - HTTP goes through C(ansible.module_utils.urls), so proxies and certificate settings are
    honoured as in M(ansible.builtin.uri).
seealso:
  - module: labroom.mlflow.tracking_health
  - name: MLflow authentication
    description: MLflow's basic authentication app, its admin account and permissions.
    link: https://mlflow.org/docs/latest/self-hosting/security/basic-http-auth/
"""

EXAMPLES = r"""
- name: One account and one experiment per student, on this lab PC's server
  labroom.mlflow.mlflow_accounts:
    url: http://127.0.0.1:8080
    host_header: "{{ inventory_hostname }}:8080"
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
    users:
      - username: alice
        password: "{{ vault_student_passwords.alice }}"
      - username: bob
        password: "{{ vault_student_passwords.bob }}"
  register: accounts
# accounts.created, accounts.experiment_ids.alice

- name: End of term - remove the accounts of students who left (their experiments stay)
  labroom.mlflow.mlflow_accounts:
    url: http://127.0.0.1:8080
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
    users: "{{ students }}"
    prune: true

- name: Only list the accounts
  labroom.mlflow.mlflow_accounts:
    url: http://127.0.0.1:8080
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
  register: report
# report.users, report.user_count
"""

RETURN = r"""
created:
  description: User names of the accounts created (in check mode, that would be created).
  returned: always
  type: list
  elements: str
  sample: [alice, bob]
passwords_updated:
  description: User names whose password was set because the server refused the given one.
  returned: always
  type: list
  elements: str
  sample: [carol]
deleted:
  description: User names of the accounts deleted by O(prune); their experiments are kept.
  returned: always
  type: list
  elements: str
  sample: [dave]
experiments_created:
  description: Names of the experiments created.
  returned: always
  type: list
  elements: str
  sample: [alice, bob]
experiments_restored:
  description: Names of the experiments that were in the deleted state and were restored.
  returned: always
  type: list
  elements: str
  sample: []
read_granted:
  description:
    - For each reader of O(readers), the users on whose experiment it was granted C(READ) (a
      different permission it held there was replaced).
  returned: always
  type: dict
  sample: {"ta-somchai": ["alice", "bob"]}
  version_added: "0.8.0"
permissions_granted:
  description:
    - User names that were granted O(permission) on their experiment (a different permission
      they held on it was replaced).
  returned: always
  type: list
  elements: str
  sample: [alice, bob]
experiment_ids:
  description:
    - Experiment ID of each listed user's experiment, by user name.
    - Empty when O(experiments=false) or O(users) is omitted. In check mode, V(null) for an
      experiment that would be created.
  returned: always
  type: dict
  sample: {"alice": "1", "bob": "2"}
users:
  description: Sorted user names of the accounts that are not admins, after the run (in check mode, as they would be).
  returned: always
  type: list
  elements: str
  sample: [alice, bob]
user_count:
  description: Number of accounts that are not admins, after the run (in check mode, as it would be).
  returned: always
  type: int
  sample: 2
url:
  description: The base URL of the server.
  returned: always
  type: str
  sample: http://127.0.0.1:8080
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labroom.mlflow.plugins.module_utils.mlflow_http import (
    MLFLOW_CONNECTION_REQUIRED_BY,
    MlflowClient,
    MlflowError,
    mlflow_connection_argument_spec,
    server_message,
)

MIN_PASSWORD_LENGTH = 12  # mlflow.utils.validation._validate_password
PERMISSIONS = ["READ", "EDIT", "MANAGE"]
ARGUMENT_SPEC = mlflow_connection_argument_spec()
# Every change is made as the admin; admin_username, admin_password and timeout are the
# options' earlier names.
ARGUMENT_SPEC["url_username"].update(required=True, aliases=["admin_username"])
ARGUMENT_SPEC["url_password"].update(required=True, aliases=["admin_password"])
ARGUMENT_SPEC["request_timeout"].update(aliases=["timeout"])
ARGUMENT_SPEC.update(
    users=dict(
        type="list",
        elements="dict",
        options=dict(
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
        ),
    ),
    readers=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
        ),
    ),
    experiments=dict(type="bool", default=True),
    permission=dict(type="str", default="MANAGE", choices=PERMISSIONS),
    prune=dict(type="bool", default=False),
)

# MLflow 3.17.2, mlflow/server/auth/routes.py
CURRENT_USER = "/api/2.0/mlflow/users/current"
LIST_USERS = "/api/2.0/mlflow/users/list"
CREATE_USER = "/api/2.0/mlflow/users/create"
UPDATE_PASSWORD = "/api/2.0/mlflow/users/update-password"
DELETE_USER = "/api/2.0/mlflow/users/delete"
GRANT = "/api/3.0/mlflow/users/permissions/grant"
REVOKE = "/api/3.0/mlflow/users/permissions/revoke"
GET_EXPERIMENT_BY_NAME = "/api/2.0/mlflow/experiments/get-by-name"
CREATE_EXPERIMENT = "/api/2.0/mlflow/experiments/create"
RESTORE_EXPERIMENT = "/api/2.0/mlflow/experiments/restore"
# The return values that list changes.
CHANGE_KEYS = ("created", "passwords_updated", "deleted", "experiments_created", "experiments_restored", "permissions_granted",
               "read_granted")
# Each user's own grants live on a hidden role named __user_<id>__ (grant/revoke write there).
USER_ROLE = re.compile(r"^__user_\d+__$")


# Pure functions: what the server has, what is wanted, and what to do -----------------------------


def validate_users(users, admin_username, option="users"):
    """Problems with the `users` option (or `readers`: `option`), as messages that name users but never a password."""
    problems = []
    names = [user["username"] for user in users]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append("%s lists these user names more than once: %s" % (option, ", ".join(duplicates)))
    empty = [index for index, name in enumerate(names) if not name or not name.strip()]
    if empty:
        problems.append("%s has an empty username (item %s)" % (option, ", ".join(str(index) for index in empty)))
    short = sorted({user["username"] for user in users if len(user["password"]) < MIN_PASSWORD_LENGTH})
    if short:
        problems.append(
            "the password of %s is shorter than %d characters, which MLflow refuses"
            % (", ".join(short), MIN_PASSWORD_LENGTH)
        )
    if admin_username in names:
        problems.append(
            "%s lists the admin account '%s'; this module manages the accounts of students, not the admin's"
            % (option, admin_username)
        )
    return problems


def parse_accounts(answer):
    """{username: {"id", "is_admin", "grants": {(resource_type, resource_pattern): permission}}}
    from the answer of GET users/list (as an admin: every user with every role and its grants)."""
    accounts = {}
    for user in answer.get("users", []):
        grants = {}
        for role in user.get("roles") or []:
            for grant in role.get("permissions") or []:
                key = (grant.get("resource_type"), str(grant.get("resource_pattern")))
                grants.setdefault(key, {})[role.get("name")] = grant.get("permission")
        accounts[user["username"]] = {
            "id": user.get("id"),
            "is_admin": bool(user.get("is_admin")),
            "grants": grants,
        }
    return accounts


def own_grant(account, experiment_id):
    """The permission `account` holds on the experiment through its own role, or None."""
    for role, permission in account["grants"].get(("experiment", str(experiment_id)), {}).items():
        if role and USER_ROLE.match(role):
            return permission
    return None


def plan_changes(accounts, desired, admin_username, prune, password_ok, experiments, permission, readers=()):
    """What to do to go from the server's state to the desired one.

    accounts:    parse_accounts() of the server
    desired:     the listed user names, or None (query mode: nothing to do)
    password_ok: {username: bool} for listed users that exist (did their login work?)
    experiments: {username: {"experiment_id", "lifecycle_stage"} or None} when experiments are
                 managed, else None
    Returns {"create", "update_password", "delete", "create_experiment", "restore_experiment",
    "grant", "revoke"}: lists of user names (an experiment has the user's name). "revoke" lists
    the users whose own different permission on their experiment is replaced (revoked, then
    granted: they are in "grant" too). `readers` (user names, created and checked like the
    listed users) get READ on each listed user's experiment: "read_grant" holds the (reader,
    user) pairs to grant, "read_revoke" those whose different permission is replaced first.
    """
    plan = dict(create=[], update_password=[], delete=[], create_experiment=[], restore_experiment=[], grant=[], revoke=[],
                read_grant=[], read_revoke=[])
    if desired is None:
        return plan
    for name in list(desired) + list(readers):
        if name not in accounts:
            plan["create"].append(name)
        elif not password_ok.get(name, False):
            plan["update_password"].append(name)
    if prune:
        wanted = set(desired) | set(readers)
        plan["delete"] = sorted(
            name for name, account in accounts.items()
            if name not in wanted and name != admin_username and not account["is_admin"]
        )
    if experiments is not None:
        for name in desired:
            experiment = experiments.get(name)
            if experiment is None:
                plan["create_experiment"].append(name)
                plan["grant"].append(name)
                continue
            if experiment.get("lifecycle_stage") == "deleted":
                plan["restore_experiment"].append(name)
            held = None if name not in accounts else own_grant(accounts[name], experiment["experiment_id"])
            if held != permission:
                plan["grant"].append(name)
                if held is not None:
                    plan["revoke"].append(name)
            for reader in readers:
                read = None if reader not in accounts else own_grant(accounts[reader], experiment["experiment_id"])
                if read != "READ":
                    plan["read_grant"].append((reader, name))
                    if read is not None:
                        plan["read_revoke"].append((reader, name))
        for reader in readers:
            for name in plan["create_experiment"]:
                plan["read_grant"].append((reader, name))
    return plan


def has_changes(plan):
    return any(plan.values())


def users_after(accounts, plan):
    """Sorted names of the accounts that are not admins once `plan` is carried out."""
    names = {name for name, account in accounts.items() if not account["is_admin"]}
    names.difference_update(plan["delete"])
    names.update(plan["create"])
    return sorted(names)


def shared_experiments(accounts, experiments, desired, plan, readers=()):
    """(experiment name, experiment id, other user, permission) for every permission another
    account (not an admin, not a reader, not deleted by the plan) holds on a listed user's
    experiment."""
    found = []
    if experiments is None or desired is None:
        return found
    going = set(plan["delete"]) | set(readers)
    for name in desired:
        experiment = experiments.get(name)
        if experiment is None:
            continue
        key = ("experiment", str(experiment["experiment_id"]))
        for other, account in sorted(accounts.items()):
            if other == name or other in going or account["is_admin"]:
                continue
            for permission in sorted(set(account["grants"].get(key, {}).values())):
                found.append((name, str(experiment["experiment_id"]), other, permission))
    return found


# HTTP ------------------------------------------------------------------------------------------


class AccountsServer(MlflowClient):
    """The REST calls of MLflow's basic-auth app that this module makes, against one server, as
    the admin (url_username)."""

    def call(self, method, path, params=None, body=None, auth=None, expect=(200,)):
        """Send one request (as the admin unless `auth` is given); return (status, answer as JSON
        or text). A status outside `expect` raises MlflowError."""
        answer = self.request(method, path, params=params, body=body, auth=auth)
        if answer.status not in expect:
            raise MlflowError(
                "%s: HTTP %d %s" % (answer.where, answer.status, server_message(answer.text) or answer.info.get("msg", "")),
                status=answer.status,
            )
        try:
            result = json.loads(answer.text) if answer.text.strip() else {}
        except ValueError:
            result = answer.text
        return answer.status, result

    def check_admin(self):
        """Log in as the admin; fail clearly when the server refuses it or it is no admin."""
        name = self.credentials[0]
        status, answer = self.call("GET", CURRENT_USER, expect=(200, 401))
        if status == 401:
            raise MlflowError(
                "the server refused the admin account '%s': mlflow_server_admin_password is not its "
                "password on this server (MLflow sets the admin's password only on its first start, "
                "from MLFLOW_AUTH_ADMIN_PASSWORD; set mlflow_server_admin_password to the password the "
                "server has, or change the server's with PATCH %s%s as that admin, sending username, "
                "password and current_password)" % (name, self.url, UPDATE_PASSWORD),
                status=status,
            )
        user = answer.get("user", {}) if isinstance(answer, dict) else {}
        if not user.get("is_admin"):
            raise MlflowError(
                "the account '%s' on %s is not an admin: it cannot manage accounts (url_username must "
                "name the server's admin account)" % (name, self.url),
                status=status,
            )

    def accounts(self):
        return parse_accounts(self.call("GET", LIST_USERS)[1])

    def password_works(self, username, password):
        status, _answer = self.call("GET", CURRENT_USER, auth=(username, password), expect=(200, 401))
        return status == 200

    def create_user(self, username, password):
        self.call("POST", CREATE_USER, body={"username": username, "password": password})

    def update_password(self, username, password):
        self.call("PATCH", UPDATE_PASSWORD, body={"username": username, "password": password})

    def delete_user(self, username):
        self.call("DELETE", DELETE_USER, body={"username": username})

    def experiment(self, name):
        """{"experiment_id", "lifecycle_stage", ...} of the experiment `name` (active or deleted), or None."""
        status, answer = self.call("GET", GET_EXPERIMENT_BY_NAME, params={"experiment_name": name}, expect=(200, 404))
        if status == 404:
            return None
        return answer["experiment"]

    def create_experiment(self, name):
        return str(self.call("POST", CREATE_EXPERIMENT, body={"name": name})[1]["experiment_id"])

    def restore_experiment(self, experiment_id):
        self.call("POST", RESTORE_EXPERIMENT, body={"experiment_id": experiment_id})

    def grant(self, username, experiment_id, permission):
        self.call("POST", GRANT, body={
            "username": username, "resource_type": "experiment", "resource_id": experiment_id, "permission": permission,
        })

    def revoke(self, username, experiment_id):
        self.call("POST", REVOKE, body={"username": username, "resource_type": "experiment", "resource_id": experiment_id})


# The module ------------------------------------------------------------------------------------


def apply_plan(server, plan, passwords, experiments, permission, result):
    """Carry out `plan`, recording each change in `result` as soon as it is made."""
    for name in plan["create"]:
        server.create_user(name, passwords[name])
        result["created"].append(name)
    for name in plan["update_password"]:
        server.update_password(name, passwords[name])
        result["passwords_updated"].append(name)
    for name in plan["create_experiment"]:
        experiments[name] = {"experiment_id": server.create_experiment(name), "lifecycle_stage": "active"}
        result["experiments_created"].append(name)
        result["experiment_ids"][name] = experiments[name]["experiment_id"]
    for name in plan["restore_experiment"]:
        server.restore_experiment(experiments[name]["experiment_id"])
        result["experiments_restored"].append(name)
    for name in plan["grant"]:
        experiment_id = experiments[name]["experiment_id"]
        if name in plan["revoke"]:
            server.revoke(name, experiment_id)
        server.grant(name, experiment_id, permission)
        result["permissions_granted"].append(name)
    for reader, name in plan["read_grant"]:
        experiment_id = experiments[name]["experiment_id"]
        if (reader, name) in plan["read_revoke"]:
            server.revoke(reader, experiment_id)
        server.grant(reader, experiment_id, "READ")
        result["read_granted"].setdefault(reader, []).append(name)
    for name in plan["delete"]:
        server.delete_user(name)
        result["deleted"].append(name)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_by=MLFLOW_CONNECTION_REQUIRED_BY, supports_check_mode=True)
    params = module.params
    server = AccountsServer(module)
    url = server.url
    users = params["users"]
    admin_username = params["url_username"]
    if users is not None:
        problems = validate_users(users, admin_username)
        if problems:
            module.fail_json(msg="; ".join(problems), url=url)
    readers = params["readers"] or []
    if readers:
        problems = validate_users(readers, admin_username, option="readers")
        if users is None or not params["experiments"]:
            problems.append("readers needs users and experiments=true: a reader reads the listed users' experiments")
        both = sorted({reader["username"] for reader in readers} & {user["username"] for user in users or []})
        if both:
            problems.append("%s in both users and readers; a reader is not a student" % ", ".join(both))
        if problems:
            module.fail_json(msg="; ".join(problems), url=url)
    desired = None if users is None else [user["username"] for user in users]
    reader_names = [reader["username"] for reader in readers]
    passwords = {} if users is None else {user["username"]: user["password"] for user in users + readers}

    result = dict(
        changed=False,
        url=url,
        created=[],
        passwords_updated=[],
        deleted=[],
        experiments_created=[],
        experiments_restored=[],
        permissions_granted=[],
        read_granted={},
        experiment_ids={},
    )
    try:
        server.check_admin()
        accounts = server.accounts()
        if desired is not None:
            admins = sorted(name for name in desired + reader_names if name in accounts and accounts[name]["is_admin"])
            if admins:
                module.fail_json(
                    msg="users lists %s, an admin account on this server; this module manages the accounts "
                    "of students, not admins" % ", ".join(admins),
                    **result
                )
        password_ok = {
            name: server.password_works(name, passwords[name]) for name in (desired or []) + reader_names if name in accounts
        }
        experiments = None
        if params["experiments"] and desired is not None:
            experiments = {name: server.experiment(name) for name in desired}
        plan = plan_changes(accounts, desired, admin_username, params["prune"], password_ok, experiments, params["permission"],
                            reader_names)
        shared = shared_experiments(accounts, experiments, desired, plan, reader_names)
        for experiment, experiment_id, other, permission in shared:
            module.warn(
                "user '%s' also holds %s on the experiment '%s' (id %s) of user '%s'; revoke it if that is unwanted"
                % (other, permission, experiment, experiment_id, experiment)
            )
        if experiments is not None:
            result["experiment_ids"] = {
                name: None if experiments[name] is None else str(experiments[name]["experiment_id"]) for name in desired
            }
        if module.check_mode:
            result.update(
                created=plan["create"],
                passwords_updated=plan["update_password"],
                deleted=plan["delete"],
                experiments_created=plan["create_experiment"],
                experiments_restored=plan["restore_experiment"],
                permissions_granted=plan["grant"],
            )
            for reader, name in plan["read_grant"]:
                result["read_granted"].setdefault(reader, []).append(name)
        else:
            apply_plan(server, plan, passwords, experiments, params["permission"], result)
        result["changed"] = has_changes(plan)
        result["users"] = users_after(accounts, plan)
        result["user_count"] = len(result["users"])
    except MlflowError as exc:
        # What was done before the failure is reported, and makes the task changed.
        result["changed"] = any(result[key] for key in CHANGE_KEYS)
        module.fail_json(msg=str(exc), status=exc.status, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
