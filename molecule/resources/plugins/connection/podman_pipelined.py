"""containers.podman.podman with pipelining: for the Molecule room only, not part of the collection.

containers.podman.podman runs five `podman exec` per task (the home folder, a temporary folder,
chmod, the module, its removal) because it sends the module as a file. An instructor's room runs
over SSH with pipelining (ansible.cfg: one command per task, the module on its stdin). This
plugin does the same through `podman exec -i`, so the simulated room delivers modules the way a
real one does, at about a third of the cost per task on 2 cores (docs/testing.md, "Time").
Molecule's inventory names it (.config/molecule/config.yml: connection_options) and finds it
through ANSIBLE_CONNECTION_PLUGINS; ANSIBLE_PIPELINING turns pipelining on.
"""

from __future__ import annotations

import re
import shlex

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ensure_connect

from ansible_collections.containers.podman.plugins.connection import podman

NOT_RUNNING = re.compile(r"Error: .*(container state improper|no such container|no container with name or ID)", re.DOTALL)

DOCUMENTATION = podman.DOCUMENTATION.replace("name: podman", "name: podman_pipelined", 1)


class Connection(podman.Connection):
    """podman exec, with the module on stdin when Ansible pipelines it."""

    transport = "podman_pipelined"
    has_pipelining = True

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        # ConnectionBase's bookkeeping, then podman exec; -i only when there is something to send.
        super(podman.Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec"]
        if in_data is not None:
            args.append("-i")
        if self.user:
            args.extend(("--user", self.user))
        rc, stdout, stderr = self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
        # podman could not exec at all (the container is stopped or gone: podman exits 255 and
        # says so), a switched-off PC. Without pipelining the temporary folder's command fails
        # first and Ansible reports the host unreachable; say the same here, as SSH would.
        if rc != 0 and not stdout and NOT_RUNNING.match(to_native(stderr)):
            raise AnsibleConnectionFailure("podman exec on %s failed: %s" % (self._container_id, to_native(stderr).strip()))
        return rc, stdout, stderr
