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
    uv_pinned_files,
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


LOG = """DEBUG Solving with target Python version: >=3.11
DEBUG Selecting: mlflow==3.17.2 [compatible] (mlflow-3.17.2-py3-none-any.whl)
DEBUG Selecting: azureml-core==1.61.0.post4 [compatible] (azureml_core-1.61.0.post4-py3-none-any.whl)
DEBUG Selecting: pyopenssl==26.0.0 [compatible] (pyopenssl-26.0.0-py3-none-any.whl)
DEBUG Selecting: mlflow==3.17.2 [compatible] (mlflow-3.17.2-py3-none-any.whl)
DEBUG backtracking
DEBUG Selecting: azureml-core==1.61.0.post3 [compatible] (azureml_core-1.61.0.post3-py3-none-any.whl)
DEBUG Selecting: pyopenssl==22.0.0 [compatible] (pyOpenSSL-22.0.0-py2.py3-none-any.whl)
DEBUG Selecting: zope-interface==7.0 [compatible] (zope.interface-7.0.tar.gz)
DEBUG Selecting: setuptools==84.2.1 [compatible] (setuptools-84.2.1-py3-none-any.whl)
"""


def test_the_kept_versions_and_what_building_needs_once_each():
    pins = ["azureml-core==1.61.0.post3", "mlflow[extras]==3.17.2", "pyOpenSSL==22.0.0", "zope.interface==7.0"]
    # Not the versions left while backtracking (azureml-core post4, pyopenssl 26.0.0); setuptools,
    # which no pin names, is what building zope.interface's source distribution needs.
    assert uv_pinned_files(LOG, pins) == ["mlflow-3.17.2-py3-none-any.whl", "azureml_core-1.61.0.post3-py3-none-any.whl",
                                          "pyOpenSSL-22.0.0-py2.py3-none-any.whl", "zope.interface-7.0.tar.gz",
                                          "setuptools-84.2.1-py3-none-any.whl"]
    assert uv_pinned_files("no resolver log", pins) == []


def test_pinned_files_wants_a_log_and_a_list():
    with pytest.raises(AnsibleFilterError, match="uv_pinned_files"):
        uv_pinned_files(None, [])


def test_registered():
    filters = FilterModule().filters()
    assert filters["uv_target"] is uv_target and filters["uv_pinned_files"] is uv_pinned_files


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
