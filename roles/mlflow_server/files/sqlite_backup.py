# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a SQLite database consistently while the server writes to it (SQLite's online backup
API): python -c <this file> SOURCE DESTINATION. The source is opened read only.

The mlflow_server role runs it with the venv's Python (tasks/db_copy.yml); unit tests import
it and call backup() directly.
"""

import sqlite3
import sys


def backup(source, destination):
    """Copy source into destination, page by page, in one consistent snapshot."""
    src = sqlite3.connect("file:%s?mode=ro" % source, uri=True)
    try:
        dst = sqlite3.connect(destination)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: sqlite_backup.py SOURCE DESTINATION\n")
        return 2
    backup(argv[1], argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
