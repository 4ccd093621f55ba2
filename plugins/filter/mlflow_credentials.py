# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A student's own MLflow credentials file, as the course server's credential sheet shows it.

The filters are documented in mlflow_credentials_file.yml and mlflow_credentials_problems.yml
beside this file. They run on the controller; the passwords they handle are never part of an
error message.

MLflow 3.17.2 reads the file in mlflow/utils/credentials.py, _read_mlflow_creds_from_file():
the path is os.path.expanduser("~/.mlflow/credentials"), read with a default
configparser.ConfigParser() (so BasicInterpolation: a bare '%' fails, '%%' is one '%'), the
section [mlflow], the keys mlflow_tracking_username and mlflow_tracking_password. The parser
strips a value's leading and trailing whitespace, has no quoting (quotes are kept as they are)
and no inline comments ('#' and ';' inside a value are kept; only a line that starts with them
is a comment); an indented line continues the value above. read_mlflow_creds() lets
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, when set, win over the file.
"""

from __future__ import annotations

import configparser

from ansible.errors import AnsibleFilterError

SECTION = "mlflow"
USERNAME_KEY = "mlflow_tracking_username"
PASSWORD_KEY = "mlflow_tracking_password"


def value_problem(value):
    """Why `value` cannot be written in the file so that MLflow reads it back, or None."""
    if not value:
        return "is empty"
    if value != value.strip():
        return "begins or ends with a space, which MLflow's reader of ~/.mlflow/credentials strips"
    if not value.isprintable():
        return ("holds a character that does not print (a tab, a line break, a non-breaking or other "
                "invisible space), which cannot be copied from paper or written on one line of the file")
    return None


def _escaped(value):
    # ConfigParser's BasicInterpolation: '%%' reads back as '%'; nothing else needs escaping.
    return value.replace("%", "%%")


def _checked(credentials):
    """((username, password), None) for one student's mapping, or (None, why the file cannot hold them)."""
    if not isinstance(credentials, dict) or "username" not in credentials or "password" not in credentials:
        return None, "%s is not a mapping with username and password." % type(credentials).__name__
    username, password = str(credentials["username"]), str(credentials["password"])
    for what, value in (("the user name %r" % username, username), ("the password of %r" % username, password)):
        problem = value_problem(value)
        if problem:
            return None, "%s %s; give that student another one in the roster." % (what, problem)
    return (username, password), None


def mlflow_credentials_problems(credentials):
    """One sentence per student whose user name or password ~/.mlflow/credentials cannot hold;
    [] when every one fits. Never shows a password."""
    return [problem for _found, problem in (_checked(entry) for entry in credentials or []) if problem]


def mlflow_credentials_file(credentials):
    """The text of ~/.mlflow/credentials for one student ({username, password}): the [mlflow]
    section with mlflow_tracking_username and mlflow_tracking_password, '%' doubled."""
    found, problem = _checked(credentials)
    if problem:
        raise AnsibleFilterError("mlflow_credentials_file: " + problem)
    username, password = found
    text = "[%s]\n%s = %s\n%s = %s\n" % (SECTION, USERNAME_KEY, _escaped(username), PASSWORD_KEY, _escaped(password))
    # What MLflow would read: the same parser, the same section and keys.
    parser = configparser.ConfigParser()
    parser.read_string(text)
    if (parser[SECTION].get(USERNAME_KEY), parser[SECTION].get(PASSWORD_KEY)) != (username, password):
        raise AnsibleFilterError(
            "mlflow_credentials_file: the file written for %r does not read back as given." % username
        )
    return text


class FilterModule:
    """labroom.mlflow credentials file filter."""

    def filters(self):
        return {
            "mlflow_credentials_file": mlflow_credentials_file,
            "mlflow_credentials_problems": mlflow_credentials_problems,
        }
