"""The one-round-trip probe of a host (plugins/modules/host_probe.py), on real files here."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import sys

import pytest

from ansible_collections.labroom.mlflow.plugins.modules import host_probe as module
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "lab").mkdir(mode=0o750)
    os.chmod(tmp_path / "lab", 0o750)
    unit = tmp_path / "unit.service"
    unit.write_text("[Unit]\nDescription=x\n")
    os.chmod(unit, 0o644)
    (tmp_path / "link").symlink_to(unit)
    return tmp_path


def test_paths_are_described_with_mode_owner_and_digest(tree):
    unit = str(tree / "unit.service")
    out = run_module(module, {"paths": [str(tree / "lab"), str(tree / "missing"), str(tree / "link")], "read": [unit]}).result
    assert out["changed"] is False
    lab = out["paths"][str(tree / "lab")]
    me = os.getuid()
    assert lab == {"exists": True, "type": "directory", "mode": "0750", "uid": me, "gid": os.getgid(),
                   "owner": pwd.getpwuid(me).pw_name, "group": grp.getgrgid(os.getgid()).gr_name}
    assert out["paths"][str(tree / "missing")] == {"exists": False}
    assert out["paths"][str(tree / "link")]["type"] == "link"
    found = out["paths"][unit]
    assert found["sha256"] == hashlib.sha256(b"[Unit]\nDescription=x\n").hexdigest()
    assert found["content"] == "[Unit]\nDescription=x\n" and found["mode"] == "0644"


def test_a_file_to_read_that_is_missing_or_too_large_has_no_content(tree):
    big = tree / "big"
    big.write_bytes(b"x" * (module.READ_LIMIT + 1))
    out = run_module(module, {"read": [str(tree / "nothing"), str(big)]}).result
    assert out["paths"][str(tree / "nothing")] == {"exists": False, "content": None}
    assert out["paths"][str(big)]["content"] is None
    assert out["paths"][str(big)]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_commands_report_their_result_and_never_fail_the_task():
    out = run_module(module, {"commands": {
        "ok": [sys.executable, "-c", "print('hello')"],
        "fails": [sys.executable, "-c", "import sys; sys.stderr.write('no'); sys.exit(3)"],
        "missing": ["/nonexistent/program", "--version"],
    }}, check_mode=True).result
    assert out["commands"]["ok"] == {"rc": 0, "stdout": "hello\n", "stdout_lines": ["hello"], "stderr": ""}
    assert out["commands"]["fails"] == {"rc": 3, "stdout": "", "stdout_lines": [], "stderr": "no"}
    assert out["commands"]["missing"]["rc"] == 127
    assert out["changed"] is False


def test_a_command_that_hangs_is_stopped():
    out = run_module(module, {"commands": {"slow": [sys.executable, "-c", "import time; time.sleep(30)"]},
                              "command_timeout": 1}).result
    assert out["commands"]["slow"]["rc"] == -9


def test_accounts_and_groups():
    me = pwd.getpwuid(os.getuid())
    out = run_module(module, {"users": [me.pw_name, "no-such-user-labroom"],
                              "groups": [grp.getgrgid(os.getgid()).gr_name, "no-such-group-labroom"]}).result
    assert out["users"] == {me.pw_name: me.pw_uid, "no-such-user-labroom": None}
    assert out["groups"][grp.getgrgid(os.getgid()).gr_name] == os.getgid()
    assert out["groups"]["no-such-group-labroom"] is None


@pytest.mark.parametrize(("args", "message"), [
    ({"paths": ["relative/path"]}, "absolute paths"),
    ({"commands": {"x": []}}, "non-empty list"),
    ({"commands": {"x": "echo hi"}}, "non-empty list"),
    ({"command_timeout": 0}, "1 or more"),
])
def test_bad_arguments_are_refused(args, message):
    out = run_module(module, args).result
    assert out["failed"] is True and message in out["msg"]
