# Copyright: labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's rules for names, one home each: the tests of plugins/test/settings.py
(labroom.mlflow.account_name, service_name, mlflow_username) and the roster filters of
plugins/filter/roster.py read them from here.

Each pattern matches a whole string (use fullmatch, or match: they are anchored at both ends,
with \\Z, so a trailing line break is not a name either).
"""

from __future__ import annotations

import re

# A POSIX user or group name as useradd/groupadd take it by default: a lowercase letter or
# '_', then up to 31 lowercase letters, digits, '_' or '-'.
ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")

# A service's name: the systemd unit <name>.service, the supervisord program <name>, the
# launchd label org.labroom.<name> and the folder /run/<name>. It starts with a letter or
# digit, so that it is never '.' or '..' (the parent folder).
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")

# MLflow takes any user name; these are the ones that are safe in a URL, a CSV cell, a file
# name and an experiment name, such as a student number or a university login.
MLFLOW_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")
