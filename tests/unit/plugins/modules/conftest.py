"""Shared by the module tests: run a module's main() and catch its exit or failure."""

from __future__ import annotations

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.labroom.mlflow.plugins.modules import tracking_health


class ModuleExit(Exception):
    """Raised instead of exit_json/fail_json; `kind` is "exit" or "fail"."""

    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind = kind
        self.result = result


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    def exit_json(self, **result):
        raise ModuleExit("exit", result)

    def fail_json(self, **result):
        raise ModuleExit("fail", result)

    monkeypatch.setattr(tracking_health.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(tracking_health.AnsibleModule, "fail_json", fail_json)


@pytest.fixture
def run_module():
    """run_module(**args) runs tracking_health with these arguments and returns its ModuleExit."""

    def run(**args):
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                tracking_health.main()
        return caught.value

    return run
