"""The mixed scenario's side effects (run by molecule/resources/side_effect.py):

  restart_forgets_runs  on each ephemeral PC: a run logged, the service restarted, the run gone
  kill_9                on each PC without an init system: kill -9 of the process serving the
                        port, supervisord brings a new one up without Ansible
  command_line_change   site.yml with another server command line (2 workers) on every PC:
                        the service layer rewrites the definition and the server runs the new
                        command under systemd and supervisord alike; a second run with the
                        inventory's settings puts it back

verify (test_ephemeral.py, test_noinit.py) asserts on what was recorded.
"""

from __future__ import annotations

import shlex


def run(room):
    for host in room.hosts("ephemeral_pcs"):
        room.step("restart_forgets_runs", restart_forgets_runs, room, host, host=host)
    for host in room.hosts("no_init_pcs"):
        room.step("kill_9", kill_9, room, host, host=host)
    room.step("command_line_change", command_line_change, room)


def restart_forgets_runs(room, host):
    conf = room.settings(host)
    seen = {"logged": room.client(host, "log")}
    seen["exists_before_restart"] = room.client(host, "exists", seen["logged"]["run_id"])
    restart = room.sh(host, "systemctl restart %s" % shlex.quote(conf["mlflow_server_service_name"]))
    seen["restart"] = {"rc": restart.returncode, "stderr": restart.stderr[-2000:]}
    seen["health"] = room.wait_healthy(host, timeout=120)
    seen["exists_after_restart"] = room.client(host, "exists", seen["logged"]["run_id"])
    seen["experiments"] = room.http_get(host, "/api/2.0/mlflow/experiments/search?max_results=100")
    seen["log"] = room.service_log(host)
    return seen


def kill_9(room, host):
    # The process serving the port: the uvicorn worker, run by the service account.
    conf = room.settings(host)
    serving = "pgrep -u %s -f 'uvicorn .*mlflow'" % shlex.quote(conf["mlflow_server_user"])
    seen = {"before": room.sh(host, serving).stdout.split()}
    if len(seen["before"]) == 1:
        seen["kill_rc"] = room.sh(host, "kill -9 %s" % seen["before"][0]).returncode
        seen["health"] = room.wait_healthy(host, timeout=120)
        seen["after"] = room.sh(host, serving).stdout.split()
    seen["log"] = room.service_log(host)
    return seen


def command_line_change(room):
    # The server's own command line (the mlflow CLI process) shows which definition runs.
    def running(host, workers):
        conf = room.settings(host)
        pattern = "mlflow server .*--workers %d " % workers
        found = room.sh(host, "pgrep -u %s -f -- %s" % (shlex.quote(conf["mlflow_server_user"]), shlex.quote(pattern)))
        return bool(found.stdout.split())

    hosts = room.hosts()
    seen = {"changed_run": room.playbook("site.yml", "-e", "mlflow_server_workers=2").to_dict()}
    seen["changed"] = {host: {"health": room.wait_healthy(host, timeout=180), "two_workers": running(host, 2)}
                       for host in hosts}
    seen["back_run"] = room.playbook("site.yml").to_dict()
    seen["back"] = {host: {"health": room.wait_healthy(host, timeout=180), "one_worker": running(host, 1),
                           "log": room.service_log(host)} for host in hosts}
    return seen
