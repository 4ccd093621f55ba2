# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The class's work of playbooks/collect.yml: the runs every tracking server holds, one table row
per run and one summary row per student, and the seat map that names the student of a lab PC.

The filters are documented in class_work.yml, class_work_csv.yml, seat_map.yml and
seat_map_problems.yml beside this file.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

RUN_COLUMNS = ["student", "host", "experiment", "run_id", "run_name", "status", "start_time", "end_time"]
SUMMARY_COLUMNS = ["student", "host", "runs", "finished", "failed", "last_activity", "best", "best_run_id", "problem"]
GOALS = ("max", "min")
SEAT_MAP_COLUMNS = ("host", "student")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _one_line(text):
    return _LINE_BREAKS.sub(" ", str(text or "")).strip()


def _number(value):
    """A metric's value as a float, or None (MLflow sends NaN and infinities as strings too)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _read_seat_map(text):
    """({host: student}, [problems]) of a seat map's text."""
    problems = []
    # A spreadsheet's CSV export may begin with a byte order mark.
    reader = csv.DictReader(io.StringIO((text or "").lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in SEAT_MAP_COLUMNS if name not in header]
    if missing:
        return {}, ["has no column %s (its first line must name the columns host,student)" % " and ".join(missing)]
    seats, lines = {}, {}
    for number, row in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if key}
        host, student = row.get("host", ""), row.get("student", "")
        if not host and not student:
            continue
        if not host or not student:
            problems.append("line %d has no %s" % (number, "host" if not host else "student"))
            continue
        if host in seats:
            problems.append("names the PC %s twice (lines %d and %d)" % (host, lines[host], number))
            continue
        seats[host], lines[host] = student, number
    return seats, problems


def seat_map_problems(text):
    """The sentences saying why a seat map's text cannot be used; [] when it can."""
    if not isinstance(text, str):
        raise AnsibleFilterError("seat_map_problems: the seat map must be text, not %s" % type(text).__name__)
    return _read_seat_map(text)[1]


def seat_map(text):
    """{host: student} of a seat map's text (a CSV with the columns host and student)."""
    seats, problems = _read_seat_map(text if isinstance(text, str) else "")
    if problems:
        raise AnsibleFilterError("seat_map: the seat map %s" % "; ".join(problems))
    return seats


def _collected(host, host_vars):
    """(what the host's server gave, why it could not be read or '')."""
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("class_work: the variables of %s are not a mapping" % host)
    unreachable = host_vars.get("mlflow_server_unreachable")
    if unreachable:
        return None, "unreachable: %s" % _one_line(unreachable)
    collected = host_vars.get("mlflow_server_collected")
    if not isinstance(collected, Mapping) or not collected:
        return None, "not read: left out of this run (--limit), or the run stopped before it"
    if collected.get("error"):
        return collected, _one_line(collected["error"])
    return collected, ""


def _best(runs, metric, goal):
    """(best value, its run id) of `metric` among `runs` in the direction `goal`; the earliest
    run wins a tie. (None, '') when no run has the metric."""
    best, best_run = None, ""
    for run in sorted(runs, key=lambda r: r.get("start_time") or ""):
        value = _number((run.get("metrics") or {}).get(metric)) if metric else None
        if value is None:
            continue
        if best is None or (value > best if goal == "max" else value < best):
            best, best_run = value, run.get("run_id", "")
    return best, best_run


def _artifact_file(run, path, root):
    """The file on the server's host that holds `path` of the run's artifacts, from its
    artifact_uri (mlflow-artifacts:/<experiment>/<run>/artifacts below the server's `root`, or a
    local path), or None when they are kept elsewhere."""
    uri = str(run.get("artifact_uri") or "")
    if uri.startswith("mlflow-artifacts:") and root:
        base = "%s/%s" % (str(root).rstrip("/"), uri[len("mlflow-artifacts:"):].lstrip("/"))
    elif uri.startswith("file://"):
        base = uri[len("file://"):]
    elif uri.startswith("/"):
        base = uri
    else:
        return None
    return "%s/%s" % (base.rstrip("/"), path)


_ARTIFACT_REASONS = {"missing": "the run has no such file", "directory": "a folder, not a file"}


