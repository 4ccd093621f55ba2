# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A digest of what a labroom.mlflow.host_probe call saw, for telling drift from a converged host.

The filter is documented in host_state_digest.yml beside this file.
"""

from __future__ import annotations

import hashlib
import json

from ansible.errors import AnsibleFilterError


def host_state_digest(probe, exclude_paths=(), commands=()):
    """SHA-256 of the probe's paths (without the files' text: their digests stand for it), users,
    groups and the stdout of the named commands, in a canonical form."""
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
    document = {"paths": paths, "users": probe.get("users", {}), "groups": probe.get("groups", {}), "commands": outputs}
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


class FilterModule:
    """labroom.mlflow host state filters."""

    def filters(self):
        return {"host_state_digest": host_state_digest}
