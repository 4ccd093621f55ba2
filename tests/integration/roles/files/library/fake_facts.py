# Test-only module: returns the given facts as this host's facts, so a playbook can run the
# role's logic for a platform that is not here (macOS, a host without systemd).
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(facts=dict(type="dict", required=True)), supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts=module.params["facts"])


if __name__ == "__main__":
    main()
