# Copyright: labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 test for certificates in PEM: whether two texts hold the same certificates.

The documentation is in same_pem.yml next to this file (ansible-doc -t test labroom.mlflow.same_pem).
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _blocks(text):
    return [(kind, re.sub(r"\s+", "", body)) for kind, body in _BLOCK.findall(text if isinstance(text, str) else "")]


def same_pem(value, other):
    """True when `value` and `other` hold the same PEM blocks, in the same order, whatever their
    line breaks (certutil -a writes CRLF) and the text around them; false when either has none."""
    mine = _blocks(value)
    return bool(mine) and mine == _blocks(other)


class TestModule:
    """labroom.mlflow's PEM test."""

    def tests(self):
        return {"same_pem": same_pem}
