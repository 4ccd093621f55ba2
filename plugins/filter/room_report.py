# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The room report of playbooks/status.yml: one row per lab PC, per package cache host and per
course tier's front and database host, and the hosts that count as failing.

The filters are documented in room_report_rows.yml, room_report_cache_rows.yml,
room_report_tier_rows.yml and room_report_failing.yml beside this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ansible.errors import AnsibleFilterError

# The columns every row has, whatever is known about the host.
ROW_DEFAULTS = {
    "host": "",
    "role": "server",
    "url": "",
    "version": "",
    "mode": "",
    "healthy": False,
    "latency_ms": None,
    "experiments": None,
    "runs": None,
    "db_kib": None,
    "artifacts_kib": None,
    "users": None,
    # The HTTPS front: mlflow_server_tls (own_ca, provided, none), the days its certificate has
    # left, and a warning the row shows beside a healthy status (a certificate near its end,
    # passwords in clear).
    "tls": "",
    "cert_days": None,
    "warning": "",
    "error": "",
}
NOT_CHECKED = "not checked: left out of this run (--limit), or the run stopped before the check"
# A stopped server was stopped on purpose (mlflow_server_state: stopped).
OK_STATUSES = ("healthy", "stopped")
# In check mode a new PC runs no server yet, so a failing check is expected there.
OK_STATUSES_CHECK_MODE = OK_STATUSES + ("failing",)

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_TRUE = {"yes", "on", "true", "1"}
_FALSE = {"no", "off", "false", "0"}


def _as_bool(value):
    """What Ansible's `bool` filter makes of `value` (without its deprecation warning)."""
    if isinstance(value, str):
        value = value.lower()
    elif isinstance(value, int):  # bool is an int too
        value = str(value).lower()
    try:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        return value == 1
    except TypeError:
        return False


def _recorded(host, host_vars, prefix):
    """What the run recorded about a host under a role's prefix: (<prefix>_status as a mapping,
    <prefix>_unreachable on one line, <prefix>_provision_error or None)."""
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("room_report: the variables of %s are not a mapping: %r" % (host, host_vars))
    checked = host_vars.get(prefix + "_status") or {}
    if not isinstance(checked, Mapping):
        raise AnsibleFilterError("room_report: %s_status of %s is not a mapping: %r" % (prefix, host, checked))
    unreachable = host_vars.get(prefix + "_unreachable")
    unreachable = "" if unreachable is None else _LINE_BREAKS.sub(" ", str(unreachable)).strip()
    return checked, unreachable, host_vars.get(prefix + "_provision_error")


def _rows(filter_name, row, hosts, hostvars):
    """row(host, variables) for each host of `hosts`, in that order; a host that hostvars does
    not know has nothing known about it."""
    if isinstance(hosts, (str, bytes, Mapping)) or not isinstance(hosts, Iterable):
        raise AnsibleFilterError("%s: expects a list of host names, got %r" % (filter_name, hosts))
    return [row(host, hostvars[host] if host in hostvars else {}) for host in hosts]


def room_report_row(host, host_vars):
    """The report row of one host from its variables (a mapping such as hostvars[host]).

    The variables read are mlflow_server_status (the row the role's status entry point
    records), mlflow_server_unreachable (Ansible's reason when the host could not be reached)
    and mlflow_server_provision_error (set by playbooks/provision.yml). A null value counts as
    not set.
    """
    checked, unreachable, provision_error = _recorded(host, host_vars, "mlflow_server")

    if unreachable:
        status = "unreachable"
    elif checked.get("state", "") == "stopped":
        status = "stopped"
    elif _as_bool(checked.get("healthy", False)):
        status = "healthy"
    elif checked:
        status = "failing"
    elif provision_error is not None:
        status = "failed"
    else:
        # Neither checked nor known to have failed: left out by --limit, or the run stopped.
        status = "unreachable"

    # The first cause known, most direct first.
    error = (
        unreachable
        or checked.get("error", "")
        or provision_error
        or ("" if checked else NOT_CHECKED)
    )

    row = dict(ROW_DEFAULTS, host=host)
    row.update(checked)
    row.update(status=status, error=error)
    return row


