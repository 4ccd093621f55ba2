"""The digest of a host probe (plugins/filter/host_state.py)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.host_state import (
    FilterModule,
    collection_code_digest,
    host_state_digest,
    host_state_record,
)

STAMP = "/opt/lab/.labroom-state.json"
PROBE = {
    "paths": {
        "/opt/lab": {"exists": True, "type": "directory", "mode": "0755", "uid": 0, "gid": 997, "owner": "root",
                     "group": "mlflow"},
        "/etc/systemd/system/mlflow-server.service": {"exists": True, "type": "file", "mode": "0644", "uid": 0,
                                                      "gid": 0, "owner": "root", "group": "root", "sha256": "aa",
                                                      "content": "[Unit]\n"},
        STAMP: {"exists": True, "type": "file", "sha256": "bb", "content": "{}"},
    },
    "commands": {"venv": {"rc": 0, "stdout": "{}\nd1\n3.17.2\n", "stderr": ""},
                 "service": {"rc": 0, "stdout": "ActiveState=active\n", "stderr": ""}},
    "users": {"mlflow": 997},
    "groups": {"mlflow": 997},
}


def digest(probe):
    return host_state_digest(probe, exclude_paths=[STAMP], commands=["venv"])


def changed(edit):
    probe = copy.deepcopy(PROBE)
    edit(probe)
    return digest(probe)


def test_the_same_probe_gives_the_same_digest():
    assert digest(PROBE) == digest(copy.deepcopy(PROBE))
    assert len(digest(PROBE)) == 64


@pytest.mark.parametrize("edit", [
    lambda p: p["paths"]["/etc/systemd/system/mlflow-server.service"].update(sha256="cc"),
    lambda p: p["paths"]["/opt/lab"].update(mode="0777"),
    lambda p: p["paths"]["/opt/lab"].update(exists=False),
    lambda p: p["commands"]["venv"].update(stdout="{}\nd2\n3.17.2\n"),
    lambda p: p["commands"]["venv"].update(rc=1),
    lambda p: p["users"].update(mlflow=None),
    lambda p: p["groups"].update(mlflow=None),
])
def test_drift_changes_the_digest(edit):
    assert changed(edit) != digest(PROBE)


@pytest.mark.parametrize("edit", [
    lambda p: p["paths"][STAMP].update(sha256="zz", content="{\"other\": 1}"),
    lambda p: p["paths"]["/etc/systemd/system/mlflow-server.service"].update(content="ignored: the sha counts"),
    lambda p: p["commands"]["service"].update(stdout="ActiveState=inactive\n"),
])
def test_what_is_left_out_does_not_count(edit):
    assert changed(edit) == digest(PROBE)


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match="host_probe result"):
        host_state_digest({"paths": []})
    with pytest.raises(AnsibleFilterError, match="no command named 'missing'"):
        host_state_digest(PROBE, commands=["missing"])


def test_registered_under_their_names():
    assert FilterModule().filters() == {"host_state_digest": host_state_digest, "host_state_record": host_state_record,
                                        "collection_code_digest": collection_code_digest}


# --- What a probe's pythons hold, the record's text, and the collection's code ------------------

VENV = {"found": True, "path": "/opt/lab/.venv/bin/python", "python": "3.11", "distributions": "d1",
        "versions": {"mlflow": "3.17.2"}}


def test_a_named_pythons_change_is_drift():
    probe = dict(PROBE, pythons={"venv": VENV, "python": {"found": True, "path": "/usr/bin/python3"}})
    before = host_state_digest(probe, exclude_paths=[STAMP], pythons=["venv"])
    other = copy.deepcopy(probe)
    other["pythons"]["venv"]["distributions"] = "d2"  # a package removed from the venv
    assert host_state_digest(other, exclude_paths=[STAMP], pythons=["venv"]) != before
    # A Python the digest does not name does not count.
    other = copy.deepcopy(probe)
    other["pythons"]["python"]["path"] = "/usr/bin/python3.12"
    assert host_state_digest(other, exclude_paths=[STAMP], pythons=["venv"]) == before


def test_a_python_the_probe_did_not_look_for_is_an_error():
    with pytest.raises(AnsibleFilterError, match="no Python named 'venv'"):
        host_state_digest(PROBE, pythons=["venv"])


def test_the_record_names_the_role_and_both_digests():
    text = host_state_record(PROBE, "labroom.mlflow.package_cache", settings="s" * 64, state_file=STAMP,
                             commands=["venv"])
    lines = text.splitlines()
    assert lines[0].startswith("# labroom.mlflow.package_cache: ")
    assert lines[2] == "settings " + "s" * 64
    assert lines[3] == "observed " + digest(PROBE)
    # The record's own file is left out: writing it does not change what it says.
    other = copy.deepcopy(PROBE)
    other["paths"][STAMP]["sha256"] = "cc"
    assert host_state_record(other, "labroom.mlflow.package_cache", settings="s" * 64, state_file=STAMP,
                             commands=["venv"]) == text


@pytest.fixture
def collection(tmp_path):
    """A copy of this collection's roles/ and plugins/."""
    root = Path(__file__).resolve().parents[4]
    copy_of = tmp_path / "mlflow"
    for part in ("roles", "plugins"):
        shutil.copytree(root / part, copy_of / part, ignore=shutil.ignore_patterns("__pycache__"))
    return copy_of


@pytest.mark.parametrize("edited", [
    "plugins/filter/service_layout.py",        # a filter (systemd_env_file's neighbour)
    "plugins/modules/host_probe.py",           # a module
    "plugins/module_utils/python_env.py",      # what the probe runs on the host
    "plugins/test/network.py",                 # a test plugin
    "roles/_service/templates/systemd.j2",     # the unit's template
    "roles/mlflow_server/tasks/install.yml",   # a role's tasks
    "roles/mlflow_server/files/sqlite_backup.py",
])
def test_the_code_digest_covers_what_lands_on_a_host(collection, edited):
    role = collection / "roles" / "mlflow_server"
    before = collection_code_digest(str(role))
    assert before == collection_code_digest(str(collection / "roles" / "_service"))
    with open(collection / edited, "a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    assert collection_code_digest(str(role)) != before


def test_the_code_digest_leaves_docs_and_defaults_out(collection):
    role = collection / "roles" / "mlflow_server"
    before = collection_code_digest(str(role))
    # Plugin docs and role defaults reach a host through settings, not code.
    for edited in ("plugins/filter/host_state_digest.yml", "roles/mlflow_server/defaults/main.yml"):
        with open(collection / edited, "a", encoding="utf-8") as handle:
            handle.write("\n# edited\n")
    assert collection_code_digest(str(role)) == before


def test_the_code_digest_needs_a_role_of_a_collection(tmp_path):
    with pytest.raises(AnsibleFilterError, match="not a role of a collection"):
        collection_code_digest(str(tmp_path / "roles" / "x"))
