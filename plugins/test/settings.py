# Copyright: labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 tests for the roles' other settings: counts, names and releases.

As in network.py, each test answers False (never raises) for a value of the wrong type, so a
rule can say in its own words what to change. The documentation of each test is in the YAML
file of the same name next to this one (ansible-doc -t test labroom.mlflow.<name>). The name
patterns live in plugins/plugin_utils/names.py, which the roster filters read too.
"""

from __future__ import annotations

import re

from ansible_collections.labroom.mlflow.plugins.plugin_utils.names import ACCOUNT_NAME, MLFLOW_USERNAME, SERVICE_NAME

# ASCII digits only (str.isdigit() would take '٣' or '²'); the whole string, no line break.
_DIGITS = re.compile(r"^[0-9]+\Z")
# major.minor.patch, each a number without leading zeros (0 itself is fine); the second one
# also with a release candidate (3.18.0rc0) or post-release (3.17.2.post1) suffix.
_NUMBERS = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
_RELEASE = re.compile(_NUMBERS + r"\Z")
_RELEASE_SUFFIX = re.compile(_NUMBERS + r"((rc|\.post)[0-9]+)?\Z")


def count(value, minimum=0, maximum=None):
    """A whole number from `minimum` (0 unless given) to `maximum` (no limit unless given), as
    an integer or a string of digits; never a boolean, a float or a negative number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
    else:
        return False
    return number >= max(int(minimum), 0) and (maximum is None or number <= int(maximum))


def account_name(value):
    """A POSIX user or group name: a lowercase letter or '_', then up to 31 lowercase letters,
    digits, '_' or '-' (root is one; the rules that refuse it say so themselves)."""
    return isinstance(value, str) and ACCOUNT_NAME.match(value) is not None


def service_name(value):
    """A service's name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."""
    return isinstance(value, str) and SERVICE_NAME.match(value) is not None


def mlflow_username(value):
    """An MLflow user name the collection accepts: 1 to 64 letters, digits, '.', '_', '@' or
    '-', starting with a letter or digit."""
    return isinstance(value, str) and MLFLOW_USERNAME.match(value) is not None


def release(value, major=None, suffix=False):
    """A release number major.minor.patch (no leading zeros), such as 0.13.9; with `major`, of
    that major version only; with `suffix`, also a release candidate or post-release (3.18.0rc0,
    3.17.2.post1)."""
    if not isinstance(value, str):
        return False
    found = (_RELEASE_SUFFIX if suffix else _RELEASE).match(value)
    if not found:
        return False
    return major is None or int(found.group(1)) == int(major)


class TestModule:
    """labroom.mlflow tests for counts, names and releases."""

    def tests(self):
        return {
            "count": count,
            "account_name": account_name,
            "service_name": service_name,
            "mlflow_username": mlflow_username,
            "release": release,
        }
