#!/usr/bin/env python
"""Benchmark: a simulated lab room provisioned six ways, measured side by side in one run.

Each variant gets a fresh room of N systemd containers (the Molecule images), and every
figure below is measured in this run, on this machine:

  variant      transport  what
  handout      podman     the handout's steps as commands on each PC: venv, pip install, the
                          server with the handout's flags (default workers, started with nohup)
  uv_commands  podman     the same steps done by hand, fast: venv, uv pip install
                          --compile-bytecode, the server with the role's flags (the floor the
                          role is compared with)
  role         ssh        ansible-playbook playbooks/provision.yml, PCs install from upstream;
                          its re-run is timed twice: over SSH, then over podman exec; then
                          each PC's server gets 300 runs and playbooks/collect.yml reads the
                          room (its seconds and HTTP requests: "collect")
  role_podman  podman     the same as role, every Ansible task through podman exec
  role_cache   ssh        the same as role with one more container in group mlflow_package_cache
                          (the role's default there: the pinned files from a wheelhouse behind nginx)
  role_cache_devpi ssh    role_cache's cold run with package_cache_wheelhouse: devpi (devpi
                          fetching and storing the pinned files: the earlier design), side by side

Transports: "ssh" is how an instructor reaches a real room: Ansible connects as root over
SSH (with ansible.cfg's pipelining) to each container's address on the podman bridge, with a
throwaway ed25519 key made for this run and put into each container's authorized_keys.
"podman" runs each command or Ansible task through podman exec, as the Molecule room does
(each task pays for podman exec's start: a one-PC re-run took about twice as long as over
SSH). Whatever the transport, the bench's own probes (network counters, /health, RSS,
restarts) go through podman exec.

Per variant: wall time until every PC's server answers, bytes the room fetched from
upstream (network counters of the containers; with a cache, the bytes that travelled
between the cache and the PCs are subtracted; over SSH, the controller's SSH traffic too,
recorded as ssh_bytes), the re-run time and changed count, and per PC the server's RSS and
the seconds from (re)start to a healthy /health.

--repeat K (default 3): uv_commands and role run K cold runs each, interleaved (uv role, role
uv, uv role, ...: each pair in the other order), each in a fresh room; the first of each is the
full run above, the others stop after the cold run. "interleaved" in the JSON: each one's wall
times, the uv install's own seconds (the slowest PC's: uv_commands' step, the role's command
delta) and the rest, each with its median and spread, and the ratios of the medians.

--scale 1,3,6: after the variants, role_cache (over SSH) once more for each room size N
(the main run's figures when N is --hosts): wall time, upstream and cache bytes, re-run,
tasks per host, under "scale" in the JSON.

  make bench                      # N=3, --repeat 3, then --scale 1,3,6 (BENCH_HOSTS, BENCH_REPEAT, BENCH_SCALE)
  python bench/room_bench.py --hosts 5 --variants role,role_cache
  python bench/room_bench.py --hosts 1 --variants role_cache --scale 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "localhost/labroom-debian-bookworm:latest"
DEFAULTS = yaml.safe_load((ROOT / "roles/mlflow_server/defaults/main.yml").read_text())
VERSION = DEFAULTS["mlflow_server_version"]
PACKAGES = [("mlflow[extras]==%s" % VERSION if p == "mlflow[extras]" else p) for p in DEFAULTS["mlflow_server_packages"]]
PORT = 8080
LAB = "/root/mlflowserver-lab"
VARIANTS = ["handout", "uv_commands", "role", "role_podman", "role_cache", "role_cache_devpi"]
# How the controller reaches the room's hosts in each variant (module docstring).
TRANSPORTS = {"handout": "podman", "uv_commands": "podman", "role": "ssh", "role_podman": "podman", "role_cache": "ssh",
              "role_cache_devpi": "ssh"}
# The cache host's settings in each cache variant: role_cache_devpi is the earlier design (devpi
# fetches and stores the pinned files, the PCs install them from it), measured beside the
# wheelhouse (role_cache, the role's default on a Debian cache host) in the same run.
CACHE_SETTINGS = {"role_cache": {}, "role_cache_devpi": {"package_cache_wheelhouse": "devpi"}}
# The controller's SSH options for the room: each container's host key is new to it (and
# all of an image's containers share one), as throwaway test machines.
SSH_COMMON_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
# An nftables table in each SSH room container's network namespace (not the host's): it
# counts the SSH traffic, which crosses the same interface as the downloads, so that it is
# not taken for upstream bytes.
SSH_COUNTERS = """table inet labroom_bench {
  counter ssh_in { }
  counter ssh_out { }
  chain input { type filter hook input priority 0; policy accept; tcp dport 22 counter name "ssh_in"; }
  chain output { type filter hook output priority 0; policy accept; tcp sport 22 counter name "ssh_out"; }
}
"""
# nftables counts IP packets; the interface counters count Ethernet frames, 14 bytes more each.
ETHERNET_HEADER = 14
# uv_commands' install: the role's command and flags (roles/mlflow_server/vars/main.yml,
# _mlflow_server_uv_argv), with the role's uv release (installed before it, pinned the same).
UV_PIN = "uv==%s" % DEFAULTS["mlflow_server_uv_version"]
UV_INSTALL = ".venv/bin/uv pip install --python .venv/bin/python --compile-bytecode --native-tls"
# A school's uplink, for the column that says what the upstream bytes would cost there.
UPLINK_BITS_PER_S = 100e6

# The playbook runner and json-callback reader shared with the Molecule tests.
sys.path.insert(0, str(ROOT / "tests/support"))
from playbook_run import run_playbook, source_state  # noqa: E402

# Polls /health from inside a container; prints the seconds it waited.
HEALTH_POLL = (
    "import sys, time, urllib.request\n"
    "start = time.monotonic()\n"
    "while time.monotonic() - start < 300:\n"
    "    try:\n"
    "        if urllib.request.urlopen('http://127.0.0.1:%d/health', timeout=2).read() == b'OK':\n"
    "            print(round(time.monotonic() - start, 2)); sys.exit(0)\n"
    "    except Exception:\n"
    "        pass\n"
    "    time.sleep(0.2)\n"
    "sys.exit(1)\n" % PORT
)


def sh(*argv, check=True, capture=True, env=None, timeout=3600, input=None):
    # check=False: a failure is raised below with the command's output, which CalledProcessError hides.
    result = subprocess.run(argv, capture_output=capture, text=True, env=env, timeout=timeout, check=False,
                            input=input)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed (rc %d):\n%s\n%s" % (
            shlex.join(argv), result.returncode, (result.stdout or "")[-3000:], (result.stderr or "")[-3000:]))
    return result


def in_host(name, script, check=True, timeout=3600):
    return sh("podman", "exec", name, "sh", "-c", script, check=check, timeout=timeout)


class Room:
    """N lab PCs (plus a cache host) as systemd containers, removed at the end. With
    ssh_key (a private key file whose .pub is next to it), each container lets that key in
    as root and is reached by its address on the podman bridge (self.addresses)."""

    def __init__(self, prefix, count, cache=False, ssh_key=None):
        self.pcs = ["%s-pc-%d" % (prefix, i + 1) for i in range(count)]
        self.cache = "%s-cache" % prefix if cache else None
        self.names = self.pcs + ([self.cache] if cache else [])
        self.ssh_key = ssh_key
        self.addresses = {}
        self.pids = {}

    def __enter__(self):
        for name in self.names:
            sh("podman", "rm", "-f", name, check=False)
            sh("podman", "run", "-d", "--name", name, "--hostname", name, "--systemd", "always", IMAGE, "/sbin/init")
            if self.ssh_key:
                # Before sshd starts, so that every SSH byte of the room is counted.
                self.pids[name] = sh("podman", "inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
                sh("nsenter", "--net=/proc/%s/ns/net" % self.pids[name], "nft", "-f", "-", input=SSH_COUNTERS)
        for name in self.names:
            in_host(name, "systemctl is-system-running --wait >/dev/null; true", timeout=120)
        if self.ssh_key:
            public = Path(str(self.ssh_key) + ".pub").read_text()
            for name in self.names:
                sh("podman", "exec", "-i", name, "sh", "-c",
                   "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys "
                   "&& chmod 0700 /root/.ssh && chmod 0600 /root/.ssh/authorized_keys", input=public)
                self.addresses[name] = sh("podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                                          name).stdout.strip()
                wait_for_sshd(name, self.addresses[name])
        return self

    def __exit__(self, *exc):
        # One try more for a container podman could not remove at once (one of a run's rooms
        # was once left behind); one that still stays is named, not silently kept.
        for name in self.names:
            for _attempt in range(2):
                if sh("podman", "rm", "-f", "-t", "5", name, check=False).returncode == 0:
                    break
                time.sleep(2)
            else:
                print("warning: podman could not remove %s; remove it with: podman rm -f %s" % (name, name), flush=True)

    def counters(self):
        """{host: (rx_bytes, tx_bytes, ssh_rx_bytes, ssh_tx_bytes)} of each container's network
        interface: everything, then the SSH part of it (0 in a room reached by podman exec)."""
        found = {}
        for name in self.names:
            out = in_host(name, "cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes")
            rx, tx = (int(v) for v in out.stdout.split())
            found[name] = (rx, tx) + self.ssh_counters(name)
        return found

    def ssh_counters(self, name):
        """(bytes in, bytes out) of the container's SSH traffic, as Ethernet frames."""
        if not self.ssh_key:
            return (0, 0)
        out = sh("nsenter", "--net=/proc/%s/ns/net" % self.pids[name], "nft", "-j", "list", "counters",
                 "table", "inet", "labroom_bench").stdout
        counters = {item["counter"]["name"]: item["counter"] for item in json.loads(out)["nftables"]
                    if "counter" in item}
        return tuple(counters[key]["bytes"] + ETHERNET_HEADER * counters[key]["packets"]
                     for key in ("ssh_in", "ssh_out"))

    def cache_sent_bytes(self, before, after):
        """Bytes the cache host sent (to the lab PCs): the room's own network, not the uplink
        (nor its SSH answers to the controller)."""
        if not self.cache:
            return None
        return (after[self.cache][1] - after[self.cache][3]) - (before[self.cache][1] - before[self.cache][3])

    def upstream_bytes(self, before, after):
        """Bytes the room received, minus those the cache sent to the PCs (room-internal) and
        the controller's SSH traffic (the controller is in the room too)."""
        received = sum((after[n][0] - after[n][2]) - (before[n][0] - before[n][2]) for n in self.names)
        internal = self.cache_sent_bytes(before, after) or 0
        return received - internal

    def ssh_bytes(self, before, after):
        """Bytes of the controller's SSH connections to the room, both ways."""
        return sum((after[n][2] + after[n][3]) - (before[n][2] + before[n][3]) for n in self.names)

    def server_rss_mb(self, name):
        out = in_host(name, "ps -eo rss=,args=")
        kib = sum(
            int(line.split(None, 1)[0])
            for line in out.stdout.splitlines()
            if re.search(r"mlflow|uvicorn|huey|gunicorn", line) and "supervisord" not in line and "ps -eo" not in line
        )
        return round(kib / 1024.0, 1)


