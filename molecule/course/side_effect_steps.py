"""The course scenario's side effects (run by molecule/resources/side_effect.py), as a class
meets them: students log and are kept apart, the server restarts and reboots, the term ends
with backup -> reset -> restore, and a last run of site.yml changes nothing.

  students        alice logs the handout's run from the lab PC (URI from the PC's profile, only
                  her two credential variables set); bob reads, tags and deletes it (403 each);
                  a request without credentials (401); what the admin and a student see, in the
                  REST API and in the UI
  restart_reboot  systemctl restart, then a reboot of the server (new address: the PC's DNS
                  entry is renewed): alice's run is read back after each
  term_end        backup.yml, reset.yml (runs gone, accounts kept), restore.yml (runs back)
  roster_change   bob leaves the roster: his account stays without mlflow_server_roster_prune,
                  is deleted with it (his experiment kept); back in the roster, his account
                  is made again with his password
  rerun           site.yml: changed=0 on every host

verify (molecule/course/tests/test_course.py) asserts on what each step recorded.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shlex
from pathlib import Path

SERVER, PC = "course-server", "lab-pc-31"
CLIENT = Path(__file__).with_name("course_client.py")
# The client venv that labroom.mlflow.mlflow_client installs on a PC with no server of its own.
PYTHON = "/opt/mlflow-client/bin/python"


def credentials(room):
    """The students' passwords, from the file the role wrote on the controller."""
    folder = Path(room.hostvars(SERVER)["mlflow_server_credentials_dir"])
    with open(folder / ("%s.csv" % SERVER), newline="") as handle:
        return {row["username"]: row["password"] for row in csv.DictReader(handle)}


