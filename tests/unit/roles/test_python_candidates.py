"""Where mlflow_server_python: auto looks on a Mac (roles/_service/vars/Darwin.yml).

The role takes the first candidate that runs and is 3.10+, so the order is the choice: every
Homebrew release MLflow 3 runs on, newest first, before any unversioned python3, and Apple's
/usr/bin/python3 (3.9 on current macOS) last. The search itself is replayed with stand-in
interpreters in tests/integration/roles/test_python_search.py.

Pure Python: reads the file, runs no playbook.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
# Homebrew's prefixes: Apple silicon, then Intel.
HOMEBREW = ["/opt/homebrew/bin", "/usr/local/bin"]
# Python releases Homebrew ships today that MLflow 3 runs on (it needs 3.10+), newest first.
RELEASES = ["3.14", "3.13", "3.12", "3.11", "3.10"]


def candidates():
    return yaml.safe_load((ROOT / "roles/_service/vars/Darwin.yml").read_text())["_service_python_candidates"]


def release(path):
    found = re.search(r"python(3\.\d+)$", path) or re.search(r"/Versions/(3\.\d+)/", path)
    return found.group(1) if found else None


def test_every_candidate_is_an_absolute_path_once():
    paths = candidates()
    assert all(path.startswith("/") for path in paths), paths
    assert len(paths) == len(set(paths))


def test_homebrew_is_searched_for_each_release_newest_first():
    paths = candidates()
    for prefix in HOMEBREW:
        versioned = [path for path in paths if path.startswith(prefix + "/python3.")]
        assert versioned == ["%s/python%s" % (prefix, r) for r in RELEASES], prefix
    # Apple silicon's prefix first: on such a Mac /usr/local may hold an old Intel install.
    assert paths.index("/opt/homebrew/bin/python3.10") < paths.index("/usr/local/bin/python3.14")


def test_python_org_installs_are_searched_newest_first():
    framework = [release(path) for path in candidates() if path.startswith("/Library/Frameworks/")]
    assert framework == RELEASES


def test_unversioned_python3_comes_after_every_versioned_one_and_apples_last():
    paths = candidates()
    last_versioned = max(index for index, path in enumerate(paths) if release(path))
    unversioned = [path for path in paths if not release(path)]
    assert unversioned == [prefix + "/python3" for prefix in HOMEBREW] + ["/usr/bin/python3"]
    assert all(paths.index(path) > last_versioned for path in unversioned)
    assert paths[-1] == "/usr/bin/python3"


def test_no_candidate_is_older_than_3_10():
    # The probe refuses them anyway; a versioned 3.9 in the list would only cost a try.
    assert [path for path in candidates() if release(path) and tuple(map(int, release(path).split("."))) < (3, 10)] == []