def poll_health(name):
    return float(sh("podman", "exec", name, "python3", "-c", HEALTH_POLL).stdout.strip())


def wait_for_sshd(name, address, timeout=60):
    """Wait until sshd answers on the container's address (its banner), as Ansible will reach it."""
    started = time.monotonic()
    while True:
        try:
            with socket.create_connection((address, 22), timeout=2) as connection:
                if connection.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        if time.monotonic() - started > timeout:
            raise RuntimeError("%s (%s): sshd does not answer on port 22 after %d s; is openssh-server in the image "
                               "(scripts/build-test-images.sh rebuilds an outdated one)?" % (name, address, timeout))
        time.sleep(0.5)


def ssh_key(directory):
    """A throwaway ed25519 key pair for this run: (private key path); its .pub is next to it."""
    key = Path(directory) / "id_ed25519"
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labroom-bench", "-f", str(key))
    return key


def parallel(function, hosts):
    """Run function(host) for every host at once; return {host: result}, re-raising errors."""
    results, errors = {}, []

    def run(host):
        try:
            results[host] = function(host)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# --- commands by hand ---------------------------------------------------------------------

def by_hand(prefix, count, installer, cold_only=False):
    """The handout's steps (pip, handout flags) or the same with uv and the role's flags.
    cold_only (the interleaved repeats): the cold run and its steps' seconds, nothing after."""
    requirements = " ".join(shlex.quote(p) for p in PACKAGES)
    if installer == "pip":
        install = ".venv/bin/pip install --disable-pip-version-check --progress-bar off %s" % requirements
        flags = ""
    else:
        install = (".venv/bin/pip install --disable-pip-version-check --progress-bar off %s && %s %s"
                   % (UV_PIN, UV_INSTALL, requirements))
        flags = " --workers 1"
    server = (
        "cd %s && MLFLOW_SERVER_ENABLE_JOB_EXECUTION=%s nohup .venv/bin/mlflow server --host 0.0.0.0 --port %d "
        "--backend-store-uri sqlite:///%s/mlruns_db/mlflow.db --artifacts-destination %s/mlartifacts "
        "--serve-artifacts%s > mlflow.log 2>&1 &"
        % (LAB, "true" if installer == "pip" else "false", PORT, LAB, LAB, flags)
    )

    def provision(name):
        """The PC's steps; the seconds of each (the same split as the role's tasks)."""
        steps, started = {}, time.monotonic()
        if installer == "pip":
            in_host(name, "mkdir -p %s && cd %s && python3 -m venv .venv && %s && mkdir -p mlruns_db mlartifacts"
                    % (LAB, LAB, install))
            steps["install_s"] = round(time.monotonic() - started, 1)
        else:
            in_host(name, "mkdir -p %s && cd %s && python3 -m venv .venv && .venv/bin/pip install "
                    "--disable-pip-version-check --progress-bar off %s && mkdir -p mlruns_db mlartifacts"
                    % (LAB, LAB, UV_PIN))
            steps["venv_and_uv_s"] = round(time.monotonic() - started, 1)
            mark = time.monotonic()
            in_host(name, "cd %s && %s %s" % (LAB, UV_INSTALL, requirements))
            steps["install_s"] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()
        in_host(name, server)
        poll_health(name)
        steps["start_to_healthy_s"] = round(time.monotonic() - mark, 1)
        return steps

    def restart(name):
        # "[m]lflow": the pattern must not match this shell's own command line.
        pattern = "'[m]lflow server|[m]lflow.server.jobs|[u]vicorn|[h]uey'"
        in_host(name, "pkill -f %s; while pgrep -f %s >/dev/null; do sleep 0.2; done" % (pattern, pattern))
        started = time.monotonic()
        in_host(name, server)
        poll_health(name)
        return round(time.monotonic() - started, 2)

    with Room(prefix, count) as room:
        before = room.counters()
        started = time.monotonic()
        steps = parallel(provision, room.pcs)
        wall = time.monotonic() - started
        upstream = room.upstream_bytes(before, room.counters())
        cold = {"hosts": count, "transport": "podman", "wall_to_healthy_s": round(wall, 1), "upstream_bytes": upstream,
                "steps": {n: steps[n] for n in room.pcs}}
        if cold_only:
            return cold
        # Re-running the same commands: the installer finds everything there.
        started = time.monotonic()
        parallel(lambda name: in_host(name, "cd %s && %s" % (LAB, install)), room.pcs)
        rerun = time.monotonic() - started
        # One PC at a time: each lab PC restarts on its own CPU, not three on this machine's two.
        ready = {name: restart(name) for name in room.pcs}
        rss = {name: room.server_rss_mb(name) for name in room.pcs}
        return {
            **cold,
            "rerun_s": round(rerun, 1),
            "rerun_changed": None,  # plain commands do not say whether they changed anything
            "server_rss_mb": [rss[n] for n in room.pcs],
            "server_ready_s": [ready[n] for n in room.pcs],
        }


