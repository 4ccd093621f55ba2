"""Shared by tests/unit and tests/integration.

Makes `ansible_collections.labroom.mlflow` importable from this checkout: `make` links the
checkout into .ansible/collections (see ansible.cfg); the tests import the collection through
that link, exactly as Ansible resolves it.

Also provides `run_module`, which runs tracking_health's main() in-process and returns how it
ended, for the module's unit tests (mocked HTTP) and its integration tests (a real MLflow server):
the harness of tests/unit/plugins/modules/utils.py, bound to that module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".ansible" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "labroom" / "mlflow"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("../../../.."), target_is_directory=True)
# tests/support: playbook_run, the one reader of playbook results (json callback) that the
# integration tests, the Molecule side effects and the bench share.
SUPPORT = ROOT / "tests" / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


@pytest.fixture
def run_module():
    """run_module(**args) runs tracking_health with these arguments and returns how it ended:
    an AnsibleExitJson or AnsibleFailJson (`kind` "exit" or "fail", `result`)."""
    from ansible_collections.labroom.mlflow.plugins.modules import tracking_health
    from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

    def run(**args):
        return run_module(tracking_health, args)

    return run