def room_report_rows(hosts, hostvars):
    """One report row per host of `hosts`, in that order; see room_report_row. A host that
    hostvars does not know is not checked."""
    return _rows("room_report_rows", room_report_row, hosts, hostvars)


def _part_row(host, host_vars, prefix, role, keys):
    """The row of a host that is a part of the room other than a tracking server (the package
    cache, a course tier's front or database host), from <prefix>_status, <prefix>_unreachable
    and <prefix>_provision_error; None when nothing is known about it in this run. `keys` are
    the status's figures the row takes over."""
    checked, unreachable, provision_error = _recorded(host, host_vars, prefix)
    if not (checked or unreachable or provision_error is not None):
        return None

    if unreachable:
        status = "unreachable"
    elif provision_error is not None:
        # It may still answer (an older program kept running), but this run could not set it up.
        status = "failed"
    elif _as_bool(checked.get("healthy", False)):
        status = "healthy"
    else:
        status = "failing"
    error = unreachable or (provision_error if provision_error is not None else "") or checked.get("error", "")

    row = dict(ROW_DEFAULTS, host=host)
    row.update({key: checked[key] for key in keys if checked.get(key) not in (None, "")})
    row.update(role=role, mode=role, healthy=status == "healthy", status=status, error=str(error).strip())
    return row


def room_report_cache_row(host, host_vars):
    """The report row of one package cache host, or None when nothing is known about it in
    this run (left out by --limit).

    The variables read are package_cache_status (the row the package_cache role's status
    entry point records), package_cache_unreachable (Ansible's reason when the host could not
    be reached) and package_cache_provision_error (set by playbooks/provision.yml).
    """
    return _part_row(host, host_vars, "package_cache", "cache", ("url", "version"))


def room_report_cache_rows(hosts, hostvars):
    """One report row per package cache host of `hosts` that was part of this run, in that
    order; see room_report_cache_row."""
    rows = _rows("room_report_cache_rows", room_report_cache_row, hosts, hostvars)
    return [row for row in rows if row is not None]


TIER_ROLES = ("front", "database")


def room_report_tier_row(host, host_vars, role):
    """The report row of a course tier's front or database host (`role`), or None when nothing
    is known about it in this run (left out by --limit).

    The variables read are mlflow_server_tier_<role>_status (the row the role's
    course_front_status or course_database_status entry point records),
    mlflow_server_tier_<role>_unreachable and mlflow_server_tier_<role>_provision_error (set
    by playbooks/provision.yml).
    """
    if role not in TIER_ROLES:
        raise AnsibleFilterError("room_report_tier_rows: role must be one of %s, got %r" % (", ".join(TIER_ROLES), role))
    return _part_row(host, host_vars, "mlflow_server_tier_" + role, role, ("url", "version", "latency_ms", "tls", "cert_days"))


def room_report_tier_rows(hosts, hostvars, role):
    """One report row per host of `hosts` that was part of this run as a course tier's `role`
    (front or database), in that order; see room_report_tier_row."""
    rows = _rows("room_report_tier_rows", lambda host, host_vars: room_report_tier_row(host, host_vars, role), hosts, hostvars)
    return [row for row in rows if row is not None]


def room_report_failing(rows, check_mode=False):
    """The hosts of `rows` whose status is not good enough: not healthy or stopped (nor
    failing, in check mode)."""
    ok = OK_STATUSES_CHECK_MODE if _as_bool(check_mode) else OK_STATUSES
    try:
        return [row["host"] for row in rows if row["status"] not in ok]
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("room_report_failing: expects the rows of room_report_rows (%s)" % exc)


class FilterModule:
    """The room report filters."""

    def filters(self):
        return {
            "room_report_rows": room_report_rows,
            "room_report_cache_rows": room_report_cache_rows,
            "room_report_tier_rows": room_report_tier_rows,
            "room_report_failing": room_report_failing,
        }
