# Copyright: labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 test for the roles' folders: the one list of system folders both roles refuse.

The documentation is in own_dir.yml next to this file (ansible-doc -t test labroom.mlflow.own_dir).
"""

from __future__ import annotations

import re

# Folders no role may take as its own (base_dir), on Linux and macOS: the role would chown
# them to its service account, or fill or wipe them. Compared without case (macOS).
SYSTEM_DIRS = frozenset(
    [
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found",
        "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp", "/usr",
        "/usr/bin", "/usr/include", "/usr/lib", "/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/lib",
        "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/backups", "/var/cache", "/var/lib", "/var/local",
        "/var/lock", "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp",
        "/applications", "/library", "/system", "/users", "/volumes", "/cores", "/private", "/private/etc",
        "/private/tmp", "/private/var", "/opt/homebrew",
    ]
)
# Pseudo file systems and folders emptied at boot: nothing below them keeps a lab's data.
VOLATILE_DIRS = ("/proc", "/sys", "/dev", "/run", "/var/run", "/tmp", "/var/tmp", "/private/tmp")


def own_dir(value):
    """An absolute path that a role may take as its own folder: no white space, no '.' or '..'
    component, not a system folder (SYSTEM_DIRS) and not below a pseudo file system or a
    folder emptied at boot (VOLATILE_DIRS)."""
    if not isinstance(value, str) or not value.startswith("/") or re.search(r"[\s\x00-\x1f\x7f]", value):
        return False
    parts = [part for part in value.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return False
    path = ("/" + "/".join(parts)).lower()
    if path in SYSTEM_DIRS:
        return False
    return not any(path.startswith(volatile + "/") for volatile in VOLATILE_DIRS)


class TestModule:
    """labroom.mlflow tests for paths."""

    def tests(self):
        return {"own_dir": own_dir}
