"""The course scenario's side effects (run by molecule/resources/side_effect.py), as a class
meets them: students log and are kept apart, the server restarts and reboots, the term ends
with backup -> reset -> restore, and a last run of site.yml changes nothing.

  students        alice logs the handout's run from the lab PC (URI and CA from the PC's profile,
                  only her two credential variables set); bob reads, tags and deletes it (403
                  each); a request without credentials (401); what the admin and a student see,
                  in the REST API and in the UI
  front           the HTTPS front as the room's network sees it: plain HTTP only redirects,
                  MLflow's own port is closed to the PC and open on the server's loopback, a
                  client without the CA is refused, the system's store trusts it, and headless
                  Chromium as the student opens the UI by name (screenshot kept)
  restart_reboot  systemctl restart, then a reboot of the server (new address: the PC's DNS
                  entry is renewed): alice's run is read back after each
  term_end        backup.yml, reset.yml (runs gone, accounts kept), restore.yml (runs back)
  roster_change   bob leaves the roster: his account stays without mlflow_server_roster_prune,
                  is deleted with it (his experiment kept); back in the roster, his account
                  is made again with his password
  class_work      the grader reads alice's run and may not tag or delete it; collect.yml
                  (-e mlflow_collect_metric=rmse) writes the class's work; freeze.yml: alice
                  may no longer log (403) but reads her run, collect.yml reads the same work;
                  freeze.yml -e mlflow_server_frozen=false: alice logs again; the class's page
                  opened in headless Chromium on the lab PC (screenshot kept)
  renewal         a certificate near its end (-e mlflow_server_tls_valid_days=800
                  -e mlflow_server_tls_renew_days=400), with -v and the default callback: the
                  front alone restarts, the whole output holds no password and no key
  rerun           site.yml: changed=0 on every host (the renewed certificate is kept)

verify (molecule/course/tests/test_course.py) asserts on what each step recorded.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SERVER, PC = "course-server", "lab-pc-31"
CLIENT = Path(__file__).with_name("course_client.py")
BROWSER = Path(__file__).with_name("browser_ui.py")
# The client venv that labroom.mlflow.mlflow_client installs on a PC with no server of its own.
PYTHON = "/opt/mlflow-client/bin/python"


def credentials(room):
    """The students' passwords, from the file the role wrote on the controller."""
    folder = Path(room.hostvars(SERVER)["mlflow_server_credentials_dir"])
    with open(folder / ("%s.csv" % SERVER), newline="") as handle:
        return {row["username"]: row["password"] for row in csv.DictReader(handle)}


