"""The package cache's settings checks: bad values are refused naming the variable, good pass."""

from __future__ import annotations

import pytest
from playbook_cases import assert_refused, preflight_outcomes

GOOD = {
    "defaults": {},
    "school_mirror": {"package_cache_upstream_url": "https://pypi-mirror.school.example/simple/",
                      "package_cache_upstream_core_metadata": False},
    "offline_on_another_port": {"package_cache_offline": True, "package_cache_port": "3142"},
    "advertised_name": {"package_cache_advertise_host": "instructor-pc.lab.school.example"},
}

BAD = {
    "port": ({"package_cache_port": 0}, "package_cache_port is '0'"),
    "upstream": ({"package_cache_upstream_url": "pypi.org"}, "package_cache_upstream_url is 'pypi.org'"),
    "ca_bundle_missing": ({"package_cache_ca_bundle": "/nonexistent/ca.pem"}, "package_cache_ca_bundle is '/nonexistent/ca.pem'"),
    "system_base_dir": ({"package_cache_base_dir": "/var"}, "package_cache_base_dir is '/var'"),
    "root_user": ({"package_cache_user": "root"}, "package_cache_user is 'root'"),
    "offline_word": ({"package_cache_offline": "sometimes"}, "package_cache_offline is 'sometimes'"),
    "advertise": ({"package_cache_advertise_host": "http://instructor-pc/"}, "package_cache_advertise_host is"),
    "manager": ({"package_cache_service_manager": "runit"}, "package_cache_service_manager is 'runit'"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return preflight_outcomes("package_cache", "Check every setting of the package cache", GOOD, BAD,
                              tmp_path_factory.mktemp("cache-preflight"))


@pytest.mark.parametrize("case", sorted(GOOD))
def test_good_settings_pass(outcomes, case):
    assert not outcomes[case].get("failed"), outcomes[case].get("msg")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_setting_is_refused_naming_the_variable(outcomes, case):
    variables, expected = BAD[case]
    # Only the bad variable is reported, not every rule of the role.
    assert_refused(outcomes[case], variables, expected, "package_cache_")
