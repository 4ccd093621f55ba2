"""The role's settings checks: every bad value is refused with a message that names the
variable, shows the value and says what to change; good values pass.

All cases run in one ansible-playbook call, one inventory host per case.
"""

from __future__ import annotations

import pytest
from playbook_cases import assert_refused, preflight_outcomes

GOOD = {
    "defaults": {},
    "ephemeral_port_5000": {"mlflow_server_mode": "ephemeral", "mlflow_server_port": 5000},
    "port_as_string": {"mlflow_server_port": "8081"},
    "bind_loopback": {"mlflow_server_host": "127.0.0.1"},
    "rc_release": {"mlflow_server_version": "3.18.0rc0"},
    "extra_packages": {"mlflow_server_packages": ["mlflow", "scikit-learn>=1.5", "xgboost==3.0.2"]},
    "extra_hosts": {"mlflow_server_allowed_hosts_extra": ["*.lab.school.example", "10.0.0.5", "lab-pc-07.local"]},
    "environment": {"mlflow_server_environment": {"MLFLOW_LOGGING_LEVEL": "INFO"}},
    "school_index": {"mlflow_server_index_url": "https://pypi-mirror.school.example/simple/"},
    "installer_default_index": {"mlflow_server_index_url": ""},
    "explicit_python_and_manager": {"mlflow_server_python": "/usr/bin/python3.11", "mlflow_server_service_manager": "supervisor",
                                    "mlflow_server_state": "stopped"},
}

BAD = {
    "mode": ({"mlflow_server_mode": "in-memory"}, "mlflow_server_mode is 'in-memory'"),
    "port_zero": ({"mlflow_server_port": 0}, "mlflow_server_port is '0'"),
    "port_too_big": ({"mlflow_server_port": 70000}, "mlflow_server_port is '70000'"),
    "port_word": ({"mlflow_server_port": "http"}, "mlflow_server_port is 'http'"),
    "host": ({"mlflow_server_host": "0.0.0.0; rm -rf /"}, "mlflow_server_host is"),
    "workers": ({"mlflow_server_workers": 0}, "mlflow_server_workers is '0'"),
    "relative_base_dir": ({"mlflow_server_base_dir": "mlflowserver-lab"}, "mlflow_server_base_dir is 'mlflowserver-lab'"),
    "system_base_dir": ({"mlflow_server_base_dir": "/opt/"}, "mlflow_server_base_dir is '/opt/'"),
    "dotdot_base_dir": ({"mlflow_server_base_dir": "/opt/lab/../../etc"}, "mlflow_server_base_dir is"),
    "relative_python": ({"mlflow_server_python": "python3"}, "mlflow_server_python is 'python3'"),
    "service_manager": ({"mlflow_server_service_manager": "openrc"}, "mlflow_server_service_manager is 'openrc'"),
    "state": ({"mlflow_server_state": "running"}, "mlflow_server_state is 'running'"),
    "root_user": ({"mlflow_server_user": "root"}, "mlflow_server_user is 'root'"),
    "root_group": ({"mlflow_server_group": "root"}, "mlflow_server_group is 'root'"),
    "mlflow2": ({"mlflow_server_version": "2.22.0"}, "mlflow_server_version is '2.22.0'"),
    "installer": ({"mlflow_server_installer": "conda"}, "mlflow_server_installer is 'conda'"),
    "index_url": ({"mlflow_server_index_url": "pypi.org/simple"}, "mlflow_server_index_url is 'pypi.org/simple'"),
    "no_mlflow": ({"mlflow_server_packages": ["scikit-learn", "pandas"]}, "mlflow_server_packages is"),
    "pinned_mlflow": ({"mlflow_server_packages": ["mlflow==2.9.0", "pandas"]}, "mlflow_server_packages is"),
    "packages_string": ({"mlflow_server_packages": "mlflow pandas"}, "mlflow_server_packages is"),
    "allow_everything": ({"mlflow_server_allowed_hosts_extra": ["*"]}, "mlflow_server_allowed_hosts_extra is"),
    "bad_host_entry": ({"mlflow_server_allowed_hosts_extra": ["lab pc 07"]}, "mlflow_server_allowed_hosts_extra is"),
    "environment_name": ({"mlflow_server_environment": {"BAD-NAME": "1"}}, "mlflow_server_environment is"),
    "service_name": ({"mlflow_server_service_name": "mlflow server"}, "mlflow_server_service_name is 'mlflow server'"),
    "health_timeout": ({"mlflow_server_health_timeout": -5}, "mlflow_server_health_timeout is '-5'"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return preflight_outcomes("mlflow_server", "Check every setting of the role", GOOD, BAD, tmp_path_factory.mktemp("preflight"))


@pytest.mark.parametrize("case", sorted(GOOD))
def test_good_settings_pass(outcomes, case):
    assert not outcomes[case].get("failed"), outcomes[case].get("msg")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_setting_is_refused_naming_the_variable(outcomes, case):
    variables, expected = BAD[case]
    # Only the bad variable is reported, not every rule of the role.
    assert_refused(outcomes[case], variables, expected, "mlflow_server_")
