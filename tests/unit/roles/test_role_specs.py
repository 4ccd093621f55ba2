"""Each role's public variables are described once per place that users read, and agree.

defaults/main.yml, meta/argument_specs.yml and the tables of docs/variables.md must name the
same variables, with the same defaults; every entry point takes the same options. Types and choices live in the
argument specs alone: tasks/preflight_settings.yml checks what a spec cannot say.

Pure Python: reads the files, runs no playbook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
# Roles with a settings check of their own (tasks/preflight_settings.yml).
ROLES = ["mlflow_server", "package_cache"]
# Every public role: its defaults, argument specs and docs/variables.md agree.
SPEC_ROLES = ROLES + ["mlflow_client"]
ENTRY_POINT_NAMES = {"mlflow_server": ["backup", "collect", "course_database", "course_database_status", "course_front",
                                       "course_front_status", "course_tier_check", "freeze", "installed", "main", "reset",
                                       "restore", "status"],
                     "package_cache": ["main", "status"], "mlflow_client": ["main"]}
# Lists whose entries may take several shapes: the preflight checks them entry by entry
# (mlflow_server_students: user names or {username, password}, the roster_problems filter).
RAW_LISTS = {"mlflow_server_students", "mlflow_server_graders"}
# Options whose unset value (null) means "keep what the host recorded".
UNSET_BY_DEFAULT = {"mlflow_server_frozen"}
VARIABLES_DOC = ROOT / "docs" / "variables.md"
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict, "path": str}


def defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def specs(role):
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


ENTRY_POINTS = [(role, entry_point) for role in SPEC_ROLES for entry_point in sorted(specs(role))]


@pytest.mark.parametrize("role", SPEC_ROLES)
def test_every_default_is_prefixed(role):
    assert all(name.startswith(role + "_") for name in defaults(role))


@pytest.mark.parametrize(("role", "entry_point"), ENTRY_POINTS)
def test_argument_specs_match_defaults_key_for_key(role, entry_point):
    options = specs(role)[entry_point]["options"]
    values = defaults(role)
    assert sorted(options) == sorted(values)
    for name, spec in options.items():
        assert spec.get("default") == values[name], name
        assert isinstance(values[name], PYTHON_TYPES[spec["type"]]) or (values[name] is None and name in UNSET_BY_DEFAULT), name
        assert spec.get("description"), name
        if "choices" in spec:
            assert values[name] in spec["choices"], name
        # A list says what its elements are; a list of dicts, each key of them.
        assert spec["type"] != "list" or spec.get("elements") in ("str", "dict") or name in RAW_LISTS, name
        if spec.get("elements") == "dict":
            assert spec.get("options") and all(o.get("description") for o in spec["options"].values()), name


@pytest.mark.parametrize("role", SPEC_ROLES)
def test_every_entry_point_has_a_spec_with_the_same_options(role):
    entry_points = specs(role)
    assert sorted(entry_points) == ENTRY_POINT_NAMES[role]
    for name, entry_point in entry_points.items():
        assert entry_point.get("short_description"), name
        assert entry_point["options"] == entry_points["main"]["options"], name


def setting_rules(role):
    tasks = yaml.safe_load((ROOT / "roles" / role / "tasks" / "preflight_settings.yml").read_text())
    assert len(tasks) == 1
    return tasks[0]["vars"]["__%s_setting_rules" % role]


@pytest.mark.parametrize("role", ROLES)
def test_setting_rules_leave_types_and_choices_to_the_spec(role):
    # A rule on a variable with choices, or on a boolean, could never fire: Ansible's spec
    # validation refuses a bad value first, in its own words.
    options = specs(role)["main"]["options"]
    spec_only = {name for name, spec in options.items() if "choices" in spec or spec["type"] == "bool"}
    for rule in setting_rules(role):
        named = set(re.findall(r"\b(%s_\w+)" % role, rule["ok"]))
        assert named and named <= set(options), rule["ok"]
        # Such a variable may appear in a rule on how settings go together (with another one).
        assert not named & spec_only or len(named) > 1, rule["ok"]
        # The message names the variable it checks, first.
        assert re.match(r"(%s_\w+) is " % role, rule["msg"]).group(1) in named, rule["msg"]


@pytest.mark.parametrize("role", ROLES)
def test_setting_rules_are_not_in_the_role_vars(role):
    role_vars = yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text())
    assert not [name for name in role_vars if "setting_rules" in name or "system_dirs" in name]


@pytest.mark.parametrize("role", SPEC_ROLES)
def test_variables_doc_documents_every_option_with_its_default(role):
    # One table row per option of the main entry point: | `name` | `default` | meaning |,
    # each variable once, and no variable the role does not take.
    text = VARIABLES_DOC.read_text(encoding="utf-8")
    found = re.findall(r"^\| `(%s_\w+)` \| `([^`]*)` \|" % role, text, re.MULTILINE)
    names = [name for name, _shown in found]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)
    options = specs(role)["main"]["options"]
    assert sorted(names) == sorted(options)
    for name, shown in found:
        assert yaml.safe_load(shown) == options[name].get("default"), name
    # Every row that names a variable of the role is such a row (no default left out).
    assert len(re.findall(r"^\| `(%s_\w+)`" % role, text, re.MULTILINE)) == len(names)


# The internal service layer: its interface is the union of its entry points' options.
SERVICE_ENTRY_POINTS = ["account", "deploy", "main", "platform", "probe", "record", "stop"]


def test_service_layer_entry_points_and_defaults_agree():
    service = specs("_service")
    assert sorted(service) == SERVICE_ENTRY_POINTS
    values = defaults("_service")
    options = {}
    for entry_point in service.values():
        for name, spec in (entry_point.get("options") or {}).items():
            assert name.startswith("_service_"), name
            assert spec.get("description"), name
            options.setdefault(name, spec)
    # An optional variable has its default in defaults/main.yml, the same in every entry
    # point; a required one has none (a missing one is then refused by Ansible).
    for name, spec in options.items():
        if spec.get("required"):
            assert name not in values, name
        else:
            assert values[name] == spec.get("default"), name
    assert set(values) <= set(options)


def test_service_layer_refuses_to_run_on_its_own():
    tasks = yaml.safe_load((ROOT / "roles/_service/tasks/main.yml").read_text())
    assert [next(key for key in task if key != "name") for task in tasks] == ["ansible.builtin.fail"]
