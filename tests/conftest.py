"""Shared by tests/unit and tests/integration.

Makes `ansible_collections.labroom.mlflow` importable from this checkout: `make` links the
checkout into .ansible/collections (see ansible.cfg); the tests import the collection through
that link, exactly as Ansible resolves it.

Also provides `run_module`, which runs a module's main() in-process and returns how it ended,
for the module's unit tests (mocked HTTP) and its integration tests (a real MLflow server).
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


class ModuleExit(Exception):
    """Raised instead of exit_json/fail_json; `kind` is "exit" or "fail"."""

    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind = kind
        self.result = result


@pytest.fixture
def run_module(monkeypatch):
    """run_module(**args) runs tracking_health with these arguments and returns its ModuleExit.

    The module ends through exit_json or fail_json, which are replaced for the test so that
    they raise ModuleExit with the module's result instead of printing it and exiting.
    """
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.labroom.mlflow.plugins.modules import tracking_health

    def exit_json(self, **result):
        raise ModuleExit("exit", result)

    def fail_json(self, **result):
        raise ModuleExit("fail", result)

    monkeypatch.setattr(tracking_health.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(tracking_health.AnsibleModule, "fail_json", fail_json)

    def run(**args):
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                tracking_health.main()
        return caught.value

    return run
