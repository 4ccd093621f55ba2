"""A course tier: a student's work through the front, a course host lost and back without
losing the class, the database's row in the report, a re-run that changes nothing, and the
tier's files and secrets.

side_effect (molecule/course_tier/side_effect_steps.py) acted and recorded; these tests read
that record, the controller's files and the hosts' final state.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labroom_testlib import changed_on, observed, room_hosts, stat, why

testinfra_hosts = room_hosts("mlflow_course_server")
FRONT, COURSE_A, COURSE_B, DATABASE, PC = "tier-front", "course-a", "course-b", "tier-db", "lab-pc-32"
TIER = [FRONT, COURSE_A, COURSE_B, DATABASE]
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."))
SECRETS = "/opt/mlflowserver-lab/secrets"


def test_the_student_logs_through_the_front_and_both_course_hosts_serve():
    seen = observed("through_front")
    assert seen["uri"] == "https://%s" % FRONT
    assert seen["logged"]["artifact"] is True and seen["logged"]["status"] == "FINISHED"
    assert seen["searches"] == ["200"] * len(seen["searches"])
    # Each course host's own front logged requests from the PC's session (balanced by the front).
    assert seen["served"][COURSE_A] > 0 and seen["served"][COURSE_B] > 0, seen["served"]


def test_the_artifacts_are_on_the_artifacts_host_only():
    assert observed("through_front")["artifact_files"] == {COURSE_A: 1, COURSE_B: 0}


def test_no_artifact_route_answers_without_an_account():
    seen = observed("through_front")
    assert seen["anonymous"] == {"search": "401", "artifact_download": "401", "artifact_upload": "401",
                                 "artifact_list": "401", "get_artifact": "401"}, seen["anonymous"]
    assert seen["other_student_artifact"] == "403"


def test_the_client_kept_logging_while_a_course_host_was_stopped_and_killed():
    seen = observed("failover")
    loop = seen["loop"]
    print("failover: %d runs in %s s, %d failures the client saw, slowest run %s s; front answered %s; events %s"
          % (len(loop["runs"]), loop["seconds"], len(loop["failures"]), loop["slowest"], seen["front_statuses"], seen["events"]))
    assert [event["result"] for event in seen["events"]][:2] == [0, 0], seen["events"]
    assert seen["events"][2]["result"][0] == 0, seen["events"]
    assert len(loop["runs"]) >= 20, loop
    # Goal: no failure beyond what MLflow's client retries itself.
    assert loop["failures"] == [], loop["failures"]
    # Runs were logged before, during and after the host was lost.
    assert max(run["at"] for run in loop["runs"]) > 60


def test_every_run_logged_during_the_failover_is_complete_with_its_artifact():
    seen = observed("failover")
    check = seen["check"]
    assert check["runs"] == len(seen["loop"]["runs"])
    assert check["finished"] == check["complete"] == check["artifacts"] == check["runs"], check


def test_the_lost_host_came_back_with_a_new_address_and_serves_again():
    seen = observed("failover")
    assert seen["site"]["rc"] == 0, why(seen["site"])
    assert seen["searches_after"] == ["200"] * len(seen["searches_after"])
    assert seen["course_b_served_after"] > 0


def test_the_tier_is_backed_up_reset_and_restored_as_one():
    seen = observed("term_end")
    assert seen["backup"]["rc"] == 0, why(seen["backup"])
    # One archive, by the artifacts' host: the database once and the artifacts.
    assert len(seen["archives"][COURSE_A]) == 1 and seen["archives"][COURSE_B] == [], seen["archives"]
    # course-b alone: refused before anything changed; alice's run still there.
    assert seen["reset_one_host"]["rc"] != 0
    assert "course-a is not in this run" in " ".join(f["msg"] for f in seen["reset_one_host"]["failures"])
    assert seen["after_refused_reset"]["artifact"] is True
    assert seen["reset"]["rc"] == 0, why(seen["reset"])
    assert "error" in seen["after_reset"], seen["after_reset"]
    assert seen["restore"]["rc"] == 0, why(seen["restore"])
    assert seen["after_restore"] == {"status": "FINISHED", "param": True, "metric": True, "artifact": True}
    assert seen["searches_after"] == ["200"] * len(seen["searches_after"])
    assert seen["course_b_served_after"] > 0


def test_a_stopped_database_fails_the_report_with_its_row():
    seen = observed("database_down")
    assert seen["stop"] == 0
    assert seen["status_down"]["rc"] != 0
    rows = {row["host"]: row for row in seen["report_down"]["hosts"]}
    assert rows[DATABASE]["role"] == "database"
    assert rows[DATABASE]["status"] == "failing"
    assert "PostgreSQL does not answer" in rows[DATABASE]["error"]
    assert "systemctl start postgresql" in rows[DATABASE]["error"]
    # The course hosts fail too, and the front; each row says so.
    assert rows[COURSE_A]["status"] == rows[COURSE_B]["status"] == rows[FRONT]["status"] == "failing"
    # Started again: every row healthy, exit 0.
    assert seen["status_up"]["rc"] == 0, why(seen["status_up"])
    assert {host: row["status"] for host, row in ((row["host"], row) for row in seen["report_up"]["hosts"])} == {
        FRONT: "healthy", COURSE_A: "healthy", COURSE_B: "healthy", DATABASE: "healthy"}


def test_a_rerun_changes_nothing():
    run = observed("rerun")["run"]
    assert run["rc"] == 0, why(run)
    for host in TIER + [PC]:
        assert changed_on(run, host) == 0, (host, why(run))


def test_the_tier_secrets_are_made_once_on_the_controller():
    folder = EPHEMERAL / "credentials"
    for name in ("course-tier-postgresql.password", "course-tier-flask-secret.key"):
        path = folder / name
        assert path.stat().st_mode & 0o777 == 0o600, name
        assert len(path.read_text().strip()) >= 40
    assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("path", [SECRETS + "/flask-secret-key"])
def test_every_course_host_has_the_same_flask_secret_key_root_only(host, path):
    found = stat(host, SECRETS, path)
    assert found[SECRETS]["mode"] == 0o700 and found[path]["mode"] == 0o600 and found[path]["user"] == "root"
    key = host.check_output("cat %s" % path)
    assert key == (EPHEMERAL / "credentials/course-tier-flask-secret.key").read_text().strip()


def test_mlflow_listens_on_the_loopback_only(host):
    listening = host.check_output("ss -ltnH 'sport = :8080'")
    assert "127.0.0.1:8080" in listening and "0.0.0.0:8080" not in listening


def test_the_database_lets_in_the_course_hosts_only():
    seen = observed("database_down")
    addresses = observed("failover")["addresses"]
    rules = [line.split() for line in seen["pg_hba"].splitlines()]
    network = [rule for rule in rules if rule[0].startswith("host") and not rule[3].startswith(("127.", "::1"))]
    # Only the server's role, its two databases, each course host's address of the moment, scram-sha-256.
    assert {rule[3] for rule in network} >= {addresses[COURSE_A] + "/32", addresses[COURSE_B] + "/32"}, network
    for rule in network:
        assert rule[1] in ("mlflow", "mlflow_auth") and rule[2] == "mlflow" and rule[4] == "scram-sha-256", rule
    assert addresses[FRONT] + "/32" not in {rule[3] for rule in network}
