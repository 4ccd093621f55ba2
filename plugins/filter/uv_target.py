# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a lab PC installs for, and which files a uv resolution for it needs.

The filters are documented in uv_target.yml, uv_pinned_files.yml and uv_warm_problems.yml
beside this file.
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


LOG_NOISE = re.compile(r"^\s*(DEBUG|TRACE|INFO) ")


def uv_warm_problems(uv_install, resolved=None, fetched=None):
    """What kept the cache's warm pass from fetching every file beforehand, one phrase each: pip
    failing to get uv (its last line of error), a resolution that failed (uv's error without its
    log lines), a file not on the index, a fetch that failed. The arguments are the registered
    results of the pass's tasks (a loop's result for the resolutions); skipped ones say nothing."""
    problems = []
    uv_install = uv_install or {}
    if uv_install.get("rc", 0) != 0:
        last = (str(uv_install.get("stderr") or "").strip().split("\n") or [""])[-1]
        problems.append("getting uv (pip, exit status %s): %s" % (uv_install["rc"], last))
    for result in (resolved or {}).get("results") or []:
        if result.get("rc", 0) != 0:
            lines = result.get("stderr_lines") or str(result.get("stderr") or "").splitlines()
            problems.append("resolving: " + " ".join(line for line in lines if not LOG_NOISE.match(line)).strip())
    fetched = fetched or {}
    problems.extend("not on the index: %s" % name for name in fetched.get("missing") or [])
    problems.extend("fetching %s" % error for error in fetched.get("errors") or [])
    return problems


class FilterModule:
    """labroom.mlflow install target filters."""

    def filters(self):
        return {"uv_target": uv_target, "uv_pinned_files": uv_pinned_files, "uv_warm_problems": uv_warm_problems}
