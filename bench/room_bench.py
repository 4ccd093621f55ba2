#!/usr/bin/env python
"""Benchmark: a simulated lab room provisioned four ways, measured side by side in one run.

Each variant gets a fresh room of N systemd containers (the Molecule images), and every
figure below is measured in this run, on this machine:

  handout      the handout's steps as commands on each PC: venv, pip install, the server with
               the handout's flags (default workers, started with nohup)
  uv_commands  the same steps done by hand, fast: venv, uv pip install --compile-bytecode,
               the server with the role's flags (the floor the role is compared with)
  role         ansible-playbook playbooks/provision.yml, PCs install from upstream
  role_cache   the same with one more container in group mlflow_package_cache

Per variant: wall time until every PC's server answers, bytes the room fetched from
upstream (network counters of the containers; with a cache, the bytes that travelled
between the cache and the PCs are subtracted), the re-run time and changed count, and per
PC the server's RSS and the seconds from (re)start to a healthy /health.

  make bench                      # N=3
  python bench/room_bench.py --hosts 5 --variants role,role_cache
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
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
VARIANTS = ["handout", "uv_commands", "role", "role_cache"]
# A school's uplink, for the column that says what the upstream bytes would cost there.
UPLINK_BITS_PER_S = 100e6

# The playbook runner and json-callback reader shared with the Molecule tests.
sys.path.insert(0, str(ROOT / "tests/support"))
from playbook_run import run_playbook  # noqa: E402

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


def sh(*argv, check=True, capture=True, env=None, timeout=3600):
    # check=False: a failure is raised below with the command's output, which CalledProcessError hides.
    result = subprocess.run(argv, capture_output=capture, text=True, env=env, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed (rc %d):\n%s\n%s" % (
            shlex.join(argv), result.returncode, (result.stdout or "")[-3000:], (result.stderr or "")[-3000:]))
    return result


def in_host(name, script, check=True, timeout=3600):
    return sh("podman", "exec", name, "sh", "-c", script, check=check, timeout=timeout)


class Room:
    """N lab PCs (plus a cache host) as systemd containers, removed at the end."""

    def __init__(self, prefix, count, cache=False):
        self.pcs = ["%s-pc-%d" % (prefix, i + 1) for i in range(count)]
        self.cache = "%s-cache" % prefix if cache else None
        self.names = self.pcs + ([self.cache] if cache else [])

    def __enter__(self):
        for name in self.names:
            sh("podman", "rm", "-f", name, check=False)
            sh("podman", "run", "-d", "--name", name, "--hostname", name, "--systemd", "always", IMAGE, "/sbin/init")
        for name in self.names:
            in_host(name, "systemctl is-system-running --wait >/dev/null; true", timeout=120)
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
        """{host: (rx_bytes, tx_bytes)} of each container's network interface."""
        found = {}
        for name in self.names:
            out = in_host(name, "cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes")
            rx, tx = (int(v) for v in out.stdout.split())
            found[name] = (rx, tx)
        return found

    def cache_sent_bytes(self, before, after):
        """Bytes the cache host sent (to the lab PCs): the room's own network, not the uplink."""
        return (after[self.cache][1] - before[self.cache][1]) if self.cache else None

    def upstream_bytes(self, before, after):
        """Bytes the room received, minus those the cache sent to the PCs (room-internal)."""
        received = sum(after[n][0] - before[n][0] for n in self.names)
        internal = (after[self.cache][1] - before[self.cache][1]) if self.cache else 0
        return received - internal

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

def by_hand(prefix, count, installer):
    """The handout's steps (pip, handout flags) or the same with uv and the role's flags."""
    requirements = " ".join(shlex.quote(p) for p in PACKAGES)
    if installer == "pip":
        install = ".venv/bin/pip install --disable-pip-version-check --progress-bar off %s" % requirements
        flags = ""
    else:
        install = (".venv/bin/pip install --disable-pip-version-check --progress-bar off uv && "
                   ".venv/bin/uv pip install --native-tls --compile-bytecode --python .venv/bin/python %s" % requirements)
        flags = " --workers 1"
    server = (
        "cd %s && MLFLOW_SERVER_ENABLE_JOB_EXECUTION=%s nohup .venv/bin/mlflow server --host 0.0.0.0 --port %d "
        "--backend-store-uri sqlite:///%s/mlruns_db/mlflow.db --artifacts-destination %s/mlartifacts "
        "--serve-artifacts%s > mlflow.log 2>&1 &"
        % (LAB, "true" if installer == "pip" else "false", PORT, LAB, LAB, flags)
    )

    def provision(name):
        in_host(name, "mkdir -p %s && cd %s && python3 -m venv .venv && %s && mkdir -p mlruns_db mlartifacts"
                % (LAB, LAB, install))
        in_host(name, server)
        poll_health(name)

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
        parallel(provision, room.pcs)
        wall = time.monotonic() - started
        upstream = room.upstream_bytes(before, room.counters())
        # Re-running the same commands: the installer finds everything there.
        started = time.monotonic()
        parallel(lambda name: in_host(name, "cd %s && %s" % (LAB, install)), room.pcs)
        rerun = time.monotonic() - started
        # One PC at a time: each lab PC restarts on its own CPU, not three on this machine's two.
        ready = {name: restart(name) for name in room.pcs}
        rss = {name: room.server_rss_mb(name) for name in room.pcs}
        return {
            "hosts": count,
            "wall_to_healthy_s": round(wall, 1),
            "upstream_bytes": upstream,
            "rerun_s": round(rerun, 1),
            "rerun_changed": None,  # plain commands do not say whether they changed anything
            "server_rss_mb": [rss[n] for n in room.pcs],
            "server_ready_s": [ready[n] for n in room.pcs],
        }


