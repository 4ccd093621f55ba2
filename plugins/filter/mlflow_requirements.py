# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The requirement lines of a tracking server's venv.

The filter is documented in mlflow_requirements.yml beside this file.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# "mlflow" or "mlflow[extra,...]" with no version: the entry the role pins.
MLFLOW = re.compile(r"^mlflow(?:\[(?P<extras>[^\]]*)\])?$")


def mlflow_requirements(packages, version, extras=()):
    """packages with the bare mlflow entry pinned to version and given extras (added to the
    ones it names, once each); every other line as it is."""
    if not isinstance(packages, (list, tuple)):
        raise AnsibleFilterError("mlflow_requirements: expected a list of requirement lines, got %r" % (packages,))
    lines = []
    for line in packages:
        found = MLFLOW.match(str(line).strip())
        if not found:
            lines.append(line)
            continue
        named = [extra.strip() for extra in (found.group("extras") or "").split(",") if extra.strip()]
        named += [extra for extra in extras or () if extra not in named]
        lines.append("mlflow%s==%s" % ("[%s]" % ",".join(named) if named else "", version))
    return lines


class FilterModule:
    """labroom.mlflow requirement filters."""

    def filters(self):
        return {"mlflow_requirements": mlflow_requirements}