# --- the role -----------------------------------------------------------------------------

def playbook(inventory, playbook_path, report_dir, env=None, all_tasks=False):
    """Run a playbook over the room; (wall seconds, changed count summed over the hosts, where
    the time went: PlaybookRun.profile())."""
    before = os.times()
    run = run_playbook(playbook_path, inventories=[inventory], args=["-e", "mlflow_report_dir=%s" % report_dir],
                       env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": "10",
                            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible/collections"), **(env or {})},
                       timeout=3600)
    if run.rc != 0:
        raise RuntimeError("%s failed:\n%s" % (playbook_path, run.text[-6000:]))
    after = os.times()
    profile = run.profile()
    in_order = profile.pop("tasks_in_order")
    # The CPU the controller spent on the run (ansible-playbook, its forks and the SSH clients
    # they waited for: the children this process waited for), on the same cores as the room's
    # PCs; not the SSH ControlPersist masters, which outlive the run.
    profile["controller_cpu_s"] = round(after.children_user + after.children_system
                                        - before.children_user - before.children_system, 1)
    # The uv install's own seconds on each PC (the command's delta, Ansible's part left out):
    # the figure to set beside uv_commands' install step.
    profile["install_command_s"] = command_seconds(run.document, "Install the packages with uv")
    if all_tasks:
        # Every task's seconds in the order they ran (all hosts together): where a cold run's
        # time beside the install goes.
        profile["tasks"] = [[task["task"], task["s"]] for task in in_order]
    return run.elapsed, run.total_changed, profile


def command_seconds(document, task_name):
    """{host: seconds} of a command task's own run time (its result's delta), from a json
    callback document; the task found by the end of its name (the role's prefix varies)."""
    found = {}
    for play in document.get("plays", []):
        for task in play.get("tasks", []):
            if task.get("task", {}).get("name", "").endswith(task_name):
                for host, result in task.get("hosts", {}).items():
                    delta = result.get("delta")
                    if delta:
                        hours, minutes, seconds = delta.split(":")
                        found[host] = round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 1)
    return found


def room_inventory(path, room, transport, key=None, cache_settings=None):
    """Write the room's inventory: over SSH to each container's address, as an instructor's
    inventory reaches a real room, or through podman exec. Same host names either way, so
    that a run over one transport finds what a run over the other left (hostvars, reports).
    The role's settings come out the same either way: the server's --allowed-hosts lists
    ansible_host only when it is a name, and over SSH it is the container's address, so a
    re-run through podman exec changes nothing, as over SSH."""
    if transport == "ssh":
        common = {"ansible_connection": "ssh", "ansible_user": "root", "ansible_ssh_private_key_file": str(key),
                  "ansible_ssh_common_args": SSH_COMMON_ARGS}
        host_vars = {n: {"ansible_host": room.addresses[n]} for n in room.names}
    else:
        common = {"ansible_connection": "containers.podman.podman"}
        host_vars = {n: None for n in room.names}
    children = {"lab_room": {"hosts": {n: host_vars[n] for n in room.pcs}}}
    if room.cache:
        children["mlflow_package_cache"] = {"hosts": {room.cache: dict(host_vars[room.cache] or {}, **(cache_settings or {}))
                                                      or None}}
    path.write_text(yaml.safe_dump({"all": {
        "vars": {**common, "ansible_python_interpreter": "/usr/bin/python3"},
        "children": children,
    }}))
    return path