# --- the role -----------------------------------------------------------------------------

def playbook(inventory, playbook_path, report_dir):
    """Run a playbook over the room; (wall seconds, changed count summed over the hosts, where
    the time went: PlaybookRun.profile())."""
    run = run_playbook(playbook_path, inventories=[inventory], args=["-e", "mlflow_report_dir=%s" % report_dir],
                       env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": "10",
                            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible/collections")}, timeout=3600)
    if run.rc != 0:
        raise RuntimeError("%s failed:\n%s" % (playbook_path, run.text[-6000:]))
    return run.elapsed, run.total_changed, run.profile()


def with_role(prefix, count, cache, results_dir):
    with Room(prefix, count, cache=cache) as room, tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "room.yml"
        children = {"lab_room": {"hosts": {n: None for n in room.pcs}}}
        if cache:
            children["mlflow_package_cache"] = {"hosts": {room.cache: None}}
        inventory.write_text(yaml.safe_dump({"all": {
            "vars": {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3"},
            "children": children,
        }}))
        report_dir = results_dir / ("reports-%s" % prefix)
        before = room.counters()
        wall, _changed, cold_profile = playbook(inventory, "playbooks/provision.yml", report_dir)
        after = room.counters()
        upstream = room.upstream_bytes(before, after)
        rerun, rerun_changed, rerun_profile = playbook(inventory, "playbooks/provision.yml", report_dir)
        playbook(inventory, "playbooks/status.yml", report_dir)

        def restart(name):
            started = time.monotonic()
            in_host(name, "systemctl restart mlflow-server")
            poll_health(name)
            return round(time.monotonic() - started, 2)

        # One PC at a time: each lab PC restarts on its own CPU, not three on this machine's two.
        ready = {name: restart(name) for name in room.pcs}
        rss = {name: room.server_rss_mb(name) for name in room.pcs}
        figures = {
            "hosts": count,
            "wall_to_healthy_s": round(wall, 1),
            "upstream_bytes": upstream,
            # With a cache: what it sent to the PCs over the room's network.
            "cache_sent_bytes": room.cache_sent_bytes(before, after),
            "rerun_s": round(rerun, 1),
            "rerun_changed": rerun_changed,
            "server_rss_mb": [rss[n] for n in room.pcs],
            "server_ready_s": [ready[n] for n in room.pcs],
            # Where the time went, traceable to tasks: each play's seconds, the slowest tasks
            # and the tasks run per host, of the cold run and of the re-run.
            "profile": {"cold": cold_profile, "rerun": rerun_profile},
        }
        if cache:
            out = in_host(room.cache, "find /opt/labroom-package-cache/server/+files -type f -name '*.whl' -printf '%s\\n'")
            figures["cache_files_bytes"] = sum(int(v) for v in out.stdout.split())
            figures["resolution_bytes"] = resolution_bytes(room.cache)
        return figures


def resolution_bytes(cache):
    """Bytes one resolution of the package set takes from upstream: index pages and wheel
    metadata, no wheel. The cache's pass runs one (uv pip compile against upstream), and devpi
    fetches the same projects' pages once more as it serves them; so (package set + twice
    this) / package set is about the least the room's upstream bytes can be with this design.
    Measured on the cache host with an empty uv cache (uv fetched through the cache: local)."""
    script = (
        "set -e; d=$(mktemp -d); /opt/labroom-package-cache/.venv/bin/python -m pip install -q "
        "--disable-pip-version-check --target $d/uv --index-url http://127.0.0.1:3141/root/pypi/+simple/ "
        "uv==%s; printf '%%s\\n' %s > $d/req.in; a=$(cat /sys/class/net/eth0/statistics/rx_bytes); "
        "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt $d/uv/bin/uv pip compile --no-config --quiet "
        "--cache-dir $d/cache --python-version 3.11 --python-platform x86_64-manylinux_2_36 $d/req.in >/dev/null; "
        "b=$(cat /sys/class/net/eth0/statistics/rx_bytes); rm -rf $d; echo $((b - a))"
        % (DEFAULTS["mlflow_server_uv_version"], " ".join(shlex.quote(p) for p in PACKAGES)))
    return int(in_host(cache, script).stdout.split()[-1])


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("BENCH_HOSTS", "3")))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--output", default=str(ROOT / "bench/results/latest.json"))
    args = parser.parse_args()
    chosen = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown or args.hosts < 1:
        parser.error("variants must be among %s and --hosts at least 1" % ", ".join(VARIANTS))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)

    figures = {}
    for variant in chosen:
        print("== %s: %d hosts" % (variant, args.hosts), flush=True)
        prefix = "bench-" + variant.replace("_", "")
        if variant == "handout":
            figures[variant] = by_hand(prefix, args.hosts, "pip")
        elif variant == "uv_commands":
            figures[variant] = by_hand(prefix, args.hosts, "uv")
        else:
            figures[variant] = with_role(prefix, args.hosts, variant == "role_cache", output.parent)
        print(json.dumps({k: v for k, v in figures[variant].items() if k != "profile"}), flush=True)
        for run, found in figures[variant].get("profile", {}).items():
            print("  %s run: %s" % (run, ", ".join("%s %.0f s" % (p["play"], p["s"]) for p in found["plays"])))
            print("    tasks per host: %s" % ", ".join("%s %d" % kv for kv in sorted(found["tasks_per_host"].items())))
            for task in found["slowest_tasks"]:
                print("    %6.1f s  %s" % (task["s"], task["task"]))

    # The package set one PC needs: what the room's cache holds after serving the room.
    package_set = figures.get("role_cache", {}).pop("cache_files_bytes", None)
    resolution = figures.get("role_cache", {}).pop("resolution_bytes", None)
    # What the room's upstream bytes would take through a school's 100 Mbit/s uplink: where a
    # cache pays, whatever this machine's own connection is.
    for f in figures.values():
        f["uplink_100mbit_s"] = round(f["upstream_bytes"] * 8 / UPLINK_BITS_PER_S, 1)
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "image": IMAGE},
        "mlflow_version": VERSION,
        "packages": PACKAGES,
        "package_set_bytes": package_set,
        # One resolution against upstream: index pages and metadata, no wheel.
        "resolution_bytes": resolution,
        "variants": figures,
        "ratios": {
            "role_vs_uv_commands_wall": ratio(figures.get("role", {}).get("wall_to_healthy_s"),
                                              figures.get("uv_commands", {}).get("wall_to_healthy_s")),
            "handout_vs_role_wall": ratio(figures.get("handout", {}).get("wall_to_healthy_s"),
                                          figures.get("role", {}).get("wall_to_healthy_s")),
            "role_cache_vs_role_wall": ratio(figures.get("role_cache", {}).get("wall_to_healthy_s"),
                                             figures.get("role", {}).get("wall_to_healthy_s")),
            "role_cache_upstream_vs_package_set": ratio(figures.get("role_cache", {}).get("upstream_bytes"), package_set),
            # The least role_cache's upstream can be with this design: the package set, the
            # pass's resolution, and devpi fetching the same pages once more.
            "role_cache_floor_vs_package_set": ratio(package_set + 2 * resolution, package_set)
            if package_set and resolution is not None else None,
            "role_upstream_vs_role_cache_upstream": ratio(figures.get("role", {}).get("upstream_bytes"),
                                                          figures.get("role_cache", {}).get("upstream_bytes")),
        },
    }
    output.write_text(json.dumps(result, indent=2) + "\n")

    print("\n%-12s %5s %10s %12s %14s %8s %8s %14s %14s" % (
        "variant", "hosts", "healthy_s", "upstream_MB", "uplink100_s", "rerun_s", "changed", "rss_mb(max)",
        "ready_s(max)"))
    for name, f in figures.items():
        print("%-12s %5d %10.1f %12.1f %14.1f %8.1f %8s %14.1f %14.2f" % (
            name, f["hosts"], f["wall_to_healthy_s"], f["upstream_bytes"] / 1e6, f["uplink_100mbit_s"], f["rerun_s"],
            "-" if f["rerun_changed"] is None else f["rerun_changed"], max(f["server_rss_mb"]), max(f["server_ready_s"])))
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
    print("written: %s" % output)


if __name__ == "__main__":
    main()
