"""The value tests of plugins/test/network.py, one table per test: value -> expected answer."""

from __future__ import annotations

import pytest

from ansible_collections.labroom.mlflow.plugins.test import network

IP_ADDRESS = [
    ("0.0.0.0", True), ("127.0.0.1", True), ("10.0.0.5", True), ("255.255.255.255", True),
    ("::", True), ("::1", True), ("fd00::5", True), ("2001:db8::8a2e:370:7334", True),
    # Python accepts an IPv6 zone; binding a link-local address needs it.
    ("fe80::1%eth0", True),
    ("999.1.1.1", False), ("256.0.0.1", False), ("1.2.3", False), ("1.2.3.4.5", False),
    ("010.1.1.1", False),  # leading zeros: octal to some tools, refused by Python
    ("[::1]", False),  # URL syntax, not an address
    (" 10.0.0.5", False), ("10.0.0.5 ", False), ("::g", False), ("lab-pc-07", False), ("", False),
    (None, False), (1, False),  # ipaddress alone would read 1 as 0.0.0.1
    (["10.0.0.5"], False),
]

HOST_NAME = [
    ("localhost", True), ("lab-pc-07", True), ("LAB-PC-07", True), ("instructor-pc.lab.school.example", True),
    ("xn--bcher-kva.example", True), ("a", True), ("7zip.example", True), ("pc.7a", True),
    ("a" * 63 + ".example", True),
    ("a" * 64 + ".example", False),  # label over 63
    (".".join(["a" * 63] * 3 + ["a" * 61]), True),  # 253 characters
    (".".join(["a" * 63] * 3 + ["a" * 62]), False),  # 254 characters
    ("999.1.1.1", False), ("1.2.3", False), ("10.0.0.5", False), ("8080", False),  # last label all digits
    ("lab_pc_07", False), ("lab-pc.", False), (".lab-pc", False), ("a..b", False),
    ("-lab", False), ("lab-", False), ("lab pc", False), ("bücher.example", False), ("", False),
    ("*.lab.school.example", False), ("::1", False), (None, False), (7, False),
]

BIND_ADDRESS = [
    ("0.0.0.0", True), ("::", True), ("127.0.0.1", True), ("localhost", True), ("lab-pc-07.local", True),
    ("999.1.1.1", False), ("256.0.0.1", False), ("0.0.0.0; rm -rf /", False), ("", False), ("*", False),
]

TCP_PORT = [
    (1, True), (80, True), (8080, True), (65535, True), ("8081", True), ("3141", True),
    (0, False), (-1, False), (65536, False), (70000, False), ("0", False), ("70000", False),
    ("http", False), ("", False), (" 80", False), ("+80", False), ("-80", False), ("80.0", False),
    (8080.0, False), (True, False), (False, False), (None, False), ("٣١٤١", False),  # Arabic-Indic digits
    ("8080\n", False),  # a YAML block scalar's trailing line break
]

ALLOWED_HOST_PATTERN = [
    ("lab-pc-07", True), ("lab-pc-07.local", True), ("10.0.0.5", True), ("*.lab.school.example", True),
    ("10.*", True), ("10.0.0.*", True), ("lab-pc-??", True), ("lab-pc-07:8080", True), ("lab-pc-07:*", True),
    ("*.lab.school.example:*", True), ("10.*:8080", True),
    ("*", False), ("*:*", False), ("*:8080", False), ("*.*", False), ("?*", False), ("*.*.*.*", False),
    ("", False), ("lab pc 07", False), ("lab_pc_07", False), ("999.1.1.1", False), ("[::1]", False),
    ("fd00::5", False), ("[fd00::5]:*", False), ("lab-pc-[0-9]", False), ("a..b", False), ("lab-pc-07:0", False),
    ("lab-pc-07:70000", False), ("lab-pc-07:", False), ("lab-pc-07:http", False), ("*." + "a" * 64, False),
    (None, False), (["lab-pc-07"], False),
]

HTTP_URL = [
    ("https://pypi.org/simple/", True), ("http://10.0.0.5:3141/root/pypi/+simple/", True),
    ("https://pypi-mirror.school.example/simple/", True), ("http://[fd00::5]:3141/simple/", True),
    ("https://user:secret@mirror.school.example/simple/", True), ("HTTPS://pypi.org/simple/", True),
    ("https://pypi.org", True),
    ("pypi.org/simple", False), ("pypi.org", False), ("ftp://pypi.org/simple/", False),
    ("file:///srv/simple/", False), ("https://", False), ("https:///simple/", False),
    ("https://999.1.1.1/simple/", False), ("https://pypi.org:99999/simple/", False),
    ("https://pypi.org:0/simple/", False), ("https://pypi.org:http/", False),
    ("https://py pi.org/simple/", False), ("https://pypi.org/simple/ ", False), ("https://pypi.org/\nsimple/", False),
    ("https://pypi_org/simple/", False), ("http://[lab-pc]/simple/", False), ("", False), (None, False),
]


CASES = {"ip_address": IP_ADDRESS, "host_name": HOST_NAME, "bind_address": BIND_ADDRESS, "tcp_port": TCP_PORT,
         "allowed_host_pattern": ALLOWED_HOST_PATTERN, "http_url": HTTP_URL}


@pytest.mark.parametrize(("test", "value", "expected"),
                         [(test, value, expected) for test, cases in CASES.items() for value, expected in cases],
                         ids=repr)
def test_value(test, value, expected):
    assert getattr(network, test)(value) is expected


def test_every_test_is_registered_under_its_name():
    tests = network.TestModule().tests()
    assert tests == {name: getattr(network, name) for name in tests}
    assert sorted(tests) == sorted(CASES)
