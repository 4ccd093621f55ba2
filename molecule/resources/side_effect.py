"""Molecule's side_effect step: act on the room as an instructor (and a student) would, and
record what was observed, for verify to assert on.

Run on the controller by molecule/resources/playbooks/side_effect.yml. It runs the
collection's playbooks over the scenario's inventory (with Ansible's json callback, through
tests/support/playbook_run.py), runs commands on the lab PCs (podman exec, the containers of
the scenario) and restarts them; it knows the role only by its documented variables
(defaults/main.yml overlaid with the inventory), not by its tasks.

Steps:
  1. the scenario's own, from molecule/<scenario>/side_effect_steps.py (`run(room)`), if any:
     restarts, kill -9, reboots, backup/reset/restore, refused runs...
  2. on every lab PC, last, so that it sees the final state: a student's first session, a run
     with a param, a metric and an artifact logged and read back through the server.

Observations go to ${MOLECULE_EPHEMERAL_DIRECTORY}/side_effect.json (rewritten after each
step): {"steps": {step: {...}}, "hosts": {host: {step: {...}}}}. A step that raised is
recorded as {"error": traceback}, and the next steps still run; verify reports it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(PROJECT / "tests/support"))
sys.path.insert(0, str(PROJECT / "molecule/resources/tests"))
import labroom_commands  # noqa: E402
from playbook_run import run_playbook  # noqa: E402

RESULTS = "side_effect.json"

# Polls /health from inside a host until it answers OK; prints {"healthy", "seconds", "last"}.
HEALTH_POLL = (
    "import json, sys, time, urllib.request\n"
    "start, last = time.monotonic(), ''\n"
    "while time.monotonic() - start < float(sys.argv[2]):\n"
    "    try:\n"
    "        body = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()\n"
    "        if body.strip() == 'OK':\n"
    "            print(json.dumps({'healthy': True, 'seconds': round(time.monotonic() - start, 1)})); sys.exit(0)\n"
    "        last = body[:200]\n"
    "    except Exception as exc:\n"
    "        last = repr(exc)[:200]\n"
    "    time.sleep(0.5)\n"
    "print(json.dumps({'healthy': False, 'seconds': round(time.monotonic() - start, 1), 'last': last}))\n"
)


class Room:
    """The scenario's hosts, the ways to act on them, and the record of what was observed."""

    def __init__(self):
        self.inventory = os.environ["MOLECULE_INVENTORY_FILE"]
        self.workdir = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "side_effect"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.results = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / RESULTS
        self.data = {"scenario": os.environ.get("MOLECULE_SCENARIO_NAME"), "steps": {}, "hosts": {}}
        listing = subprocess.run([str(Path(sys.executable).with_name("ansible-inventory")), "-i", self.inventory, "--list"],
                                 capture_output=True, text=True, check=True)
        self._inventory = json.loads(listing.stdout)
        self._conf = {}

    # --- inventory ---------------------------------------------------------------------------

    def hosts(self, group="lab_room"):
        """The hosts of a group (and of its children), sorted."""
        found, groups = set(), [group]
        while groups:
            entry = self._inventory.get(groups.pop(), {})
            found.update(entry.get("hosts", []))
            groups.extend(entry.get("children", []))
        return sorted(found)

    def hostvars(self, host):
        return self._inventory.get("_meta", {}).get("hostvars", {}).get(host, {})

    def container(self, host):
        return self.hostvars(host).get("ansible_host", host)

    def settings(self, host):
        """The role's defaults overlaid with the host's inventory variables (as the tests read
        them), and the service manager the PC runs: systemd where it booted with it."""
        if host not in self._conf:
            self._conf[host] = labroom_commands.settings(
                host, self.hostvars(host), lambda: self.sh(host, "test -d /run/systemd/system").returncode == 0)
        return self._conf[host]

    # --- acting -------------------------------------------------------------------------------

    def sh(self, host, script, timeout=600, stdin=None):
        """A shell command on the lab PC (as root, as over SSH with become)."""
        interactive = ["-i"] if stdin is not None else []
        return subprocess.run(["podman", "exec", *interactive, self.container(host), "sh", "-c", script],
                              input=stdin, capture_output=True, text=True, timeout=timeout, check=False)

    @staticmethod
    def class_work_files(folder):
        """What playbooks/collect.yml wrote in `folder`: runs.csv and summary.csv read back as
        rows (None when missing), and the mode of the folder and of each file."""
        files = {}
        for table in ("runs", "summary"):
            path = folder / ("%s.csv" % table)
            files[table] = list(csv.DictReader(io.StringIO(path.read_text()))) if path.exists() else None
        # The folder by its name, what is in it by its path below it (artifacts/<student>/...).
        modes = {(path.name if path == folder else str(path.relative_to(folder))): oct(path.stat().st_mode & 0o777)
                 for path in [folder, *sorted(folder.rglob("*"))] if path.exists()}
        copied = {str(path.relative_to(folder)): path.read_text(errors="replace")
                  for path in sorted(folder.glob("artifacts/**/*")) if path.is_file()}
        return {"files": files, "modes": modes, "dir": str(folder), "artifacts": copied}

    @staticmethod
    def task_messages(played, task):
        """The msg of each host's result of the task named `task` in a playbook run (debug tasks)."""
        return [result.get("msg") for play in played.document.get("plays", []) for item in play.get("tasks", [])
                if item.get("task", {}).get("name") == task for result in item.get("hosts", {}).values()]

    project = PROJECT

    @staticmethod
    def ansible_env():
        """The environment ansible-playbook runs in here: this checkout as labroom.mlflow."""
        return {"ANSIBLE_COLLECTIONS_PATH": str(PROJECT / ".ansible/collections"),
                "ANSIBLE_ROLES_PATH": str(PROJECT / "roles")}

    def playbook(self, name, *args, inventories=()):
        """One of the collection's playbooks over the scenario's inventory (plus extra ones)."""
        return run_playbook(name, inventories=[self.inventory, *inventories], args=args, env=self.ansible_env())

    def reboot(self, host):
        """Switch the PC off and on again (its container restarts; systemd boots again)."""
        done = subprocess.run(["podman", "restart", "-t", "10", self.container(host)], capture_output=True, text=True,
                              timeout=300, check=False)
        return {"rc": done.returncode, "stderr": done.stderr[-2000:]}

    def wait_healthy(self, host, timeout=300):
        conf = self.settings(host)
        url = "http://127.0.0.1:%s/health" % conf["mlflow_server_port"]
        out = self.sh(host, "%s -c %s %s %s" % (shlex.quote(conf["python"]), shlex.quote(HEALTH_POLL), url, timeout),
                      timeout=timeout + 60)
        try:
            return json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"healthy": False, "rc": out.returncode, "output": (out.stdout + out.stderr)[-2000:]}

    def addresses(self, host):
        """The PC's IPv4 addresses of the moment (a DHCP PC's change when it reboots)."""
        out = self.sh(host, "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1")
        return out.stdout.split()

    def http_get(self, host, path, address="127.0.0.1"):
        """GET a path of the PC's server from the PC itself, by an address (the Host header a
        student's browser sends when it opens http://<address>:<port>)."""
        out = self.sh(host, labroom_commands.http_get_command(self.settings(host), path, address))
        if out.returncode != 0:
            raise RuntimeError("GET %s by %s failed: %s" % (path, address, out.stderr[-2000:]))
        return json.loads(out.stdout)

    def client(self, host, *args):
        """client_roundtrip.py (a student's session) on the PC, as the unprivileged user
        'nobody', which reaches the data only through the server."""
        out = self.sh(host, labroom_commands.client_command(self.settings(host), *args),
                      stdin=labroom_commands.CLIENT_SCRIPT.read_text())
        if out.returncode != 0:
            raise RuntimeError("client %s failed:\n%s\n%s%s" % (
                " ".join(args), out.stdout[-2000:], out.stderr[-3000:], self.service_log(host)))
        return json.loads(out.stdout.strip().splitlines()[-1])

    def service_log(self, host, lines=60):
        """The server's log (the journal under systemd, mlflow.log elsewhere)."""
        command = labroom_commands.log_command(self.settings(host), lines)
        out = self.sh(host, command)
        return "\n--- %s on %s ---\n%s" % (command, host, out.stdout or out.stderr)

    # --- recording ------------------------------------------------------------------------------

    def step(self, name, function, *args, host=None):
        """Run one step, record what it returned (or its traceback) and save the record."""
        label = name if host is None else "%s on %s" % (name, host)
        print("%s  %s ..." % (time.strftime("%H:%M:%S"), label), flush=True)
        started = time.monotonic()
        try:
            observed = function(*args)
        except Exception as exc:  # noqa: BLE001 - recorded, reported by verify
            # What the step saw before it raised, when it attached it (exc.observed).
            observed = dict(getattr(exc, "observed", {}), error=traceback.format_exc())
            if host is not None:
                observed["error"] += self.service_log(host)
        observed["seconds"] = round(time.monotonic() - started, 1)
        print("%s  %s: %s in %.1f s" % (time.strftime("%H:%M:%S"), label, "ERROR" if "error" in observed else "done",
                                        observed["seconds"]), flush=True)
        if "error" in observed:
            print(observed["error"], flush=True)
        if host is None:
            self.data["steps"][name] = observed
        else:
            self.data["hosts"].setdefault(host, {})[name] = observed
        self.save()
        return observed

    def save(self):
        temporary = self.results.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=2, default=str))
        temporary.replace(self.results)


def roundtrip(room, host):
    """A student's first session: log a run with a param, a metric and an artifact through the
    server and read it all back (the client asserts each)."""
    return {"logged": room.client(host, "log")}


def main():
    room = Room()
    room.results.unlink(missing_ok=True)
    steps = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "side_effect_steps.py"
    if steps.exists():
        spec = importlib.util.spec_from_file_location("side_effect_steps", steps)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.run(room)
    for host in room.hosts():
        room.step("roundtrip", roundtrip, room, host, host=host)
    errors = [name for name, step in room.data["steps"].items() if "error" in step]
    errors += ["%s on %s" % (name, host) for host, steps in room.data["hosts"].items()
               for name, step in steps.items() if "error" in step]
    print("recorded in %s%s" % (room.results, "; steps that raised: " + ", ".join(errors) if errors else ""))


if __name__ == "__main__":
    main()
