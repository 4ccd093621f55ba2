"""The value tests of plugins/test/settings.py (counts, names, releases), one table per test:
value -> expected answer; the arguments some tests take; and the documentation file beside
every test plugin."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

from ansible_collections.labroom.mlflow.plugins.filter import roster
from ansible_collections.labroom.mlflow.plugins.plugin_utils import names
from ansible_collections.labroom.mlflow.plugins.test import network, paths, settings

COUNT = [
    (0, True), (1, True), (64, True), (10**9, True), ("0", True), ("30", True), ("0030", True),
    (-1, False), (-5, False), ("-1", False), ("+4", False), (" 4", False), ("4 ", False), ("4\n", False),
    ("4.0", False), ("", False), ("four", False), ("٣", False), ("²", False),  # Arabic-Indic three, superscript two
    (4.0, False), (True, False), (False, False), (None, False), ([4], False),
]

# (value, minimum, maximum) -> expected
COUNT_BOUNDS = [
    (1, 1, None, True), ("1", 1, None, True), (0, 1, None, False), ("0", 1, None, False),
    (64, 1, 64, True), ("64", 1, 64, True), (65, 1, 64, False), ("65", 1, 64, False),
    (0, 0, 0, True), (1, 0, 0, False),
    # A count is never negative, whatever the minimum.
    (-1, -5, None, False), (0, -5, None, True),
    (True, 1, 64, False), (1.0, 1, 64, False),
]

ACCOUNT_NAME = [
    ("mlflow", True), ("devpi", True), ("_mlflow", True), ("mlflow-server", True), ("mlflow_2", True), ("root", True),
    ("a", True), ("a" * 32, True),
    ("a" * 33, False), ("MLflow", False), ("7mlflow", False), ("-mlflow", False), ("ml.flow", False),
    ("ml flow", False), ("mlflow\n", False), ("", False), ("ผู้ใช้", False), (None, False), (7, False), (True, False),
]

SERVICE_NAME = [
    ("mlflow-server", True), ("labroom-package-cache", True), ("mlflow_server.2", True), ("MLflow", True),
    ("7", True), ("a" * 64, True),
    ("a" * 65, False), ("..", False), (".", False), (".hidden", False), ("-mlflow", False), ("_mlflow", False),
    ("mlflow server", False), ("mlflow/server", False), ("mlflow-server\n", False), ("", False),
    (None, False), (8080, False), (True, False),
]

MLFLOW_USERNAME = [
    ("admin", True), ("6501234", True), ("somchai.j@cs.example.ac.th", True), ("Student_07", True), ("a-b", True),
    ("a" * 64, True),
    ("a" * 65, False), ("somchai j", False), ("user:pass", False), ("a/b", False), (".admin", False), ("@admin", False),
    ("-admin", False), ("_admin", False), ("admin\n", False), ("", False), (None, False), (6501234, False),
]

RELEASE = [
    ("0.13.9", True), ("6.20.3", True), ("3.17.2", True), ("0.0.0", True), ("10.100.1000", True),
    ("6.20", False), ("3.17.2.1", False), ("3.01.0", False), ("03.1.0", False), ("3.1.00", False),
    ("latest", False), ("v3.17.2", False), (" 3.17.2", False), ("3.17.2\n", False), ("3.18.0rc0", False),
    ("3.17.2.post1", False), ("", False), (3.17, False), (3, False), (None, False),
]

# (value, arguments) -> expected
RELEASE_ARGUMENTS = [
    ("3.17.2", {"major": 3}, True), ("3.0.0", {"major": 3}, True), ("2.22.0", {"major": 3}, False),
    ("30.1.0", {"major": 3}, False), ("0.13.9", {"major": 0}, True),
    ("3.18.0rc0", {"major": 3, "suffix": True}, True), ("3.17.2.post1", {"major": 3, "suffix": True}, True),
    ("3.17.2", {"major": 3, "suffix": True}, True), ("0.13.9rc1", {"suffix": True}, True),
    ("3.18.0rc0", {"major": 3}, False), ("3.18.0rc", {"suffix": True}, False), ("3.18.0-rc0", {"suffix": True}, False),
    ("3.17.2post1", {"suffix": True}, False), ("3.18.0a1", {"suffix": True}, False),
    ("2.22.0rc0", {"major": 3, "suffix": True}, False), ("3.17", {"major": 3, "suffix": True}, False),
]

CASES = {"count": COUNT, "account_name": ACCOUNT_NAME, "service_name": SERVICE_NAME,
         "mlflow_username": MLFLOW_USERNAME, "release": RELEASE}


@pytest.mark.parametrize(("test", "value", "expected"),
                         [(test, value, expected) for test, cases in CASES.items() for value, expected in cases],
                         ids=repr)
def test_value(test, value, expected):
    assert getattr(settings, test)(value) is expected


@pytest.mark.parametrize(("value", "minimum", "maximum", "expected"), COUNT_BOUNDS, ids=repr)
def test_count_bounds(value, minimum, maximum, expected):
    assert settings.count(value, minimum, maximum) is expected


@pytest.mark.parametrize(("value", "arguments", "expected"), RELEASE_ARGUMENTS, ids=repr)
def test_release_arguments(value, arguments, expected):
    assert settings.release(value, **arguments) is expected


def test_every_test_is_registered_under_its_name():
    tests = settings.TestModule().tests()
    assert tests == {name: getattr(settings, name) for name in tests}
    assert sorted(tests) == sorted(CASES)


# How the roles' rules call them: positional and keyword arguments, as Jinja passes them.
@pytest.mark.parametrize(("expression", "expected"), [
    ("'4' is count", True), ("-1 is count", False), ("0 is count(1)", False), ("'64' is count(1, 64)", True),
    ("65 is count(1, 64)", False), ("3 is count(minimum=1)", True), ("100 is count(maximum=99)", False),
    ("'3.18.0rc0' is release(major=3, suffix=true)", True), ("'3.18.0rc0' is release(3)", False),
    ("'2.22.0' is release(major=3)", False), ("'0.13.9' is release", True),
    ("'mlflow' is account_name", True), ("'mlflow server' is service_name", False), ("'admin' is mlflow_username", True),
])
def test_jinja_calls(expression, expected):
    env = jinja2.Environment()
    env.tests.update(settings.TestModule().tests())
    assert env.from_string("{{ %s }}" % expression).render() == str(expected)


def test_tcp_port_is_a_bounded_count():
    # One home for "a number given as digits": network.tcp_port is count(1, 65535).
    for value in (0, 1, "1", 65535, "65535", 65536, "65536", True, "80\n", " 80"):
        assert network.tcp_port(value) is settings.count(value, 1, 65535)


def test_the_roster_checks_student_names_with_the_shared_pattern():
    assert roster.USERNAME is names.MLFLOW_USERNAME
    problems = roster.roster_problems(["somchai.j@cs.example.ac.th", "somchai j"])
    assert len(problems) == 1 and "'somchai j'" in problems[0]


@pytest.mark.parametrize("module", [network, paths, settings], ids=lambda module: module.__name__.rsplit(".", 1)[-1])
def test_every_test_has_its_documentation_file(module):
    # ansible-doc -t test labroom.mlflow.<name> reads <name>.yml beside the Python file.
    folder = Path(module.__file__).parent
    for name in module.TestModule().tests():
        doc = yaml.safe_load((folder / (name + ".yml")).read_text())
        assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, name
        assert doc["DOCUMENTATION"]["name"] == name
        assert "_input" in doc["DOCUMENTATION"]["options"]
        assert "labroom.mlflow.%s" % name in doc["EXAMPLES"]
