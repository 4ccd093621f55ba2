"""What a lab PC installs for, and the files of a uv resolution (plugins/filter/uv_target.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.uv_target import (
    FilterModule,
    pylock_files,
    uv_target,
    uv_warm_problems,
)
from ansible_collections.labroom.mlflow.plugins.module_utils import python_env


def probe(python, system, machine, libc="", libc_version="", macos=""):
    return json.dumps({"python": python, "system": system, "machine": machine, "libc": libc,
                       "libc_version": libc_version, "macos": macos})


@pytest.mark.parametrize(("line", "expected"), [
    (probe("3.11", "Linux", "x86_64", "glibc", "2.36"), ("3.11", "x86_64-manylinux_2_36", "")),   # Debian 12
    (probe("3.13", "Linux", "x86_64", "glibc", "2.41"), ("3.13", "x86_64-manylinux_2_40", "")),   # Debian 13
    (probe("3.10", "Linux", "x86_64", "glibc", "2.30"), ("3.10", "x86_64-manylinux_2_28", "")),   # between two
    (probe("3.10", "Linux", "aarch64", "glibc", "2.35"), ("3.10", "aarch64-manylinux_2_35", "")),
    (probe("3.12", "Linux", "x86_64", "glibc", "2.17"), ("3.12", "x86_64-manylinux_2_17", "")),
    (probe("3.12", "Linux", "x86_64", "glibc", "2.12"), ("3.12", "", "")),     # older than any manylinux
    (probe("3.12", "Linux", "x86_64"), ("3.12", "", "")),                       # musl: libc_ver() says nothing
    (probe("3.12", "Darwin", "arm64", macos="14.6.1"), ("3.12", "aarch64-apple-darwin", "14.6")),
    (probe("3.11", "Darwin", "x86_64", macos="13.7"), ("3.11", "x86_64-apple-darwin", "13.7")),
    (probe("3.12", "Linux", "riscv64", "glibc", "2.39"), ("3.12", "", "")),
    (probe("3.12", "FreeBSD", "amd64"), ("3.12", "", "")),
])
def test_target_of_each_kind_of_host(line, expected):
    assert uv_target(line) == dict(zip(("python_version", "python_platform", "macos_version"), expected))
    assert uv_target(json.loads(line)) == uv_target(line)


@pytest.mark.parametrize("line", ["", "3.11 Linux x86_64", None, "{}", '{"python": "Python 3"}', "[1]"])
def test_what_cannot_be_read_leaves_the_pc_to_resolve_itself(line):
    assert uv_target(line) == {"python_version": "", "python_platform": "", "macos_version": ""}


def test_the_probes_own_description_is_read():
    # What labroom.mlflow.host_probe's pythons option returns (module_utils/python_env.py),
    # run by this interpreter as on a PC, through its command line as the module runs it.
    source = Path(python_env.__file__).read_text()
    line = subprocess.run([sys.executable, "-c", source, '{"minimum": "3.10"}'], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert json.loads(line) == dict(python_env.describe(), executable=json.loads(line)["executable"])
    found = uv_target(json.loads(line))
    assert found["python_version"] == "%d.%d" % sys.version_info[:2]
    assert found["python_platform"].startswith("x86_64-manylinux_2_") or sys.platform != "linux"


SHA = {name: (name * 64)[:64] for name in "abc"}
# What uv pip compile --format pylock.toml printed (uv 0.13.9, --python-platform
# x86_64-manylinux_2_28), cut to three packages; the last one has only a source distribution.
LOCK = """lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.11"

[[packages]]
name = "numpy"
version = "2.2.6"
sdist = { url = "https://files.example/numpy-2.2.6.tar.gz", size = 20276440, hashes = { sha256 = "%(a)s" } }
wheels = [{ url = "https://files.example/packages/b3/dd/%(numpy)s", upload-time = 2025-05-17T21:32:47Z, \
size = 16821570, hashes = { sha256 = "%(b)s" } }]

[[packages]]
name = "six"
version = "1.17.0"
wheels = [{ name = "six-1.17.0-py2.py3-none-any.whl", url = "https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=x", \
size = 11050, hashes = { sha256 = "%(c)s" } }]

