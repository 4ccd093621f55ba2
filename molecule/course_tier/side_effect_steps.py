"""The course tier's side effects (run by molecule/resources/side_effect.py): a student logs
through the front, a client keeps logging while a course host is stopped and then killed, the
host comes back with a new address, the database is stopped and the room report says so, and a
last run of site.yml changes nothing.

  through_front   alice logs a run with an artifact from the lab PC (the front's URL and the CA
                  from the PC's profile); the artifact is on course-a only; requests without an
                  account are refused (the artifact routes too); the PC's traffic reached both
                  course hosts (their nginx logs)
  failover        a client logs runs for LOOP_SECONDS; course-b's MLflow is stopped (systemctl),
                  then its container killed, then started again (new address: the school's DNS
                  is renewed on every host) and site.yml run (the database and the front learn the
                  new address); the client's failures are counted, every run it logged is read back
                  (param, metric, artifact), and course-b serves requests through the front again
  term_end        backup.yml (one archive, by course-a: the database and the artifacts), reset.yml
                  and restore.yml over the tier (confirmed by course-a's name): alice's run gone, then
                  back with its artifact, read through the front
  database_down   PostgreSQL stopped on tier-db: status.yml exits non-zero and the database's row
                  says why; started again: status.yml passes
  rerun           site.yml: changed=0 on every host

verify (molecule/course_tier/tests/test_course_tier.py) asserts on what each step recorded.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

FRONT, COURSE_A, COURSE_B, DATABASE, PC = "tier-front", "course-a", "course-b", "tier-db", "lab-pc-32"
HOSTS = [FRONT, COURSE_A, COURSE_B, DATABASE, PC]
CLIENT = Path(__file__).with_name("tier_client.py")
PYTHON = "/opt/mlflow-client/bin/python"
STUDENT = ("alice", "alice-password")
LOOP_SECONDS = 100
ACCESS_LOG = "/var/log/nginx/access.log"


def run(room):
    room.step("through_front", through_front, room)
    room.step("failover", failover, room)
    room.step("term_end", term_end, room)
    room.step("database_down", database_down, room)
    room.step("rerun", rerun, room)


def student_command(*args, user=STUDENT, script="-"):
    """tier_client.py on the lab PC as the ordinary account `student`, in a login shell (which
    reads /etc/profile.d: the front's URL and the CA), with the student's two credential variables;
    the script from stdin, or from a file on the PC."""
    env = "MLFLOW_TRACKING_USERNAME=%s MLFLOW_TRACKING_PASSWORD=%s " % (shlex.quote(user[0]), shlex.quote(user[1]))
    command = "%s%s %s %s" % (env, PYTHON, script, " ".join(shlex.quote(a) for a in args))
    return "runuser -l student -c %s" % shlex.quote(command)


def as_student(room, *args):
    out = room.sh(PC, student_command(*args), stdin=CLIENT.read_text())
    if out.returncode != 0:
        raise RuntimeError("tier_client %s failed:\n%s\n%s" % (" ".join(args), out.stdout[-2000:], out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def log_lines(room, host, path=ACCESS_LOG):
    out = room.sh(host, "cat %s 2>/dev/null | wc -l" % path)
    return int(out.stdout.strip() or 0)


def curl(room, path, user=STUDENT, method="GET"):
    """A request through the front from the PC (curl trusts the course's CA through the system's
    store, as mlflow_client set it): the HTTP status."""
    auth = "-u %s " % shlex.quote("%s:%s" % user) if user else ""
    url = shlex.quote("https://%s%s" % (FRONT, path))
    out = room.sh(PC, "curl -s -o /dev/null -w '%%{http_code}' -X %s %s%s" % (method, auth, url))
    return out.stdout.strip()


def searches(room, count=12):
    """`count` experiment searches through the front, as a class's clients send them: their statuses."""
    return [curl(room, "/api/2.0/mlflow/experiments/search?max_results=10") for _attempt in range(count)]


def renew_dns(room):
    """The school's DNS learns every host's address of the moment (a restarted container has a new one)."""
    addresses = {host: room.sh(host, "hostname -I").stdout.split()[0] for host in HOSTS}
    # /etc/hosts is a file podman mounts: rewritten in place.
    for host in HOSTS:
        lines = "".join("%s %s\n" % (addresses[other], other) for other in HOSTS if other != host)
        script = ("grep -v -E ' (%s)$' /etc/hosts > /tmp/hosts.new && cat /tmp/hosts.new > /etc/hosts"
                  " && printf %%s %s >> /etc/hosts" % ("|".join(HOSTS), shlex.quote(lines)))
        out = room.sh(host, script)
        if out.returncode != 0:
            raise RuntimeError("could not renew %s's DNS entries: %s" % (host, out.stderr))
    return addresses


def through_front(room):
    seen = {"uri": room.sh(PC, "runuser -l student -c 'echo $MLFLOW_TRACKING_URI'").stdout.strip()}
    before = {host: log_lines(room, host) for host in (COURSE_A, COURSE_B)}
    seen["logged"] = as_student(room, "log")
    run_id = seen["logged"]["run_id"]
    # A few requests more, as a class's clients send them.
    seen["searches"] = searches(room)
    seen["served"] = {host: log_lines(room, host) - before[host] for host in (COURSE_A, COURSE_B)}
    # The artifact is kept by course-a only.
    find = "find /opt/mlflowserver-lab/mlartifacts -path '*%s*' -name notes.txt | wc -l" % run_id
    seen["artifact_files"] = {host: int(room.sh(host, find).stdout.strip() or 0) for host in (COURSE_A, COURSE_B)}
    # Without an account: refused, the artifact routes too.
    experiment_id = seen["logged"]["experiment_id"]
    artifact = "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/notes.txt" % (experiment_id, run_id)
    seen["anonymous"] = {
        "search": curl(room, "/api/2.0/mlflow/experiments/search?max_results=10", user=None),
        "artifact_download": curl(room, artifact, user=None),
        "artifact_upload": curl(room, artifact.replace("notes.txt", "intruder.txt"), user=None, method="PUT"),
        "artifact_list": curl(room, "/api/2.0/mlflow/artifacts/list?run_id=%s" % run_id, user=None),
        "get_artifact": curl(room, "/get-artifact?path=notes.txt&run_uuid=%s" % run_id, user=None),
    }
    # bob may not read alice's artifact either.
    seen["other_student_artifact"] = curl(room, "/get-artifact?path=notes.txt&run_uuid=%s" % run_id, user=("bob", "bob-password"))
    return seen


def failover(room):
    seen = {}
    front_before = log_lines(room, FRONT)
    room.sh(PC, "cat > /tmp/tier_client.py && chmod 0644 /tmp/tier_client.py", stdin=CLIENT.read_text())
    loop = subprocess.Popen(["podman", "exec", room.container(PC), "sh", "-c",
                             student_command("loop", str(LOOP_SECONDS), "/tmp/failover.json", script="/tmp/tier_client.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    events = []

    def at(seconds, what, action):
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        result = action()
        events.append({"at": round(time.monotonic() - started, 1), "what": what, "result": result})

    at(15, "systemctl stop mlflow-server on course-b",
       lambda: room.sh(COURSE_B, "systemctl stop mlflow-server").returncode)
    at(40, "podman kill course-b",
       lambda: subprocess.run(["podman", "kill", room.container(COURSE_B)], capture_output=True, text=True,
                              check=False).returncode)
    # Switched on again: a new address, which the school's DNS learns as the host boots.
    at(60, "podman start course-b, its new address in the DNS",
       lambda: [subprocess.run(["podman", "start", room.container(COURSE_B)], capture_output=True, text=True,
                               check=False).returncode,
                renew_dns(room)])
    out, err = loop.communicate(timeout=LOOP_SECONDS + 600)
    seen["events"] = events
    seen["loop_rc"] = loop.returncode
    seen["loop_output"] = (out + err)[-3000:]
    seen["loop"] = json.loads(room.sh(PC, "cat /tmp/failover.json").stdout or "{}")
    # What the front saw: its 5xx answers in that time, and its notes on failed course hosts.
    statuses = room.sh(FRONT, "tail -n +%d %s | awk '{print $9}' | sort | uniq -c" % (front_before + 1, ACCESS_LOG)).stdout
    counts = (line.split() for line in statuses.splitlines() if line.strip())
    seen["front_statuses"] = {code: int(count) for count, code in counts}
    seen["front_errors"] = room.sh(FRONT, "grep -c 'upstream' /var/log/nginx/error.log").stdout.strip()
    # Every run the client logged, read back through the front (artifacts from course-a).
    seen["check"] = as_student(room, "check", "/tmp/failover.json")

    # course-b is back, with a new address: site.yml (the database lets the new address in, the
    # front sends to it).
    seen["addresses"] = events[-1]["result"][1]
    seen["site"] = room.playbook("site.yml").to_dict()
    before = log_lines(room, COURSE_B)
    seen["searches_after"] = searches(room)
    seen["course_b_served_after"] = log_lines(room, COURSE_B) - before
    return seen


def term_end(room):
    logged = observed_run(room)
    archives = Path(room.hostvars(COURSE_A)["mlflow_server_backup_dest"])
    seen = {"backup": room.playbook("playbooks/backup.yml").to_dict()}
    seen["archives"] = {host: [p.name for p in sorted((archives / host).glob("*.tar.gz"))] for host in (COURSE_A, COURSE_B)}
    archive = sorted((archives / COURSE_A).glob("*.tar.gz"))[-1]
    # Only course-b in the run: refused (the database is shared), nothing changed.
    seen["reset_one_host"] = room.playbook("playbooks/reset.yml", "--limit", COURSE_B,
                                           "-e", "mlflow_server_reset_confirm=%s" % COURSE_A).to_dict()
    seen["after_refused_reset"] = as_student(room, "read", json.dumps(logged))
    seen["reset"] = room.playbook("playbooks/reset.yml", "--limit", "mlflow_course_server",
                                  "-e", "mlflow_server_reset_confirm=%s" % COURSE_A).to_dict()
    seen["after_reset"] = as_student(room, "read", json.dumps(logged))
    seen["restore"] = room.playbook("playbooks/restore.yml", "--limit", "mlflow_course_server",
                                    "-e", "mlflow_server_restore_confirm=%s" % COURSE_A,
                                    "-e", "mlflow_server_restore_archive=%s" % archive).to_dict()
    seen["after_restore"] = as_student(room, "read", json.dumps(logged))
    before = log_lines(room, COURSE_B)
    seen["searches_after"] = searches(room)
    seen["course_b_served_after"] = log_lines(room, COURSE_B) - before
    return seen


def observed_run(room):
    """The run alice logged in through_front: {run_id, index, content}."""
    record = json.loads(room.results.read_text())
    logged = record["steps"]["through_front"]["logged"]
    return {key: logged[key] for key in ("run_id", "index", "content")}


def report(room):
    folder = Path(room.hostvars(FRONT)["mlflow_report_dir"])
    return json.loads((folder / "room-report.json").read_text())


def database_down(room):
    seen = {"pg_hba": room.sh(DATABASE, "grep -v '^#' /etc/postgresql/*/main/pg_hba.conf | grep .").stdout}
    seen["stop"] = room.sh(DATABASE, "systemctl stop postgresql").returncode
    down = room.playbook("playbooks/status.yml")
    seen["status_down"] = down.to_dict()
    seen["report_down"] = report(room)
    seen["start"] = room.sh(DATABASE, "systemctl start postgresql").returncode
    time.sleep(3)
    seen["status_up"] = room.playbook("playbooks/status.yml").to_dict()
    seen["report_up"] = report(room)
    return seen


def rerun(room):
    return {"run": room.playbook("site.yml").to_dict()}
