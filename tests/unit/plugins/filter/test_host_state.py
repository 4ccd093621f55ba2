"""The digest of a host probe (plugins/filter/host_state.py)."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.host_state import FilterModule, host_state_digest

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


def test_registered_under_its_name():
    assert FilterModule().filters() == {"host_state_digest": host_state_digest}
