"""The default scenario's side effects (run by molecule/resources/side_effect.py): the README's
operator table, row by row, as an instructor types it, in a room with a package cache.

  unreachable_and_misconfigured  a site.yml run over the room without its cache host, with
                                 one PC switched off and a bad setting on another
  operator_table                 every command of the README's operator table, in the order of
                                 the table, run from an instructor's directory (site.yml,
                                 playbooks/, inventory/lab-room.yml: the scenario's inventory)
                                 exactly as written; only the README's example names are
                                 replaced: lab-pc-07 by a PC of this room, the example archive
                                 by the one the backup row made. lab-pc-31 ("add a PC") is a new
                                 container, added to the inventory first, removed afterwards.
                                 Before "collect the class's work", the students log the
                                 handout's runs (CLASS_RUNS); the page it writes is opened in
                                 headless Chromium on a lab PC. The deadline rows match no
                                 host here (no course server).
  one_pc_broken                  site.yml --limit <one PC> alone with a bad setting: rc != 0
                                 and its reason in the report
  cache_off                      the cache host switched off, then the whole-room command: the
                                 PCs are reported healthy, the cache's row says what is wrong,
                                 the report is written; then a new PC (lab-pc-32) added with the
                                 add-a-PC row installs from upstream (the fallback)
  new_addresses                  one PC switched off: collect.yml gives its row and fails at
                                 the end; then every PC restarted (podman gives it a new address, as DHCP
                                 does), the cache host started again: each server answers by
                                 its new address, and the whole-room command changes nothing
                                 on the PCs (it brings the cache back)
  drift                          on one PC, its unit file edited and a package of the handout
                                 removed by hand; the one-PC command puts both back and counts
                                 the change, and the next one changes nothing (the whole-room
                                 command's 0 changed on converged PCs: new_addresses)

verify (tests/test_operator_table.py, tests/test_cache.py) asserts on what was recorded.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import yaml

# tests/support is on sys.path (molecule/resources/side_effect.py).
from operator_table import operator_table
from playbook_run import run_command

SWITCHED_OFF = "lab-pc-39"
# The README's example names.
README_PC = "lab-pc-07"
ADDED_PC = "lab-pc-31"
README_RELEASE = "<new release>"
INSTALLED_RELEASE = "3.17.2"
README_ARCHIVE = re.compile(r"backups/([\w.-]+)/\1-\d{8}T\d{6}Z\.tar\.gz")
IMAGE = "localhost/labroom-debian-bookworm:latest"
BROWSER = Path(__file__).resolve().parents[1] / "course" / "browser_ui.py"
CACHE_BASE = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/package_cache/defaults/main.yml")
                            .read_text())["package_cache_base_dir"]
# What a PC prints when it installs from upstream because the cache does not answer.
FALLBACK_SAID = "installing from the installer's default index instead"
# A PC added while the cache is off (not a README name).
ADDED_WHILE_CACHE_OFF = "lab-pc-32"


def run(room):
    room.step("unreachable_and_misconfigured", unreachable_and_misconfigured, room)
    instructor = Instructor(room)
    room.step("operator_table", operator_table_rows, room, instructor)
    room.step("one_pc_broken", one_pc_broken, room, instructor)
    room.step("cache_off", cache_off, room, instructor)
    room.step("new_addresses", new_addresses, room, instructor)
    room.step("drift", drift, room, instructor)


def row_key(task):
    """'backup (every PC, ...)' -> 'backup'."""
    return task.split(" (")[0].strip()


class Instructor:
    """An instructor's checkout: site.yml, playbooks/ and inventory/lab-room.yml (the scenario's
    hosts and settings, as an instructor's inventory lists them), where the README's commands
    run as written. The report goes to reports/ and backups to backups/ below it."""

    def __init__(self, room):
        self.room = room
        # The README's operator table, read once: {row's task, first words: [commands]}.
        self.table = {row_key(row["task"]): row["commands"] for row in operator_table()}
        self.dir = room.workdir / "instructor"
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "inventory").mkdir(parents=True)
        for name in ("site.yml", "playbooks"):
            (self.dir / name).symlink_to(room.project / name)
        self.groups = {}
        for group in ("mlflow_package_cache", "lab_room"):
            self.groups[group] = {host: self.inventory_vars(host) for host in room.hosts(group)}
        self.write()

    def inventory_vars(self, host):
        # Molecule's own variables stay out; so does the scenario's report folder, so that the
        # report lands in reports/ as the README says.
        return {key: value for key, value in self.room.hostvars(host).items()
                if not key.startswith("molecule_") and key != "mlflow_report_dir"}

    def write(self):
        inventory = {"all": {"children": {group: {"hosts": hosts} for group, hosts in self.groups.items()}}}
        (self.dir / "inventory/lab-room.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))

    def run(self, command, names=None):
        """Run one README command in this directory, the README's example names replaced by
        `names`; return what happened and the report it wrote."""
        typed = command
        for example, actual in (names or {}).items():
            typed = typed.replace(example, actual)
        argv = shlex.split(typed)
        shutil.rmtree(self.dir / "reports", ignore_errors=True)
        played = run_command(argv, cwd=self.dir, env=self.room.ansible_env())
        report = self.dir / "reports/room-report.json"
        data = json.loads(report.read_text()) if report.exists() else None
        return {
            "readme": command,
            "names": names or {},
            "typed": typed,
            # A PC that had to install said it did so from upstream (the cache did not answer).
            "said_fallback": FALLBACK_SAID in json.dumps(played.document),
            "run": played.to_dict(),
            "report": data,
            "rows": {row["host"]: row for row in data["hosts"]} if data else {},
        }

    def archives(self, host):
        return sorted(path.relative_to(self.dir).as_posix()
                      for path in (self.dir / "backups" / host).glob("%s-*.tar.gz" % host))


def unreachable_and_misconfigured(room):
    # The lab PCs plus one that does not answer, with a bad setting on one PC. The cache host
    # is left out (--limit): PCs that already hold the requested release need no package index.
    pcs = room.hosts()
    broken, healthy = pcs[-1], pcs[0]
    out = room.workdir / "unreachable-and-misconfigured"
    out.mkdir(exist_ok=True)
    extra = out / "broken.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"lab_room": {
        "hosts": {
            broken: {"mlflow_server_workers": 0},
            # A PC that is switched off: its container does not exist.
            SWITCHED_OFF: {"ansible_connection": room.hostvars(healthy)["ansible_connection"],
                           "ansible_host": SWITCHED_OFF + "-switched-off"},
        },
    }}}}))
    played = room.playbook("site.yml", "--limit", "lab_room", "-e", "mlflow_report_dir=%s" % out,
                           inventories=[extra])
    report, page = out / "room-report.json", out / "room-report.html"
    return {
        "broken": broken,
        "healthy": healthy,
        "switched_off": SWITCHED_OFF,
        "run": played.to_dict(),
        "rows": {row["host"]: row for row in json.loads(report.read_text())["hosts"]} if report.exists() else {},
        "html": page.read_text() if page.exists() else "",
    }


def operator_table_rows(room, instructor):
    table = instructor.table
    pc = room.hosts()[0]
    names = {README_PC: pc}
    seen = {"tasks": list(table), "pc": pc, "added_pc": ADDED_PC, "ran": {}}
    ran = seen["ran"]

    def do(key, index=0, extra_names=None):
        command = table[key][index]
        result = instructor.run(command, dict(names, **(extra_names or {})))
        ran.setdefault(key, []).append(result)
        room.save()
        return result

    try:
        run_rows(room, instructor, table, seen, do)
    except Exception as exc:
        exc.observed = seen
        raise
    return seen


def run_rows(room, instructor, table, seen, do):
    pc = seen["pc"]
    do("whole room")
    do("one PC")
    do("report only")
    # A student's run, so that backup, reset and restore have something to carry.
    seen["logged"] = room.client(pc, "log")
    do("backup")
    seen["archives"] = {host: instructor.archives(host) for host in room.hosts()}
    do("reset one PC")
    seen["exists_after_reset"] = room.client(pc, "exists", seen["logged"]["run_id"])
    # The README's example archive stands for the one the backup row made.
    (archive,) = seen["archives"][pc]
    example = README_ARCHIVE.search(table["restore one PC"][0]).group(0)
    do("restore one PC", extra_names={example.replace(README_PC, pc): archive})
    seen["exists_after_restore"] = room.client(pc, "exists", seen["logged"]["run_id"])
    do("reset the whole room")
    seen["exists_after_room_reset"] = room.client(pc, "exists", seen["logged"]["run_id"])
    seen["archives_after_room_reset"] = {host: instructor.archives(host) for host in room.hosts()}
    # The README's placeholder for the release to upgrade to: here the one installed, which the
    # room already runs (the upgrade scenario upgrades for real).
    do("upgrade MLflow", extra_names={README_RELEASE: INSTALLED_RELEASE})
    do("stop / start the servers", 0)
    seen["health_when_stopped"] = room.sh(pc, "python3 -c %s" % shlex.quote(
        "import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=5)\n"
        "    print('answers')\nexcept OSError as exc:\n    print('no answer: %s' % exc)")).stdout.strip()
    do("stop / start the servers", 1)
    (cache,) = room.hosts("mlflow_package_cache")
    served_before = files_served(room, cache)
    seen["added"] = add_a_pc(room, instructor, ADDED_PC, lambda: do("add a PC"))
    seen["added"]["files_served_by_the_cache"] = files_served(room, cache) - served_before
    seen["class"] = class_work(room, instructor, do)
    # The deadline's rows act on course servers: this room has none, so they match no host.
    do(DEADLINE, 0)
    do(DEADLINE, 1)


# The handout's runs, logged by the students at the room's PCs (the first PC's student twice):
# (PC's index, run name, alpha, accuracy at each step). collect.yml keeps each run's last value.
CLASS_RUNS = [(0, "first-try", "0.1", ["0.62", "0.81"]), (0, "second-try", "0.5", ["0.70", "0.87"]),
              (1, "baseline", "1.0", ["0.90"])]
COLLECT = "collect the class's work"
DEADLINE = "deadline: freeze / reopen the course server's experiments"


def class_work(room, instructor, do):
    """The students log the handout's runs; the README's collect row reads them back into
    reports/class-work/; the page is opened in headless Chromium on a lab PC."""
    pcs = room.hosts()
    logged = [dict(room.client(pcs[index], "class", name, alpha, *values), host=pcs[index])
              for index, name, alpha, values in CLASS_RUNS]
    do(COLLECT)
    folder = instructor.dir / "reports" / "class-work"
    # The page waits until the first PC's student (its inventory name) shows.
    return {"logged": logged, **room.class_work_files(folder),
            "page": class_page(room, pcs[-1], folder / "index.html", pcs[0])}


def class_page(room, pc, page, student):
    """index.html, copied to a lab PC, opened from the file in headless Chromium (no network;
    molecule/course/browser_ui.py): its text and a screenshot, kept in .ansible/molecule-logs/."""
    container = room.container(pc)
    installed = room.sh(pc, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                            "--no-install-recommends chromium fonts-dejavu-core > /dev/null", timeout=600)
    subprocess.run(["podman", "cp", str(page), "%s:/tmp/class-work.html" % container], check=False)
    command = "python3 - file:///tmp/class-work.html %s unused /tmp/class-work.png" % shlex.quote(student)
    opened = room.sh(pc, command, stdin=BROWSER.read_text(), timeout=180)
    target = room.project / ".ansible" / "molecule-logs" / "class-work-room.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    copied = subprocess.run(["podman", "cp", "%s:/tmp/class-work.png" % container, str(target)],
                            capture_output=True, text=True, check=False)
    lines = opened.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        browser = json.loads(lines[-1])
    else:
        browser = {"error": (opened.stdout + opened.stderr)[-2000:]}
    return {"install_rc": installed.returncode, "install_output": installed.stderr[-1000:], "browser": browser,
            "screenshot": str(target) if copied.returncode == 0 else None}


def files_served(room, cache):
    """How many package files the cache has served: devpi (its log's GET lines for /+f/ files)
    and the wheelhouse (nginx's access log: GETs of wheels and source distributions)."""
    out = room.sh(cache, "grep -c '] GET /root/pypi/+f/' %s/devpi.log || true" % CACHE_BASE)
    wheelhouse = room.sh(cache, "grep -cE '\"GET /[^ ]+\\.(whl|tar\\.gz) HTTP' %s/wheelhouse-server/log/access.log || true"
                         % CACHE_BASE)
    return int(out.stdout.strip() or 0) + int(wheelhouse.stdout.strip() or 0)


def add_a_pc(room, instructor, name, run_row):
    """A new lab PC: a container from the room's image, added to the inventory, provisioned by
    run_row(), then switched off and taken out again. As in a room where names resolve (the
    README's prerequisite), the PC finds the cache host by its inventory name: here through
    /etc/hosts, since containers do not resolve each other's names."""
    container = name
    subprocess.run(["podman", "rm", "-f", container], capture_output=True, check=False)
    started = subprocess.run(["podman", "run", "-d", "--name", container, "--hostname", container, "--systemd=always",
                              IMAGE, "/sbin/init"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise RuntimeError("podman run %s failed: %s" % (container, started.stderr))
    try:
        booted = subprocess.run(["podman", "exec", container, "systemctl", "is-system-running", "--wait"],
                                capture_output=True, text=True, timeout=120, check=False).stdout.strip()
        (cache,) = room.hosts("mlflow_package_cache")
        for address in room.addresses(cache):
            subprocess.run(["podman", "exec", container, "sh", "-c", "echo '%s %s' >> /etc/hosts" % (address, cache)],
                           capture_output=True, check=False)
        lab_room = instructor.groups["lab_room"]
        lab_room[name] = {"ansible_connection": room.hostvars(room.hosts()[0])["ansible_connection"],
                          "ansible_host": container}
        instructor.write()
        result = run_row()
        health = subprocess.run(["podman", "exec", container, "python3", "-c",
                                 "import urllib.request; print(urllib.request.urlopen("
                                 "'http://127.0.0.1:8080/health', timeout=10).read().decode())"],
                                capture_output=True, text=True, timeout=60, check=False)
        return {"host": name, "booted": booted, "health": health.stdout.strip() or health.stderr[-500:],
                "seconds": result["run"]["elapsed"]}
    finally:
        instructor.groups["lab_room"].pop(name, None)
        instructor.write()
        subprocess.run(["podman", "rm", "-f", "-t", "5", container], capture_output=True, check=False)


def one_pc_broken(room, instructor):
    # site.yml --limit <pc> alone, with a setting that is refused: the run fails and says why.
    table = instructor.table
    pc = room.hosts()[-1]
    command = table["one PC"][0] + " -e mlflow_server_workers=0"
    return {"host": pc, **instructor.run(command, {README_PC: pc})}


def cache_off(room, instructor):
    table = instructor.table
    (cache,) = room.hosts("mlflow_package_cache")
    stopped = subprocess.run(["podman", "stop", "-t", "5", room.container(cache)], capture_output=True, text=True,
                             check=False)
    seen = {"cache": cache, "podman_stop_rc": stopped.returncode, **instructor.run(table["whole room"][0])}
    # A new PC while the cache is off: it installs from upstream (mlflow_server_index_fallback).
    added = {}
    added.update(add_a_pc(room, instructor, ADDED_WHILE_CACHE_OFF, lambda: added.setdefault(
        "row", instructor.run(table["add a PC"][0], {ADDED_PC: ADDED_WHILE_CACHE_OFF}))))
    seen["added_while_off"] = added
    return seen


def new_addresses(room, instructor):
    table = instructor.table
    (cache,) = room.hosts("mlflow_package_cache")
    seen = {"hosts": {}}
    before = {host: room.addresses(host) for host in room.hosts()}
    # A PC switched off in the middle of the room: collect.yml still reads the others, gives
    # the PC its row with the reason, and ends non-zero. The restarts below switch it on again.
    off = room.hosts()[-1]
    stopped = subprocess.run(["podman", "stop", "-t", "5", room.container(off)], capture_output=True, text=True,
                             check=False)
    seen["collect_pc_off"] = {"pc": off, "podman_stop_rc": stopped.returncode, **instructor.run(instructor.table[COLLECT][0])}
    seen["collect_pc_off"].update(room.class_work_files(instructor.dir / "reports" / "class-work"))
    for host in room.hosts():
        rebooted = room.reboot(host)
        healthy = room.wait_healthy(host)
        after = room.addresses(host)
        seen["hosts"][host] = {"before": before[host], "after": after, "reboot": rebooted, "healthy": healthy,
                               "by_new_address": [dict(room.http_get(host, "/health", address), address=address)
                                                  for address in after]}
    started = subprocess.run(["podman", "start", room.container(cache)], capture_output=True, text=True, check=False)
    seen["cache_start_rc"] = started.returncode
    time.sleep(1)
    seen.update(instructor.run(table["whole room"][0]))
    return seen


# A package of the handout that nothing in the server imports: removing it leaves the server
# running, as a student's `pip uninstall` in the lab venv would.
DRIFT_PACKAGE, DRIFT_MODULE = "scikit-learn", "sklearn"
UNIT = "/etc/systemd/system/mlflow-server.service"


def drift(room, instructor):
    table = instructor.table
    pc = room.hosts()[0]
    venv = room.hostvars(pc).get("mlflow_server_base_dir", "/opt/mlflowserver-lab") + "/.venv"
    edited = room.sh(pc, "echo '# edited by hand' >> %s && %s/bin/uv pip uninstall --python %s/bin/python %s"
                     % (UNIT, venv, venv, DRIFT_PACKAGE))
    seen = {"pc": pc, "edit_rc": edited.returncode, "edit_output": edited.stdout + edited.stderr,
            "repair": instructor.run(table["one PC"][0], {README_PC: pc})}
    seen["unit_edited_after"] = room.sh(pc, "grep -c 'edited by hand' %s || true" % UNIT).stdout.strip()
    seen["imports_after"] = room.sh(pc, "%s/bin/python -c 'import %s' && echo yes" % (venv, DRIFT_MODULE)).stdout.strip()
    seen["again"] = instructor.run(table["one PC"][0], {README_PC: pc})
    return seen
