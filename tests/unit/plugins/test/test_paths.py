"""The own_dir test of plugins/test/paths.py: the one list of system folders of both roles."""

from __future__ import annotations

import pytest

from ansible_collections.labroom.mlflow.plugins.test import paths

OWN_DIR = [
    ("/opt/mlflowserver-lab", True), ("/opt/labroom-package-cache", True), ("/opt/mlflowserver-lab/", True),
    ("/home/teacher/mlflow", True), ("/srv/mlflow", True), ("/var/lib/mlflow", True), ("/usr/local/mlflow", True),
    ("/Users/teacher/mlflow", True), ("/opt/lab.d/v1", True),
    # Every system folder of both roles' old lists (17 and 9 entries), and more.
    *[(path, False) for path in ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt", "/proc", "/root",
                                 "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var"]],
    ("/opt/", False), ("//opt", False), ("/opt//", False), ("/usr/local", False), ("/var/lib", False),
    ("/Library", False), ("/library", False), ("/Users", False), ("/private/var", False), ("/opt/homebrew", False),
    # Below pseudo file systems or folders emptied at boot.
    ("/tmp/mlflow", False), ("/run/mlflow", False), ("/proc/1/cwd", False), ("/dev/shm/lab", False),
    ("/var/tmp/lab", False), ("/private/tmp/lab", False),
    ("mlflowserver-lab", False), ("./lab", False), ("~/lab", False), ("", False),
    ("/opt/lab/../../etc", False), ("/opt/lab/..", False), ("/opt/./lab", False),
    ("/opt/mlflow lab", False), ("/opt/lab\n", False), ("/opt/lab\t", False), (None, False), (["/opt/lab"], False),
]


@pytest.mark.parametrize(("value", "expected"), OWN_DIR, ids=repr)
def test_own_dir(value, expected):
    assert paths.own_dir(value) is expected


def test_system_dirs_are_normalised():
    # Compared in lower case and without a trailing '/': the list must be written that way.
    assert all(path == path.lower() and (path == "/" or not path.endswith("/")) for path in paths.SYSTEM_DIRS)
    assert all(path in paths.SYSTEM_DIRS for path in paths.VOLATILE_DIRS)
