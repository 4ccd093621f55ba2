"""mlflow_server_python: auto on a Mac: which Python the role's search takes.

The role's "installed" entry point runs in check mode here with macOS facts
(files/check_python_search.yml), so the host probe gets the search exactly as it would run on
a Mac: labroom.mlflow.host_probe's pythons option over vars/Darwin.yml's candidates, the first
one that runs and is 3.10+ wins. That search is then replayed here with the module's own
find_python, each candidate moved under a temporary folder, where stand-in interpreters play a
Mac's Pythons: each runs the probe's real code (module_utils/python_env.py) with this machine's
Python, told it is the release it stands for. So the search, its order and the 3.10 check are
the role's own; only the interpreters are stand-ins.

What this cannot show: a real Mac's Homebrew, python.org or Apple interpreters (no Mac here).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playbook_cases import run_cases

from ansible_collections.labroom.mlflow.plugins.modules import host_probe

PLAYBOOK = Path(__file__).with_name("files") / "check_python_search.yml"
PROBE_TASK = "Read the host in one probe"

MAC = {
    "os_family": "Darwin", "system": "Darwin", "distribution": "MacOSX", "service_mgr": "launchd",
    "hostname": "lab-mac-03", "fqdn": "lab-mac-03.lab.school.example", "nodename": "lab-mac-03",
    "all_ipv4_addresses": ["10.1.2.103"],
}
# A lab folder that no run here makes (check mode: nothing is written anyway).
BASE = "/opt/labroom-python-search"
PINNED = "/usr/local/bin/python3.12"
CASES = {
    "mac_auto": {"platform_facts": MAC, "mlflow_server_base_dir": BASE},
    "mac_pinned": {"platform_facts": MAC, "mlflow_server_base_dir": BASE, "mlflow_server_python": PINNED},
}

HOMEBREW = ["/opt/homebrew/bin", "/usr/local/bin"]  # Apple silicon, Intel
FRAMEWORK = "/Library/Frameworks/Python.framework/Versions/%s/bin/python3"
RELEASES = ["3.14", "3.13", "3.12", "3.11", "3.10"]
# Newest first: Homebrew's versioned pythons, python.org's, an unversioned python3, Apple's last.
DARWIN_CANDIDATES = (
    ["%s/python%s" % (prefix, release) for prefix in HOMEBREW for release in RELEASES]
    + [FRAMEWORK % release for release in RELEASES]
    + ["%s/python3" % prefix for prefix in HOMEBREW]
    + ["/usr/bin/python3"]
)


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    """{case: (the probe's python command as given to the module, what it returned)}."""
    report, run = run_cases(PLAYBOOK, CASES, tmp_path_factory.mktemp("python-search"), extra_args=("--check",))
    found = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(PROBE_TASK):
                for host, result in task["hosts"].items():
                    found[host] = (result["invocation"]["module_args"]["pythons"]["python"],
                                   result["pythons"]["python"])
    # The check that follows the probe may fail here (mac_pinned's Python is not on this
    # machine): only the probe's arguments and the replays below are read.
    assert sorted(found) == sorted(CASES), run.text
    return found


def test_auto_on_a_mac_searches_homebrew_newest_first_then_apples_python(probes):
    spec, _result = probes["mac_auto"]
    assert spec["candidates"] == DARWIN_CANDIDATES
    assert spec["minimum"] == "3.10"


def test_a_pinned_python_is_the_only_candidate(probes):
    assert probes["mac_pinned"][0]["candidates"] == [PINNED]


# A Mac's Pythons as {path: release}; None is a dangling link (a Homebrew python uninstalled).
MACS = {
    "homebrew_apple_silicon": ({"/opt/homebrew/bin/python3.12": "3.12", "/opt/homebrew/bin/python3.14": "3.14",
                                "/opt/homebrew/bin/python3": "3.14", "/usr/bin/python3": "3.9"},
                               "/opt/homebrew/bin/python3.14", "3.14"),
    "homebrew_intel": ({"/usr/local/bin/python3.13": "3.13", "/usr/local/bin/python3": "3.13", "/usr/bin/python3": "3.9"},
                       "/usr/local/bin/python3.13", "3.13"),
    "homebrew_before_python_org": ({FRAMEWORK % "3.14": "3.14", "/usr/local/bin/python3.11": "3.11",
                                    "/usr/bin/python3": "3.9"},
                                   "/usr/local/bin/python3.11", "3.11"),
    "python_org_only": ({FRAMEWORK % "3.13": "3.13", "/usr/local/bin/python3": "3.13", "/usr/bin/python3": "3.9"},
                        FRAMEWORK % "3.13", "3.13"),
    # Homebrew's default python3 of a release newer than the list.
    "unversioned_homebrew_python3": ({"/opt/homebrew/bin/python3": "3.15", "/usr/bin/python3": "3.9"},
                                     "/opt/homebrew/bin/python3", "3.15"),
    "unversioned_usr_local_python3": ({"/usr/local/bin/python3": "3.12", "/usr/bin/python3": "3.9"},
                                      "/usr/local/bin/python3", "3.12"),
    "dangling_link_skipped": ({"/opt/homebrew/bin/python3.14": None, "/opt/homebrew/bin/python3.13": "3.13",
                               "/usr/bin/python3": "3.9"},
                              "/opt/homebrew/bin/python3.13", "3.13"),
    # Apple's python3, even when 3.10+, only when nothing else is there.
    "homebrew_before_apple_python": ({"/opt/homebrew/bin/python3.13": "3.13", "/usr/bin/python3": "3.10"},
                                     "/opt/homebrew/bin/python3.13", "3.13"),
    "old_homebrew_python3_refused": ({"/opt/homebrew/bin/python3": "3.9", "/usr/bin/python3": "3.10"},
                                     "/usr/bin/python3", "3.10"),
    # Apple's Command Line Tools Python, 3.9 on current macOS, is all there is: refused.
    "apple_python_only": ({"/usr/bin/python3": "3.9"}, None, None),
    "nothing": ({}, None, None),
}

STAND_IN = """#!/bin/sh
# Stand-in for Python {release}: runs the code given with -c (and its arguments) in this
# machine's Python, told it is {release}.
[ "$1" = -c ] || exit 2
shift
exec {python} -c '{shim}' "$@"
"""
# The stand-in's own code: pretend to be the release, then run the probe's code as __main__.
SHIM = ('import sys; sys.version_info = (%s, %s, 0, "final", 0); code = sys.argv[1]; sys.argv = ["-c"] + sys.argv[2:]; '
        'exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})')


def make_mac(root, pythons):
    for path, release in pythons.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if release is None:
            target.symlink_to(root / "Cellar" / "gone" / "python3")
            continue
        major, minor = release.split(".")
        target.write_text(STAND_IN.format(release=release, python=sys.executable, shim=SHIM % (major, minor)))
        target.chmod(0o755)


@pytest.mark.parametrize("mac", sorted(MACS))
def test_the_search_takes_the_first_python_3_10_or_newer(probes, tmp_path, mac):
    pythons, expected, release = MACS[mac]
    make_mac(tmp_path, pythons)
    spec = probes["mac_auto"][0]
    # Every Python of these Macs is at a path the role searches.
    assert set(pythons) <= set(spec["candidates"]), sorted(set(pythons) - set(spec["candidates"]))
    found = host_probe.find_python(dict(spec, candidates=[str(tmp_path) + path for path in spec["candidates"]]), 60)
    if expected is None:
        assert found == {"found": False}
        return
    assert found["path"] == str(tmp_path) + expected
    # What the PC installs for (read by the uv_target filter).
    assert found["python"] == release
