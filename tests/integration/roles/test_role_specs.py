"""Each role's public variables are described once per place that users read, and agree.

defaults/main.yml, meta/argument_specs.yml and the README table must name the same variables,
with the same defaults; every entry point takes the same options.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES = ["mlflow_server", "package_cache"]
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict, "path": str}


def defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def specs(role):
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


ENTRY_POINTS = [(role, entry_point) for role in ROLES for entry_point in sorted(specs(role))]


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_prefixed(role):
    assert all(name.startswith(role + "_") for name in defaults(role))


@pytest.mark.parametrize(("role", "entry_point"), ENTRY_POINTS)
def test_argument_specs_match_defaults_key_for_key(role, entry_point):
    options = specs(role)[entry_point]["options"]
    values = defaults(role)
    assert sorted(options) == sorted(values)
    for name, spec in options.items():
        assert spec.get("default") == values[name], name
        assert isinstance(values[name], PYTHON_TYPES[spec["type"]]), name
        assert spec.get("description"), name
        if "choices" in spec:
            assert values[name] in spec["choices"], name


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_variable_with_its_default(role):
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(%s_\w+)` \| `([^`]*)` \|" % role, readme, re.MULTILINE))
    values = defaults(role)
    assert sorted(rows) == sorted(values)
    for name, shown in rows.items():
        assert yaml.safe_load(shown) == values[name], name
