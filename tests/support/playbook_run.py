"""Run one of the collection's playbooks and read its result with Ansible's json callback.

One reader for every caller that needs to know what a playbook did (the Molecule side-effect
steps, bench/room_bench.py): the exit status, each host's stats from the play recap
(ok, changed, failed, unreachable, skipped, rescued, ignored) and the messages of the tasks
that failed, instead of a regular expression over the PLAY RECAP text.

    from playbook_run import run_playbook
    run = run_playbook("site.yml", inventories=["hosts.yml"], args=["--check"])
    run.rc, run.changed("lab-pc-01"), run.stats["lab-pc-01"]["failed"], run.text

Plain Python (no pytest), importable with tests/support on sys.path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The json callback's stats keys, and the names this module gives them.
_STATS = {"ok": "ok", "changed": "changed", "failures": "failed", "unreachable": "unreachable",
          "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}


@dataclass
class PlaybookRun:
    """What one ansible-playbook run did."""

    argv: list[str]
    rc: int
    elapsed: float
    # {host: {"ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored"}}
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    # [{"host", "task", "msg", "unreachable"}] for every task result that failed (rescued or
    # ignored ones too: a refusal inside a block is still the reason a host stopped).
    failures: list[dict] = field(default_factory=list)
    # [{"host", "task"}] for every task result that reported a change, so that a count that
    # should be 0 says which task it was.
    changes: list[dict] = field(default_factory=list)
    # Whatever the run printed besides the JSON document (other callbacks, warnings, errors).
    other_output: str = ""
    parsed: bool = True
    # The json callback's whole document (plays, tasks, per-host results), for callers that
    # read task results.
    document: dict = field(default_factory=dict)

    def changed(self, host):
        """The host's changed count, or None when the host is not in the recap."""
        return self.stats.get(host, {}).get("changed")

    @property
    def total_changed(self):
        return sum(s["changed"] for s in self.stats.values())

    @property
    def text(self):
        """A readable account for assertion messages: failed tasks, recap, other output."""
        lines = ["$ %s" % " ".join(self.argv), "exit status %d after %.1f s" % (self.rc, self.elapsed)]
        for failure in self.failures:
            lines.append("%s %s | %s | %s" % ("UNREACHABLE" if failure["unreachable"] else "FAILED",
                                              failure["host"], failure["task"], failure["msg"]))
        for change in self.changes:
            lines.append("CHANGED %s | %s" % (change["host"], change["task"]))
        for host, counts in sorted(self.stats.items()):
            lines.append("%-24s : %s" % (host, " ".join("%s=%d" % kv for kv in counts.items())))
        if self.other_output.strip():
            lines.append(self.other_output.strip()[-6000:])
        return "\n".join(lines)

    def profile(self, slowest=8):
        """Where the run's time went, from the json callback's start and end times: each play's
        seconds, the slowest tasks (seconds, all hosts together), every task in the order it ran
        (tasks_in_order) and, per host, how many tasks ran on it (skipped ones not counted)."""
        plays, tasks, per_host = [], [], {}
        for play in self.document.get("plays", []):
            plays.append({"play": play.get("play", {}).get("name", ""),
                          "s": _seconds(play.get("play", {}).get("duration", {}))})
            for task in play.get("tasks", []):
                tasks.append({"task": task.get("task", {}).get("name", ""),
                              "s": _seconds(task.get("task", {}).get("duration", {}))})
                for host, result in task.get("hosts", {}).items():
                    if not result.get("skipped"):
                        per_host[host] = per_host.get(host, 0) + 1
        in_order = list(tasks)
        tasks.sort(key=lambda t: -t["s"])
        return {"plays": plays, "slowest_tasks": tasks[:slowest], "tasks_per_host": per_host,
                "tasks_in_order": in_order}

    def to_dict(self):
        """The run as plain data (to record in a JSON file)."""
        return {"argv": self.argv, "rc": self.rc, "elapsed": round(self.elapsed, 1), "stats": self.stats,
                "failures": self.failures, "changes": self.changes, "text": self.text}


def _seconds(duration):
    """Seconds between a json callback duration's start and end (0 when either is missing)."""
    try:
        start, end = (datetime.fromisoformat(duration[key].replace("Z", "+00:00")) for key in ("start", "end"))
    except (KeyError, ValueError, AttributeError):
        return 0.0
    return round((end - start).total_seconds(), 1)


