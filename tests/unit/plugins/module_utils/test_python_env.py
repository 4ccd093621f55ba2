"""What host_probe's pythons option learns of a Python (plugins/module_utils/python_env.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.labroom.mlflow.plugins.module_utils import python_env
from ansible_collections.labroom.mlflow.plugins.modules.host_probe import find_python

SOURCE = Path(python_env.__file__).read_text()


def test_this_python_described():
    found = python_env.describe(["pytest", "no-such-package-here"])
    assert found["python"] == "%d.%d" % sys.version_info[:2]
    assert found["executable"] == sys.executable
    assert found["versions"] == {"pytest": pytest.__version__, "no-such-package-here": None}
    assert len(found["distributions"]) == 64


def test_the_distributions_digest_is_sorted_and_case_blind():
    one = python_env.distributions_digest([("MLflow", "3.17.2"), ("pandas", "2.3.0")])
    assert one == python_env.distributions_digest([("pandas", "2.3.0"), ("mlflow", "3.17.2")])
    assert one != python_env.distributions_digest([("mlflow", "3.17.1"), ("pandas", "2.3.0")])


@pytest.mark.parametrize(("minimum", "version_info", "old"), [
    ("3.10", (3, 9, 18), True), ("3.10", (3, 10, 0), False), ("3.10", (3, 14, 1), False),
    ("3.9", (3, 9, 0), False), ("", (3, 6, 0), False), (None, (2, 7, 18), False),
])
def test_the_minimum(minimum, version_info, old):
    assert python_env.old(minimum, version_info) is old


def test_run_as_the_module_runs_it():
    done = subprocess.run([sys.executable, "-c", SOURCE, json.dumps({"packages": ["pytest"]})],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["versions"] == {"pytest": pytest.__version__}
    too_new = subprocess.run([sys.executable, "-c", SOURCE, '{"minimum": "3.99"}'], capture_output=True, text=True,
                             check=False)
    assert (too_new.returncode, too_new.stdout) == (1, "")


def test_the_first_candidate_that_runs_and_is_new_enough(tmp_path):
    broken = tmp_path / "python2"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    spec = {"candidates": [str(tmp_path / "missing"), str(broken), sys.executable], "minimum": "3.10"}
    found = find_python(spec, 30)
    assert found["found"] and found["path"] == sys.executable
    assert "executable" not in found
    assert find_python({"candidates": [sys.executable], "minimum": "3.99"}, 30) == {"found": False}
