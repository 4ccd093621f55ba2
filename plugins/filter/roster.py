"""The class roster of a course server: read, checked, given passwords, written back.

The filters are documented in roster_*.yml beside this file. They run on the controller; the
passwords they handle are never part of an error message.
"""

from __future__ import annotations

import csv
import io
import secrets
import string

from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.mlflow_credentials import value_problem
from ansible_collections.labroom.mlflow.plugins.plugin_utils.names import MLFLOW_USERNAME as USERNAME

# USERNAME: the user names this collection accepts (safe in a URL, a CSV cell, a file name
# and an experiment name), the same rule as the labroom.mlflow.mlflow_username test.
MIN_PASSWORD = 12
GENERATED_LENGTH = 16
# No look-alike characters (0/O, 1/l/I): students copy these from paper.
ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def _text(value):
    return "" if value is None else str(value).strip()


def roster_problems(students, csv_text=None, source="mlflow_server_roster_file", admin="admin",
                    variable="mlflow_server_students"):
    """Every problem of the roster (`variable`, mlflow_server_students or mlflow_server_graders,
    plus the CSV text of the roster file), one sentence each naming the variable; an empty list
    when it is good."""
    problems = []
    entries = []
    if students is None:
        students = []
    if isinstance(students, (str, bytes)) or not isinstance(students, list):
        problems.append(
            "%s is %r; set it to a list of user names or of {username, password} mappings." % (variable, students)
        )
        students = []
    for index, student in enumerate(students):
        if isinstance(student, dict):
            unknown = sorted(set(student) - {"username", "password"})
            if unknown:
                problems.append(
                    "%s[%d] has %s; an entry has only username and password." % (variable, index, ", ".join(unknown))
                )
            where = "%s[%d]" % (variable, index)
            entries.append((where, _text(student.get("username")), _text(student.get("password"))))
        elif isinstance(student, (str, int)) and not isinstance(student, bool):
            entries.append(("%s[%d]" % (variable, index), _text(student), ""))
        else:
            problems.append(
                "%s[%d] is %r; give a user name or a {username, password} mapping." % (variable, index, student)
            )
    if csv_text is not None:
        rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        header = [cell.strip().lower() for cell in rows[0]] if rows else []
        if "username" not in header:
            problems.append(
                "%s has no 'username' column (its first line is %s); the first line must name the columns, "
                "username and optionally password." % (source, ", ".join(repr(c) for c in header) or "empty")
            )
        else:
            name_at = header.index("username")
            password_at = header.index("password") if "password" in header else None
            for number, row in enumerate(rows[1:], start=2):
                name = row[name_at].strip() if name_at < len(row) else ""
                password = row[password_at].strip() if password_at is not None and password_at < len(row) else ""
                entries.append(("%s line %d" % (source, number), name, password))
    seen = {}
    for where, name, password in entries:
        if not USERNAME.match(name):
            problems.append(
                "%s: the user name %r is not one this role accepts; use 1 to 64 letters, digits, '.', '_', '@' or '-', "
                "starting with a letter or digit." % (where, name)
            )
            continue
        if name.lower() == _text(admin).lower():
            problems.append(
                "%s: %r is the administrator's account (mlflow_server_admin_username), not a student's." % (where, name)
            )
        if name.lower() in seen:
            problems.append("%s: the user name %r is already listed (%s); each student once." % (where, name, seen[name.lower()]))
        else:
            seen[name.lower()] = where
        if password and len(password) < MIN_PASSWORD:
            problems.append(
                "%s: the password of %r is shorter than %d characters, which MLflow refuses; give a longer one or "
                "leave it empty to have one generated." % (where, name, MIN_PASSWORD)
            )
        # The student copies it from the sheet into ~/.mlflow/credentials: refused here, before
        # any account is made, when that file cannot hold it.
        unwritable = value_problem(password) if password else None
        if unwritable:
            problems.append(
                "%s: the password of %r %s; give another one or leave it empty to have one generated." % (where, name, unwritable)
            )
    return problems


def roster_entries(students, csv_text=None, source="mlflow_server_roster_file", admin="admin",
                   variable="mlflow_server_students"):
    """The roster as a list of {username, password} ('' when none was given), in order."""
    problems = roster_problems(students, csv_text, source, admin, variable)
    if problems:
        raise AnsibleFilterError("roster_entries: " + " ".join(problems))
    result = []
    for student in students or []:
        if isinstance(student, dict):
            result.append({"username": _text(student.get("username")), "password": _text(student.get("password"))})
        else:
            result.append({"username": _text(student), "password": ""})
    if csv_text is not None:
        reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        for row in reader:
            name = _text(row.get("username"))
            if name:
                result.append({"username": name, "password": _text(row.get("password"))})
    return result


def _read_credentials(csv_text):
    known = {}
    if csv_text:
        reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
        for row in reader:
            name, password = _text(row.get("username")), _text(row.get("password"))
            if name and len(password) >= MIN_PASSWORD:
                known[name] = password
    return known


def roster_credentials(entries, known_csv_text=None, length=GENERATED_LENGTH, keep_unlisted=False):
    """Each student's password: the roster's own, else the one already in the credentials file
    (a re-run keeps it), else a new random one. Each entry gains 'source': roster, kept or
    generated. With keep_unlisted, the file's students who are no longer in the roster follow,
    with 'source' unlisted: their accounts stay (no prune), and so do their passwords."""
    known = _read_credentials(known_csv_text)
    listed = {entry["username"] for entry in entries or []}
    result = []
    for entry in entries or []:
        name, given = entry["username"], entry.get("password") or ""
        if given:
            password, source = given, "roster"
        elif name in known:
            password, source = known[name], "kept"
        else:
            password, source = "".join(secrets.choice(ALPHABET) for _index in range(int(length))), "generated"
        result.append({"username": name, "password": password, "source": source})
    if keep_unlisted:
        result.extend({"username": name, "password": password, "source": "unlisted"}
                      for name, password in known.items() if name not in listed)
    return result


def credentials_csv(credentials, url=""):
    """The credentials file's text: url, username, password, one student per line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", "password", "url"])
    for entry in credentials or []:
        writer.writerow([entry["username"], entry["password"], url])
    return out.getvalue()


class FilterModule:
    """labroom.mlflow roster filters."""

    def filters(self):
        return {
            "roster_problems": roster_problems,
            "roster_entries": roster_entries,
            "roster_credentials": roster_credentials,
            "credentials_csv": credentials_csv,
        }