def _message(result):
    for key in ("msg", "reason", "stderr", "exception"):
        value = result.get(key)
        if value:
            return value if isinstance(value, str) else json.dumps(value)
    return json.dumps({k: v for k, v in result.items() if not k.startswith("_ansible")})[:2000]


def _failures(document):
    found = []
    for play in document.get("plays", []):
        for task in play.get("tasks", []):
            name = task.get("task", {}).get("name", "")
            for host, result in task.get("hosts", {}).items():
                items = [result] + [r for r in result.get("results", []) if isinstance(r, dict)]
                for item in items:
                    if item.get("failed") or item.get("unreachable"):
                        found.append({"host": host, "task": name, "msg": _message(item),
                                      "unreachable": bool(item.get("unreachable"))})
    return found


def _changes(document):
    return [{"host": host, "task": task.get("task", {}).get("name", "")}
            for play in document.get("plays", []) for task in play.get("tasks", [])
            for host, result in task.get("hosts", {}).items() if result.get("changed")]


def _split(stdout):
    """(the json callback's document, the rest of stdout): other stdout callbacks such as
    ansible.posix.timer may print before or after it."""
    decoder = json.JSONDecoder()
    start = 0
    while True:
        index = stdout.find("{", start)
        if index < 0:
            return None, stdout
        if index == 0 or stdout[index - 1] == "\n":
            try:
                document, end = decoder.raw_decode(stdout, index)
            except ValueError:
                document = None
            if isinstance(document, dict) and "stats" in document:
                return document, stdout[:index] + stdout[end:]
        start = index + 1


def parse(argv, rc, stdout, stderr, elapsed=0.0):
    """A PlaybookRun from the output of ansible-playbook run with the json stdout callback."""
    document, rest = _split(stdout)
    other = "\n".join(part for part in (rest.strip(), stderr.strip()) if part)
    if document is None:
        return PlaybookRun(argv=argv, rc=rc, elapsed=elapsed, other_output=other, parsed=False)
    stats = {host: {name: int(counts.get(key, 0)) for key, name in _STATS.items()}
             for host, counts in document.get("stats", {}).items()}
    return PlaybookRun(argv=argv, rc=rc, elapsed=elapsed, stats=stats, failures=_failures(document),
                       changes=_changes(document), other_output=other, document=document)


def run_playbook(playbook, inventories=(), args=(), env=None, timeout=1800):
    """Run ansible-playbook on a playbook of this collection (a path from the repo root, or
    absolute) over the given inventories, with the json stdout callback; return a PlaybookRun.

    env: extra environment on top of this process's (ANSIBLE_CONFIG, the collection path...).
    """
    command = ["ansible-playbook"]
    for inventory in inventories:
        command += ["-i", str(inventory)]
    command += [str(ROOT / playbook), *[str(a) for a in args]]
    return run_command(command, env=env, timeout=timeout)


def run_command(argv, cwd=None, env=None, timeout=1800):
    """Run an ansible-playbook command line as a user types it (argv[0] is "ansible-playbook",
    taken from this Python's environment; relative paths are relative to cwd), with the json
    stdout callback; return a PlaybookRun."""
    if not argv or argv[0] != "ansible-playbook":
        raise ValueError("not an ansible-playbook command: %r" % (argv,))
    command = [str(Path(sys.executable).with_name("ansible-playbook")), *[str(a) for a in argv[1:]]]
    environment = dict(os.environ)
    environment.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".ansible/collections"))
    environment.update(env or {})
    if cwd is not None:
        # As a shell does after cd: the playbooks write reports/ and backups/ under $PWD.
        environment["PWD"] = str(Path(cwd).resolve())
    environment.update(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=cwd, timeout=timeout,
                          check=False)
    return parse(command, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def source_state(root=ROOT):
    """The commit a run of the collection's code measured, and the files that differed from it
    (``git status --porcelain``), for a benchmark's JSON: {"commit": sha or None, "modified": [...]}."""
    def git(*argv):
        done = subprocess.run(["git", "-C", str(root), *argv], capture_output=True, text=True, check=False)
        return done.stdout if done.returncode == 0 else None
    head = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": head.strip() if head else None,
            "modified": [line[3:] for line in (status or "").splitlines() if line.strip()]}
