#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_probe
short_description: Read in one round trip what a role needs to know of a host
version_added: "0.4.0"
description:
  - Reads, in one call, the state of files and folders, of accounts and groups, and the output
    of read-only commands, so that a role can tell whether a host is already as it should be
    before it runs any task that changes something.
  - For every path, whether it exists, its type, mode, owner and group and, for a regular file,
    its SHA-256 digest; for the paths in O(read), also its text.
  - Each command runs without a shell and without input. A command that fails, or whose program
    is missing, does not fail the task; its return code and output are returned for the caller
    to read.
  - Changes nothing on the host. Used by the C(mlflow_server) role (and the internal C(_service)
    role) so that a re-run on a host that is already converged costs one round trip.
author:
  - labroom.mlflow contributors (@labroom)
options:
  paths:
    description:
      - Absolute paths to describe in RV(paths). Symbolic links are described, not followed.
    type: list
    elements: path
    default: []
  read:
    description:
      - Absolute paths of text files (at most 256 KiB each) whose content is returned too, in
        the C(content) key of their entry in RV(paths). They are also described as O(paths) are.
    type: list
    elements: path
    default: []
  commands:
    description:
      - Read-only commands to run, as a mapping of a name to the command's argument list, for
        example C(service) to C([systemctl, show, --property=ActiveState, mlflow-server.service]).
      - The caller must only give commands that change nothing; the module cannot tell.
    type: dict
    default: {}
  pythons:
    description:
      - Pythons to describe, as a mapping of a name to where to look. For each, the first of
        C(candidates) that runs and is at least C(minimum) is described in RV(pythons) - its
        path, release and platform (what it installs wheels for), a digest of the
        distributions it holds, and the version of each of C(packages).
      - A venv is a Python too; give its C(bin/python) as the only candidate.
    type: dict
    default: {}
    version_added: "0.7.0"
  command_timeout:
    description:
      - Seconds each command may run before it is stopped (its return code is then V(-9)).
    type: int
    default: 60
  users:
    description:
      - Account names whose user ID is returned in RV(users) (V(null) for an account that does not exist).
    type: list
    elements: str
    default: []
  groups:
    description:
      - Group names whose group ID is returned in RV(groups) (V(null) for a group that does not exist).
    type: list
    elements: str
    default: []
notes:
  - Supports check mode; it changes nothing in either mode.
  - Owner and group names come from the host's account database; an ID without a name is returned
    as the name too.
"""

EXAMPLES = r"""
- name: Read the lab folder, the unit and whether the server runs
  labroom.mlflow.host_probe:
    paths:
      - /opt/mlflowserver-lab
    read:
      - /etc/systemd/system/mlflow-server.service
    commands:
      service: [systemctl, show, --property=ActiveState, --property=UnitFileState, --, mlflow-server]
    users: [mlflow]
    groups: [mlflow]
  register: probe

- name: Say whether the server runs
  ansible.builtin.debug:
    msg: "{{ probe.commands.service.stdout is search('ActiveState=active') }}"
"""

RETURN = r"""
paths:
  description:
    - One entry per path of O(paths) and O(read), keyed by the path.
    - C(exists), C(type) (V(file), V(directory), V(link) or V(other)), C(mode) (four octal digits),
      C(uid), C(gid), C(owner), C(group); C(sha256) for a regular file; C(content) for the paths
      of O(read) (V(null) when the file is missing, not text, or too large).
  returned: always
  type: dict
  sample:
    /opt/mlflowserver-lab:
      exists: true
      type: directory
      mode: "0755"
      uid: 0
      gid: 997
      owner: root
      group: mlflow
commands:
  description: For every command of O(commands), its C(rc), C(stdout), C(stdout_lines) and C(stderr).
  returned: always
  type: dict
  sample:
    service:
      rc: 0
      stdout: "ActiveState=active\nUnitFileState=enabled\n"
      stdout_lines: [ActiveState=active, UnitFileState=enabled]
      stderr: ""
