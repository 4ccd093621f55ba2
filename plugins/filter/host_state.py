# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The converged-state record of the collection's roles: a digest of what a
labroom.mlflow.host_probe call saw, a digest of the collection's code, and the record's text.

The filters are documented in host_state_digest.yml, host_state_record.yml and
collection_code_digest.yml beside this file.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible.errors import AnsibleFilterError

# What in a role decides what lands on a host (defaults/ and meta/ are settings and
# interfaces: their values reach the record through the settings digest).
ROLE_PARTS = ("tasks", "handlers", "templates", "vars", "files")


def host_state_digest(probe, exclude_paths=(), commands=(), pythons=()):
    """SHA-256 of the probe's paths (without the files' text: their digests stand for it), users,
    groups, the rc and stdout of the named commands and what the named pythons hold, in a
    canonical form."""
    if not isinstance(probe, dict) or not isinstance(probe.get("paths"), dict):
        raise AnsibleFilterError("host_state_digest: the input must be a labroom.mlflow.host_probe result")
    excluded = set(exclude_paths or ())
    paths = {
        path: {key: value for key, value in entry.items() if key != "content"}
        for path, entry in probe["paths"].items()
        if path not in excluded
    }
    outputs = {}
    for name in commands or ():
        found = probe.get("commands", {}).get(name)
        if found is None:
            raise AnsibleFilterError("host_state_digest: the probe ran no command named %r" % name)
        outputs[name] = [found.get("rc"), found.get("stdout")]
    described = {}
    for name in pythons or ():
        found = (probe.get("pythons") or {}).get(name)
        if found is None:
            raise AnsibleFilterError("host_state_digest: the probe looked for no Python named %r" % name)
        described[name] = found
    document = {"paths": paths, "users": probe.get("users", {}), "groups": probe.get("groups", {}), "commands": outputs}
    if described:
        document["pythons"] = described
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def host_state_record(probe, role, settings, state_file, commands=(), pythons=()):
    """The record's text: the settings digest and what the probe saw (the record itself left
    out). It is compared as a whole; nothing in it is parsed."""
    observed = host_state_digest(probe, exclude_paths=[state_file], commands=commands, pythons=pythons)
    return (
        "# %s: the last run that left this host as its settings want it.\n"
        "# Delete this file to have the next run go through every task.\n"
        "settings %s\nobserved %s\n" % (role, settings, observed)
    )


def collection_code_digest(role_path):
    """SHA-256 of the collection's code that decides what lands on a host: every role's
    tasks, handlers, templates, vars and files, and every Python file under plugins/ (names
    and contents). role_path is any role's folder of the collection."""
    root = os.path.normpath(os.path.join(str(role_path), "..", ".."))
    roles = os.path.join(root, "roles")
    plugins = os.path.join(root, "plugins")
    if not os.path.isdir(roles) or not os.path.isdir(plugins):
        raise AnsibleFilterError("collection_code_digest: %s is not a role of a collection (no roles/ and plugins/ in %s)"
                                 % (role_path, root))
    files = []
    for role in sorted(os.listdir(roles)):
        for part in ROLE_PARTS:
            files.extend(_walk(os.path.join(roles, role, part)))
    files.extend(path for path in _walk(plugins) if path.endswith(".py"))
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(os.path.relpath(path, root).encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def _walk(folder):
    found = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(os.path.join(top, name) for name in names if not name.endswith(".pyc"))
    return found


class FilterModule:
    """labroom.mlflow host state filters."""

    def filters(self):
        return {
            "host_state_digest": host_state_digest,
            "host_state_record": host_state_record,
            "collection_code_digest": collection_code_digest,
        }
