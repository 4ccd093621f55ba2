"""A changed setting that changes the server's command line is applied under every service
manager (the side_effect step command_line_change ran site.yml with 2 workers, then with the
inventory's settings again)."""

from labroom_testlib import changed_on, observed, room_hosts

testinfra_hosts = room_hosts()


def test_a_new_command_line_runs_after_site_yml_and_the_old_one_after_the_next(host, conf):
    seen = observed("command_line_change")
    name = conf["inventory_hostname"]
    assert seen["changed_run"]["rc"] == 0, seen["changed_run"]["text"]
    assert changed_on(seen["changed_run"], name) > 0, seen["changed_run"]["text"]
    assert seen["changed"][name]["health"]["healthy"] is True, seen["changed"][name]
    assert seen["changed"][name]["two_workers"] is True, seen["back"][name]["log"]
    assert seen["back_run"]["rc"] == 0, seen["back_run"]["text"]
    assert changed_on(seen["back_run"], name) > 0, seen["back_run"]["text"]
    assert seen["back"][name]["health"]["healthy"] is True, seen["back"][name]
    assert seen["back"][name]["one_worker"] is True, seen["back"][name]["log"]