def _artifacts(run, student, host, root, found, skipped):
    """Sort the run's looked-for artifacts into `found` (to copy) and `skipped` (with why)."""
    for item in run.get("artifacts") or []:
        entry = {"student": student, "host": host, "run_id": run.get("run_id", ""), "path": item.get("path", "")}
        state = item.get("state")
        file = _artifact_file(run, entry["path"], root) if state == "found" else None
        if file:
            found.append(dict(entry, file=file, size=item.get("size")))
            continue
        if state == "found":
            reason = "kept outside the server's host (%s)" % run.get("artifact_uri")
        elif state == "too_large":
            reason = "%s bytes, more than mlflow_collect_artifact_max_bytes" % item.get("size")
        else:
            reason = _ARTIFACT_REASONS.get(state, "state %s" % state)
        skipped.append(dict(entry, reason=reason, message="%s, run %s on %s: %s not copied, %s" % (
            student, entry["run_id"], host, entry["path"], reason)))


def class_work(hosts, hostvars, metric="", goal="max", seats=None):
    """The class's work from each host's mlflow_server_collected (see class_work.yml)."""
    if goal not in GOALS:
        raise AnsibleFilterError("class_work: goal must be max or min, not %r" % (goal,))
    seats = seats or {}
    runs_table, summary, problems, artifacts, artifacts_skipped = [], [], [], [], []
    param_names, metric_names = set(), set()
    for host in hosts:
        collected, problem = _collected(host, hostvars.get(host, {}))
        course = bool(collected and collected.get("course"))
        if problem:
            problems.append({"host": host, "problem": problem})
            summary.append(dict({name: "" for name in SUMMARY_COLUMNS}, student="" if course else seats.get(host, host),
                                host=host, problem=problem))
            continue
        by_student = {}
        if course:
            # A course server: each student's experiment is named after their account.
            for student in collected.get("students") or []:
                by_student[student] = []
            for run in collected.get("runs") or []:
                by_student.setdefault(run.get("experiment", ""), []).append(run)
        else:
            by_student[seats.get(host, host)] = list(collected.get("runs") or [])
        for student in sorted(by_student):
            runs = sorted(by_student[student], key=lambda r: (r.get("start_time") or "", r.get("run_id", "")))
            for run in runs:
                params, metrics = run.get("params") or {}, run.get("metrics") or {}
                param_names.update(params)
                metric_names.update(metrics)
                row = {"student": student, "host": host}
                row.update((name, run.get(name)) for name in RUN_COLUMNS[2:])
                row.update(("param.%s" % name, value) for name, value in params.items())
                row.update(("metric.%s" % name, value) for name, value in metrics.items())
                runs_table.append(row)
                _artifacts(run, student, host, collected.get("artifact_root"), artifacts, artifacts_skipped)
            best, best_run = _best(runs, metric, goal)
            activity = [t for run in runs for t in (run.get("start_time"), run.get("end_time")) if t]
            summary.append({
                "student": student, "host": host, "runs": len(runs),
                "finished": sum(1 for run in runs if run.get("status") == "FINISHED"),
                "failed": sum(1 for run in runs if run.get("status") == "FAILED"),
                "last_activity": max(activity) if activity else "",
                "best": best, "best_run_id": best_run, "problem": "",
            })
    columns = (RUN_COLUMNS + ["param.%s" % name for name in sorted(param_names)]
               + ["metric.%s" % name for name in sorted(metric_names)])
    for row in runs_table:
        for name in columns:
            row.setdefault(name, "")
    return {
        "runs": runs_table,
        "runs_columns": columns,
        "summary": summary,
        "summary_columns": list(SUMMARY_COLUMNS),
        "problems": problems,
        "artifacts": artifacts,
        "artifacts_skipped": artifacts_skipped,
        "metric": metric,
        "goal": goal,
        "metric_seen": bool(metric) and metric in metric_names,
    }


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def class_work_csv(rows, columns):
    """CSV text of `rows` (mappings) with these `columns`, a header line first."""
    if not isinstance(columns, (list, tuple)) or not columns:
        raise AnsibleFilterError("class_work_csv: columns must be a non-empty list")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows or []:
        if not isinstance(row, Mapping):
            raise AnsibleFilterError("class_work_csv: each row must be a mapping, not %s" % type(row).__name__)
        writer.writerow([_cell(row.get(name)) for name in columns])
    return out.getvalue()


class FilterModule:
    """labroom.mlflow class work filters."""

    def filters(self):
        return {
            "class_work": class_work,
            "class_work_csv": class_work_csv,
            "seat_map": seat_map,
            "seat_map_problems": seat_map_problems,
        }
