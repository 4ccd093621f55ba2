# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a long-running program of the collection lives under each service manager.

The filter is documented in service_layout.yml beside this file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

MANAGERS = ("systemd", "supervisor", "launchd")
# supervisord from PyPI, installed into the program's own venv where there is no init system.
SUPERVISOR_REQUIREMENT = "supervisor==4.3.0"


def pick_manager(requested, facts):
    """The manager that runs the program: the requested one, or the host's own for auto."""
    if requested in MANAGERS:
        return requested
    if requested != "auto":
        raise AnsibleFilterError("service_layout: manager must be auto, %s; got %r" % (", ".join(MANAGERS), requested))
    if facts.get("os_family") == "Darwin":
        return "launchd"
    if facts.get("service_mgr") == "systemd":
        return "systemd"
    return "supervisor"


def can_run(manager, facts):
    """Whether the host can run the program under this manager."""
    darwin = facts.get("os_family") == "Darwin"
    return {
        "systemd": facts.get("service_mgr") == "systemd",
        "launchd": darwin,
        "supervisor": not darwin,
    }[manager]


def service_layout(name, facts, base_dir, bin_dir, manager="auto"):
    if not isinstance(facts, dict):
        raise AnsibleFilterError("service_layout: facts must be the host's ansible_facts (a dict)")
    chosen = pick_manager(manager, facts)
    base = str(base_dir).rstrip("/")
    bin_dir = str(bin_dir).rstrip("/")
    supervisor_dir = base + "/supervisor"
    supervisor_conf = supervisor_dir + "/supervisord.conf"
    label = "org.labroom.%s" % name
    definition = {
        "systemd": "/etc/systemd/system/%s.service" % name,
        "supervisor": supervisor_conf,
        "launchd": "/Library/LaunchDaemons/%s.plist" % label,
    }[chosen]
    status_argv = {
        "systemd": [],
        "supervisor": [bin_dir + "/supervisorctl", "-c", supervisor_conf, "status", name],
        "launchd": ["launchctl", "print", "system/" + label],
    }[chosen]
    return {
        "name": name,
        "manager": chosen,
        "supported": can_run(chosen, facts),
        "runtime_dir": "/run/" + name if chosen == "systemd" else base + "/run",
        "definition_file": definition,
        "supervisor_dir": supervisor_dir,
        "supervisor_conf": supervisor_conf,
        "supervisorctl": bin_dir + "/supervisorctl",
        "supervisord": bin_dir + "/supervisord",
        "launchd_label": label,
        "status_argv": status_argv,
        "requirements": [SUPERVISOR_REQUIREMENT] if chosen == "supervisor" else [],
    }


class FilterModule:
    """labroom.mlflow service filters."""

    def filters(self):
        return {"service_layout": service_layout}
