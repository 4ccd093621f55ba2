"""The scripts the mlflow_server role runs with the venv's Python (roles/mlflow_server/files):
a consistent SQLite copy, and SQL statements in one transaction."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "mlflow_server" / "files"
sys.path.insert(0, str(FILES))

import sql_run  # noqa: E402
import sqlite_backup  # noqa: E402


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "mlflow.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (run_uuid TEXT, name TEXT)")
        db.executemany("INSERT INTO runs VALUES (?, ?)", [("a", "first"), ("b", "second")])
    return path


def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT run_uuid, name FROM runs ORDER BY run_uuid").fetchall()


def test_the_copy_holds_what_the_database_holds(database, tmp_path):
    copy = tmp_path / "copy.db"
    sqlite_backup.backup(str(database), str(copy))
    assert rows(copy) == rows(database) == [("a", "first"), ("b", "second")]


def test_run_as_the_role_runs_it_the_source_is_only_read(database, tmp_path):
    copy = tmp_path / "copy.db"
    before = database.stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", (FILES / "sqlite_backup.py").read_text(), str(database), str(copy)], check=True)
    assert rows(copy) == rows(database)
    assert database.stat().st_mtime_ns == before


def test_a_missing_source_fails_and_makes_no_copy(tmp_path):
    done = subprocess.run([sys.executable, "-c", (FILES / "sqlite_backup.py").read_text(), str(tmp_path / "no.db"),
                           str(tmp_path / "copy.db")], capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "unable to open" in done.stderr
    assert not (tmp_path / "copy.db").exists()


def test_statements_run_in_one_transaction(database):
    sql_run.run("sqlite:///%s" % database, ["DELETE FROM runs WHERE run_uuid = 'a'", "UPDATE runs SET name = 'kept'"])
    assert rows(database) == [("b", "kept")]


def test_a_failing_statement_undoes_the_others(database):
    done = subprocess.run([sys.executable, "-c", (FILES / "sql_run.py").read_text(), "sqlite:///%s" % database,
                           "DELETE FROM runs", "DELETE FROM no_such_table"], capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "no_such_table" in done.stderr
    assert rows(database) == [("a", "first"), ("b", "second")]


@pytest.mark.parametrize(("script", "argv"), [(sqlite_backup, ["x"]), (sql_run, ["x"])])
def test_usage(script, argv, capsys):
    assert script.main(argv) == 2
    assert "usage" in capsys.readouterr().err
