"""The roster filters: what a course server's roster may hold, and the passwords each student gets."""

from __future__ import annotations

import csv
import io

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.roster import (
    ALPHABET,
    FilterModule,
    credentials_csv,
    roster_credentials,
    roster_entries,
    roster_problems,
)

CSV = "username,full name,password\nalice,Alice A,\ncarol,Carol C,carol-secret-12\n"


def test_a_good_roster_has_no_problem_and_keeps_its_order():
    students = ["bob", {"username": "dave", "password": "dave-password-1"}]
    assert roster_problems(students, CSV) == []
    assert roster_entries(students, CSV) == [
        {"username": "bob", "password": ""}, {"username": "dave", "password": "dave-password-1"},
        {"username": "alice", "password": ""}, {"username": "carol", "password": "carol-secret-12"},
    ]


def test_a_csv_from_a_spreadsheet_is_read():
    # Excel's UTF-8 export starts with a byte order mark; column names in any case, blank lines.
    text = "\ufeffUserName,Password\r\n\r\n6410001,\r\n6410002,\r\n"
    assert [e["username"] for e in roster_entries([], text)] == ["6410001", "6410002"]


@pytest.mark.parametrize(("students", "text", "expected"), [
    ([], "name,password\nalice,\n", "has no 'username' column"),
    ([], "", "has no 'username' column"),
    (["alice", "Alice"], None, "mlflow_server_students[1]: the user name 'Alice' is already listed (mlflow_server_students[0])"),
    (["alice"], "username\nalice\n", "line 2: the user name 'alice' is already listed"),
    (["al ice"], None, "the user name 'al ice' is not one this role accepts"),
    ([""], None, "the user name '' is not one this role accepts"),
    ([{"username": "bob", "password": "short"}], None, "the password of 'bob' is shorter than 12 characters"),
    # A password the student cannot write into ~/.mlflow/credentials from the sheet.
    ([{"username": "bob", "password": "twelve-chars\u00a0nbsp"}], None,
     "the password of 'bob' holds a character that does not print"),
    ([], "username,password\nalice,tab\there-is-long\n", "line 2: the password of 'alice' holds a character that does not print"),
    ([{"username": "bob", "pasword": "x"}], None, "has pasword"),
    (["admin"], None, "'admin' is the administrator's account"),
    ("alice,bob", None, "set it to a list"),
    ([["alice"]], None, "give a user name or a {username, password} mapping"),
])
def test_each_problem_is_named(students, text, expected):
    problems = roster_problems(students, text, source="mlflow_server_roster_file class.csv")
    assert any(expected in problem for problem in problems), problems


def test_a_problem_never_shows_a_password():
    problems = roster_problems([{"username": "bob", "password": "short-pw"}])
    assert problems and not any("short-pw" in p for p in problems)


def test_entries_refuse_a_bad_roster():
    with pytest.raises(AnsibleFilterError, match="already listed"):
        roster_entries(["alice", "alice"])


def test_passwords_come_from_the_roster_then_the_credentials_file_then_are_generated():
    known = credentials_csv([{"username": "alice", "password": "alice-kept-pw-1"}, {"username": "eve", "password": "x"}])
    entries = [{"username": "alice", "password": ""}, {"username": "bob", "password": "bob-given-pw-1"},
               {"username": "carol", "password": ""}, {"username": "eve", "password": ""}]
    result = {e["username"]: e for e in roster_credentials(entries, known)}
    assert (result["alice"]["password"], result["alice"]["source"]) == ("alice-kept-pw-1", "kept")
    assert (result["bob"]["password"], result["bob"]["source"]) == ("bob-given-pw-1", "roster")
    assert result["carol"]["source"] == "generated" and len(result["carol"]["password"]) == 16
    assert set(result["carol"]["password"]) <= set(ALPHABET)
    # A password in the file that MLflow would refuse is not kept.
    assert result["eve"]["source"] == "generated"


def test_generated_passwords_differ_and_avoid_look_alike_characters():
    made = roster_credentials([{"username": "s%d" % i, "password": ""} for i in range(50)])
    passwords = [e["password"] for e in made]
    assert len(set(passwords)) == 50
    assert not set("".join(passwords)) & set("0O1lI")


def test_the_credentials_file_round_trips_commas_and_quotes():
    entries = [{"username": "bob", "password": 'a,b"c-long-password', "source": "roster"}]
    text = credentials_csv(entries, url="http://course:8080")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"username": "bob", "password": 'a,b"c-long-password', "url": "http://course:8080"}]
    assert roster_credentials([{"username": "bob", "password": ""}], text)[0]["password"] == 'a,b"c-long-password'


def test_filters_are_registered_under_their_documented_names():
    assert sorted(FilterModule().filters()) == ["credentials_csv", "roster_credentials", "roster_entries", "roster_problems"]


def test_a_student_who_left_the_roster_keeps_their_password_in_the_file_unless_pruned():
    known = credentials_csv([{"username": "alice", "password": "alice-kept-pw-1"},
                             {"username": "bob", "password": "bob-left-pw-12"}])
    entries = [{"username": "alice", "password": ""}]
    kept = roster_credentials(entries, known, keep_unlisted=True)
    assert [(e["username"], e["source"]) for e in kept] == [("alice", "kept"), ("bob", "unlisted")]
    assert kept[1]["password"] == "bob-left-pw-12"
    assert [e["username"] for e in roster_credentials(entries, known)] == ["alice"]
