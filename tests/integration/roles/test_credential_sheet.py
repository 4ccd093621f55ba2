"""The course server's credential sheets, and what a student does with a card, against a real
MLflow basic-auth server (the test environment's mlflow[auth], the release the role installs).

One ansible-playbook run includes the role's own tasks/accounts.yml (tasks_from: accounts) with
a roster CSV of hostile passwords: the accounts are made by labroom.mlflow.mlflow_accounts, the
instructor's CSV and the two sheets (<host>.html, <host>.th.html) are written as on a course
server. Then each card is used the way it tells a student to: its credentials file goes into
~/.mlflow/credentials of a temporary HOME, read back with MLflow's own reader, and its Python
lines run in a fresh Python with that HOME and no MLFLOW_TRACKING_USERNAME/PASSWORD: the run
they log must be on the server, as the student, in their experiment.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_server import basic_auth_server, rest

from playbook_run import run_command

ROOT = Path(__file__).resolve().parents[3]
ADMIN = ("admin", "admin-password-for-tests")
# MLflow takes any password of 12 characters or more. These hold every character that a shell,
# an INI file or Jinja could take for syntax; the first begins with a quote and ends with '%',
# the second begins like an INI comment. 6410004 has none in the roster: it is generated.
ROSTER = [
    ("6410001", "'%(home)s $HOME \"pa;ss\" #1 = a:b \\n\\ {{ x }} 100%"),
    ("6410002", "#; [mlflow] 50%% off `id` $(id) ${USER}"),
    ("6410003", "รหัสผ่าน ภาษาไทย 2567"),
    ("6410004", ""),
]
# In the instructor's credentials file from an earlier run, no longer in the roster: her account
# stays (no prune) but she is not on the sheets.
UNLISTED = ("zoe", "zoe-password-from-before")
LANGUAGES = {"en": "localhost.html", "th": "localhost.th.html"}
CARD = re.compile(
    r'<div class="card">\s*<h2>(?P<username>[^<]*)</h2>.*?'
    r'<tr><th>[^<]*</th><td><code>(?P<password>[^<]*)</code></td></tr>\s*'
    r'<tr><th>[^<]*</th><td><code>[^<]*</code></td></tr>\s*</table>.*?'
    r'<pre class="credentials">(?P<file>.*?)</pre>(?P<between>.*?)<pre class="python">(?P<python>.*?)</pre>',
    re.S,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with basic_auth_server(tmp_path_factory.mktemp("mlflow-basic-auth"), ADMIN) as running:
        yield running


def run_accounts(server, work, roster, known=()):
    """Run the role's tasks/accounts.yml once from `work` (tasks_from: accounts) with this roster
    ([(username, password)]) and these lines already in the instructor's CSV; return
    (the PlaybookRun, the credentials folder)."""
    folder = work / "credentials"
    folder.mkdir(mode=0o700)
    if known:
        with open(folder / "localhost.csv", "w", newline="") as handle:
            rows = [["username", "password", "url"]] + [[*line, server["url"]] for line in known]
            csv.writer(handle, lineterminator="\n").writerows(rows)
        (folder / "localhost.csv").chmod(0o600)
    with open(work / "roster.csv", "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["username", "password"], *roster])
    (work / "vars.json").write_text(json.dumps({
        "ansible_python_interpreter": sys.executable,
        "mlflow_server_auth": "basic",
        "mlflow_server_port": server["port"],
        "mlflow_server_public_url": server["url"],
        "mlflow_server_admin_password": ADMIN[1],
        "mlflow_server_roster_file": str(work / "roster.csv"),
        "mlflow_server_credentials_dir": str(folder),
    }))
    (work / "accounts.yml").write_text(
        "- name: The accounts and credential sheets of a course server\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: The role's accounts tasks\n"
        "      ansible.builtin.include_role:\n"
        "        name: labroom.mlflow.mlflow_server\n"
        "        tasks_from: accounts\n"
    )
    run = run_command(
        ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "@vars.json", "accounts.yml"],
        cwd=work, env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}, timeout=600,
    )
    return run, folder


@pytest.fixture(scope="module")
def course(server, tmp_path_factory):
    """The role's accounts tasks, run once: {"run", "dir", "passwords", "sheets": {language: text}}."""
    run, folder = run_accounts(server, tmp_path_factory.mktemp("course"), ROSTER, known=[UNLISTED])
    with open(folder / "localhost.csv", newline="") as handle:
        passwords = {row["username"]: row["password"] for row in csv.DictReader(handle)}
    sheets = {lang: (folder / name).read_text(encoding="utf-8") for lang, name in LANGUAGES.items() if (folder / name).exists()}
    return {"run": run, "dir": folder, "passwords": passwords, "sheets": sheets}


def cards(sheet):
    """Each card's username, password, credentials file text, what is between it and the Python
    lines, and the Python lines, as a student reads them."""
    found = [{key: html.unescape(value) for key, value in match.groupdict().items()} for match in CARD.finditer(sheet)]
    assert len(found) == sheet.count('<div class="card">'), "a card the test cannot read"
    return found


