"""Read the README's operator table: what an instructor does, and the exact commands for it.

The table is the one whose header row is `| to do | command |`. Each row gives a task (first
cell) and one or more commands (second cell), each command in backticks; several commands of
one row are separated by `<br>`.

    from operator_table import operator_table
    for row in operator_table():
        row["task"], row["commands"]   # "one PC", ["ansible-playbook -i inventory/lab-room.yml site.yml --limit lab-pc-07"]

Plain Python (no pytest), importable with tests/support on sys.path.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

HEADER = ("to do", "command")
_CODE = re.compile(r"`([^`]+)`")
_DELIMITER_CELL = re.compile(r"^:?-{3,}:?$")


def _cells(line):
    """The cells of one markdown table row. A `|` inside backticks or escaped as `\\|` does
    not end a cell."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, current, in_code = [], [], False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and line[index + 1] == "|":
            current.append("|")
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    cells.append("".join(current).strip())
    return cells


def operator_table(readme_path=None):
    """The rows of the operator table in the README (README.md of this checkout by default):
    [{"task": <first cell text>, "commands": [<each backticked command of the second cell>]}].

    Raises ValueError when the README has no table with the header `| to do | command |`.
    """
    lines = Path(readme_path or README).read_text(encoding="utf-8").splitlines()
    for start, line in enumerate(lines):
        if line.strip().startswith("|") and tuple(cell.lower() for cell in _cells(line)) == HEADER:
            break
    else:
        raise ValueError("%s has no operator table (a table with the header | to do | command |)" % (readme_path or README))

    rows = []
    for line in lines[start + 1:]:
        if not line.strip().startswith("|"):
            break
        cells = _cells(line)
        if all(_DELIMITER_CELL.match(cell) for cell in cells):
            continue
        if len(cells) != 2:
            raise ValueError("operator table row without exactly two cells: %r" % line)
        task, command_cell = cells
        rows.append({"task": task, "commands": _CODE.findall(command_cell)})
    return rows


if __name__ == "__main__":
    for row in operator_table():
        print(row["task"])
        for command in row["commands"]:
            print("    " + command)
