# -*- coding: utf-8 -*-
# Copyright: contributors to labroom.mlflow
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a long-running program of the collection lives under each service manager."""

from __future__ import annotations

DOCUMENTATION = r"""
name: service_layout
short_description: Decide the service manager of a program and the paths it uses
version_added: 0.3.0
author:
  - labroom.mlflow contributors
description:
  - Given a service name, the requested service manager and the host's gathered facts, returns
    the manager that runs the program (C(auto) picks C(launchd) on macOS, C(systemd) where the
    host booted with it, otherwise C(supervisor)) and every path and command the internal
    C(labroom.mlflow._service) role and its callers need.
  - One implementation for every role of the collection, so the tracking server and the package
    cache cannot choose differently.
options:
  _input:
    description: The service name (systemd unit C(<name>.service), supervisord program, launchd label C(org.labroom.<name>)).
    type: str
    required: true
  manager:
    description: The requested manager, C(auto), C(systemd), C(supervisor) or C(launchd).
    type: str
    default: auto
  facts:
    description: The host's C(ansible_facts) (C(os_family) and C(service_mgr) are read).
    type: dict
    required: true
  base_dir:
    description: The program's own folder; supervisord's files and the runtime directory of non-systemd managers live under it.
    type: path
    required: true
  bin_dir:
    description: Folder of the venv that holds C(supervisord) and C(supervisorctl) (used under supervisor only).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Where the tracking server runs
  ansible.builtin.set_fact:
    layout: >-
      {{ 'mlflow-server' | labroom.mlflow.service_layout(manager='auto', facts=ansible_facts,
         base_dir='/opt/mlflowserver-lab', bin_dir='/opt/mlflowserver-lab/.venv/bin') }}
"""

RETURN = r"""
_value:
  description: The layout of the service.
  type: dict
  contains:
    manager:
      description: C(systemd), C(supervisor) or C(launchd).
      type: str
    supported:
      description: Whether this host can run that manager (C(false) for launchd off macOS, systemd on a host not booted with it, supervisor on macOS).
      type: bool
    runtime_dir:
      description: Working directory and C(HOME) of the program; C(/run/<name>) under systemd (RuntimeDirectory), C(<base_dir>/run) elsewhere.
      type: str
    definition_file:
      description: The file the manager runs the program from (unit, supervisord configuration or plist).
      type: str
    supervisor_dir:
      description: supervisord's own directory (socket, pid file, log, configuration); root only.
      type: str
    supervisor_conf:
      description: supervisord's configuration file.
      type: str
    supervisorctl:
      description: Path of supervisorctl.
      type: str
    supervisord:
      description: Path of supervisord.
      type: str
    launchd_label:
      description: The LaunchDaemon's label.
      type: str
    status_argv:
      description: A read-only command that prints the program's state (supervisor, launchd); empty under systemd, where service facts tell.
      type: list
      elements: str
    requirements:
      description: Python requirements the program's venv needs for this manager (supervisord under supervisor).
      type: list
      elements: str
"""

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
