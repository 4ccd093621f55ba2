"""A course server for a whole class: what students and the admin could and could not do, the
data across restart, reboot and backup -> reset -> restore, a re-run that changes nothing,
and the server's secrets and files.

side_effect (molecule/course/side_effect_steps.py) acted and recorded; these tests read that
record, the controller's credential files and the server's final state.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from labroom_testlib import changed_on, observed, room_hosts, server_processes, stat, why

testinfra_hosts = room_hosts("mlflow_course_server")
SERVER, PC = "course-server", "lab-pc-31"
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."))
BASE = "/opt/mlflowserver-lab"
CA_ON_PC = "/usr/local/share/ca-certificates/labroom-mlflow-ca.crt"


def test_a_student_logs_the_handouts_run_with_only_the_two_credential_variables():
    seen = observed("students")
    logged = seen["logged"]
    # The URI came from the PC's profile (labroom.mlflow.mlflow_client), not from the client code.
    assert logged["uri"] == "https://%s" % SERVER
    assert logged["read"] is True and logged["run_id"]
    assert seen["owner_after"]["read"] is True


def test_the_pc_without_a_server_got_the_client_venv_at_the_servers_release():
    pc = observed("students")["client_pc"]
    # The course server runs the role's default release; the PC's venv has the same.
    assert pc["venv_release"] == "3.17.2", pc


def test_a_desktop_session_of_the_student_gets_the_uri_too():
    pc = observed("students")["client_pc"]
    assert "MLFLOW_TRACKING_URI=https://%s" % SERVER in pc["session_env"], pc
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH=%s" % CA_ON_PC in pc["session_env"], pc


def test_another_student_cannot_read_tag_or_delete_that_run():
    touched = observed("students")["other_student"]
    assert (touched["get"], touched["tag"], touched["delete"]) == (403, 403, 403), touched


def test_no_credentials_get_401():
    assert observed("students")["anonymous"]["status"] == 401


def test_the_admin_sees_every_students_experiment():
    assert {"alice", "bob", "carol"} <= set(observed("students")["admin_sees"]["names"])


def test_a_student_sees_only_their_own_experiment_in_the_api_and_the_ui():
    seen = observed("students")
    assert seen["student_sees"]["names"] == ["carol"]
    ui = seen["student_ui"]
    assert (ui["home"], ui["ui_search"], ui["names"]) == (200, 200, ["carol"]), ui


def test_restart_and_reboot_keep_the_run():
    seen = observed("restart_reboot")
    assert seen["after_restart"]["healthy"]["healthy"] and seen["after_restart"]["read"]["read"]
    assert seen["reboot"]["rc"] == 0
    assert seen["after_reboot"]["healthy"]["healthy"] and seen["after_reboot"]["read"]["read"]


def test_the_rooms_reset_and_an_unnamed_restore_leave_the_course_server_alone():
    seen = observed("term_end")
    for name in ("room_reset", "unnamed_restore"):
        assert seen[name]["rc"] == 0, why(seen[name])
        assert changed_on(seen[name], SERVER) == 0, why(seen[name])
    # alice's run is still there, and no archive was even taken.
    assert seen["after_room_reset"]["read"] is True, seen["after_room_reset"]
    assert seen["archives_after_room_reset"] == seen["archives"]


def test_backup_reset_restore_round_trip():
    seen = observed("term_end")
    for name in ("backup", "reset", "restore"):
        assert seen[name]["rc"] == 0, why(seen[name])
    # The named reset took an archive of its own before erasing.
    assert changed_on(seen["reset"], SERVER) >= 1, why(seen["reset"])
    assert seen["archive_mode"] == "0o600"
    # The reset erased the run (the admin, who may read every run, finds none: 404) but kept the
    # account: alice logs in and sees a new, empty experiment of her own.
    assert seen["after_reset"]["admin"]["get"] == 404, seen["after_reset"]
    assert seen["after_reset"]["alice_sees"]["names"] == ["alice"]
    assert seen["after_reset"]["alice_sees"]["runs"] == 0
    assert seen["after_restore"]["read"] is True


def test_a_student_leaves_the_roster_and_comes_back():
    seen = observed("roster_change")
    for name in ("kept", "pruned", "back"):
        assert seen[name]["rc"] == 0, why(seen[name])
    # Without prune the account stays; with it, it goes (401), and bob's experiment stays.
    assert seen["bob_after_kept"]["status"] == 200 and seen["bob_after_kept"]["names"] == ["bob"]
    # 401, or 404 ("user not found") within the auth cache's TTL (mlflow_server_auth_cache_ttl), where
    # a worker still trusts the deleted account's password but finds no such user: no access either way.
    assert seen["bob_after_prune"]["status"] in (401, 404) and seen["bob_after_prune"]["names"] == [], seen["bob_after_prune"]
    assert "bob" in seen["admin_after_prune"]["names"]
    assert changed_on(seen["pruned"], SERVER) >= 1, why(seen["pruned"])
    # The credentials file keeps the password of an account that stays (the grader's too), and
    # drops a pruned one's; prune keeps the grader.
    assert seen["file_after_kept"] == ["alice", "bob", "carol", "ta-somchai"]
    assert seen["file_after_prune"] == ["alice", "carol", "ta-somchai"]
    # Back in the roster: the account again, with the password the inventory gives, and his experiment.
    assert seen["bob_back"]["status"] == 200 and seen["bob_back"]["names"] == ["bob"], seen["bob_back"]


# --- The class's work (side_effect step "class_work") ----------------------------------------

def test_the_grader_reads_a_students_run_but_may_not_change_it():
    seen = observed("class_work")
    assert seen["grader_reads"]["read"] is True, seen["grader_reads"]
    touched = seen["grader_touches"]
    assert (touched["get"], touched["tag"], touched["delete"]) == (200, 403, 403), touched


def class_rows(collected):
    assert collected["run"]["rc"] == 0, why(collected["run"])
    return collected["files"]["runs"], {row["student"]: row for row in collected["files"]["summary"]}


def test_collect_writes_exactly_the_runs_the_students_logged():
    seen = observed("class_work")
    runs, summary = class_rows(seen["collected"])
    # After term_end's restore: alice's run of the handout's client (alpha, rmse) and carol's of
    # her credential card (lr); bob (back in the roster) has none; the grader is no student.
    assert sorted((row["student"], row["experiment"]) for row in runs) == [("alice", "alice"), ("carol", "carol")], runs
    alice = next(row for row in runs if row["student"] == "alice")
    assert (alice["run_id"], alice["param.alpha"], alice["metric.rmse"], alice["status"]) == (
        seen["alice_run"], "0.5", "0.25", "FINISHED"), alice
    carol = next(row for row in runs if row["student"] == "carol")
    assert (carol["param.lr"], carol["metric.rmse"], carol["param.alpha"]) == ("0.01", "", ""), carol
    assert sorted(summary) == ["alice", "bob", "carol"], summary
    alice = summary["alice"]
    assert (alice["runs"], alice["best"], alice["best_run_id"]) == ("1", "0.25", seen["alice_run"]), alice
    assert (summary["bob"]["runs"], summary["bob"]["best"]) == ("0", "")
    modes = seen["collected"]["modes"]
    assert modes["class-work"] == "0o700"
    assert {mode for name, mode in modes.items() if name in ("runs.csv", "summary.csv", "index.html")} == {"0o600"}, modes
    assert changed_on(seen["collected"]["run"], SERVER) == 0, why(seen["collected"]["run"])


def test_collect_copies_the_artifacts_asked_for_and_says_which_it_could_not():
    seen = observed("class_work")
    logged = seen["alice_run"]
    copied = seen["collected"]["artifacts"]
    # alice's notes.txt, byte for byte as her client logged it; carol's run has none.
    assert sorted(copied) == ["artifacts/alice/%s/notes.txt" % logged], copied
    assert copied["artifacts/alice/%s/notes.txt" % logged] == seen["alice_content"], copied
    modes = seen["collected"]["modes"]
    below = {name: mode for name, mode in modes.items() if name.startswith("artifacts")}
    assert {mode for name, mode in below.items() if name in copied} == {"0o600"}, below
    assert {mode for name, mode in below.items() if name not in copied} == {"0o700"}, below
    (said,) = seen["collected"]["not_copied"]
    assert "alice, run %s on %s: model/MLmodel not copied, the run has no such file" % (logged, SERVER) in said, said
    assert any(line.startswith("carol, run ") and "notes.txt not copied" in line for line in said), said


def test_after_the_deadline_nothing_more_is_logged_and_collect_reads_the_same_work():
    seen = observed("class_work")
    assert seen["freeze"]["rc"] == 0 and changed_on(seen["freeze"], SERVER) >= 1, why(seen["freeze"])
    assert seen["frozen"]["alice_logs"]["create"] == 403, seen["frozen"]
    assert seen["frozen"]["alice_reads"]["read"] is True
    assert class_rows(seen["frozen"]["collected"]) == class_rows(seen["collected"])
    assert seen["unfreeze"]["rc"] == 0, why(seen["unfreeze"])
    assert seen["open"]["alice_logs"]["create"] == 200, seen["open"]


def test_the_class_page_opens_in_a_browser_offline():
    page = observed("class_work")["page"]
    browser = page["browser"]
    assert browser.get("title", "").startswith("Class work"), browser
    assert "alice" in browser["text"] and "Best rmse per student" in browser["text"], browser
    assert browser["screenshot_bytes"] > 10000 and page["screenshots"], page


def test_a_last_run_of_site_changes_nothing():
    run = observed("rerun")["run"]
    assert run["rc"] == 0, why(run)
    assert changed_on(run, SERVER) == 0 and changed_on(run, PC) == 0, why(run)


def test_the_credentials_stay_with_the_instructor():
    folder = EPHEMERAL / "credentials"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    for name in ("%s.csv" % SERVER, "%s.html" % SERVER):
        assert oct((folder / name).stat().st_mode & 0o777) == "0o600", name
    with open(folder / ("%s.csv" % SERVER), newline="") as handle:
        rows = {row["username"]: row for row in csv.DictReader(handle)}
    # The students and the grader (mlflow_server_graders), who has no card.
    assert sorted(rows) == ["alice", "bob", "carol", "ta-somchai"]
    # bob's password is the inventory's; the others were generated, 16 characters.
    assert rows["bob"]["password"] == "bob-chose-this-one"
    assert len(rows["alice"]["password"]) == 16 and rows["alice"]["password"] != rows["carol"]["password"]
    assert len(rows["ta-somchai"]["password"]) == 16
    assert oct((folder / ("%s.th.html" % SERVER)).stat().st_mode & 0o777) == "0o600"
    for name in ("%s.html" % SERVER, "%s.th.html" % SERVER):
        sheet = (folder / name).read_text()
        # Each card teaches the credentials file; no password goes to a notebook or the history.
        assert "mlflow_tracking_username = carol" in sheet and rows["carol"]["password"] in sheet, name
        assert "%env" not in sheet and "export MLFLOW_TRACKING_PASSWORD" not in sheet, name
        assert "ta-somchai" not in sheet and rows["ta-somchai"]["password"] not in sheet, name


def test_a_student_who_follows_the_sheet_logs_with_the_credentials_file_alone():
    done = observed("students")["from_the_sheet"]
    assert (done["wrote"], done["rc"]) == (0, 0), done
    # The folder and the file are the student's alone.
    assert done["modes"] == ["700 student", "600 student"], done
    assert done["run_id"] and done["admin_reads"]["get"] == 200, done


def test_the_room_report_lists_the_course_server_with_its_accounts_and_certificate():
    report = json.loads((EPHEMERAL / "reports" / "room-report.json").read_text())
    row = {r["host"]: r for r in report["hosts"]}[SERVER]
    assert (row["status"], row["role"], row["users"]) == ("healthy", "course", 3), row
    assert (row["url"], row["tls"], row["warning"]) == ("https://%s" % SERVER, "own_ca", ""), row
    # The renewal step gave it 800 days; the last run (365 days, renewal at 30) kept it.
    assert 790 <= row["cert_days"] <= 800, row


# --- The HTTPS front (side_effect step "front" and "renewal") ---------------------------------

def test_plain_http_only_redirects_to_https_even_with_a_password():
    assert observed("front")["plain_http"] == "301 https://%s/api/2.0/mlflow/experiments/search" % SERVER


def test_mlflow_listens_on_the_loopback_only_and_the_front_on_the_network():
    seen = observed("front")
    # curl's exit 7: the connection was refused.
    assert seen["mlflow_port_from_pc"] == {"rc": 7, "code": "000"}, seen
    assert seen["mlflow_port_on_loopback"] == "OK"
    assert seen["mlflow_listens"] == ["127.0.0.1:8080"], seen
    assert {"0.0.0.0:80", "0.0.0.0:443"} <= set(seen["front_listens"]), seen


def test_the_pc_trusts_the_course_ca_and_a_client_without_it_is_refused():
    seen = observed("front")
    assert seen["curl_https"] == "OK", seen
    assert seen["client_with_ca"]["ok"] is True and seen["client_with_ca"]["cert_path"] == CA_ON_PC, seen
    refused = seen["client_without_ca"]
    assert refused["ok"] is False and refused["cert_path"] == "", refused
    assert "CERTIFICATE_VERIFY_FAILED" in refused["error"], refused


def test_the_students_chromium_opens_the_ui_by_name_without_a_certificate_error():
    seen = observed("front")["browser"]
    student = seen["student"]
    # The UI's home page, signed in as carol, lists her own experiment (the UI's own requests
    # went through the front too); the screenshot is kept.
    assert student.get("title") == "Home - MLflow" and student["url"] == "https://%s/" % SERVER, student
    assert "Recent Experiments" in student["text"] and "\ncarol\n" in student["text"], student
    assert student["screenshot_bytes"] > 10000 and seen["screenshots"], seen
    # Root's Chromium does not have the course's CA: Chromium's own certificate error page.
    assert seen["root"].get("title") == "Privacy error", seen["root"]


def test_a_certificate_near_its_end_is_renewed_restarting_the_front_only():
    seen = observed("renewal")
    assert seen["renewed"]["rc"] == 0, seen["renewed"]["tail"]
    assert seen["renewed"]["changed"][SERVER] >= 1, seen["renewed"]
    assert seen["after"]["certificate"]["serial"] != seen["before"]["certificate"]["serial"], seen
    assert seen["after"]["certificate"]["not_after"] > seen["before"]["certificate"]["not_after"], seen
    assert seen["after"]["pids"]["mlflow"] == seen["before"]["pids"]["mlflow"], seen
    assert seen["after"]["pids"]["nginx"] != seen["before"]["pids"]["nginx"], seen
    # The students still read their runs through it (renewed once only: the last run of site.yml
    # changes nothing and keeps this certificate, test_the_room_report_lists_...).
    assert seen["read_after"]["read"] is True


def test_a_verbose_run_prints_no_password_and_no_key():
    seen = observed("renewal")
    # The admin's, three students', PostgreSQL's, the Flask key, and the lines of both keys.
    assert seen["secrets_checked"] >= 10, seen
    assert seen["leaked"] == [], seen["leaked"]


def test_the_keys_stay_where_they_belong(host):
    folder = EPHEMERAL / "credentials"
    for name in ("ca.key", "ca.crt"):
        assert oct((folder / name).stat().st_mode & 0o777) == "0o600", name
    found = stat(host, BASE + "/tls", BASE + "/tls/server.key", BASE + "/tls/server.crt")
    assert found[BASE + "/tls"] == {"user": "root", "group": "root", "mode": 0o700, "type": "directory"}
    assert (found[BASE + "/tls/server.key"]["user"], found[BASE + "/tls/server.key"]["mode"]) == ("root", 0o600)
    # The CA's key never leaves the controller.
    assert not host.file(BASE + "/tls/ca.key").exists
    assert host.service("nginx").is_enabled and host.service("nginx").is_running


def test_secrets_are_root_only(host):
    found = stat(host, BASE + "/secrets", BASE + "/secrets/flask-secret-key", BASE + "/secrets/postgresql-password",
                 BASE + "/secrets/mlflow-server.env", BASE + "/basic_auth.ini")
    assert found[BASE + "/secrets"] == {"user": "root", "group": "root", "mode": 0o700, "type": "directory"}
    for name in ("flask-secret-key", "postgresql-password", "mlflow-server.env"):
        assert (found[BASE + "/secrets/" + name]["user"], found[BASE + "/secrets/" + name]["mode"]) == ("root", 0o600), name
    # The auth app's configuration holds no secret: the service account reads it.
    assert (found[BASE + "/basic_auth.ini"]["group"], found[BASE + "/basic_auth.ini"]["mode"]) == ("mlflow", 0o640)


def test_the_server_runs_as_its_own_account(host, conf):
    state, _users = server_processes(host, conf)
    assert state == "enabled/active"
    # Every process of the venv (the server, uvicorn, its 4 workers) is the service account's.
    owners = host.run("ps -e -o user=,args= | grep '[m]lflowserver-lab/.venv'").stdout.split("\n")
    users = [line.split()[0] for line in owners if line.strip()]
    assert len(users) >= 5 and set(users) == {"mlflow"}, owners


@pytest.mark.parametrize("where", ["/etc/systemd/system/mlflow-server.service", BASE + "/basic_auth.ini"])
def test_no_password_in_any_file_the_service_account_or_others_read(host, where):
    text = host.file(where).content_string
    secret = host.file(BASE + "/secrets/postgresql-password").content_string.strip()
    assert secret and secret not in text
    assert "molecule-admin-Pa" not in text


def test_postgresql_serves_only_this_host_with_the_sized_connection_limit(host):
    listening = host.run("ss -ltnH 'sport = :5432'").stdout
    assert listening and all(addr.startswith(("127.0.0.1:", "[::1]:")) for addr in
                             [line.split()[3] for line in listening.splitlines()]), listening
    limit = host.run("runuser -u postgres -- psql -Atc 'show max_connections'").stdout.strip()
    # 4 workers x 2 engines (tracking, auth) x (15 + 5) + 20.
    assert limit == "180"
