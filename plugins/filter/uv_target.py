# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python version and the uv platform a lab PC installs for, from what its Python says.

The filter is documented in uv_target.yml beside this file.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# The glibc releases uv 0.13 names as --python-platform targets (x86_64-manylinux_2_<minor>).
# A PC with a glibc between two of them installs the wheels of the lower one; newer than the
# last, those of the last (wheels tagged for a newer glibc than 2.40 are rare).
MANYLINUX_MINORS = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
PROBE = re.compile(r"^(?P<python>3\.\d+) (?P<system>\S+) (?P<machine>\S+)(?: (?P<libc>\S+) (?P<libc_version>\S+))?$")


def python_platform(system, machine, libc="", libc_version=""):
    """The uv --python-platform whose wheels a host of this kind installs; "" when uv has none."""
    arch = MACHINES.get(machine.lower())
    if arch is None:
        return ""
    if system == "Darwin":
        return "%s-apple-darwin" % arch
    if system != "Linux":
        return ""
    if libc == "musl":
        return "%s-unknown-linux-musl" % arch
    found = re.match(r"^2\.(\d+)", libc_version or "")
    if libc != "glibc" or not found:
        return ""
    minor = int(found.group(1))
    usable = [m for m in MANYLINUX_MINORS if m <= minor]
    return "%s-manylinux_2_%d" % (arch, usable[-1]) if usable else ""


def uv_target(probe):
    """{python_version, python_platform} from the line the role's Python probe prints:
    "<major>.<minor> <platform.system()> <platform.machine()> [<libc> <libc version>]"."""
    if not isinstance(probe, str):
        raise AnsibleFilterError("uv_target: expected the probe's line as a string, got %r" % (probe,))
    found = PROBE.match(probe.strip())
    if not found:
        raise AnsibleFilterError("uv_target: cannot read the Python probe's line %r" % probe)
    return {
        "python_version": found.group("python"),
        "python_platform": python_platform(found.group("system"), found.group("machine"),
                                           found.group("libc") or "", found.group("libc_version") or ""),
    }


class FilterModule:
    """labroom.mlflow install target filter."""

    def filters(self):
        return {"uv_target": uv_target}