[[packages]]
name = "zope-interface"
version = "7.0"
sdist = { url = "https://files.example/zope.interface-7.0.tar.gz", size = 250000, hashes = { sha256 = "%(a)s" } }
""" % dict(SHA, numpy="numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")


def test_a_lock_gives_each_packages_pin_and_the_files_to_fetch():
    found = pylock_files(LOCK)
    assert [p["pin"] for p in found] == ["numpy==2.2.6", "six==1.17.0", "zope-interface==7.0"]
    # The wheel when there is one (not the sdist beside it), its name from "name" or the URL's
    # last part (without a fragment), its hash and size.
    assert found[0]["files"] == [{"file": "numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                                  "url": "https://files.example/packages/b3/dd/numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64"
                                         ".manylinux2014_x86_64.whl",
                                  "sha256": SHA["b"]}]
    assert found[0]["hashed_pin"] == "numpy==2.2.6 --hash=sha256:" + SHA["b"] and found[0]["sdist"] is False
    # Without the kind of PC, every file is fetched.
    assert [p["fetch"] for p in found] == [p["files"] for p in found]
    assert found[1]["files"][0]["file"] == "six-1.17.0-py2.py3-none-any.whl"
    assert found[2]["files"] == [{"file": "zope.interface-7.0.tar.gz", "url": "https://files.example/zope.interface-7.0.tar.gz",
                                  "sha256": SHA["a"]}]
    assert found[2]["sdist"] is True


@pytest.mark.parametrize(("text", "message"), [
    (None, "expected the text"),
    ("[[packages]\n", "not a pylock.toml"),
    ('[[packages]]\nname = "six"\n', "without a name or version"),
    ('[[packages]]\nname = "six"\nversion = "1"\nwheels = [{ url = "https://x/six-1-py3-none-any.whl" }]\n',
     "without a URL or a sha256"),
])
def test_a_lock_that_cannot_be_read_is_refused_with_the_reason(text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pylock_files(text)


CRYPTOGRAPHY = ["cryptography-50.0.2-cp311-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
                "cryptography-50.0.2-cp311-abi3-manylinux_2_28_x86_64.whl",
                "cryptography-50.0.2-cp311-abi3-manylinux_2_34_x86_64.whl",
                "cryptography-50.0.2-cp39-abi3-manylinux_2_34_x86_64.whl",
                "cryptography-50.0.2-cp311-abi3-macosx_10_9_universal2.whl",
                "cryptography-50.0.2-cp311-abi3-macosx_11_0_arm64.whl",
                "cryptography-50.0.2-py3-none-any.whl"]


def lock_of(files):
    wheels = ", ".join('{ url = "https://files.example/%s", hashes = { sha256 = "%s" } }' % (name, SHA["a"]) for name in files)
    return '[[packages]]\nname = "cryptography"\nversion = "50.0.2"\nwheels = [%s]\n' % wheels


@pytest.mark.parametrize(("kind", "expected"), [
    # The newest manylinux the PC's glibc allows, the interpreter's own ABI before an older one's.
    (("3.11", "x86_64-manylinux_2_36", ""), "cryptography-50.0.2-cp311-abi3-manylinux_2_34_x86_64.whl"),
    (("3.11", "x86_64-manylinux_2_31", ""), "cryptography-50.0.2-cp311-abi3-manylinux_2_28_x86_64.whl"),
    (("3.11", "x86_64-manylinux_2_17", ""), "cryptography-50.0.2-cp311-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"),
    (("3.10", "x86_64-manylinux_2_36", ""), "cryptography-50.0.2-cp39-abi3-manylinux_2_34_x86_64.whl"),
    # A Mac: its own architecture's wheel before the universal one.
    (("3.12", "aarch64-apple-darwin", "14.6"), "cryptography-50.0.2-cp311-abi3-macosx_11_0_arm64.whl"),
    (("3.12", "x86_64-apple-darwin", "13.7"), "cryptography-50.0.2-cp311-abi3-macosx_10_9_universal2.whl"),
    # Nothing platform-specific fits: the pure-Python wheel.
    (("3.11", "aarch64-manylinux_2_36", ""), "cryptography-50.0.2-py3-none-any.whl"),
])
def test_a_kind_of_pc_fetches_the_one_wheel_its_installer_picks(kind, expected):
    (found,) = pylock_files(lock_of(CRYPTOGRAPHY), *kind)
    assert [f["file"] for f in found["fetch"]] == [expected]
    # The pin still allows every file of the lock (another kind's file in the wheelhouse fits too).
    assert found["hashed_pin"].count("--hash=sha256:") == len(CRYPTOGRAPHY)


def test_a_kind_without_a_fitting_wheel_or_a_known_platform_fetches_every_file():
    (found,) = pylock_files(lock_of(CRYPTOGRAPHY[:4]), "3.11", "aarch64-manylinux_2_36")
    assert found["fetch"] == found["files"]
    (found,) = pylock_files(lock_of(CRYPTOGRAPHY), "3.11", "")
    assert found["fetch"] == found["files"]


def test_an_empty_lock_has_no_packages():
    assert pylock_files('lock-version = "1.0"\n') == []


def test_registered():
    filters = FilterModule().filters()
    assert filters["uv_target"] is uv_target and filters["pylock_files"] is pylock_files


def test_the_warm_pass_says_each_problem_once_in_order():
    uv = {"rc": 1, "stderr": "Looking in indexes\nERROR: No matching distribution found for uv==0.13.1\n"}
    resolved = {"results": [
        {"rc": 0, "stderr_lines": ["DEBUG fine"]},
        {"rc": 1, "stderr_lines": ["DEBUG Solving", "  × No solution found", "INFO done", "  mlflow>=4 is missing"]},
        {"skipped": True},
    ]}
    fetched = {"missing": ["a-1.whl"], "errors": ["b-2.whl: HTTP 502"]}
    assert uv_warm_problems(uv, resolved, fetched) == [
        "getting uv (pip, exit status 1): ERROR: No matching distribution found for uv==0.13.1",
        "resolving: × No solution found   mlflow>=4 is missing",
        "not on the index: a-1.whl",
        "fetching b-2.whl: HTTP 502",
    ]


def test_a_warm_pass_without_problems_says_nothing():
    assert uv_warm_problems({"rc": 0}, {"results": [{"rc": 0}]}, {"missing": [], "errors": []}) == []
    assert uv_warm_problems({"rc": 0}) == []
