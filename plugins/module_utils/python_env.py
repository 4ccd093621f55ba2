# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Python on the host is: its release and platform (what it installs wheels for), a
digest of the distributions it holds, and the versions of named ones.

labroom.mlflow.host_probe runs this file's source with each candidate Python
(``python -c <source> <json arguments>``): it must run on any Python 3 and import only the
standard library. A Python older than the minimum exits 1 without printing; so does one that
cannot run it at all (Python 2). Unit tests import it and call describe() directly.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys


def distributions_digest(distributions):
    """SHA-256 of "name==version" lines, names lowercased, sorted: what a venv holds."""
    lines = sorted("%s==%s" % (str(name).lower(), version) for name, version in distributions)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def installed():
    """(name, version) of every distribution this Python sees."""
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8: the digest then stands for "no metadata"
        return []
    return [(d.metadata["Name"], d.version) for d in metadata.distributions()]


def describe(packages=()):
    """What this Python installs for (read by the labroom.mlflow.uv_target filter), the digest
    of its distributions and the version of each of packages (None when not installed)."""
    found = installed()
    versions = {}
    for name in packages:
        wanted = name.lower().replace("_", "-")
        versions[name] = next((v for n, v in found if str(n).lower().replace("_", "-") == wanted), None)
    libc, libc_version = platform.libc_ver()
    return {
        "python": "%d.%d" % sys.version_info[:2],
        "executable": sys.executable,
        "system": platform.system(),
        "machine": platform.machine(),
        "libc": libc,
        "libc_version": libc_version,
        "macos": platform.mac_ver()[0],
        "distributions": distributions_digest(found),
        "versions": versions,
    }


def old(minimum, version_info=None):
    """True when this Python is older than minimum ("3.10")."""
    wanted = tuple(int(part) for part in str(minimum or "0").split("."))
    return tuple((version_info or sys.version_info)[: len(wanted)]) < wanted


def main(argv):
    args = json.loads(argv[1]) if len(argv) > 1 else {}
    if old(args.get("minimum")):
        return 1
    # Run as a script in the candidate Python, not as a module: its output is the answer.
    print(json.dumps(describe(args.get("packages") or ())))  # pylint: disable=ansible-bad-function
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))  # pylint: disable=ansible-bad-function
