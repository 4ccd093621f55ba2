"""mlflow_credentials_file: a student's ~/.mlflow/credentials, read back the way MLflow 3.17.2
reads it (mlflow/utils/credentials.py, _read_mlflow_creds_from_file: a default
configparser.ConfigParser, section [mlflow]); tests/integration/roles/test_credential_sheet.py
runs MLflow's own client on it against a real server."""

from __future__ import annotations

import configparser

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.mlflow_credentials import (
    FilterModule,
    mlflow_credentials_file,
    mlflow_credentials_problems,
)


def read_back(text):
    """(username, password) as MLflow's reader gets them from this file text."""
    parser = configparser.ConfigParser()
    parser.read_string(text)
    section = parser["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


HOSTILE = [
    "plain-password-16",
    "100% sure, 50%% off",
    "%(home)s is not a reference",
    "ends with a percent %",
    "'starts with a quote",
    '"double quoted"',
    "it's $HOME and ${USER} `id` $(id)",
    "back\\slash \\n not a newline\\",
    "# not a comment here",
    "; nor this one ;",
    "key = value: colon=equals",
    "[mlflow] not a section",
    "inner   spaces   kept",
    "รหัสผ่านภาษาไทย 2567",
    "émoji ☕ and ü",
]


@pytest.mark.parametrize("password", HOSTILE)
def test_every_password_reads_back_exactly(password):
    text = mlflow_credentials_file({"username": "6410001", "password": password, "source": "roster"})
    assert read_back(text) == ("6410001", password)


def test_the_file_is_three_lines_with_percent_doubled():
    text = mlflow_credentials_file({"username": "alice@uni.ac.th", "password": "50% of 'x' #1"})
    assert text == (
        "[mlflow]\n"
        "mlflow_tracking_username = alice@uni.ac.th\n"
        "mlflow_tracking_password = 50%% of 'x' #1\n"
    )


def test_without_escaping_the_reader_would_fail_or_change_the_password():
    # Why the filter doubles '%': the plain text is not read back (here it raises).
    plain = "[mlflow]\nmlflow_tracking_username = bob\nmlflow_tracking_password = 100%(x)s sure\n"
    with pytest.raises(configparser.Error):
        read_back(plain)
    assert read_back(mlflow_credentials_file({"username": "bob", "password": "100%(x)s sure"}))[1] == "100%(x)s sure"


@pytest.mark.parametrize(("password", "expected"), [
    (" leading-space-pw", "begins or ends with a space"),
    ("trailing-space-pw ", "begins or ends with a space"),
    ("tab\tinside-password", "does not print"),
    ("line\nbreak-password", "does not print"),
    ("carriage\rreturn-pw", "does not print"),
    ("no-break\u00a0space-pw", "does not print"),
    ("zero-width\u200bspace", "does not print"),
    ("", "is empty"),
])
def test_a_password_the_file_cannot_hold_is_refused_without_showing_it(password, expected):
    with pytest.raises(AnsibleFilterError) as caught:
        mlflow_credentials_file({"username": "carol", "password": password})
    message = str(caught.value)
    assert expected in message and "'carol'" in message, message
    if password.strip():
        assert password.strip() not in message and password not in message


def test_a_user_name_the_file_cannot_hold_is_refused():
    with pytest.raises(AnsibleFilterError, match="the user name ' carol' begins or ends with a space"):
        mlflow_credentials_file({"username": " carol", "password": "carol-password-1"})


@pytest.mark.parametrize("value", [None, "alice", ["alice", "pw"], {"username": "alice"}])
def test_anything_but_a_student_mapping_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="is not a mapping with username and password"):
        mlflow_credentials_file(value)


def test_problems_name_each_student_that_does_not_fit_and_never_a_password():
    students = [
        {"username": "alice", "password": "100% fine; 'ok' #1", "source": "roster"},
        {"username": "bob", "password": "tab\there-password", "source": "roster"},
        {"username": "carol", "password": "carol-password-1", "source": "kept"},
        {"username": "dave", "password": "no-break\u00a0space", "source": "roster"},
    ]
    problems = mlflow_credentials_problems(students)
    assert len(problems) == 2, problems
    assert problems[0].startswith("the password of 'bob' holds a character that does not print")
    assert problems[1].startswith("the password of 'dave' holds a character that does not print")
    assert not any(word in " ".join(problems) for word in ("here-password", "no-break", "space\u00a0"))
    assert mlflow_credentials_problems(students[::2]) == [] and mlflow_credentials_problems(None) == []


def test_the_filters_are_registered():
    assert FilterModule().filters() == {
        "mlflow_credentials_file": mlflow_credentials_file,
        "mlflow_credentials_problems": mlflow_credentials_problems,
    }
