"""Each role's settings, checked as users meet them: through the role's main entry point, so
that Ansible's argument spec validation (types and choices, meta/argument_specs.yml) runs
first, then the role's own settings check (ranges and values, tasks/preflight_settings.yml).

Every bad value is refused naming the variable, in Ansible's words for a wrong type or choice
and in the role's words (showing the value and saying what to change) for the rest; good
values pass. Per role, all cases run in one ansible-playbook call, one inventory host per case,
with --tags <role>_settings: nothing but these checks runs (asserted below), so nothing is
installed on the test machine. The cases are in settings_cases_<role>.py.
"""

from __future__ import annotations

import pytest
import settings_cases_mlflow_server
import settings_cases_package_cache
from playbook_cases import SPEC_TASK_PREFIX, assert_refused, assert_refused_by_spec, settings_outcomes

ROLES = {cases.ROLE: cases for cases in (settings_cases_mlflow_server, settings_cases_package_cache)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{role: (outcomes, tasks)}, each role's cases run once, on first use."""
    done = {}

    def run(role):
        if role not in done:
            cases = ROLES[role]
            every = dict(cases.GOOD)
            every.update({name: case[0] for name, case in {**cases.BAD, **cases.SPEC_BAD}.items()})
            done[role] = settings_outcomes(role, every, tmp_path_factory.mktemp(role))
        return done[role]

    return run


def each(table):
    return [(role, case) for role, cases in ROLES.items() for case in sorted(getattr(cases, table))]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_the_checks_run(runs, role):
    tasks = runs(role)[1]
    names = [task.split(" : ", 1)[1] for task in tasks]
    assert names[0].startswith(SPEC_TASK_PREFIX), tasks
    assert names[1:] == ROLES[role].CHECK_TASKS, tasks


@pytest.mark.parametrize(("role", "case"), each("GOOD"))
def test_good_settings_pass(runs, role, case):
    outcome = runs(role)[0][case]
    assert outcome == (None, None), outcome


@pytest.mark.parametrize(("role", "case"), each("BAD"))
def test_bad_setting_is_refused_by_the_role_naming_the_variable(runs, role, case):
    # A case may say which of its variables the message names (the others set the scene).
    variables, expected, *named = ROLES[role].BAD[case]
    task, result = runs(role)[0][case]
    assert task == ROLES[role].SETTINGS_TASK, (task, result)
    # Only the bad variables are reported, not every rule of the role.
    assert_refused(result, named[0] if named else variables, expected, role + "_")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_two_bad_values_are_reported_in_one_message(runs, role):
    case, expected = ROLES[role].TWO_BAD
    message = runs(role)[0][case][1]["msg"]
    assert all(part in message for part in expected), message
    assert message.count("nothing was changed") == 1, message


@pytest.mark.parametrize(("role", "case"), each("SPEC_BAD"))
def test_wrong_type_or_choice_is_refused_by_the_argument_spec(runs, role, case):
    variables, expected = ROLES[role].SPEC_BAD[case]
    task, result = runs(role)[0][case]
    assert task is not None and SPEC_TASK_PREFIX in task, (task, result)
    assert_refused_by_spec(result, next(iter(variables)), expected)
