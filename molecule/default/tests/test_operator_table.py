"""The README's operator table, row by row, as the side_effect step ran it in this room with a
package cache (molecule/default/side_effect_steps.py): every command of the table was run,
exactly as written (the README's example PC and archive names aside), and did what its row
says. Then the cache host switched off, and the PCs restarted with new addresses.
"""

from __future__ import annotations

import sys

from labroom_testlib import PROJECT, changed_on, observed, room_hosts, why

sys.path.insert(0, str(PROJECT / "tests/support"))
from operator_table import operator_table  # noqa: E402

LAB_PCS = sorted(room_hosts())
(CACHE,) = room_hosts("mlflow_package_cache")


def ran(key, index=0):
    return observed("operator_table")["ran"][key][index]


def statuses(result):
    return {host: row["status"] for host, row in result["rows"].items()}


def test_every_command_of_the_readme_table_was_run_as_written():
    seen = observed("operator_table")
    written = [command for row in operator_table() for command in row["commands"]]
    run = [result["readme"] for results in seen["ran"].values() for result in results]
    assert sorted(run) == sorted(written)
    for results in seen["ran"].values():
        for result in results:
            # Only the README's example names were replaced.
            typed = result["readme"]
            for example, actual in result["names"].items():
                typed = typed.replace(example, actual)
            assert result["typed"] == typed
            assert set(result["names"]) <= {"lab-pc-07", "<new release>",
                                            "backups/%s/%s-20261127T091500Z.tar.gz" % ((seen["pc"],) * 2)}


def test_whole_room_checks_every_pc_and_the_cache_and_changes_nothing():
    # This scenario's idempotence check (its test_sequence has no Molecule idempotence step):
    # the README's command, run after converge, changes nothing on any host.
    result = ran("whole room")
    assert result["run"]["rc"] == 0, why(result["run"])
    assert statuses(result) == {**{pc: "healthy" for pc in LAB_PCS}, CACHE: "healthy"}
    assert result["rows"][CACHE]["mode"] == "cache" and result["rows"][CACHE]["version"], result["rows"][CACHE]
    assert result["run"]["changes"] == [], why(result["run"])
    assert set(result["run"]["stats"]) == set(LAB_PCS) | {CACHE}


def test_one_pc_and_report_only():
    one, report = ran("one PC"), ran("report only")
    pc = observed("operator_table")["pc"]
    assert one["run"]["rc"] == 0 and statuses(one) == {pc: "healthy"}, why(one["run"])
    assert report["run"]["rc"] == 0, why(report["run"])
    assert statuses(report) == {**{p: "healthy" for p in LAB_PCS}, CACHE: "healthy"}
    assert report["run"]["stats"].keys() <= set(LAB_PCS) | {CACHE}
    assert report["run"]["changes"] == [], why(report["run"])


def test_backup_reset_restore_carry_a_students_run():
    seen = observed("operator_table")
    backup, reset, restore = ran("backup"), ran("reset one PC"), ran("restore one PC")
    for result in (backup, reset, restore):
        assert result["run"]["rc"] == 0, why(result["run"])
    # One archive per PC, on the controller, below the directory the command ran in.
    assert {pc: len(found) for pc, found in seen["archives"].items()} == {pc: 1 for pc in LAB_PCS}
    assert seen["exists_after_reset"] == {"exists": False}
    assert seen["exists_after_restore"] == {"exists": True}
    assert restore["typed"].endswith(seen["archives"][seen["pc"]][0])
    # The whole room, confirmed with 'all hosts': an archive of each PC first, then the data gone.
    room = ran("reset the whole room")
    assert room["run"]["rc"] == 0, why(room["run"])
    assert seen["exists_after_room_reset"] == {"exists": False}
    assert {pc: len(found) for pc, found in seen["archives_after_room_reset"].items()} == {
        pc: len(seen["archives"][pc]) + (2 if pc == seen["pc"] else 1) for pc in LAB_PCS}


def test_upgrade_to_the_installed_release_changes_nothing():
    result = ran("upgrade MLflow")
    assert result["run"]["rc"] == 0, why(result["run"])
    assert all(changed_on(result["run"], pc) == 0 for pc in LAB_PCS), why(result["run"])
    assert {result["rows"][pc]["version"] for pc in LAB_PCS} == {"3.17.2"}


