# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run SQL statements in one transaction through the venv's SQLAlchemy, against SQLite or
PostgreSQL alike (a PostgreSQL password comes as PGPASSWORD in the environment):
python -c <this file> URI STATEMENT [STATEMENT ...]. Either every statement is committed, or
none.

The mlflow_server role runs it with the venv's Python (tasks/reset.yml); unit tests import it
and call run() directly.
"""

import sys


def run(uri, statements):
    """Execute statements against uri in one transaction."""
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: sql_run.py URI [STATEMENT ...]\n")
        return 2
    run(argv[1], argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