def as_user(room, username, password, *args, env=""):
    """course_client.py on the lab PC as the ordinary account `student`, in a login shell (which
    reads /etc/profile.d), with only the two credential variables set (none without a user)."""
    if username:
        env += "MLFLOW_TRACKING_USERNAME=%s MLFLOW_TRACKING_PASSWORD=%s " % (shlex.quote(username), shlex.quote(password))
    command = "%s%s - %s" % (env, PYTHON, " ".join(shlex.quote(a) for a in args))
    out = room.sh(PC, "runuser -l student -c %s" % shlex.quote(command), stdin=CLIENT.read_text())
    if out.returncode != 0:
        raise RuntimeError("course_client %s as %r failed:\n%s\n%s"
                           % (" ".join(args), username, out.stdout[-2000:], out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def admin(room):
    """The admin's account: the password is the vault-encrypted one the inventory reads."""
    variables = room.hostvars(SERVER)
    return variables.get("mlflow_server_admin_username", "admin"), admin_password()


def admin_password():
    """admin-password.vault decrypted with the scenario's vault password file, as Ansible does."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    here = Path(__file__).parent
    secret = VaultSecret((here / "vault-password.txt").read_bytes().strip())
    return VaultLib([("default", secret)]).decrypt((here / "admin-password.vault").read_bytes()).decode().strip()


def run(room):
    room.step("students", students, room)
    room.step("restart_reboot", restart_reboot, room)
    room.step("term_end", term_end, room)
    room.step("roster_change", roster_change, room)
    room.step("class_work", class_work, room)
    room.step("front", front, room)
    room.step("renewal", renewal, room)
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


GRADER = "ta-somchai"


def collect(room, name, *extra):
    """playbooks/collect.yml into the scenario's folder `name`: the run, the files read back and
    what it said of the artifacts it did not copy."""
    out = room.workdir / name
    shutil.rmtree(out, ignore_errors=True)
    played = room.playbook("playbooks/collect.yml", "-e", "mlflow_collect_metric=rmse", "-e", "mlflow_collect_dir=%s" % out,
                           *extra)
    return {"run": played.to_dict(), **room.class_work_files(out),
            "not_copied": room.task_messages(played, "Say which artifacts were not copied")}


def class_work(room):
    """The grader, collect.yml, the deadline (freeze.yml) and the class's page in a browser."""
    known = credentials(room)
    logged = json.loads((room.workdir / "alice-run.json").read_text())
    seen = {"alice_run": logged["run_id"], "alice_content": logged["content"],
            "grader_reads": as_user(room, GRADER, known[GRADER], "read", logged["run_id"], logged["content"]),
            "grader_touches": as_user(room, GRADER, known[GRADER], "touch", logged["run_id"]),
            # With the artifact alice's client logged, and one no run has.
            "collected": collect(room, "class-work", "-e", "mlflow_collect_artifacts=notes.txt,model/MLmodel")}
    seen["freeze"] = room.playbook("playbooks/freeze.yml").to_dict()
    seen["frozen"] = {"alice_logs": as_user(room, "alice", known["alice"], "can_log"),
                      "alice_reads": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"]),
                      "collected": collect(room, "class-work-frozen")}
    seen["unfreeze"] = room.playbook("playbooks/freeze.yml", "-e", "mlflow_server_frozen=false").to_dict()
    seen["open"] = {"alice_logs": as_user(room, "alice", known["alice"], "can_log")}
    seen["page"] = class_page(room, Path(seen["collected"]["dir"]) / "index.html")
    return seen


def class_page(room, page):
    """The class's page, copied to the lab PC, opened in headless Chromium from the file (no
    network): its text and a screenshot, kept beside the scenario's output."""
    container = room.container(PC)
    subprocess.run(["podman", "exec", container, "mkdir", "-p", "/tmp/class-work"], check=False)
    subprocess.run(["podman", "cp", str(page), "%s:/tmp/class-work/index.html" % container], check=False)
    room.sh(PC, "chmod -R a+rX /tmp/class-work")
    command = "python3 - file:///tmp/class-work/index.html alice unused /tmp/class-work-page.png"
    opened = room.sh(PC, "runuser -l student -c %s" % shlex.quote(command), stdin=BROWSER.read_text(), timeout=180)
    kept = []
    for folder in (room.workdir, room.project / ".ansible" / "molecule-logs"):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "class-work.png"
        copied = subprocess.run(["podman", "cp", "%s:/tmp/class-work-page.png" % container, str(target)],
                                capture_output=True, text=True, check=False)
        if copied.returncode == 0:
            kept.append(str(target))
    return {"browser": last_json(opened), "screenshots": kept}


def rerun(room):
    return {"run": room.playbook("site.yml").to_dict()}


def front(room):
    """The HTTPS front as a PC on the room's network sees it, and the student's browser."""
    known = credentials(room)
    seen = {}
    # Plain HTTP, with the admin's credentials even: a redirect, and no answer from MLflow.
    plain = room.sh(PC, "curl -s -o /dev/null -u %s -w '%%{http_code} %%{redirect_url}' -X POST "
                        "http://%s/api/2.0/mlflow/experiments/search" % (shlex.quote("%s:%s" % admin(room)), SERVER))
    seen["plain_http"] = plain.stdout.strip()
    # MLflow's own port: closed to the PC, open on the server's loopback only.
    closed = room.sh(PC, "curl -s -o /dev/null -w '%%{http_code}' --max-time 5 http://%s:8080/health" % SERVER)
    seen["mlflow_port_from_pc"] = {"rc": closed.returncode, "code": closed.stdout.strip()}
    seen["mlflow_port_on_loopback"] = room.sh(SERVER, "python3 -c \"import urllib.request; "
                                              "print(urllib.request.urlopen('http://127.0.0.1:8080/health').read().decode())\"").stdout.strip()
    seen["mlflow_listens"] = listening(room, "sport = :8080")
    seen["front_listens"] = listening(room, "( sport = :80 or sport = :443 )")
    # The system's trust store (curl) trusts the course's CA.
    seen["curl_https"] = room.sh(PC, "curl -s https://%s/health" % SERVER).stdout.strip()
    # MLflow's client without the profile's CA (requests then uses certifi's bundle): refused.
    seen["client_without_ca"] = as_user(room, "alice", known["alice"], "tls",
                                        env="unset MLFLOW_TRACKING_SERVER_CERT_PATH; MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 ")
    seen["client_with_ca"] = as_user(room, "alice", known["alice"], "tls")
    seen["browser"] = browser(room, "carol", known["carol"])
    return seen


def listening(room, ports):
    """The server's local addresses listening on these ports (an ss filter)."""
    return sorted(line.split()[3] for line in room.sh(SERVER, "ss -ltnH %s" % shlex.quote(ports)).stdout.splitlines())


def browser(room, username, password):
    """Headless Chromium on the lab PC (browser_ui.py, driven through DevTools), as the student's
    account, whose NSS database holds the course's CA: the UI by name over HTTPS, signed in as
    the student. Root's Chromium (no CA in its database) is the control. The screenshot is kept
    in the scenario's output and in .ansible/molecule-logs/."""
    url = "https://%s/" % SERVER
    script = BROWSER.read_text()
    command = "python3 - %s %s %s %%s" % (shlex.quote(url), shlex.quote(username), shlex.quote(password))
    student = room.sh(PC, "runuser -l student -c %s" % shlex.quote(command % "/tmp/course-ui.png"), stdin=script, timeout=180)
    control = room.sh(PC, command % "/tmp/root-ui.png", stdin=script, timeout=180)
    kept = []
    for folder in (room.workdir, room.project / ".ansible" / "molecule-logs"):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "course-ui.png"
        copied = subprocess.run(["podman", "cp", "%s:/tmp/course-ui.png" % room.container(PC), str(target)],
                                capture_output=True, text=True, check=False)
        if copied.returncode == 0:
            kept.append(str(target))
    return {"student": last_json(student), "root": last_json(control), "screenshots": kept}


def last_json(out):
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": "rc %d: %s" % (out.returncode, (out.stdout + out.stderr)[-1500:])}


def server_pids(room):
    out = room.sh(SERVER, "systemctl show -p MainPID --value mlflow-server nginx").stdout.split()
    return {"mlflow": out[0] if out else "", "nginx": out[1] if len(out) > 1 else ""}


def server_certificate(room):
    code = ("from cryptography import x509\n"
            "c = x509.load_pem_x509_certificate(open('/opt/mlflowserver-lab/tls/server.crt', 'rb').read())\n"
            "print(c.serial_number, c.not_valid_after_utc.date().isoformat())\n")
    out = room.sh(SERVER, "python3 -", stdin=code)
    serial, _sep, not_after = out.stdout.strip().partition(" ")
    return {"serial": serial, "not_after": not_after, "error": out.stderr[-500:]}


def secrets(room):
    """Every secret of the course: the passwords (admin, students, PostgreSQL, Flask key) and
    the lines of the private keys (the CA's on the controller, the server's)."""
    found = {"admin password": admin_password()}
    found.update(("password of %s" % user, password) for user, password in credentials(room).items())
    for name, path in (("PostgreSQL password", "/opt/mlflowserver-lab/secrets/postgresql-password"),
                       ("Flask secret key", "/opt/mlflowserver-lab/secrets/flask-secret-key")):
        found[name] = room.sh(SERVER, "cat %s" % path).stdout.strip()
    ca_key = Path(room.hostvars(SERVER)["mlflow_server_credentials_dir"]) / "ca.key"
    keys = {"the CA key": subprocess.run(["openssl", "pkey", "-in", str(ca_key), "-text", "-noout"], capture_output=True,
                                         text=True, check=True).stdout,
            "the server key": room.sh(SERVER, "openssl pkey -in /opt/mlflowserver-lab/tls/server.key -text -noout").stdout}
    for name, text in keys.items():
        value = private_value(text)
        found["%s (private value, hex)" % name] = value
        found["%s (private value, decimal)" % name] = str(int(value, 16)) if value else ""
    for name, pem in (("the CA key", ca_key.read_text()),
                      ("the server key", room.sh(SERVER, "cat /opt/mlflowserver-lab/tls/server.key").stdout)):
        # An EC key's PEM holds its public key too: a line that is also part of the public key's
        # PEM is not a secret (a verbose run prints the certificate's public key).
        public = "".join(subprocess.run(["openssl", "pkey", "-pubout"], input=pem, capture_output=True, text=True,
                                        check=True).stdout.split())
        for number, line in enumerate(line for line in pem.splitlines() if line and not line.startswith("-----")):
            if line not in public:
                found["%s, line %d" % (name, number + 1)] = line
    return {name: value for name, value in found.items() if value}


def private_value(text):
    """The private number of `openssl pkey -text` output ("priv:" and its hex lines), as one
    hex string without colons (how a leak would most likely show it, besides the PEM)."""
    block = text.split("priv:", 1)[1].split("pub:", 1)[0] if "priv:" in text else ""
    return "".join(block.split()).replace(":", "")


def verbose_run(room, *args):
    """site.yml with -v and Ansible's default output, as an instructor runs it: its whole
    output, and the recap's changed count per host."""
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-v", "-i", room.inventory,
            str(room.project / "site.yml"), *args]
    env = dict(os.environ, **room.ansible_env(), ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_FORCE_COLOR", None)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800, check=False)
    output = done.stdout + done.stderr
    recap = {host: int(changed) for host, changed in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", output, re.MULTILINE)}
    return {"rc": done.returncode, "changed": recap, "output": output}


def renewal(room):
    """A certificate near its end is renewed by the next run, which restarts the front only; the
    run's -v output holds no secret. That it is renewed once only: the step rerun (its last run
    of site.yml changes nothing, and the report's row keeps the renewed certificate's days)."""
    near_end = ("-e", "mlflow_server_tls_valid_days=800", "-e", "mlflow_server_tls_renew_days=400")
    before = {"pids": server_pids(room), "certificate": server_certificate(room)}
    renewed = verbose_run(room, *near_end)
    after = {"pids": server_pids(room), "certificate": server_certificate(room)}
    (room.workdir / "renewal-v.log").write_text(renewed["output"])
    leaked = sorted(name for name, value in secrets(room).items() if value in renewed["output"])
    known = credentials(room)
    logged = json.loads((room.workdir / "alice-run.json").read_text())
    return {"before": before, "after": after,
            "renewed": {"rc": renewed["rc"], "changed": renewed["changed"], "tail": renewed["output"][-4000:]},
            "leaked": leaked, "secrets_checked": len(secrets(room)),
            "read_after": as_user(room, "alice", known["alice"], "read", logged["run_id"], logged["content"])}
