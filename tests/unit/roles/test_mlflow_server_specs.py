"""The role's public variables are described once per place that users read, and agree.

defaults/main.yml, meta/argument_specs.yml and the README table must name the same variables,
with the same defaults; every entry point takes the same options.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "mlflow_server"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict, "path": str}


def test_every_default_is_prefixed():
    assert all(name.startswith("mlflow_server_") for name in DEFAULTS)


@pytest.mark.parametrize("entry_point", sorted(SPECS))
def test_argument_specs_match_defaults_key_for_key(entry_point):
    options = SPECS[entry_point]["options"]
    assert sorted(options) == sorted(DEFAULTS)
    for name, spec in options.items():
        assert spec.get("default") == DEFAULTS[name], name
        assert isinstance(DEFAULTS[name], PYTHON_TYPES[spec["type"]]), name
        assert spec.get("description"), name
        if "choices" in spec:
            assert DEFAULTS[name] in spec["choices"], name


def test_readme_documents_every_variable_with_its_default():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(mlflow_server_\w+)` \| `([^`]*)` \|", readme, re.MULTILINE))
    assert sorted(rows) == sorted(DEFAULTS)
    for name, shown in rows.items():
        assert yaml.safe_load(shown) == DEFAULTS[name], name
