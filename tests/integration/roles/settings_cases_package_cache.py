"""Cases of test_settings.py: the package cache's settings, checked as users meet them: through the main entry point
(Ansible's argument spec validation first, then the role's settings check), with
--tags package_cache_settings so that nothing else runs. Bad values are refused naming the
variable; good values pass."""

from __future__ import annotations

ROLE = "package_cache"
SETTINGS_TASK = "labroom.mlflow.package_cache : Check every setting of the package cache"

GOOD = {
    "defaults": {},
    "school_mirror": {"package_cache_upstream_url": "https://pypi-mirror.school.example/simple/",
                      "package_cache_upstream_core_metadata": False},
    "offline_on_another_port": {"package_cache_offline": True, "package_cache_port": "3143"},
    "booleans_as_words": {"package_cache_offline": "yes", "package_cache_upstream_core_metadata": "no"},
    "advertised_name": {"package_cache_advertise_host": "instructor-pc.lab.school.example"},
    "advertised_ipv4": {"package_cache_advertise_host": "10.0.0.5"},
    "advertised_ipv6": {"package_cache_advertise_host": "[fd00::5]"},
    "bind_ipv6_everywhere": {"package_cache_host": "::"},
    "wheelhouse_choices": {"package_cache_wheelhouse": "devpi", "package_cache_wheelhouse_port": "8142",
                           "package_cache_nginx": "/usr/local/sbin/nginx"},
}

BAD = {
    "port": ({"package_cache_port": 0}, "package_cache_port is '0'"),
    "port_too_big_string": ({"package_cache_port": "70000"}, "package_cache_port is '70000'"),
    "host_not_an_address": ({"package_cache_host": "999.1.1.1"}, "package_cache_host is '999.1.1.1'"),
    "upstream": ({"package_cache_upstream_url": "pypi.org"}, "package_cache_upstream_url is 'pypi.org'"),
    "upstream_bad_port": ({"package_cache_upstream_url": "https://pypi.org:99999/simple/"}, "package_cache_upstream_url is"),
    "ca_bundle_missing": ({"package_cache_ca_bundle": "/nonexistent/ca.pem"}, "package_cache_ca_bundle is '/nonexistent/ca.pem'"),
    "system_base_dir": ({"package_cache_base_dir": "/var"}, "package_cache_base_dir is '/var'"),
    # The cache's own list of system folders lacked these three.
    "boot_base_dir": ({"package_cache_base_dir": "/boot"}, "package_cache_base_dir is '/boot'"),
    "root_base_dir": ({"package_cache_base_dir": "/root"}, "package_cache_base_dir is '/root'"),
    "lib_base_dir": ({"package_cache_base_dir": "/lib/"}, "package_cache_base_dir is '/lib/'"),
    "python_relative": ({"package_cache_python": "python3"}, "package_cache_python is 'python3'"),
    "devpi_version": ({"package_cache_devpi_version": "6.20"}, "package_cache_devpi_version is '6.20'"),
    "root_user": ({"package_cache_user": "root"}, "package_cache_user is 'root'"),
    "advertise_url": ({"package_cache_advertise_host": "http://instructor-pc/"}, "package_cache_advertise_host is"),
    "advertise_every_interface": ({"package_cache_advertise_host": "0.0.0.0"}, "package_cache_advertise_host is '0.0.0.0'"),
    "advertise_ipv6_without_brackets": ({"package_cache_advertise_host": "fd00::5"}, "package_cache_advertise_host is 'fd00::5'"),
    "advertise_not_an_address": ({"package_cache_advertise_host": "999.1.1.1"}, "package_cache_advertise_host is '999.1.1.1'"),
    "service_name_parent": ({"package_cache_service_name": ".."}, "package_cache_service_name is '..'"),
    "health_timeout": ({"package_cache_health_timeout": 0}, "package_cache_health_timeout is '0'"),
    "port_and_base_dir": ({"package_cache_port": 0, "package_cache_base_dir": "/opt"}, "package_cache_base_dir is '/opt'"),
    "wheelhouse_port": ({"package_cache_wheelhouse_port": 70000}, "package_cache_wheelhouse_port is '70000'"),
    "wheelhouse_port_is_devpis": ({"package_cache_wheelhouse_port": 3141},
                                  "other than package_cache_port (3141)"),
    "nginx_relative": ({"package_cache_nginx": "nginx"}, "package_cache_nginx is 'nginx'"),
}

SPEC_BAD = {
    "offline_word": ({"package_cache_offline": "sometimes"},
                     "argument 'package_cache_offline' is of type str and we were unable to convert to bool"),
    "core_metadata_word": ({"package_cache_upstream_core_metadata": "maybe"},
                           "argument 'package_cache_upstream_core_metadata' is of type str"
                           " and we were unable to convert to bool"),
    "manager": ({"package_cache_service_manager": "runit"},
                "value of package_cache_service_manager must be one of: auto, systemd, launchd, supervisor, got: runit"),
    "port_word": ({"package_cache_port": "http"},
                  "argument 'package_cache_port' is of type str and we were unable to convert to int"),
    "wheelhouse_server": ({"package_cache_wheelhouse": "apache"},
                          "value of package_cache_wheelhouse must be one of: auto, nginx, devpi, got: apache"),
}

# What runs under --tags package_cache_settings after Ansible's spec validation: nothing that acts.
CHECK_TASKS = ["Check the cache's settings and the host before anything changes", "Check every setting of the package cache",
               "Publish the URL the lab PCs install from"]

# Two bad values on one host: both are named in one message.
TWO_BAD = ("port_and_base_dir", ["package_cache_port is '0'", "package_cache_base_dir is '/opt'"])
