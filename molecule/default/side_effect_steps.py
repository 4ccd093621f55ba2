"""The default scenario's side effect (run by molecule/resources/side_effect.py): a second
site.yml run over the room with one PC switched off and a bad setting on another.

verify (test_cache.py) asserts on what was recorded.
"""

from __future__ import annotations

import json

import yaml

SWITCHED_OFF = "lab-pc-39"


def run(room):
    room.step("unreachable_and_misconfigured", unreachable_and_misconfigured, room)


def unreachable_and_misconfigured(room):
    # The lab PCs plus one that does not answer, with a bad setting on one PC. The cache is
    # left out (--limit; localhost writes the report), so the PCs use upstream's index here.
    pcs = room.hosts()
    broken, healthy = pcs[-1], pcs[0]
    out = room.workdir / "unreachable-and-misconfigured"
    out.mkdir(exist_ok=True)
    extra = out / "broken.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"lab_room": {
        "vars": {"mlflow_server_index_url": ""},
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
