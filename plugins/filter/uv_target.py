# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a lab PC installs for, and which files a uv resolution for it needs.

The filters are documented in uv_target.yml and uv_pinned_files.yml beside this file.
"""

from __future__ import annotations

import json
import re

from ansible.errors import AnsibleFilterError

# The glibc releases uv 0.13 names as --python-platform targets (x86_64-manylinux_2_<minor>).
# A PC with a glibc between two of them installs the wheels of the lower one; newer than the
# last, those of the last (wheels tagged for a newer glibc than 2.40 are rare).
MANYLINUX_MINORS = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
# uv's resolver log: one line for each distribution it looks at.
SELECTING = re.compile(r"Selecting: (?P<name>[^\s=]+)==(?P<version>\S+) \[[^\]]*\] \((?P<file>[^)\s]+)\)")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;]+)")


def python_platform(system, machine, libc="", libc_version=""):
    """The uv --python-platform whose wheels a host of this kind installs; "" when uv has none."""
    arch = MACHINES.get((machine or "").lower())
    if arch is None:
        return ""
    if system == "Darwin":
        return "%s-apple-darwin" % arch
    found = re.match(r"^2\.(\d+)", libc_version or "")
    if system != "Linux" or libc != "glibc" or not found:
        return ""
    minor = int(found.group(1))
    usable = [m for m in MANYLINUX_MINORS if m <= minor]
    return "%s-manylinux_2_%d" % (arch, usable[-1]) if usable else ""


def uv_target(probe):
    """{python_version, python_platform, macos_version} from the JSON object the role's Python
    probe prints: {"python", "system", "machine", "libc", "libc_version", "macos"}. Whatever
    cannot be read is empty: the PC then simply resolves its packages itself."""
    if isinstance(probe, str):
        try:
            probe = json.loads(probe)
        except ValueError:
            probe = {}
    if not isinstance(probe, dict):
        probe = {}
    python = str(probe.get("python") or "")
    if not re.match(r"^3\.\d+$", python):
        python = ""
    system = str(probe.get("system") or "")
    return {
        "python_version": python,
        "python_platform": python_platform(system, str(probe.get("machine") or ""), str(probe.get("libc") or ""),
                                           str(probe.get("libc_version") or "")) if python else "",
        # uv picks macOS wheels for this release (MACOSX_DEPLOYMENT_TARGET), not its default 13.0.
        "macos_version": ".".join(str(probe.get("macos") or "").split(".")[:2]) if system == "Darwin" else "",
    }


def normalize(name):
    """PEP 503's normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def uv_pinned_files(log, pins):
    """The file names uv's resolver log (RUST_LOG=uv_resolver=debug) selected for the versions
    the resolution kept (pins: its name==version lines), and for the projects that are not
    pinned at all (what building a source distribution needs, such as setuptools: an installer
    resolves those again when it builds), once each, in the log's order. Versions of pinned
    projects that the resolver looked at and left are not named."""
    if not isinstance(log, str) or not isinstance(pins, (list, tuple)):
        raise AnsibleFilterError("uv_pinned_files: expected uv's log as a string and the pins as a list")
    kept = set()
    for pin in pins:
        found = PIN.match(str(pin).strip())
        if found:
            kept.add((normalize(found.group("name")), found.group("version")))
    pinned = {name for name, _version in kept}
    files = []
    for found in SELECTING.finditer(log):
        name = normalize(found.group("name"))
        wanted = (name, found.group("version")) in kept or name not in pinned
        if wanted and found.group("file") not in files:
            files.append(found.group("file"))
    return files


class FilterModule:
    """labroom.mlflow install target filters."""

    def filters(self):
        return {"uv_target": uv_target, "uv_pinned_files": uv_pinned_files}
