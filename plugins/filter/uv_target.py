# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a lab PC installs for, and which files a uv resolution for it needs.

The filters are documented in uv_target.yml, pylock_files.yml and uv_warm_problems.yml
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


def target_tags(python_version, python_platform, macos_version=""):
    """The wheel tags a PC of this kind accepts, the installer's favourite first (as
    packaging.tags.sys_tags orders them for CPython), or None when the kind is not known well
    enough to say (the cache host's own, or a platform uv has no name for)."""
    from packaging import tags  # pylint: disable=import-outside-toplevel
    found = re.match(r"^(\d+)\.(\d+)$", python_version or "")
    linux = re.match(r"^(x86_64|aarch64)-manylinux_2_(\d+)$", python_platform or "")
    mac = re.match(r"^(x86_64|aarch64)-apple-darwin$", python_platform or "")
    if not found or not (linux or mac):
        return None
    version = (int(found.group(1)), int(found.group(2)))
    if linux:
        arch, newest = linux.group(1), int(linux.group(2))
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        platforms = []
        for minor in range(newest, 4, -1):
            platforms.append("manylinux_2_%d_%s" % (minor, arch))
            if minor in legacy:
                platforms.append("%s_%s" % (legacy[minor], arch))
        platforms.append("linux_" + arch)
    else:
        release = tuple(int(part) for part in (macos_version or "11.0").split(".")[:2])
        release = (release[0], 0) if release[0] >= 11 else release
        platforms = list(tags.mac_platforms(release, "arm64" if mac.group(1) == "aarch64" else "x86_64"))
    interpreter = "cp%d%d" % version
    return [str(tag) for tag in tags.cpython_tags(version, abis=[interpreter], platforms=platforms)] + \
        [str(tag) for tag in tags.compatible_tags(version, interpreter, platforms)]


def best_file(files, ranked):
    """The one of a version's wheels an installer of this kind picks (its best-ranked tag), or
    None when none is known to fit."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # pylint: disable=import-outside-toplevel
    rank = {tag: place for place, tag in enumerate(ranked)}
    best, best_place = None, len(rank)
    for entry in files:
        try:
            places = [rank.get(str(tag), len(rank)) for tag in parse_wheel_filename(entry["file"])[3]]
        except InvalidWheelFilename:
            continue
        if places and min(places) < best_place:
            best, best_place = entry, min(places)
    return best


def pylock_files(text, python_version="", python_platform="", macos_version=""):
    """The packages of a pylock.toml (PEP 751) as uv writes it (uv pip compile --format
    pylock.toml with --python-version and --python-platform: the wheels that fit that platform),
    one item each in the lock's order: {name, version, pin ("name==version"), hashed_pin (the
    pin with a --hash=sha256:... option for each of its files), sdist (no wheel: the files are
    the source distribution), files, fetch}, files being [{file, url, sha256}] (every wheel
    listed, or the source distribution when no wheel is) and fetch those of them a PC of this
    kind downloads: the one wheel its installer ranks first when the kind is given, else all.
    The lock comes from the cache host's uv; it is parsed on the controller (tomllib, Python 3.11+)."""
    if not isinstance(text, str):
        raise AnsibleFilterError("pylock_files: expected the text of a pylock.toml")
    try:
        import tomllib  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        raise AnsibleFilterError("pylock_files: reading a pylock.toml needs Python 3.11 or newer on the controller") from error
    try:
        lock = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnsibleFilterError("pylock_files: not a pylock.toml: %s" % error) from error
    ranked = target_tags(python_version, python_platform, macos_version)
    packages = []
    for package in lock.get("packages") or []:
        name, version = str(package.get("name") or ""), str(package.get("version") or "")
        if not name or not version:
            raise AnsibleFilterError("pylock_files: a package without a name or version: %r" % (package,))
        entries = [(wheel, False) for wheel in package.get("wheels") or []]
        if not entries and package.get("sdist"):
            entries = [(package["sdist"], True)]
        files = []
        for entry, _sdist in entries:
            url = str(entry.get("url") or "")
            sha256 = str((entry.get("hashes") or {}).get("sha256") or "")
            if not url or not re.match(r"^[0-9a-f]{64}$", sha256):
                raise AnsibleFilterError("pylock_files: %s %s: a file without a URL or a sha256 hash" % (name, version))
            files.append({"file": str(entry.get("name") or url.split("#", 1)[0].rsplit("/", 1)[-1]),
                          "url": url, "sha256": sha256})
        pin = "%s==%s" % (name, version)
        sdist = bool(entries) and entries[0][1]
        best = None if sdist or ranked is None else best_file(files, ranked)
        packages.append({"name": name, "version": version, "pin": pin,
                         "hashed_pin": " ".join([pin] + ["--hash=sha256:" + f["sha256"] for f in files]),
                         "sdist": sdist, "files": files, "fetch": [best] if best else files})
    return packages


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
        return {"uv_target": uv_target, "pylock_files": pylock_files, "uv_warm_problems": uv_warm_problems}