pythons:
  version_added: "0.7.0"
  description:
    - For every name of O(pythons), C(found) and, when one was found, C(path) (the candidate),
      C(python) (its release, V(3.12)), C(system), C(machine), C(libc), C(libc_version), C(macos),
      C(distributions) (SHA-256 of its distributions' C(name==version) lines, sorted) and
      C(versions) (each of C(packages) to its version, V(null) when not installed).
  returned: always
  type: dict
  sample:
    venv:
      found: true
      path: /opt/mlflowserver-lab/.venv/bin/python
      python: "3.11"
      system: Linux
      machine: x86_64
      libc: glibc
      libc_version: "2.36"
      macos: ""
      distributions: 5c1f0e8a6b4f0e3e0b4f7e2d1c9a8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b
      versions: {mlflow: 3.17.2}
users:
  description: The user ID of every account of O(users), or V(null) for one that does not exist.
  returned: always
  type: dict
  sample: {mlflow: 997}
groups:
  description: The group ID of every group of O(groups), or V(null) for one that does not exist.
  returned: always
  type: dict
  sample: {mlflow: 997}
"""

import grp
import hashlib
import inspect
import json
import os
import pwd
import stat
import subprocess

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labroom.mlflow.plugins.module_utils import python_env

READ_LIMIT = 256 * 1024
HASH_CHUNK = 1024 * 1024


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def describe(path, read=False):
    """What is at path: type, mode, owner, group, a regular file's SHA-256 and (read) its text."""
    try:
        st = os.lstat(path)
    except OSError:
        found = {"exists": False}
        if read:
            found["content"] = None
        return found
    if stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "directory"
    elif stat.S_ISLNK(st.st_mode):
        kind = "link"
    else:
        kind = "other"
    found = {
        "exists": True,
        "type": kind,
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
    }
    if kind == "file":
        digest = hashlib.sha256()
        data = b""
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
                    digest.update(chunk)
                    if read and len(data) <= READ_LIMIT:
                        data += chunk
            found["sha256"] = digest.hexdigest()
        except OSError:
            found["sha256"] = None
            data = None
        if read:
            try:
                found["content"] = data.decode("utf-8") if data is not None and len(data) <= READ_LIMIT else None
            except UnicodeDecodeError:
                found["content"] = None
    elif read:
        found["content"] = None
    return found


def run_command(argv, timeout):
    """rc, stdout, stderr of a command run without a shell; a missing program is rc 127."""
    try:
        result = subprocess.run(
            [str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        return {"rc": 127, "stdout": "", "stdout_lines": [], "stderr": str(exc)}
    except PermissionError as exc:
        return {"rc": 126, "stdout": "", "stdout_lines": [], "stderr": str(exc)}
    except subprocess.TimeoutExpired:
        return {"rc": -9, "stdout": "", "stdout_lines": [], "stderr": "stopped after %d seconds" % timeout}
    stdout = result.stdout.decode("utf-8", "replace")
    return {
        "rc": result.returncode,
        "stdout": stdout,
        "stdout_lines": stdout.splitlines(),
        "stderr": result.stderr.decode("utf-8", "replace"),
    }


def ident(lookup, name):
    try:
        return lookup(name)[2]
    except KeyError:
        return None


def find_python(spec, timeout, source=None):
    """The first of spec's candidates that runs python_env's source and is new enough."""
    source = source or inspect.getsource(python_env)
    arguments = json.dumps({"minimum": spec.get("minimum") or "", "packages": spec.get("packages") or []})
    for candidate in spec.get("candidates") or []:
        ran = run_command([candidate, "-c", source, arguments], timeout)
        if ran["rc"] != 0:
            continue
        try:
            described = json.loads(ran["stdout"])
        except ValueError:
            continue
        described.pop("executable", None)
        return dict(described, found=True, path=candidate)
    return {"found": False}


def probe(paths, read, commands, timeout, users, groups, pythons=None):
    found = {path: describe(path) for path in paths}
    for path in read:
        found[path] = describe(path, read=True)
    return {
        "paths": found,
        "commands": {name: run_command(argv, timeout) for name, argv in commands.items()},
        "pythons": {name: find_python(spec, timeout) for name, spec in (pythons or {}).items()},
        "users": {name: ident(pwd.getpwnam, name) for name in users},
        "groups": {name: ident(grp.getgrnam, name) for name in groups},
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "default": []},
            "read": {"type": "list", "elements": "path", "default": []},
            "commands": {"type": "dict", "default": {}},
            "pythons": {"type": "dict", "default": {}},
            "command_timeout": {"type": "int", "default": 60},
            "users": {"type": "list", "elements": "str", "default": []},
            "groups": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    bad = [p for p in params["paths"] + params["read"] if not os.path.isabs(p)]
    if bad:
        module.fail_json(msg="paths and read take absolute paths; got %s" % ", ".join(bad))
    for name, argv in params["commands"].items():
        if not isinstance(argv, list) or not argv:
            module.fail_json(msg="commands: %s must be a non-empty list of arguments, got %r" % (name, argv))
    for name, spec in params["pythons"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("candidates"), list) or not spec["candidates"]:
            module.fail_json(msg="pythons: %s must be a mapping with a non-empty list of candidates, got %r" % (name, spec))
    if params["command_timeout"] < 1:
        module.fail_json(msg="command_timeout must be 1 or more seconds, got %d" % params["command_timeout"])
    result = probe(params["paths"], params["read"], params["commands"], params["command_timeout"],
                   params["users"], params["groups"], params["pythons"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