def test_stop_then_start():
    seen = observed("operator_table")
    stop, start = ran("stop / start the servers", 0), ran("stop / start the servers", 1)
    assert stop["run"]["rc"] == 0, why(stop["run"])
    assert {pc: stop["rows"][pc]["status"] for pc in LAB_PCS} == {pc: "stopped" for pc in LAB_PCS}
    assert seen["health_when_stopped"].startswith("no answer"), seen["health_when_stopped"]
    assert start["run"]["rc"] == 0, why(start["run"])
    assert {pc: start["rows"][pc]["status"] for pc in LAB_PCS} == {pc: "healthy" for pc in LAB_PCS}


def test_a_pc_added_to_the_inventory_is_provisioned_from_the_cache():
    seen = observed("operator_table")
    result, added = ran("add a PC"), seen["added"]
    assert result["run"]["rc"] == 0, why(result["run"])
    assert statuses(result) == {seen["added_pc"]: "healthy"}
    assert added["health"] == "OK", added
    # It installed through the cache: no fallback, and the cache served it files.
    assert not result["said_fallback"], why(result["run"])
    assert added["files_served_by_the_cache"] > 0, added


def test_a_pc_added_while_the_cache_is_off_installs_from_upstream():
    added = observed("cache_off")["added_while_off"]
    row = added["row"]
    # --limit lab-pc-32 leaves the cache host out of the run: the PC alone decides, and is healthy.
    assert row["run"]["rc"] == 0, why(row["run"])
    assert row["said_fallback"], why(row["run"])
    assert statuses(row) == {added["host"]: "healthy"}, why(row["run"])
    assert added["health"] == "OK", added


def test_one_broken_pc_alone_fails_with_its_reason():
    seen = observed("one_pc_broken")
    assert seen["run"]["rc"] != 0, why(seen["run"])
    (row,) = seen["rows"].values()
    assert (row["host"], row["status"]) == (seen["host"], "failed"), row
    assert "mlflow_server_workers is '0'" in row["error"], row
    assert changed_on(seen["run"], seen["host"]) == 0, why(seen["run"])


def test_with_the_cache_switched_off_the_room_is_still_checked_and_reported():
    seen = observed("cache_off")
    assert seen["podman_stop_rc"] == 0
    assert seen["report"] is not None, why(seen["run"])
    assert {pc: seen["rows"][pc]["status"] for pc in LAB_PCS} == {pc: "healthy" for pc in LAB_PCS}
    cache = seen["rows"][CACHE]
    assert cache["role"] == "cache" and cache["status"] == "unreachable", cache
    assert cache["error"], cache
    assert seen["report"]["hosts_not_healthy"] == [CACHE]
    # The cache is not healthy, so the run says so; the PCs changed nothing.
    assert seen["run"]["rc"] != 0, why(seen["run"])
    assert all(changed_on(seen["run"], pc) == 0 for pc in LAB_PCS), why(seen["run"])


def test_after_a_restart_with_new_addresses_each_pc_answers_and_nothing_changes():
    seen = observed("new_addresses")
    for pc, host in seen["hosts"].items():
        assert host["reboot"]["rc"] == 0 and host["healthy"]["healthy"], host
        assert host["after"] and set(host["after"]) != set(host["before"]), host
        for answer in host["by_new_address"]:
            assert (answer["status"], answer["body"]) == (200, "OK"), (pc, answer)
    assert seen["run"]["rc"] == 0, why(seen["run"])
    assert statuses(seen) == {**{pc: "healthy" for pc in LAB_PCS}, CACHE: "healthy"}
    assert all(changed_on(seen["run"], pc) == 0 for pc in LAB_PCS), why(seen["run"])


def test_drift_on_one_pc_is_put_back_and_counted_as_a_change():
    seen = observed("drift")
    pc = seen["pc"]
    assert seen["edit_rc"] == 0, seen["edit_output"]
    repair, again = seen["repair"], seen["again"]
    assert repair["run"]["rc"] == 0, why(repair["run"])
    changed_tasks = {change["task"] for change in repair["run"]["changes"] if change["host"] == pc}
    assert any("service definition" in task for task in changed_tasks), why(repair["run"])
    assert any("Install the packages" in task for task in changed_tasks), why(repair["run"])
    assert set(repair["run"]["stats"]) == {pc}, why(repair["run"])
    assert seen["unit_edited_after"] == "0" and seen["imports_after"] == "yes", seen
    assert statuses(repair) == {pc: "healthy"}
    # The repaired PC is recorded as converged again: the next run changes nothing anywhere.
    assert again["run"]["rc"] == 0 and again["run"]["changes"] == [], why(again["run"])


