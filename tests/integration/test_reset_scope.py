"""A course server holds a term's graded work. The room's reset ("all hosts") and a restore over
the whole inventory leave it out, say so, and change nothing on it; a reset or restore of a
course server needs a confirmation that names it. The lab PCs keep their confirmation.

The hosts here are this machine under other names (local connection, no become): every case
ends before the first task that would change a host, so nothing on this machine changes. The
Molecule course scenario runs the same commands against a real course server
(molecule/course/side_effect_steps.py, term_end).
"""

from __future__ import annotations

import sys

import pytest
import yaml

from playbook_run import run_playbook

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
COURSE = "course-server"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reset-scope")
    (folder / "archive.tar.gz").write_bytes(b"")
    path = folder / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {
        "mlflow_course_server": {"hosts": {COURSE: dict(LOCAL)},
                                 "vars": {"mlflow_server_backend": "postgresql", "mlflow_server_auth": "basic"}},
        # Lab PCs whose reset stops at their own confirmation check: lab-pc-07 is not named in
        # most cases; lab-pc-08 is ephemeral, which a reset refuses (it has nothing to erase).
        "lab_room": {"hosts": {"lab-pc-07": dict(LOCAL), "lab-pc-08": dict(LOCAL, mlflow_server_mode="ephemeral")}},
    }}}))
    return path


def run(inventory, playbook, *extra):
    return run_playbook(playbook, inventories=[inventory],
                        args=["-e", "ansible_become=false", "-e", "mlflow_report_dir=%s" % inventory.parent, *extra])


def messages(played, host):
    """What the debug tasks said for a host."""
    said = []
    for play in played.document.get("plays", []):
        for task in play.get("tasks", []):
            result = task.get("hosts", {}).get(host, {})
            if isinstance(result.get("msg"), str) and "Say that the course server was left out" in task["task"]["name"]:
                said.append(result["msg"])
    return said


def test_the_rooms_reset_leaves_the_course_server_out(inventory):
    played = run(inventory, "playbooks/reset.yml", "--limit", COURSE, "-e", "mlflow_server_reset_confirm='all hosts'")
    assert played.rc == 0, played.text
    assert played.stats[COURSE]["failed"] == 0 and played.changed(COURSE) == 0, played.text
    (said,) = messages(played, COURSE)
    assert "is a course server" in said and "mlflow_server_reset_confirm=%s" % COURSE in said


def test_a_course_server_is_not_reset_by_another_hosts_name(inventory):
    played = run(inventory, "playbooks/reset.yml", "--limit", COURSE, "-e", "mlflow_server_reset_confirm=lab-pc-07")
    assert played.rc != 0 and played.changed(COURSE) == 0, played.text
    (failure,) = [f for f in played.failures if f["host"] == COURSE]
    assert "Nothing was changed on %s" % COURSE in failure["msg"]
    # The hint names the host only: "all hosts" is no way to reset a course server.
    assert "-e mlflow_server_reset_confirm=%s." % COURSE in failure["msg"] and "all hosts" not in failure["msg"]


def test_without_its_name_neither_a_lab_pc_nor_the_course_server_is_reset(inventory):
    # Unconfirmed for the lab PC (no "all hosts" at all): it stops at its own check, while the
    # course server is not even asked.
    played = run(inventory, "playbooks/reset.yml", "-e", "mlflow_server_reset_confirm=someone-else")
    assert played.changed(COURSE) == 0 and played.changed("lab-pc-07") == 0, played.text
    hosts = {failure["host"] for failure in played.failures}
    assert hosts == {"lab-pc-07", "lab-pc-08", COURSE}, played.text


def test_in_one_play_all_hosts_acts_on_the_lab_pcs_and_leaves_the_course_server_out(inventory):
    # The room and the course server in one inventory, as docs/course-server.md allows: the lab
    # PC goes on with its reset (here it stops at the next check, being ephemeral: nothing of
    # this machine is touched) while the course server leaves the play, changed nothing.
    played = run(inventory, "playbooks/reset.yml", "--limit", "lab-pc-08:%s" % COURSE,
                 "-e", "mlflow_server_reset_confirm='all hosts'")
    assert played.changed(COURSE) == 0 and played.stats[COURSE]["failed"] == 0, played.text
    (said,) = messages(played, COURSE)
    assert "is a course server" in said
    (failure,) = [f for f in played.failures if f["host"] == "lab-pc-08"]
    assert "Ephemeral servers need no reset" in failure["msg"], failure


def test_a_restore_over_the_inventory_leaves_the_course_server_out(inventory):
    archive = inventory.parent / "archive.tar.gz"
    played = run(inventory, "playbooks/restore.yml", "--limit", COURSE, "-e", "mlflow_server_restore_archive=%s" % archive)
    assert played.rc == 0, played.text
    assert played.changed(COURSE) == 0, played.text
    (said,) = messages(played, COURSE)
    assert "mlflow_server_restore_confirm=%s" % COURSE in said
