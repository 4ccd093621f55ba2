"""The default scenario's side effects (run by molecule/resources/side_effect.py):

  unreachable_and_misconfigured  a second site.yml run over the room without its cache host,
                                 with one PC switched off and a bad setting on another
  reset_in_a_cache_room          reset.yml on one PC of this room with a package cache, as the
                                 README gives it: maintenance never needs the cache
  one_pc                         site.yml --limit <one PC> alone: a report for that PC, rc 0;
                                 then with a bad setting: rc != 0 and its reason in the report

verify (test_cache.py) asserts on what was recorded.
"""

from __future__ import annotations

import json

import yaml

SWITCHED_OFF = "lab-pc-39"


def run(room):
    room.step("unreachable_and_misconfigured", unreachable_and_misconfigured, room)
    room.step("reset_in_a_cache_room", reset_in_a_cache_room, room)
    room.step("one_pc", one_pc, room)


def unreachable_and_misconfigured(room):
    # The lab PCs plus one that does not answer, with a bad setting on one PC. The cache host
    # is left out (--limit; localhost writes the report): PCs that already hold the requested
    # release need no package index.
    pcs = room.hosts()
    broken, healthy = pcs[-1], pcs[0]
    out = room.workdir / "unreachable-and-misconfigured"
    out.mkdir(exist_ok=True)
    extra = out / "broken.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"lab_room": {
        "hosts": {
            broken: {"mlflow_server_workers": 0},
            # A PC that is switched off: its container does not exist.
            SWITCHED_OFF: {"ansible_connection": "containers.podman.podman", "ansible_host": SWITCHED_OFF + "-switched-off"},
        },
    }}}}))
    played = room.playbook("site.yml", "--limit", "lab_room,localhost", "-e", "mlflow_report_dir=%s" % out,
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


def reset_in_a_cache_room(room):
    pc = room.hosts()[0]
    out = room.workdir / "reset-in-a-cache-room"
    out.mkdir(exist_ok=True)
    logged = room.client(pc, "log")
    played = room.playbook("playbooks/reset.yml", "--limit", pc, "-e", "mlflow_server_reset_confirm=%s" % pc,
                           "-e", "mlflow_server_backup_dest=%s" % out)
    return {
        "host": pc,
        "run": played.to_dict(),
        "archives": sorted(str(path) for path in (out / pc).glob("%s-*.tar.gz" % pc)),
        "exists_after_reset": room.client(pc, "exists", logged["run_id"]),
    }


def one_pc(room):
    pc = room.hosts()[-1]
    seen = {"host": pc}
    for case, extra in (("healthy", []), ("broken", ["-e", "mlflow_server_workers=0"])):
        out = room.workdir / ("one-pc-" + case)
        out.mkdir(exist_ok=True)
        played = room.playbook("site.yml", "--limit", pc, "-e", "mlflow_report_dir=%s" % out, *extra)
        report = out / "room-report.json"
        seen[case] = {"run": played.to_dict(),
                      "rows": json.loads(report.read_text())["hosts"] if report.exists() else None}
    return seen