# --- The class's work (collect.yml, operator table row; a PC switched off in new_addresses) ---
COLLECT = "collect the class's work"


def test_collect_writes_exactly_the_runs_the_students_logged_and_changes_nothing():
    result, work = ran(COLLECT), observed("operator_table")["class"]
    assert result["run"]["rc"] == 0, why(result["run"])
    assert all(changed_on(result["run"], pc) == 0 for pc in LAB_PCS), why(result["run"])
    runs = {row["run_id"]: row for row in work["files"]["runs"]}
    # Every run once, no other (the whole room was reset earlier in the table), field by field.
    assert sorted(runs) == sorted(logged["run_id"] for logged in work["logged"]), work["files"]["runs"]
    for logged in work["logged"]:
        row = runs[logged["run_id"]]
        # No seat map: the student is the PC's inventory name.
        assert (row["student"], row["host"], row["experiment"], row["run_name"], row["status"]) == (
            logged["host"], logged["host"], "handout", logged["run_name"], "FINISHED"), row
        assert row["param.alpha"] == logged["params"]["alpha"], row
        # The last value logged of the metric (the first PC's runs logged two steps).
        assert float(row["metric.accuracy"]) == logged["metrics"]["accuracy"], row
        assert row["start_time"] and row["end_time"] >= row["start_time"], row
    summary = {row["student"]: row for row in work["files"]["summary"]}
    assert sorted(summary) == LAB_PCS, summary
    for pc in LAB_PCS:
        mine = [logged for logged in work["logged"] if logged["host"] == pc]
        best = max(mine, key=lambda logged: logged["metrics"]["accuracy"])
        row = summary[pc]
        assert (row["runs"], row["finished"], row["failed"], row["problem"]) == (str(len(mine)), str(len(mine)), "0", ""), row
        assert (float(row["best"]), row["best_run_id"]) == (best["metrics"]["accuracy"], best["run_id"]), row
    assert work["modes"]["class-work"] == "0o700", work["modes"]
    assert {mode for name, mode in work["modes"].items() if name != "class-work"} == {"0o600"}, work["modes"]
    assert sorted(name for name in work["modes"] if name != "class-work") == ["index.html", "runs.csv", "summary.csv"]


def test_the_class_page_opens_offline_in_a_browser():
    page = observed("operator_table")["class"]["page"]
    assert page["install_rc"] == 0, page["install_output"]
    browser = page["browser"]
    assert "error" not in browser, browser
    assert browser["url"] == "file:///tmp/class-work.html", browser
    for pc in LAB_PCS:
        assert pc in browser["text"], browser
    assert "second-try" in browser["text"] and "0.87" in browser["text"], browser
    assert browser["screenshot_bytes"] > 10000, browser


def test_collect_with_a_pc_switched_off_gives_its_row_and_fails_at_the_end():
    seen = observed("new_addresses")["collect_pc_off"]
    off = seen["pc"]
    assert seen["podman_stop_rc"] == 0
    assert seen["run"]["rc"] != 0, why(seen["run"])
    summary = {row["host"]: row for row in seen["files"]["summary"]}
    assert sorted(summary) == LAB_PCS, summary
    assert summary[off]["problem"] and summary[off]["runs"] == "", summary[off]
    # The other PC is collected all the same.
    for pc in LAB_PCS:
        if pc != off:
            assert summary[pc]["problem"] == "" and int(summary[pc]["runs"]) > 0, summary[pc]
    assert {row["host"] for row in seen["files"]["runs"]} == set(LAB_PCS) - {off}
    assert all(changed_on(seen["run"], pc) == 0 for pc in LAB_PCS if pc != off), why(seen["run"])


def test_the_deadline_rows_act_on_course_servers_only():
    # This room has no course server: both rows touch no lab PC and succeed (the course
    # scenario freezes and reopens a course server).
    for index in (0, 1):
        result = ran("deadline: freeze / reopen the course server's experiments", index)
        assert result["run"]["rc"] == 0, why(result["run"])
        assert not set(result["run"]["stats"]) & set(LAB_PCS), why(result["run"])
