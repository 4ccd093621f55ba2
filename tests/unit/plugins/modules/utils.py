"""How the collection's module tests run a module, in one place (after community.general's
tests/unit/plugins/modules/utils.py): set its arguments, run its main(), read its result.

The module runs as under Ansible: main() ends in the real exit_json or fail_json, which mask the
values of no_log options and print the result as JSON; the result is read back from that output.
A test can so check the result and also that no secret shows in what Ansible would receive.
The HTTP layer is mocked by each test where the module calls it (fetch_url in
plugins/module_utils/mlflow_http.py for the modules that talk to MLflow).

    from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

    outcome = run_module(tracking_health, {"url": "http://lab-pc-07:8080"})
    outcome.kind      # "exit" or "fail"
    outcome.result    # the module's result, as Ansible receives it
    outcome.output    # the JSON text the module printed
"""

from __future__ import annotations

import contextlib
import io
import json

from ansible.module_utils.testing import patch_module_args


class ModuleEnded(Exception):
    """How a module's main() ended: `result` is the result Ansible receives, `output` the text
    the module printed."""

    kind = ""

    def __init__(self, result, output):
        super().__init__(result.get("msg", self.kind))
        self.result = result
        self.output = output


class AnsibleExitJson(ModuleEnded):
    """The module ended with exit_json."""

    kind = "exit"


class AnsibleFailJson(ModuleEnded):
    """The module ended with fail_json (its result has failed=true)."""

    kind = "fail"


def set_module_args(args=None, check_mode=False):
    """Context manager: an AnsibleModule made inside it gets `args` (and check mode)."""
    args = dict(args or {})
    if check_mode:
        args["_ansible_check_mode"] = True
    return patch_module_args(args)


def run_module(module, args=None, check_mode=False):
    """Run `module`.main() with `args`; return its AnsibleExitJson or AnsibleFailJson."""
    printed = io.StringIO()
    with set_module_args(args, check_mode), contextlib.redirect_stdout(printed):
        try:
            module.main()
        except SystemExit:
            pass
        else:
            raise AssertionError("%s.main() returned without exit_json or fail_json" % module.__name__)
    output = printed.getvalue()
    try:
        result = json.loads(output)
    except ValueError:
        raise AssertionError("%s.main() printed no JSON result:\n%s" % (module.__name__, output[-3000:]))
    if result.get("failed"):
        return AnsibleFailJson(result, output)
    return AnsibleExitJson(result, output)
