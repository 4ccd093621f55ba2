"""Unit tests of the HTTPS front's filters (plugins/filter/front.py): mlflow_endpoint, tls_covers
and listeners."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.front import listeners, mlflow_endpoint, subject_alt_names, tls_covers

SETTINGS = {"mlflow_server_tls": "auto", "mlflow_server_auth": "none", "mlflow_server_tls_port": 443,
            "mlflow_server_port": 8080, "mlflow_server_public_url": ""}


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, {"tls": "none", "front": False, "url": "http://course-server:8080", "port": 8080}),
    ({"mlflow_server_auth": "basic"}, {"tls": "own_ca", "front": True, "url": "https://course-server", "port": 443}),
    ({"mlflow_server_auth": "basic", "mlflow_server_tls_port": "8443"},
     {"tls": "own_ca", "front": True, "url": "https://course-server:8443", "port": 8443}),
    ({"mlflow_server_auth": "basic", "mlflow_server_tls": "none"},
     {"tls": "none", "front": False, "url": "http://course-server:8080", "port": 8080}),
    ({"mlflow_server_tls": "provided", "mlflow_server_public_url": "https://mlflow.cs.example.ac.th/"},
     {"tls": "provided", "front": True, "url": "https://mlflow.cs.example.ac.th", "port": 443}),
    ({"mlflow_server_public_url": "http://10.0.0.5:8080"},
     {"tls": "none", "front": False, "url": "http://10.0.0.5:8080", "port": 8080}),
])
def test_the_endpoint_follows_tls_auth_and_the_public_url(changes, expected):
    assert mlflow_endpoint(dict(SETTINGS, **changes), "course-server") == expected


def test_the_endpoint_needs_every_setting():
    with pytest.raises(AnsibleFilterError, match="mlflow_server_public_url"):
        mlflow_endpoint({"mlflow_server_tls": "auto"}, "course-server")


@pytest.mark.parametrize(("names", "host", "covered"), [
    (["course-server", "mlflow.cs.example.ac.th"], "mlflow.cs.example.ac.th", True),
    (["DNS:Course-Server"], "course-server", True),
    (["DNS:mlflow.cs.example.ac.th."], "MLflow.CS.example.ac.th", True),
    (["*.cs.example.ac.th"], "mlflow.cs.example.ac.th", True),
    (["*.cs.example.ac.th"], "cs.example.ac.th", False),
    (["*.cs.example.ac.th"], "a.mlflow.cs.example.ac.th", False),
    (["*.example.ac.th"], "mlflow.cs.example.ac.th", False),
    (["IP:10.0.0.5"], "10.0.0.5", True),
    (["IP Address:fd00::5"], "[fd00:0::5]", True),
    (["10.0.0.5"], "10.0.0.6", False),
    (["*.0.0.5"], "10.0.0.5", False),
    (["course-server"], "other-server", False),
    ([], "course-server", False),
])
def test_tls_covers_matches_as_a_browser_does(names, host, covered):
    assert tls_covers(names, host) is covered


def test_tls_covers_wants_a_list():
    with pytest.raises(AnsibleFilterError):
        tls_covers("course-server", "course-server")


SS = """\
LISTEN 0      511          0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))
LISTEN 0      511             [::]:80           [::]:*    users:(("nginx",pid=812,fd=7),("nginx",pid=811,fd=7))
LISTEN 0      4096       127.0.0.1:8080      0.0.0.0:*    users:(("mlflow",pid=900,fd=3))
LISTEN 0      128          0.0.0.0:443       0.0.0.0:*    users:(("apache2",pid=77,fd=4))
LISTEN 0      128                *:4430            *:*
LISTEN 0      128       10.0.0.5%eth0:8443     0.0.0.0:*
"""


def test_listeners_names_each_program_once_per_port():
    found = listeners(SS, [80, 443, 8443])
    assert [entry.pop("sentence") for entry in found] == [
        "port 80 is held by nginx (pid 812)", "port 443 is held by apache2 (pid 77)",
        "port 8443 is held by a program ss could not name"]
    assert found == [
        {"port": 80, "address": "0.0.0.0", "program": "nginx", "pid": 812},
        {"port": 443, "address": "0.0.0.0", "program": "apache2", "pid": 77},
        {"port": 8443, "address": "10.0.0.5%eth0", "program": "", "pid": None},
    ]
    assert [(e["port"], e["program"], e["pid"]) for e in listeners(SS, ["8080"])] == [(8080, "mlflow", 900)]
    assert listeners("", [80]) == []
    assert listeners(SS, [4431]) == []


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["course-server", "10.0.0.5", "Course-Server", "", "course-server.lab.example."],
         ["DNS:course-server", "IP:10.0.0.5", "DNS:course-server.lab.example"]),
        (["::1", "[fe80::1]"], ["IP:::1", "IP:fe80::1"]),
        ([], []),
    ],
)
def test_subject_alt_names(names, expected):
    assert subject_alt_names(names) == expected


def test_subject_alt_names_refuses_a_string():
    with pytest.raises(AnsibleFilterError):
        subject_alt_names("course-server")