def as_user(room, username, password, *args):
    """course_client.py on the lab PC as the ordinary account `student`, in a login shell (which
    reads /etc/profile.d), with only the two credential variables set (none without a user)."""
    env = ""
    if username:
        env = "MLFLOW_TRACKING_USERNAME=%s MLFLOW_TRACKING_PASSWORD=%s " % (shlex.quote(username), shlex.quote(password))
    command = "%s%s - %s" % (env, PYTHON, " ".join(shlex.quote(a) for a in args))
    out = room.sh(PC, "runuser -l student -c %s" % shlex.quote(command), stdin=CLIENT.read_text())
    if out.returncode != 0:
        raise RuntimeError("course_client %s as %r failed:\n%s\n%s"
                           % (" ".join(args), username, out.stdout[-2000:], out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def admin(room):
    variables = room.hostvars(SERVER)
    return variables.get("mlflow_server_admin_username", "admin"), variables["mlflow_server_admin_password"]


def run(room):
    room.step("students", students, room)
    room.step("restart_reboot", restart_reboot, room)
    room.step("term_end", term_end, room)
    room.step("roster_change", roster_change, room)
    room.step("rerun", rerun, room)


GENERATOR = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"


def client_pc(room):
    """What mlflow_client gave the PC: its venv's MLflow release as the student sees it in a login
    shell, and the environment a desktop session of the student gets (systemd's environment.d
    generator, which the user manager runs at login)."""
    venv = room.sh(PC, "runuser -l student -c %s" % shlex.quote(
        '"$LABROOM_MLFLOW_VENV/bin/python" -c "import mlflow; print(mlflow.__version__)"'))
    session = room.sh(PC, "runuser -u student -- %s" % GENERATOR)
    return {"venv_release": venv.stdout.strip(), "venv_error": venv.stderr[-1000:],
            "session_env": session.stdout.splitlines(), "session_error": session.stderr[-1000:]}


def card(room, username):
    """One student's card of the English sheet the role printed: {class of each <pre>: its text}."""
    folder = Path(room.hostvars(SERVER)["mlflow_server_credentials_dir"])
    sheet = (folder / ("%s.html" % SERVER)).read_text()
    for part in sheet.split('<div class="card">')[1:]:
        if re.search(r"<h2>%s</h2>" % re.escape(html.escape(username)), part):
            return {kind: html.unescape(text) for kind, text in re.findall(r'<pre class="(\w+)">(.*?)</pre>', part, re.DOTALL)}
    raise RuntimeError("no card for %s in the sheet" % username)


def as_the_sheet_says(room, username):
    """A student follows their card on the lab PC, as the ordinary account in a login shell: the
    card's terminal lines (nano's part typed as the card's file text), then the card's Python
    lines, with no credential variable set: the client reads ~/.mlflow/credentials."""
    lines = card(room, username)
    typed = [line for line in lines["terminal"].splitlines() if not line.startswith("nano ")]
    script = " && ".join(typed) + " && cat > ~/.mlflow/credentials"
    wrote = room.sh(PC, "runuser -l student -c %s" % shlex.quote(script), stdin=lines["credentials"] + "\n")
    mode = room.sh(PC, "stat -c '%a %U' ~student/.mlflow ~student/.mlflow/credentials").stdout.split("\n")
    code = lines["python"] + "\nprint(mlflow.last_active_run().info.run_id)\n"
    ran = room.sh(PC, "runuser -l student -c %s" % shlex.quote("%s -" % PYTHON), stdin=code)
    return {"wrote": wrote.returncode, "modes": [m for m in mode if m], "rc": ran.returncode,
            "run_id": ran.stdout.strip().splitlines()[-1] if ran.returncode == 0 and ran.stdout.strip() else "",
            "error": ran.stderr[-2000:]}


def students(room):
    known = credentials(room)
    pc = client_pc(room)
    logged = as_user(room, "alice", known["alice"], "log")
    (room.workdir / "alice-run.json").write_text(json.dumps(logged))
    return {
        "client_pc": pc,
        "students_in_file": sorted(known),
        "logged": logged,
        "other_student": as_user(room, "bob", known["bob"], "touch", logged["run_id"]),
        "anonymous": as_user(room, "", "", "experiments"),
        "admin_sees": as_user(room, *admin(room), "experiments"),
        "student_sees": as_user(room, "carol", known["carol"], "experiments"),
        "student_ui": as_user(room, "carol", known["carol"], "ui"),
        "from_the_sheet": from_the_sheet(room),
        "owner_after": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"]),
    }


def from_the_sheet(room):
    """carol follows her card; the admin then reads the run she logged (200), and her file is gone
    again afterwards (the PC is shared)."""
    done = as_the_sheet_says(room, "carol")
    done["admin_reads"] = as_user(room, *admin(room), "get", done["run_id"]) if done["run_id"] else None
    room.sh(PC, "rm -rf ~student/.mlflow")
    return done


def renew_dns(room):
    """The school's DNS learns the server's new address (a DHCP server gets a new one)."""
    address = room.sh(SERVER, "hostname -I").stdout.split()[0]
    # /etc/hosts is a file podman mounts: rewritten in place (sed -i would replace it).
    script = "grep -v ' %s$' /etc/hosts > /tmp/hosts.new && cat /tmp/hosts.new > /etc/hosts && echo '%s %s' >> /etc/hosts"
    out = room.sh(PC, script % (SERVER, address, SERVER))
    if out.returncode != 0:
        raise RuntimeError("could not renew the PC's DNS entry: %s" % out.stderr)
    return address


def restart_reboot(room):
    known = credentials(room)
    logged = json.loads((room.workdir / "alice-run.json").read_text())
    observed = {}
    room.sh(SERVER, "systemctl restart mlflow-server")
    observed["after_restart"] = {"healthy": room.wait_healthy(SERVER),
                                 "read": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"])}
    before = room.addresses(SERVER)
    observed["reboot"] = room.reboot(SERVER)
    observed["addresses"] = [before, room.addresses(SERVER)]
    observed["after_reboot"] = {"healthy": room.wait_healthy(SERVER), "dns": renew_dns(room),
                                "read": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"])}
    return observed


def term_end(room):
    known = credentials(room)
    logged = json.loads((room.workdir / "alice-run.json").read_text())
    backup = room.playbook("playbooks/backup.yml")
    archives = sorted(Path(room.hostvars(SERVER)["mlflow_server_backup_dest"], SERVER).glob("*.tar.gz"))
    # The lab room's reset between classes, as the README gives it: the course server is left out.
    room_reset = room.playbook("playbooks/reset.yml", "-e", "mlflow_server_reset_confirm='all hosts'")
    after_room_reset = as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"])
    archives_after_room_reset = sorted(Path(room.hostvars(SERVER)["mlflow_server_backup_dest"], SERVER).glob("*.tar.gz"))
    # A restore over the whole inventory leaves it out too.
    unnamed_restore = room.playbook("playbooks/restore.yml", "-e", "mlflow_server_restore_archive=%s" % archives[-1])
    # Named, with its own confirmation: the course server's reset and restore.
    reset = room.playbook("playbooks/reset.yml", "--limit", SERVER, "-e", "mlflow_server_reset_confirm=%s" % SERVER)
    after_reset = {"admin": as_user(room, *admin(room), "get", logged["run_id"]),
                   "alice_sees": as_user(room, "alice", known["alice"], "experiments")}
    restore = room.playbook("playbooks/restore.yml", "--limit", SERVER, "-e", "mlflow_server_restore_confirm=%s" % SERVER,
                            "-e", "mlflow_server_restore_archive=%s" % archives[-1])
    return {"backup": backup.to_dict(), "archives": [str(a) for a in archives],
            "archive_mode": oct(archives[-1].stat().st_mode & 0o777) if archives else None,
            "room_reset": room_reset.to_dict(), "after_room_reset": after_room_reset,
            "archives_after_room_reset": [str(a) for a in archives_after_room_reset],
            "unnamed_restore": unnamed_restore.to_dict(),
            "reset": reset.to_dict(), "after_reset": after_reset, "restore": restore.to_dict(),
            "after_restore": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"])}


def roster_change(room):
    """bob is the one student of mlflow_server_students (the others are in roster.csv)."""
    known = credentials(room)
    without_bob = ("-e", '{"mlflow_server_students": []}', "--limit", SERVER)
    kept = room.playbook("site.yml", *without_bob)
    file_after_kept = sorted(credentials(room))
    bob_after_kept = as_user(room, "bob", known["bob"], "experiments")
    pruned = room.playbook("site.yml", *without_bob, "-e", "mlflow_server_roster_prune=true")
    file_after_prune = sorted(credentials(room))
    bob_after_prune = as_user(room, "bob", known["bob"], "experiments")
    admin_after_prune = as_user(room, *admin(room), "experiments")
    back = room.playbook("site.yml", "--limit", SERVER)
    return {"kept": kept.to_dict(), "bob_after_kept": bob_after_kept, "pruned": pruned.to_dict(),
            "file_after_kept": file_after_kept, "file_after_prune": file_after_prune,
            "bob_after_prune": bob_after_prune, "admin_after_prune": admin_after_prune, "back": back.to_dict(),
            "bob_back": as_user(room, "bob", known["bob"], "experiments")}


def rerun(room):
    return {"run": room.playbook("site.yml").to_dict()}