def mlflow_reads(text, home, monkeypatch):
    """(username, password) as MLflow 3.17.2's own reader gets them from ~/.mlflow/credentials."""
    from mlflow.utils.credentials import _read_mlflow_creds_from_file

    (home / ".mlflow").mkdir(mode=0o700, exist_ok=True)
    (home / ".mlflow" / "credentials").write_text(text, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    return _read_mlflow_creds_from_file()


def test_the_run_writes_both_sheets_for_the_instructor_only_and_prints_no_password(course):
    run = course["run"]
    assert run.rc == 0, run.text
    assert oct(course["dir"].stat().st_mode & 0o777) == "0o700"
    for name in ["localhost.csv", *LANGUAGES.values()]:
        assert oct((course["dir"] / name).stat().st_mode & 0o777) == "0o600", name
    shown = json.dumps(run.document, ensure_ascii=False) + run.other_output
    for username, password in course["passwords"].items():
        assert password not in shown, "the password of %s shows in Ansible's output" % username
    # Generated passwords for the roster's students without one; the unlisted one kept.
    assert sorted(course["passwords"]) == sorted([name for name, _pw in ROSTER] + [UNLISTED[0]])
    assert [course["passwords"][name] for name, password in ROSTER if password] == [pw for _name, pw in ROSTER if pw]
    assert course["passwords"][UNLISTED[0]] == UNLISTED[1]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_no_sheet_puts_the_password_in_the_environment(course, language):
    sheet = course["sheets"][language]
    for advice in ("%env", "export MLFLOW_TRACKING", "MLFLOW_TRACKING_PASSWORD", "os.environ", "getpass"):
        assert advice not in sheet, advice
    assert '<html lang="%s">' % language in sheet
    # The cards of the roster, in its order; the student no longer in it has none.
    assert [card["username"] for card in cards(sheet)] == [name for name, _pw in ROSTER]
    assert UNLISTED[0] not in sheet


def test_the_thai_sheet_is_in_thai_with_the_same_cards(course):
    same = ("username", "password", "file", "python")
    english, thai = ([{key: card[key] for key in same} for card in cards(course["sheets"][lang])] for lang in ("en", "th"))
    assert thai == english
    text = course["sheets"]["th"]
    for words in ("ชื่อผู้ใช้", "รหัสผ่าน", "เทอร์มินัล", "บันทึก"):
        assert words in text, words
    assert "User name" not in text and "Password" not in text


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_cards_file_reads_back_with_mlflows_reader_as_the_exact_password(course, language, tmp_path, monkeypatch):
    for card in cards(course["sheets"][language]):
        username = card["username"]
        password = course["passwords"][username]
        assert card["password"] == password, username
        assert mlflow_reads(card["file"] + "\n", tmp_path, monkeypatch) == (username, password), username
        # The card says that '%' is doubled in the file only where it is.
        assert ("%%" in card["between"]) == ("%" in password), username
        assert password not in card["python"] and "mlflow_tracking" not in card["python"]


def student_python(code, home):
    """Run `code` in a fresh Python of the test environment as a student would: HOME `home`,
    no MLflow variable of this session (no user name, password or URI)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MLFLOW_")}
    env.update(HOME=str(home), LANG="C.UTF-8", MLFLOW_DISABLE_TELEMETRY="true")
    env.pop("LC_ALL", None)
    return subprocess.run([sys.executable, "-c", code], cwd=home, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


READ_BACK = """
import json
run = mlflow.last_active_run()
got = mlflow.MlflowClient().get_run(run.info.run_id)
print(json.dumps({"run_id": run.info.run_id, "params": got.data.params, "user": got.info.user_id,
                  "experiment": mlflow.get_experiment(got.info.experiment_id).name}))
"""


@pytest.mark.parametrize(("language", "username"), [("en", "6410001"), ("en", "6410002"), ("th", "6410003"), ("th", "6410004")])
def test_a_student_logs_a_run_with_only_the_credentials_file(course, server, tmp_path, language, username):
    card = {c["username"]: c for c in cards(course["sheets"][language])}[username]
    # What the card's terminal lines make: ~/.mlflow (0700) and the file (0600), then its text.
    (tmp_path / ".mlflow").mkdir(mode=0o700)
    credentials = tmp_path / ".mlflow" / "credentials"
    credentials.touch(mode=0o600)
    credentials.write_text(card["file"] + "\n", encoding="utf-8")
    done = student_python(card["python"] + "\n" + READ_BACK, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["params"] == {"lr": "0.01"}
    assert (seen["user"], seen["experiment"]) == (username, username)
    # And the server has it, in the experiment the role made for the student.
    status, answer = rest(server["url"], "GET", "/api/2.0/mlflow/runs/get?run_id=" + seen["run_id"], auth=ADMIN)
    assert status == 200 and answer["run"]["data"]["params"] == [{"key": "lr", "value": "0.01"}], answer
    experiment_id = answer["run"]["info"]["experiment_id"]
    status, answer = rest(server["url"], "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + username, auth=ADMIN)
    assert status == 200 and answer["experiment"]["experiment_id"] == experiment_id, answer


def test_without_the_file_the_same_lines_are_refused(course, server, tmp_path):
    # The control: the server does ask for a password, so the runs above logged in with the file.
    card = cards(course["sheets"]["en"])[0]
    done = student_python(card["python"], tmp_path)
    assert done.returncode != 0
    assert "401" in done.stderr or "not authenticated" in done.stderr.lower(), done.stderr[-3000:]


def test_a_password_the_file_cannot_hold_stops_the_run_before_any_sheet(server, tmp_path):
    # A non-breaking space, as a spreadsheet may put in a cell: the server takes it, but it
    # cannot be copied from paper nor written in ~/.mlflow/credentials as it is.
    password = "no\u00a0break-space-1"
    run, folder = run_accounts(server, tmp_path, [("6410009", password)])
    assert run.rc != 0
    # The role's settings check refuses such a roster before anything changes, naming the
    # student (settings matrix: unwritable_student_password). Here, with that check bypassed,
    # reading the roster fails (the message is hidden: the task handles passwords, no_log).
    (failure,) = run.failures
    assert failure["task"].endswith("Give every student of the roster and every grader a password"), run.text
    assert password not in json.dumps(run.document, ensure_ascii=False) + run.other_output
    assert not any((folder / name).exists() for name in LANGUAGES.values())