def with_role(prefix, count, cache, results_dir, transport, key=None, rerun_podman=False, servers=True,
              collect=False, cold_only=False, cache_settings=None):
    """The role over a fresh room. rerun_podman: time one more re-run through podman exec
    (an SSH room). servers=False (--scale): leave out the status run, the restarts, the RSS
    and the cache's package set and resolution. cold_only (the interleaved repeats, the
    role_cache_devpi variant): the cold run, its profile and upstream bytes, nothing after.
    cache_settings: the cache host's variables (CACHE_SETTINGS)."""
    with Room(prefix, count, cache=cache, ssh_key=key if transport == "ssh" else None) as room, \
            tempfile.TemporaryDirectory() as tmp:
        inventory = room_inventory(Path(tmp) / "room.yml", room, transport, key, cache_settings)
        # The SSH connections' control sockets (ControlPersist) live with this room, and each
        # run gets its own: a re-run opens its connections afresh, as an instructor's run before
        # the next class does (not reusing the cold run's, still open for 60 s), and a later
        # room's container that gets a removed one's address never meets a stale connection.
        runs = iter(range(100))

        def env():
            return {"ANSIBLE_SSH_CONTROL_PATH_DIR": str(Path(tmp) / ("cp%d" % next(runs)))} if transport == "ssh" else {}

        report_dir = results_dir / ("reports-%s" % prefix)
        before = room.counters()
        wall, _changed, cold_profile = playbook(inventory, "playbooks/provision.yml", report_dir, env(), all_tasks=True)
        after = room.counters()
        upstream = room.upstream_bytes(before, after)
        if cold_only:
            return {"hosts": count, "transport": transport, "wall_to_healthy_s": round(wall, 1),
                    "upstream_bytes": upstream, "ssh_bytes": room.ssh_bytes(before, after) if transport == "ssh" else None,
                    "cache_sent_bytes": room.cache_sent_bytes(before, after) if cache else None,
                    "profile": {"cold": cold_profile}}
        rerun, rerun_changed, rerun_profile = playbook(inventory, "playbooks/provision.yml", report_dir, env())
        profile = {"cold": cold_profile, "rerun": rerun_profile}
        figures = {
            "hosts": count,
            "transport": transport,
            "wall_to_healthy_s": round(wall, 1),
            "upstream_bytes": upstream,
            # With a cache: what it sent to the PCs over the room's network.
            "cache_sent_bytes": room.cache_sent_bytes(before, after),
            # The controller's SSH traffic of the cold run, both ways (not in upstream_bytes).
            "ssh_bytes": room.ssh_bytes(before, after) if transport == "ssh" else None,
            "rerun_s": round(rerun, 1),
            "rerun_changed": rerun_changed,
        }
        if rerun_podman:
            # The same re-run through podman exec: what the transport alone costs.
            podman_inventory = room_inventory(Path(tmp) / "room-podman.yml", room, "podman")
            rerun, rerun_changed, profile["rerun_podman"] = playbook(podman_inventory, "playbooks/provision.yml",
                                                                     report_dir)
            figures.update(rerun_podman_s=round(rerun, 1), rerun_podman_changed=rerun_changed)
        # Where the time went, traceable to tasks: each play's seconds, the slowest tasks
        # and the tasks run per host, of the cold run and of the re-run(s).
        figures["profile"] = profile
        if not servers:
            return figures
        playbook(inventory, "playbooks/status.yml", report_dir, env())

        def restart(name):
            started = time.monotonic()
            in_host(name, "systemctl restart mlflow-server")
            poll_health(name)
            return round(time.monotonic() - started, 2)

        # One PC at a time: each lab PC restarts on its own CPU, not three on this machine's two.
        ready = {name: restart(name) for name in room.pcs}
        rss = {name: room.server_rss_mb(name) for name in room.pcs}
        figures.update(server_rss_mb=[rss[n] for n in room.pcs], server_ready_s=[ready[n] for n in room.pcs])
        if collect:
            figures["collect"] = collect_figure(room, inventory, results_dir, env())
        if cache:
            figures["cache_files_bytes"] = package_set_bytes(room.cache)
            figures["resolution_bytes"] = resolution_bytes(room.cache)
        return figures


# The collect figure (variant role): each PC's server filled with this many runs, then
# playbooks/collect.yml over the room, timed, with the HTTP requests its module made.
COLLECT_RUNS = 300
# Runs written straight into a PC's database through MLflow's own store (what the REST handlers
# call), as the server's account: a param, a metric and the end of each run.
FILL_RUNS = r"""
import sys, time
from mlflow.entities import Metric, Param, RunStatus
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
db, artifacts, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SqlAlchemyStore("sqlite:///" + db, artifacts)
experiment = store.create_experiment("bench-collect")
start = int(time.time() * 1000)
for number in range(count):
    run_id = store.create_run(experiment, "student", start + number, [], "run-%03d" % number).info.run_id
    store.log_batch(run_id, [Metric("accuracy", number / count, start + number, 0)], [Param("alpha", str(number))], [])
    store.update_run_info(run_id, RunStatus.FINISHED, start + number + 1, None)
print(count)
"""


