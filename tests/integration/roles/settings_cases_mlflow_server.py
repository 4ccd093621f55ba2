"""Cases of test_settings.py: the role's settings, checked as users meet them: through the main entry point, so that
Ansible's argument spec validation (types and choices, meta/argument_specs.yml) runs first,
then the role's own settings check (ranges and values, tasks/preflight_settings.yml).

Every bad value is refused naming the variable, in Ansible's words for a wrong type or choice
and in the role's words (showing the value and saying what to change) for the rest; good
values pass. All cases run in one ansible-playbook call, one inventory host per case, with
--tags mlflow_server_settings: nothing but these two checks runs (asserted below), so nothing
is installed on the test machine.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROLE = "mlflow_server"
FILES = Path(__file__).with_name("files")
# A course server's settings (docs/course-server.md), with a good admin password.
COURSE = {"mlflow_server_backend": "postgresql", "mlflow_server_auth": "basic", "mlflow_server_workers": 4,
          "mlflow_server_admin_password": "a-long-admin-password"}
SETTINGS_TASK = "labroom.mlflow.mlflow_server : Check every setting of the role"

# The course server of inventory/course.example.yml, as an instructor fills it in: the vault's
# admin password given, the roster file a CSV of the class.
EXAMPLE = yaml.safe_load((Path(__file__).resolve().parents[3] / "inventory/course.example.yml").read_text())
EXAMPLE_COURSE = dict(EXAMPLE["all"]["children"]["mlflow_course_server"]["vars"],
                      mlflow_server_admin_password="a-long-admin-password",
                      mlflow_server_roster_file=str(FILES / "roster_good.csv"))

GOOD = {
    "defaults": {},
    "course_example_inventory": EXAMPLE_COURSE,
    "ephemeral_port_5000": {"mlflow_server_mode": "ephemeral", "mlflow_server_port": 5000},
    "port_as_string": {"mlflow_server_port": "8081"},
    "highest_port_and_workers": {"mlflow_server_port": "65535", "mlflow_server_workers": 64},
    "bind_loopback": {"mlflow_server_host": "127.0.0.1"},
    "bind_ipv6_everywhere": {"mlflow_server_host": "::"},
    "bind_by_name": {"mlflow_server_host": "lab-pc-07.local"},
    "rc_release": {"mlflow_server_version": "3.18.0rc0"},
    "extra_packages": {"mlflow_server_packages": ["mlflow", "scikit-learn>=1.5", "xgboost==3.0.2"]},
    "extra_hosts": {"mlflow_server_allowed_hosts_extra": ["*.lab.school.example", "10.0.0.5", "lab-pc-07.local",
                                                          "10.*:*", "lab-pc-07:8080"]},
    "environment": {"mlflow_server_environment": {"MLFLOW_LOGGING_LEVEL": "INFO"}},
    "school_index": {"mlflow_server_index_url": "https://pypi-mirror.school.example/simple/"},
    "cache_index_with_port": {"mlflow_server_index_url": "http://10.0.0.5:3141/root/pypi/+simple/"},
    "installer_default_index": {"mlflow_server_index_url": ""},
    "home_base_dir": {"mlflow_server_base_dir": "/home/teacher/mlflow"},
    "status_timeout_zero": {"mlflow_server_status_timeout": 0},
    "explicit_python_and_manager": {"mlflow_server_python": "/usr/bin/python3.11", "mlflow_server_service_manager": "supervisor",
                                    "mlflow_server_state": "stopped", "mlflow_server_installer": "pip"},
    "course_server": dict(COURSE, mlflow_server_students=["6410001", {"username": "ta.somchai", "password": "ta-password-123"}],
                          mlflow_server_roster_file=str(FILES / "roster_good.csv")),
    "course_server_with_graders": dict(COURSE, mlflow_server_frozen=True, mlflow_server_graders=[
        "ta.napat", {"username": "ta.somsri", "password": "ta-password-456"}]),
    "external_postgresql": dict(COURSE, mlflow_server_postgresql_host="db.cs.example.ac.th",
                                mlflow_server_postgresql_password="db-password", mlflow_server_auth_default_permission="READ"),
    "sqlite_with_auth": {"mlflow_server_auth": "basic", "mlflow_server_admin_password": "a-long-admin-password",
                         "mlflow_server_students": ["alice"], "mlflow_server_public_url": "https://mlflow.cs.example.ac.th"},
    # The HTTPS front (docs/course-server.md, HTTPS).
    "own_ca_on_8443": dict(COURSE, mlflow_server_tls="own_ca", mlflow_server_tls_port="8443",
                           mlflow_server_tls_valid_days=90, mlflow_server_tls_renew_days=20,
                           mlflow_server_front_max_body="500m", mlflow_server_front_timeout=1200),
    "tls_on_a_lab_pc_without_auth": {"mlflow_server_tls": "own_ca"},
    "auth_in_clear_accepted": dict(COURSE, mlflow_server_tls="none", mlflow_server_tls_insecure_ok=True,
                                   mlflow_server_public_url="http://course-server:8080"),
    "provided_files": dict(COURSE, mlflow_server_tls="provided", mlflow_server_tls_cert=str(FILES / "roster_good.csv"),
                           mlflow_server_tls_key=str(FILES / "roster_good.csv")),
}

# Refused by the role's settings check: (variables, a part of the message).
BAD = {
    "port_zero": ({"mlflow_server_port": 0}, "mlflow_server_port is '0'"),
    "port_too_big": ({"mlflow_server_port": 70000}, "mlflow_server_port is '70000'"),
    "port_too_big_string": ({"mlflow_server_port": "70000"}, "mlflow_server_port is '70000'"),
    "port_boolean": ({"mlflow_server_port": True}, "mlflow_server_port is 'True'"),
    "host_command": ({"mlflow_server_host": "0.0.0.0; rm -rf /"}, "mlflow_server_host is"),
    "host_not_an_address": ({"mlflow_server_host": "999.1.1.1"}, "mlflow_server_host is '999.1.1.1'"),
    "host_octet_256": ({"mlflow_server_host": "256.0.0.1"}, "mlflow_server_host is '256.0.0.1'"),
    "host_underscore": ({"mlflow_server_host": "lab_pc_07"}, "mlflow_server_host is 'lab_pc_07'"),
    "workers": ({"mlflow_server_workers": 0}, "mlflow_server_workers is '0'"),
    "workers_too_many": ({"mlflow_server_workers": 65}, "mlflow_server_workers is '65'"),
    "relative_base_dir": ({"mlflow_server_base_dir": "mlflowserver-lab"}, "mlflow_server_base_dir is 'mlflowserver-lab'"),
    "system_base_dir": ({"mlflow_server_base_dir": "/opt/"}, "mlflow_server_base_dir is '/opt/'"),
    "usr_local_base_dir": ({"mlflow_server_base_dir": "/usr/local"}, "mlflow_server_base_dir is '/usr/local'"),
    "tmp_base_dir": ({"mlflow_server_base_dir": "/tmp/mlflow"}, "mlflow_server_base_dir is '/tmp/mlflow'"),
    "dotdot_base_dir": ({"mlflow_server_base_dir": "/opt/lab/../../etc"}, "mlflow_server_base_dir is"),
    "relative_python": ({"mlflow_server_python": "python3"}, "mlflow_server_python is 'python3'"),
    "root_user": ({"mlflow_server_user": "root"}, "mlflow_server_user is 'root'"),
    "root_group": ({"mlflow_server_group": "root"}, "mlflow_server_group is 'root'"),
    "mlflow2": ({"mlflow_server_version": "2.22.0"}, "mlflow_server_version is '2.22.0'"),
    "version_as_number": ({"mlflow_server_version": 3.17}, "mlflow_server_version is '3.17'"),
    "uv_version": ({"mlflow_server_uv_version": "latest"}, "mlflow_server_uv_version is 'latest'"),
    "index_url": ({"mlflow_server_index_url": "pypi.org/simple"}, "mlflow_server_index_url is 'pypi.org/simple'"),
    "index_url_bad_host": ({"mlflow_server_index_url": "https://999.1.1.1/simple/"}, "mlflow_server_index_url is"),
    "index_url_bad_port": ({"mlflow_server_index_url": "https://pypi.org:99999/simple/"}, "mlflow_server_index_url is"),
    "no_mlflow": ({"mlflow_server_packages": ["scikit-learn", "pandas"]}, "mlflow_server_packages is"),
    "pinned_mlflow": ({"mlflow_server_packages": ["mlflow==2.9.0", "pandas"]}, "mlflow_server_packages is"),
    # type: list accepts a string (Ansible would split it at commas) but the role gets the string.
    "packages_string": ({"mlflow_server_packages": "mlflow,pandas"}, "mlflow_server_packages is"),
    "allow_everything": ({"mlflow_server_allowed_hosts_extra": ["*"]}, "mlflow_server_allowed_hosts_extra is"),
    "allow_every_dotted_name": ({"mlflow_server_allowed_hosts_extra": ["*.*"]}, "mlflow_server_allowed_hosts_extra is"),
    "bad_host_entry": ({"mlflow_server_allowed_hosts_extra": ["lab pc 07"]}, "mlflow_server_allowed_hosts_extra is"),
    "host_entry_not_an_address": ({"mlflow_server_allowed_hosts_extra": ["lab-pc-07", "999.1.1.1"]},
                                  "mlflow_server_allowed_hosts_extra is"),
    "environment_name": ({"mlflow_server_environment": {"BAD-NAME": "1"}}, "mlflow_server_environment is"),
    # type: dict accepts "A=1" but the role gets the string.
    "environment_string": ({"mlflow_server_environment": "A=1"}, "mlflow_server_environment is"),
    "service_name": ({"mlflow_server_service_name": "mlflow server"}, "mlflow_server_service_name is 'mlflow server'"),
    "service_name_parent": ({"mlflow_server_service_name": ".."}, "mlflow_server_service_name is '..'"),
    "health_timeout": ({"mlflow_server_health_timeout": -5}, "mlflow_server_health_timeout is '-5'"),
    "backups_keep": ({"mlflow_server_backups_keep": 0}, "mlflow_server_backups_keep is '0'"),
    "status_timeout": ({"mlflow_server_status_timeout": -1}, "mlflow_server_status_timeout is '-1'"),
    # A course server (auth basic, PostgreSQL, the roster); the third item: the variables the
    # message names (COURSE sets the scene).
    "auth_without_admin_password": ({"mlflow_server_auth": "basic"},
                                    "mlflow_server_auth is basic but mlflow_server_admin_password is not set",
                                    {"mlflow_server_auth", "mlflow_server_admin_password"}),
    "short_admin_password": (dict(COURSE, mlflow_server_admin_password="short-pw"),
                             "mlflow_server_admin_password is shorter than 12 characters", {"mlflow_server_admin_password"}),
    "external_postgresql_without_password": (dict(COURSE, mlflow_server_postgresql_host="db.cs.example.ac.th"),
                                             "mlflow_server_postgresql_host is 'db.cs.example.ac.th' (an existing",
                                             {"mlflow_server_postgresql_host", "mlflow_server_postgresql_password"}),
    "missing_roster_file": (dict(COURSE, mlflow_server_roster_file="/nonexistent/class.csv"),
                            "mlflow_server_roster_file is '/nonexistent/class.csv', which is not a file on the controller",
                            {"mlflow_server_roster_file"}),
    "roster_without_username_column": (dict(COURSE, mlflow_server_roster_file=str(FILES / "roster_no_username.csv")),
                                       "has no 'username' column", {"mlflow_server_students"}),
    "duplicate_user_in_roster_file": (dict(COURSE, mlflow_server_roster_file=str(FILES / "roster_duplicate.csv")),
                                      "line 3: the user name 'Alice' is already listed", {"mlflow_server_students"}),
    "duplicate_user_across_list_and_file": (dict(COURSE, mlflow_server_students=["bob"],
                                                 mlflow_server_roster_file=str(FILES / "roster_good.csv")),
                                            "the user name 'bob' is already listed (mlflow_server_students[0])",
                                            {"mlflow_server_students"}),
    "short_student_password": (dict(COURSE, mlflow_server_students=[{"username": "bob", "password": "bob"}]),
                               "the password of 'bob' is shorter than 12 characters", {"mlflow_server_students"}),
    "unwritable_student_password": (dict(COURSE, mlflow_server_students=[{"username": "bob", "password": "bob-has-a\u00a0nbsp"}]),
                                    "the password of 'bob' holds a character that does not print", {"mlflow_server_students"}),
    "roster_without_auth": ({"mlflow_server_students": ["alice"]}, "mlflow_server_auth is none, but a roster is set",
                            {"mlflow_server_auth"}),
    "postgresql_ephemeral": (dict(COURSE, mlflow_server_mode="ephemeral"),
                             "mlflow_server_backend is postgresql with mlflow_server_mode ephemeral",
                             {"mlflow_server_backend", "mlflow_server_auth"}),
    "admin_as_student": (dict(COURSE, mlflow_server_students=["admin"]), "'admin' is the administrator's account",
                         {"mlflow_server_students"}),
    "graders_without_auth": ({"mlflow_server_graders": ["ta.somchai"]},
                             "mlflow_server_graders is set but mlflow_server_auth is none",
                             {"mlflow_server_graders", "mlflow_server_auth"}),
    "grader_also_a_student": (dict(COURSE, mlflow_server_students=["alice", "bob"], mlflow_server_graders=["Bob"]),
                              "bob: a grader and a student (mlflow_server_students or the roster file) at once",
                              {"mlflow_server_graders"}),
    "short_grader_password": (dict(COURSE, mlflow_server_graders=[{"username": "ta", "password": "ta"}]),
                              "mlflow_server_graders[0]: the password of 'ta' is shorter than 12 characters",
                              {"mlflow_server_graders"}),
    "pool_size_zero": (dict(COURSE, mlflow_server_db_pool_size=0), "mlflow_server_db_pool_size is '0'",
                       {"mlflow_server_db_pool_size"}),
    "same_databases": (dict(COURSE, mlflow_server_postgresql_auth_database="mlflow"),
                       "mlflow_server_postgresql_database is 'mlflow'", {"mlflow_server_postgresql_database"}),
    "public_url": (dict(COURSE, mlflow_server_public_url="course-server:8080"),
                   "mlflow_server_public_url is 'course-server:8080'", {"mlflow_server_public_url"}),
    "auth_in_clear": (dict(COURSE, mlflow_server_tls="none"),
                      "mlflow_server_auth is basic with mlflow_server_tls none", {"mlflow_server_auth"}),
    "tls_port_is_mlflows": (dict(COURSE, mlflow_server_tls_port=8080), "mlflow_server_tls_port is '8080'",
                            {"mlflow_server_tls_port"}),
    "tls_port_80": (dict(COURSE, mlflow_server_tls_port="80"), "mlflow_server_tls_port is '80'", {"mlflow_server_tls_port"}),
    "http_url_behind_the_front": (dict(COURSE, mlflow_server_public_url="http://course-server:8080"),
                                  "mlflow_server_public_url is 'http://course-server:8080' while mlflow_server_tls is own_ca",
                                  {"mlflow_server_public_url", "mlflow_server_tls"}),
    "renew_not_before_the_end": (dict(COURSE, mlflow_server_tls_renew_days=365),
                                 "mlflow_server_tls_renew_days is '365', not less than mlflow_server_tls_valid_days (365)",
                                 {"mlflow_server_tls_renew_days"}),
    "max_body_words": (dict(COURSE, mlflow_server_front_max_body="1 GB"), "mlflow_server_front_max_body is '1 GB'",
                       {"mlflow_server_front_max_body"}),
    "front_timeout_zero": (dict(COURSE, mlflow_server_front_timeout=0), "mlflow_server_front_timeout is '0'",
                           {"mlflow_server_front_timeout"}),
    "provided_without_files": (dict(COURSE, mlflow_server_tls="provided", mlflow_server_tls_cert="/nonexistent/school.crt"),
                               "mlflow_server_tls_cert is '/nonexistent/school.crt', mlflow_server_tls_key ''",
                               {"mlflow_server_tls_cert"}),
    # Two broken values: both in one message.
    "port_and_workers": ({"mlflow_server_port": 0, "mlflow_server_workers": 0}, "mlflow_server_port is '0'"),
}

# Refused by Ansible's argument spec validation, before the role runs: (variables, Ansible's words).
SPEC_BAD = {
    "mode": ({"mlflow_server_mode": "in-memory"},
             "value of mlflow_server_mode must be one of: persistent, ephemeral, got: in-memory"),
    "service_manager": ({"mlflow_server_service_manager": "openrc"},
                        "value of mlflow_server_service_manager must be one of: auto, systemd, launchd, supervisor, got: openrc"),
    "state": ({"mlflow_server_state": "running"}, "value of mlflow_server_state must be one of: started, stopped, got: running"),
    "installer": ({"mlflow_server_installer": "conda"}, "value of mlflow_server_installer must be one of: uv, pip, got: conda"),
    "port_word": ({"mlflow_server_port": "http"},
                  "argument 'mlflow_server_port' is of type str and we were unable to convert to int"),
    "workers_word": ({"mlflow_server_workers": "many"},
                     "argument 'mlflow_server_workers' is of type str and we were unable to convert to int"),
    "packages_mapping": ({"mlflow_server_packages": {"mlflow": "3.17.2"}}, "argument 'mlflow_server_packages' is of type dict"),
    "environment_list": ({"mlflow_server_environment": ["A=1"]}, "argument 'mlflow_server_environment' is of type list"),
    "default_permission": ({"mlflow_server_auth_default_permission": "WRITE"},
                           "value of mlflow_server_auth_default_permission must be one of: "
                           "NO_PERMISSIONS, READ, EDIT, MANAGE, got: WRITE"),
    "backend": ({"mlflow_server_backend": "mysql"},
                "value of mlflow_server_backend must be one of: sqlite, postgresql, got: mysql"),
    "auth": ({"mlflow_server_auth": "ldap"}, "value of mlflow_server_auth must be one of: none, basic, got: ldap"),
    "tls": ({"mlflow_server_tls": "letsencrypt"},
            "value of mlflow_server_tls must be one of: auto, none, own_ca, provided, got: letsencrypt"),
    "job_execution_word": ({"mlflow_server_job_execution": "sometimes"},
                           "argument 'mlflow_server_job_execution' is of type str and we were unable to convert to bool"),
}

# What runs under --tags mlflow_server_settings after Ansible's spec validation: nothing that acts.
# The course tier's check is one of them (skipped on a host of no tier).
CHECK_TASKS = ["Check the host and the settings before anything changes", "Check every setting of the role",
               "Check the course tier's groups and shared settings"]

# Two bad values on one host: both are named in one message.
TWO_BAD = ("port_and_workers", ["mlflow_server_port is '0'", "mlflow_server_workers is '0'"])
