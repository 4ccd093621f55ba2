# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a long-running program of the collection lives under each service manager.

The filter is documented in service_layout.yml beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

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
        "systemd": ["systemctl", "show", "--property=ActiveState", "--property=UnitFileState", "--", name + ".service"],
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


def _line_value(text, key):
    """The value of a "Key=value" line of systemctl show's output, or ''."""
    for line in (text or "").splitlines():
        if line.startswith(key + "="):
            return line[len(key) + 1:].strip()
    return ""


def service_state(layout, status, definition):
    """The layout, plus what runs now: the host_probe results of status_argv and of the definition file."""
    if not isinstance(layout, dict) or "manager" not in layout:
        raise AnsibleFilterError("service_state: the input must be a service_layout result")
    status = status if isinstance(status, dict) else {}
    definition = definition if isinstance(definition, dict) else {}
    rc = status.get("rc", 1)
    out = status.get("stdout") or ""
    defined = bool(definition.get("exists"))
    manager = layout["manager"]
    if manager == "systemd":
        running = rc == 0 and _line_value(out, "ActiveState") == "active"
        enabled = rc == 0 and _line_value(out, "UnitFileState") == "enabled"
    elif manager == "supervisor":
        # supervisorctl status: 0 running, 3 stopped, 4 no such program (all with supervisord
        # up); 4 with "no such file" or "refused" when supervisord itself is not running.
        running = rc == 0 and "RUNNING" in out
        enabled = defined
    else:
        running = rc == 0 and "state = running" in out
        # A LaunchDaemon's plist is loaded at every boot.
        enabled = defined
    found = dict(layout)
    found.update({
        "running": running,
        "enabled": enabled,
        "supervisord_up": manager == "supervisor" and (rc in (0, 3) or "no such process" in out),
        "definition": (definition.get("content") or "") if defined else "",
        "definition_sha256": definition.get("sha256") if defined else None,
    })
    return found


def systemd_env_file(env):
    """The text of a systemd EnvironmentFile= for a mapping of names to values: one
    NAME="value" line each, in name order, with the four characters that systemd (like a shell)
    unescapes inside double quotes escaped: backslash, double quote, backquote and dollar."""
    if not isinstance(env, Mapping):
        raise AnsibleFilterError("systemd_env_file: expects a mapping of names to values, got %r" % type(env).__name__)
    lines = []
    for name in sorted(env):
        if not isinstance(name, str) or not name or not (name[0].isalpha() or name[0] == "_") or not all(
            c.isalnum() or c == "_" for c in name
        ):
            raise AnsibleFilterError("systemd_env_file: %r is not an environment variable name" % (name,))
        value = "" if env[name] is None else str(env[name])
        if "\n" in value or "\r" in value or "\0" in value:
            raise AnsibleFilterError("systemd_env_file: the value of %s spans lines, which systemd cannot read" % name)
        escaped = "".join("\\" + c if c in '\\"`$' else c for c in value)
        lines.append('%s="%s"\n' % (name, escaped))
    return "".join(lines)


class FilterModule:
    """labroom.mlflow service filters."""

    def filters(self):
        return {"service_layout": service_layout, "service_state": service_state, "systemd_env_file": systemd_env_file}