def collect_figure(room, inventory, results_dir, env):
    """COLLECT_RUNS runs on each PC, then playbooks/collect.yml: its wall time, the requests its
    module made per PC (mlflow_runs' own count), and the runs it wrote to runs.csv."""
    base, user = DEFAULTS["mlflow_server_base_dir"], DEFAULTS["mlflow_server_user"]

    def fill(name):
        in_host(name, "runuser -u %s -- %s/.venv/bin/python -c %s %s/mlruns_db/mlflow.db %s/mlartifacts %d" % (
            user, base, shlex.quote(FILL_RUNS), base, base, COLLECT_RUNS))

    parallel(fill, room.pcs)
    out = Path(results_dir).resolve() / "collect"  # collect.yml takes a relative folder from playbooks/
    collect_args = ["-e", "mlflow_collect_dir=%s" % out, "-e", "mlflow_collect_metric=accuracy"]
    run = run_playbook("playbooks/collect.yml", inventories=[inventory], args=collect_args,
                       env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": "10",
                            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible/collections"), **env}, timeout=3600)
    if run.rc != 0:
        raise RuntimeError("playbooks/collect.yml failed:\n%s" % run.text[-6000:])
    requests = {host: result.get("requests") for play in run.document.get("plays", []) for task in play.get("tasks", [])
                if task.get("task", {}).get("name", "").endswith("Read the runs of the server")
                for host, result in task.get("hosts", {}).items()}
    rows = (out / "runs.csv").read_text().count("\n") - 1 if (out / "runs.csv").exists() else None
    return {"runs_per_pc": COLLECT_RUNS, "pcs": len(room.pcs), "wall_s": round(run.elapsed, 1),
            "requests_per_pc": requests, "runs_in_csv": rows, "changed": run.total_changed}


def package_set_bytes(cache):
    """The wheels one PC installs: every wheel the cache holds after serving the room, in its
    wheelhouse and in devpi's store, each file name counted once (the same file in both, as
    uv's wheel can be, is one file of the set)."""
    out = in_host(cache, "find /opt/labroom-package-cache/wheelhouse /opt/labroom-package-cache/server/+files "
                         "-type f -name '*.whl' -printf '%f %s\\n' 2>/dev/null || true")
    sizes = dict(line.split() for line in out.stdout.splitlines() if line.strip())
    return sum(int(size) for size in sizes.values())


def resolution_bytes(cache):
    """Bytes one resolution of the package set takes from upstream: index pages and wheel
    metadata, no wheel. The cache's pass runs one (uv pip compile against upstream), and the
    wheelhouse then downloads only the files; so (package set + this) / package set is about the
    least the room's upstream bytes can be with this design (the cache's own install, devpi and
    nginx, comes on top). Measured on the cache host with an empty uv cache (uv fetched through
    the cache: local)."""
    script = (
        "set -e; d=$(mktemp -d); /opt/labroom-package-cache/.venv/bin/python -m pip install -q "
        "--disable-pip-version-check --target $d/uv --index-url http://127.0.0.1:3141/root/pypi/+simple/ "
        "uv==%s; printf '%%s\\n' %s > $d/req.in; a=$(cat /sys/class/net/eth0/statistics/rx_bytes); "
        "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt $d/uv/bin/uv pip compile --no-config --quiet "
        "--cache-dir $d/cache --python-version 3.11 --python-platform x86_64-manylinux_2_36 $d/req.in >/dev/null; "
        "b=$(cat /sys/class/net/eth0/statistics/rx_bytes); rm -rf $d; echo $((b - a))"
        % (DEFAULTS["mlflow_server_uv_version"], " ".join(shlex.quote(p) for p in PACKAGES)))
    return int(in_host(cache, script).stdout.split()[-1])


def spread(values):
    """median, least, most and (most - least) / median in % of a list of seconds."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"runs": list(values), "median": round(median, 1), "min": ordered[0], "max": ordered[-1],
            "spread_pct": round(100.0 * (ordered[-1] - ordered[0]) / median, 1) if median else None}


def interleaved_summary(order, runs):
    """The interleaved cold runs of uv_commands and role: each one's wall times with their
    median and spread, the ratio of the medians, and the same split into the install (uv's own
    seconds, the slowest PC of each run) and everything else (the wall time minus that)."""
    def install(found):
        if "steps" in found:
            return max(step["install_s"] for step in found["steps"].values())
        seconds = found["profile"]["cold"]["install_command_s"].values()
        if not seconds:
            # A renamed or skipped install task: no figure rather than an install of 0 s.
            raise RuntimeError("the role's cold run has no 'Install the packages with uv' result to time")
        return max(seconds)

    summary = {"order": order}
    for variant, found in runs.items():
        walls = [f["wall_to_healthy_s"] for f in found]
        installs = [install(f) for f in found]
        summary[variant] = {"wall_s": spread(walls), "install_s": spread(installs),
                            "rest_s": spread([round(w - i, 1) for w, i in zip(walls, installs)])}
        if variant == "role":
            summary[variant]["slowest_tasks"] = [f["profile"]["cold"]["slowest_tasks"][:6] for f in found]
            # ansible-playbook's own CPU (and its forks'), on the PCs' cores.
            controller = [f["profile"]["cold"].get("controller_cpu_s") for f in found]
            if None not in controller:
                summary[variant]["controller_cpu_s"] = spread(controller)
        else:
            summary[variant]["steps"] = [f["steps"] for f in found]
    summary["ratio_of_medians"] = ratio(summary["role"]["wall_s"]["median"], summary["uv_commands"]["wall_s"]["median"])
    summary["install_ratio_of_medians"] = ratio(summary["role"]["install_s"]["median"],
                                                summary["uv_commands"]["install_s"]["median"])
    return summary


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def sizes(text):
    """--scale's room sizes: "1,3,6" -> [1, 3, 6] (each once, in the order given)."""
    found = []
    for part in text.split(","):
        if part.strip():
            count = int(part)
            if count < 1:
                raise ValueError(part)
            if count not in found:
                found.append(count)
    return found


def print_variant(figures):
    print(json.dumps({k: v for k, v in figures.items() if k != "profile"}), flush=True)
    for run, found in figures.get("profile", {}).items():
        print("  %s run: %s" % (run, ", ".join("%s %.0f s" % (p["play"], p["s"]) for p in found["plays"])))
        print("    tasks per host: %s" % ", ".join("%s %d" % kv for kv in sorted(found["tasks_per_host"].items())))
        for task in found["slowest_tasks"]:
            print("    %6.1f s  %s" % (task["s"], task["task"]))


def scale_row(figures):
    """One room size of --scale, from a role_cache run's figures."""
    row = {key: figures[key] for key in ("hosts", "wall_to_healthy_s", "upstream_bytes", "cache_sent_bytes", "rerun_s",
                                         "rerun_changed")}
    row["tasks_per_host_cold"] = figures["profile"]["cold"]["tasks_per_host"]
    row["tasks_per_host_rerun"] = figures["profile"]["rerun"]["tasks_per_host"]
    row["plays_cold_s"] = {p["play"]: p["s"] for p in figures["profile"]["cold"]["plays"]}
    return row


# The model of a bigger room on real hardware (docs/testing.md): a MODEL, not a measurement.
MODEL_HOSTS = 30
# A room's switched network: the cache's link to the PCs.
LAN_BITS_PER_S = 1e9


def play_seconds(plays):
    """{play name: seconds} of provision.yml -> (the first play's, the cache's, the PCs'), 0.0
    for a play that did not run."""
    find = next((s for name, s in plays.items() if name.startswith("Find out")), 0.0)
    cache = next((s for name, s in plays.items() if "package cache" in name and name.startswith("Run")), 0.0)
    pcs = next((s for name, s in plays.items() if name.startswith("Provision")), 0.0)
    return find, cache, pcs


def model_room(row, hosts=MODEL_HOSTS, forks=None, lan_bits_per_s=LAN_BITS_PER_S):
    """A modelled cold run of `hosts` PCs with a cache on real hardware, from one measured
    one-PC room (`row`, a --scale row): every PC installs on its own CPU, so the PCs' play
    takes the one-PC play's time once per wave of `forks` PCs (Ansible runs a task on
    `forks` hosts at a time), or the time the cache's link needs to send every PC its
    packages (the one PC's share times `hosts`), whichever is longer; the first play and the
    cache's play do not grow with the room (one resolution per kind of PC). Upstream bytes
    stay the one-PC room's (every PC of one kind installs the same pins from the cache)."""
    if forks is None:
        forks = ansible_forks()
    find, cache, pcs = play_seconds(row["plays_cold_s"])
    per_pc_bytes = (row["cache_sent_bytes"] or 0) / row["hosts"]
    waves = -(-hosts // forks)
    network = hosts * per_pc_bytes * 8 / lan_bits_per_s
    return {
        "model": True,
        "hosts": hosts,
        "from_measured_hosts": row["hosts"],
        "forks": forks,
        "lan_bits_per_s": lan_bits_per_s,
        "first_play_s": find,
        "cache_play_s": cache,
        "pcs_play_one_pc_s": pcs,
        "waves": waves,
        "cache_link_s": round(network, 1),
        "wall_to_healthy_s": round(find + cache + max(pcs * waves, network), 1),
        "upstream_bytes": row["upstream_bytes"],
    }


# The school's uplinks the model compares (bits per second).
MODEL_UPLINKS = (100e6, 1e9)


def cache_lead_s(plays):
    """Seconds before the first PC can start installing in a cache room: the first play and
    the cache's play (the PCs' play starts when the cache has published what it holds)."""
    find, cache, _pcs = play_seconds(plays)
    return round(find + cache, 1)


def model_uplinks(row, pc_upstream_bytes, hosts=MODEL_HOSTS, forks=None, uplinks=MODEL_UPLINKS,
                  lan_bits_per_s=LAN_BITS_PER_S):
    """A MODEL of a cold run of `hosts` PCs on real hardware behind a school's uplink, with and
    without the room's cache, from measured parts: the one-PC cache room (`row`, a --scale row:
    its plays' seconds, what the cache sent the PC, its upstream bytes) and what one PC pulls
    from upstream without a cache (`pc_upstream_bytes`, the role variant's bytes per PC).

    Assumptions, each stated: the one-PC play's time is the PC's own install (its CPU, its
    disk); the cache's play is as measured here plus the time its upstream bytes take through
    the uplink (pessimistic: here they came over this machine's connection in the same
    seconds); without a cache every PC pulls its bytes through the shared uplink at once, so
    the PCs' play is the longer of the install waves and all their bytes through the uplink;
    with a cache, the longer of the waves and the cache's LAN link sending every PC its share.
    Not modelled: devpi's CPU with 30 clients, upstream's own limits, slower PCs, and without a
    cache each PC's own resolution against upstream (the one-PC play installed the cache's pins
    without resolving), so the room without a cache is modelled a little fast."""
    if forks is None:
        forks = ansible_forks()
    find, cache, pcs = play_seconds(row["plays_cold_s"])
    waves = -(-hosts // forks)
    # The cache's LAN link sending every PC its share: the same whatever the uplink.
    lan_s = hosts * (row["cache_sent_bytes"] or 0) / row["hosts"] * 8 / lan_bits_per_s
    found = []
    for uplink in uplinks:
        cache_upstream_s = row["upstream_bytes"] * 8 / uplink
        direct_s = hosts * pc_upstream_bytes * 8 / uplink
        found.append({
            "uplink_bits_per_s": uplink,
            "with_cache_s": round(find + cache + cache_upstream_s + max(pcs * waves, lan_s), 1),
            "with_cache_before_first_install_s": round(find + cache + cache_upstream_s, 1),
            "with_cache_upstream_bytes": row["upstream_bytes"],
            "without_cache_s": round(find + max(pcs * waves, direct_s), 1),
            "without_cache_upstream_bytes": round(hosts * pc_upstream_bytes),
        })
    return {"model": True, "hosts": hosts, "from_measured_hosts": row["hosts"], "forks": forks,
            "lan_bits_per_s": lan_bits_per_s, "pcs_play_one_pc_s": pcs, "uplinks": found}


def ansible_forks():
    """forks from ansible.cfg (what an instructor's run uses), 5 (Ansible's default) without it."""
    found = re.search(r"^forks\s*=\s*(\d+)", (ROOT / "ansible.cfg").read_text(), re.MULTILINE)
    return int(found.group(1)) if found else 5


def tasks_summary(per_host):
    """{host: tasks} of a room -> "cache 49, PCs 60-61"."""
    cache = [n for h, n in per_host.items() if h.endswith("-cache")]
    pcs = sorted(n for h, n in per_host.items() if not h.endswith("-cache"))
    parts = ["cache %d" % cache[0]] if cache else []
    if pcs:
        parts.append("PCs %d" % pcs[0] if pcs[0] == pcs[-1] else "PCs %d-%d" % (pcs[0], pcs[-1]))
    return ", ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("BENCH_HOSTS", "3")))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--scale", default="",
                        help="room sizes for role_cache after the variants, e.g. 1,3,6 (default: none)")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "3")),
                        help="cold runs of each of uv_commands and role, interleaved (default: %(default)s)")
    parser.add_argument("--output", default=str(ROOT / "bench/results/latest.json"))
    args = parser.parse_args()
    chosen = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown or args.hosts < 1 or args.repeat < 1:
        parser.error("variants must be among %s, --hosts and --repeat at least 1" % ", ".join(VARIANTS))
    try:
        scale_sizes = sizes(args.scale)
    except ValueError:
        parser.error("--scale takes room sizes of at least 1, separated by commas: 1,3,6")
    output = Path(args.output).resolve()  # the playbooks take relative folders from playbooks/
    output.parent.mkdir(parents=True, exist_ok=True)

    figures, scale, interleaved = {}, [], None
    with tempfile.TemporaryDirectory(prefix="labroom-bench-") as keys:
        key = ssh_key(keys) if scale_sizes or any(TRANSPORTS[v] == "ssh" for v in chosen) else None

        def run_variant(variant, cold_only=False):
            print("== %s: %d hosts, over %s%s" % (variant, args.hosts, TRANSPORTS[variant],
                                                  " (cold run only)" if cold_only else ""), flush=True)
            prefix = "bench-" + variant.replace("_", "")
            if variant == "handout":
                found = by_hand(prefix, args.hosts, "pip")
            elif variant == "uv_commands":
                found = by_hand(prefix, args.hosts, "uv", cold_only=cold_only)
            else:
                found = with_role(prefix, args.hosts, variant in CACHE_SETTINGS, output.parent, TRANSPORTS[variant], key,
                                  rerun_podman=variant == "role", collect=variant == "role",
                                  cold_only=cold_only or variant == "role_cache_devpi",
                                  cache_settings=CACHE_SETTINGS.get(variant))
            print_variant(found)
            return found

        # uv_commands and role, interleaved: --repeat cold runs of each, each pair in the other
        # order than the one before (uv role, role uv, uv role...), so that neither always goes
        # first after the machine's other work or the proxy's warm-up; the first run of each is
        # the full one (re-run, restarts, RSS, collect), the others stop after the cold run.
        if "uv_commands" in chosen and "role" in chosen:
            runs = {"uv_commands": [], "role": []}
            order = []
            for pair in range(args.repeat):
                for variant in (("uv_commands", "role") if pair % 2 == 0 else ("role", "uv_commands")):
                    found = run_variant(variant, cold_only=bool(runs[variant]))
                    if not runs[variant]:
                        figures[variant] = found
                    runs[variant].append(found)
                    order.append(variant)
            interleaved = interleaved_summary(order, runs)
        for variant in chosen:
            if variant not in figures:
                figures[variant] = run_variant(variant)
        # How the cached room grows: role_cache over SSH once per room size (the run above
        # stands for its own size).
        for count in scale_sizes:
            if count == args.hosts and "role_cache" in figures:
                print("== scale: role_cache, %d hosts: the run above" % count, flush=True)
                scale.append(scale_row(figures["role_cache"]))
                continue
            print("== scale: role_cache, %d hosts, over ssh" % count, flush=True)
            found = with_role("bench-scale%d" % count, count, True, output.parent, "ssh", key, servers=False)
            print_variant(found)
            scale.append(scale_row(found))

    # The package set one PC needs: what the room's cache holds after serving the room.
    package_set = figures.get("role_cache", {}).pop("cache_files_bytes", None)
    resolution = figures.get("role_cache", {}).pop("resolution_bytes", None)
    # What the room's upstream bytes would take through a school's 100 Mbit/s uplink: where a
    # cache pays, whatever this machine's own connection is.
    for f in figures.values():
        f["uplink_100mbit_s"] = round(f["upstream_bytes"] * 8 / UPLINK_BITS_PER_S, 1)
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "image": IMAGE},
        # The commit measured, and any file that differed from it.
        "collection": source_state(),
        "mlflow_version": VERSION,
        "packages": PACKAGES,
        "package_set_bytes": package_set,
        # One resolution against upstream: index pages and metadata, no wheel.
        "resolution_bytes": resolution,
        "variants": figures,
        # uv_commands and role, --repeat cold runs each, interleaved (None without both).
        "interleaved": interleaved,
        "ratios": {
            # The goal's figure: the medians of the interleaved runs (the first pair's ratio below).
            "role_vs_uv_commands_wall_medians": interleaved["ratio_of_medians"] if interleaved else None,
            "role_vs_uv_commands_wall": ratio(figures.get("role", {}).get("wall_to_healthy_s"),
                                              figures.get("uv_commands", {}).get("wall_to_healthy_s")),
            "handout_vs_role_wall": ratio(figures.get("handout", {}).get("wall_to_healthy_s"),
                                          figures.get("role", {}).get("wall_to_healthy_s")),
            # The same cold run over SSH and through podman exec.
            "role_vs_role_podman_wall": ratio(figures.get("role", {}).get("wall_to_healthy_s"),
                                              figures.get("role_podman", {}).get("wall_to_healthy_s")),
            # Seconds before the first PC can install in the cache room (first play + the cache's).
            "role_cache_before_first_install_s": cache_lead_s(
                {p["play"]: p["s"] for p in figures["role_cache"]["profile"]["cold"]["plays"]})
            if "role_cache" in figures else None,
            "role_cache_vs_role_wall": ratio(figures.get("role_cache", {}).get("wall_to_healthy_s"),
                                             figures.get("role", {}).get("wall_to_healthy_s")),
            "role_cache_upstream_vs_package_set": ratio(figures.get("role_cache", {}).get("upstream_bytes"), package_set),
            # The least role_cache's upstream can be with this design: the package set and the
            # pass's resolution.
            "role_cache_floor_vs_package_set": ratio(package_set + resolution, package_set)
            if package_set and resolution is not None else None,
            # The earlier design in the same run (devpi fetching the pinned files): its lead and
            # its upstream bytes.
            "role_cache_devpi_before_first_install_s": cache_lead_s(
                {p["play"]: p["s"] for p in figures["role_cache_devpi"]["profile"]["cold"]["plays"]})
            if "role_cache_devpi" in figures else None,
            "role_cache_devpi_upstream_vs_package_set": ratio(figures.get("role_cache_devpi", {}).get("upstream_bytes"),
                                                              package_set),
            "role_cache_vs_role_cache_devpi_lead": ratio(
                cache_lead_s({p["play"]: p["s"] for p in figures["role_cache"]["profile"]["cold"]["plays"]}),
                cache_lead_s({p["play"]: p["s"] for p in figures["role_cache_devpi"]["profile"]["cold"]["plays"]}))
            if "role_cache" in figures and "role_cache_devpi" in figures else None,
            "role_upstream_vs_role_cache_upstream": ratio(figures.get("role", {}).get("upstream_bytes"),
                                                          figures.get("role_cache", {}).get("upstream_bytes")),
        },
        # role_cache over SSH per room size (--scale).
        "scale": scale,
        # A MODEL of a 30-PC room on real hardware, from the smallest room of --scale.
        "model": model_room(min(scale, key=lambda row: row["hosts"])) if scale else None,
        # The same room behind a 100 Mbit/s and a 1 Gbit/s uplink, with and without the cache
        # (a MODEL; needs the role variant for a PC's bytes without a cache).
        "model_uplinks": model_uplinks(min(scale, key=lambda row: row["hosts"]),
                                       figures["role"]["upstream_bytes"] / figures["role"]["hosts"])
        if scale and "role" in figures else None,
    }
    output.write_text(json.dumps(result, indent=2) + "\n")

    print("\n%-16s %-9s %5s %10s %12s %14s %8s %8s %14s %14s" % (
        "variant", "transport", "hosts", "healthy_s", "upstream_MB", "uplink100_s", "rerun_s", "changed", "rss_mb(max)",
        "ready_s(max)"))

    def shown(value, form):
        return "-" if value is None else form % value

    for name, f in figures.items():
        # A cold-run-only variant (role_cache_devpi) has no re-run, RSS or restart figures.
        print("%-16s %-9s %5d %10.1f %12.1f %14.1f %8s %8s %14s %14s" % (
            name, f["transport"], f["hosts"], f["wall_to_healthy_s"], f["upstream_bytes"] / 1e6, f["uplink_100mbit_s"],
            shown(f.get("rerun_s"), "%.1f"), shown(f.get("rerun_changed"), "%s"),
            shown(max(f["server_rss_mb"]) if f.get("server_rss_mb") else None, "%.1f"),
            shown(max(f["server_ready_s"]) if f.get("server_ready_s") else None, "%.2f")))
    if interleaved:
        print("\ninterleaved cold runs (%s):" % " ".join(interleaved["order"]))
        for variant in ("uv_commands", "role"):
            for part in ("wall_s", "install_s", "rest_s"):
                found = interleaved[variant][part]
                print("  %-12s %-10s median %6.1f  min %6.1f  max %6.1f  spread %5s%%  runs %s" % (
                    variant, part, found["median"], found["min"], found["max"], found["spread_pct"], found["runs"]))
        if "controller_cpu_s" in interleaved["role"]:
            found = interleaved["role"]["controller_cpu_s"]
            print("  role's controller CPU (ansible-playbook, forks, ssh): median %.1f s, runs %s" % (
                found["median"], found["runs"]))
        print("  role / uv_commands, ratio of medians: wall %s, install %s" % (
            interleaved["ratio_of_medians"], interleaved["install_ratio_of_medians"]))
    collected = figures.get("role", {}).get("collect")
    if collected:
        print("collect.yml over %d PCs holding %d runs each: %.1f s, requests per PC %s, %s runs in runs.csv, changed %s" % (
            collected["pcs"], collected["runs_per_pc"], collected["wall_s"], collected["requests_per_pc"],
            collected["runs_in_csv"], collected["changed"]))
    if "rerun_podman_s" in figures.get("role", {}):
        print("role re-run: %.1f s over ssh (changed %s), %.1f s through podman exec (changed %s)" % (
            figures["role"]["rerun_s"], figures["role"]["rerun_changed"], figures["role"]["rerun_podman_s"],
            figures["role"]["rerun_podman_changed"]))
    for name, f in figures.items():
        if f.get("ssh_bytes") is not None:
            print("%s: the controller's SSH traffic of the cold run %.1f MB (not counted as upstream)" % (
                name, f["ssh_bytes"] / 1e6))
    if package_set:
        print("package set one PC needs (cached by the room's cache): %.1f MB" % (package_set / 1e6))
    if figures.get("role_cache", {}).get("cache_sent_bytes"):
        print("the cache sent the lab PCs %.1f MB over the room's network (%.2f package sets per PC)" % (
            figures["role_cache"]["cache_sent_bytes"] / 1e6,
            figures["role_cache"]["cache_sent_bytes"] / figures["role_cache"]["hosts"] / package_set
            if package_set else float("nan")))
    if resolution is not None:
        print("one resolution against upstream (index pages and metadata): %.1f MB" % (resolution / 1e6))
    for key, value in result["ratios"].items():
        print("%-40s %s" % (key, "-" if value is None else value))
    if scale:
        print("\nscale: role_cache over ssh")
        print("%5s %10s %12s %14s %8s %8s  %-22s %s" % (
            "hosts", "healthy_s", "upstream_MB", "cache_sent_MB", "rerun_s", "changed", "tasks/host cold",
            "tasks/host rerun"))
        for row in scale:
            print("%5d %10.1f %12.1f %14.1f %8.1f %8s  %-22s %s" % (
                row["hosts"], row["wall_to_healthy_s"], row["upstream_bytes"] / 1e6, (row["cache_sent_bytes"] or 0) / 1e6,
                row["rerun_s"], row["rerun_changed"], tasks_summary(row["tasks_per_host_cold"]),
                tasks_summary(row["tasks_per_host_rerun"])))
    if result["model"]:
        m = result["model"]
        print("\nMODEL (not measured): %d PCs on real hardware, each installing on its own CPU, from the %d-PC room: "
              "%.0f s (first play %.0f s + cache play %.0f s + max(%d wave(s) of forks=%d x %.0f s, the cache's "
              "%.0f Gbit/s link %.0f s)); upstream as the %d-PC room, %.1f MB" % (
                  m["hosts"], m["from_measured_hosts"], m["wall_to_healthy_s"], m["first_play_s"], m["cache_play_s"],
                  m["waves"], m["forks"], m["pcs_play_one_pc_s"], m["lan_bits_per_s"] / 1e9, m["cache_link_s"],
                  m["from_measured_hosts"], m["upstream_bytes"] / 1e6))
    if result["model_uplinks"]:
        m = result["model_uplinks"]
        print("MODEL (not measured): %d PCs, forks=%d, from the %d-PC cache room and the role's bytes per PC:" % (
            m["hosts"], m["forks"], m["from_measured_hosts"]))
        for u in m["uplinks"]:
            print("  uplink %5.1f Gbit/s: with the cache %6.0f s (first install after %4.0f s, %6.0f MB upstream); "
                  "without %6.0f s (%6.0f MB upstream)" % (
                      u["uplink_bits_per_s"] / 1e9, u["with_cache_s"], u["with_cache_before_first_install_s"],
                      u["with_cache_upstream_bytes"] / 1e6, u["without_cache_s"], u["without_cache_upstream_bytes"] / 1e6))
    print("written: %s" % output)


if __name__ == "__main__":
    main()
