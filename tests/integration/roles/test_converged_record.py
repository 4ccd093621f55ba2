"""The converged-state record (roles/_service, entry points probe and record) covers the
collection's code: a change to a filter, a module or a role's tasks reaches a host that is
already converged (the bug: only the roles' files were digested, never plugins/).

The service layer's own probe and record run here on this machine (local connection), for a
stand-in program under supervisord that is meant to be stopped: nothing is started, and the
only file written is the record, in a temporary folder. A copy of the collection stands in
for the next release: one edited filter in it, and the same host is no longer converged.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import yaml

from playbook_run import ROOT, run_playbook

PROBE_VARS = {
    "_service_role": "labroom.mlflow.test",
    "_service_register": "__test_host",
    "_service_layout": "{{ 'labroom-record-test' | labroom.mlflow.service_layout(manager='supervisor', "
                       "facts=ansible_facts, base_dir=base_dir, bin_dir=base_dir ~ '/bin') }}",
    "_service_manager_variable": "test_service_manager",
    "_service_user": "root",
    "_service_group": "root",
    "_service_state": "stopped",
    "_service_paths": ["{{ base_dir }}"],
    "_service_state_file": "{{ base_dir }}/.labroom-state.json",
    "_service_settings": {"port": 8080},
}
PLAY = [{
    "name": "Probe, then record, as a role does",
    "hosts": "localhost",
    "gather_facts": False,
    "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
    "tasks": [
        {"name": "Gather the facts the layout needs", "ansible.builtin.setup": {"gather_subset": ["!all", "min"]}},
        {"name": "Probe", "ansible.builtin.include_role": {"name": "labroom.mlflow._service", "tasks_from": "probe"},
         "vars": PROBE_VARS},
        {"name": "Say whether the host is converged", "ansible.builtin.debug": {"msg": "converged={{ __test_host.converged }}"}},
        {"name": "Record", "ansible.builtin.include_role": {"name": "labroom.mlflow._service", "tasks_from": "record"},
         "vars": {"_service_role": "labroom.mlflow.test", "_service_register": "__test_host",
                  "_service_tags_prefix": "test_"}},
    ],
}]


def copy_collection(where):
    """This collection as installed under where/ansible_collections (its roles and plugins)."""
    target = where / "ansible_collections" / "labroom" / "mlflow"
    for part in ("roles", "plugins", "meta"):
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "galaxy.yml", target / "galaxy.yml")
    return target


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    folder = tmp_path_factory.mktemp("converged-record")
    (folder / "base").mkdir(mode=0o750)
    (folder / "play.yml").write_text(yaml.safe_dump(PLAY, sort_keys=False))
    return folder


def converged(place, collections):
    run = run_playbook(place / "play.yml", args=["-e", json.dumps({"base_dir": str(place / "base")})],
                       env={"ANSIBLE_COLLECTIONS_PATH": str(collections)})
    assert run.rc == 0, run.text
    said = [result["msg"] for play in run.document["plays"] for task in play["tasks"]
            for result in task["hosts"].values() if str(result.get("msg", "")).startswith("converged=")]
    assert len(said) == 1, run.text
    return said[0] == "converged=True"


def test_an_edited_filter_reaches_a_converged_host(place):
    released = copy_collection(place / "released")
    # A new host: no record yet. The run writes it; the next run finds the host converged.
    assert not converged(place, place / "released")
    assert converged(place, place / "released")
    record = (place / "base" / ".labroom-state.json").read_text()
    assert record.startswith("# labroom.mlflow.test: ")
    # The next release changes only a filter (say, how systemd's environment file is written).
    with open(released / "plugins" / "filter" / "service_layout.py", "a", encoding="utf-8") as handle:
        handle.write("\n# the next release\n")
    assert not converged(place, place / "released")
    # ... and once that run converged the host, it is converged again.
    assert converged(place, place / "released")
    assert (place / "base" / ".labroom-state.json").read_text() != record
