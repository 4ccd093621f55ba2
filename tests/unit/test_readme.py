"""README.md is the instructor's page: short, in a fixed order, with an operator table whose
commands are run as written, and links (there and in docs/) that lead somewhere.

Pure Python: reads the files, runs no playbook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from operator_table import operator_table

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The same page in Thai (the handout's language), with the same commands.
THAI = ROOT / "README.th.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_BYTES = 12288
PREFIX = "ansible-playbook -i inventory/lab-room.yml "

SECTIONS = [
    "Before you start",
    "Set up the room",
    "What students type",
    "A course server",
    "The operator table",
    "Tests",
    "More",
]

# (first words of the task, the commands exactly as a Molecule scenario runs them)
OPERATOR_ROWS = [
    ("whole room", [PREFIX + "site.yml"]),
    ("one PC", [PREFIX + "site.yml --limit lab-pc-07"]),
    ("report only", [PREFIX + "playbooks/status.yml"]),
    ("backup", [PREFIX + "playbooks/backup.yml"]),
    ("reset one PC", [PREFIX + "playbooks/reset.yml --limit lab-pc-07 -e mlflow_server_reset_confirm=lab-pc-07"]),
    ("reset the whole room", [PREFIX + "playbooks/reset.yml -e \"mlflow_server_reset_confirm='all hosts'\""]),
    ("restore one PC", [PREFIX + "playbooks/restore.yml --limit lab-pc-07 "
                        "-e mlflow_server_restore_archive=backups/lab-pc-07/lab-pc-07-20261127T091500Z.tar.gz"]),
    # The release to type is the new one, never the default the inventory already has.
    ("upgrade MLflow", [PREFIX + "site.yml -e mlflow_server_version=<new release>"]),
    ("stop / start", [PREFIX + "site.yml --limit lab_room -e mlflow_server_state=stopped", PREFIX + "site.yml --limit lab_room"]),
    ("add a PC", [PREFIX + "site.yml --limit lab-pc-31"]),
    ("collect the class's work", [PREFIX + "playbooks/collect.yml -e mlflow_collect_metric=accuracy"]),
    ("deadline", [PREFIX + "playbooks/freeze.yml", PREFIX + "playbooks/freeze.yml -e mlflow_server_frozen=false"]),
]

_FENCE = re.compile(r"^(\s*)```.*?^\1```[^\n]*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def readme():
    return README.read_text(encoding="utf-8")


def sections(text):
    """{heading: body} of the `## ` sections of a markdown text (fenced code skipped)."""
    found, heading, body = {}, None, []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if heading is not None:
                found[heading] = "\n".join(body)
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        found[heading] = "\n".join(body)
    return found


def fenced_lines(text, language=None):
    """The lines inside the fenced code blocks of `text` (only those marked `language`, when
    given), without the fences."""
    lines, in_fence, wanted = [], False, False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            wanted = in_fence and (language is None or line.strip()[3:].strip() == language)
        elif in_fence and wanted:
            lines.append(line.strip())
    return lines


def slug(heading):
    """The anchor GitHub gives a heading."""
    text = re.sub(r"\s+", " ", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(match.group(1)) for match in re.finditer(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def test_readme_fits_in_12_kib():
    size = len(README.read_bytes())
    assert size <= MAX_BYTES, "README.md is %d bytes; move reference material to docs/" % size


def test_readme_sections_come_in_order():
    headings = list(sections(readme()))
    assert [heading for heading in headings if heading in SECTIONS] == SECTIONS, headings


def test_operator_table_has_the_rows_and_exact_commands():
    rows = operator_table()
    assert len(rows) == len(OPERATOR_ROWS), [row["task"] for row in rows]
    for row, (first_words, commands) in zip(rows, OPERATOR_ROWS):
        assert row["task"].startswith(first_words), row
        assert row["commands"] == commands, row


def test_every_operator_command_uses_the_room_inventory():
    for row in operator_table():
        assert row["commands"], row
        for command in row["commands"]:
            assert command.startswith(PREFIX), command


def test_every_playbook_named_exists():
    for row in operator_table():
        for command in row["commands"]:
            playbook = command[len(PREFIX):].split()[0]
            assert playbook.endswith(".yml"), command
            assert (ROOT / playbook).is_file(), command


def test_operator_table_is_missing_from_a_page_without_it(tmp_path):
    page = tmp_path / "README.md"
    page.write_text("# A page\n\n| what | where |\n| --- | --- |\n| a | b |\n")
    with pytest.raises(ValueError):
        operator_table(page)


@pytest.mark.parametrize("page", [README, THAI, *DOCS], ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file(page):
    # Links inside code (fenced blocks, inline code) are not links.
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path_part, _hash, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(target)
    assert not broken, "%s: %s" % (page.relative_to(ROOT), broken)


def shell_commands(text):
    """The command lines of a page's shell blocks (comments and blank lines left out)."""
    commands = [line.split("  #")[0].strip() for line in fenced_lines(text, "sh")]
    return [command for command in commands if command and not command.startswith("#")]


def test_the_readme_links_the_thai_page_at_the_top():
    assert "[README.th.md](README.th.md)" in "\n".join(readme().splitlines()[:6])


def test_the_thai_page_has_every_shell_command_of_the_readme_in_order():
    commands = shell_commands(readme())
    # The SSH set-up, the numbered steps, the vault files and the course server's commands.
    assert len(commands) >= 14, commands
    assert shell_commands(THAI.read_text(encoding="utf-8")) == commands


def test_the_thai_page_has_the_operator_table_with_the_same_commands(tmp_path):
    # The Thai table's header is in Thai; with the English one, the same reader reads it.
    thai = THAI.read_text(encoding="utf-8").replace("| ต้องการ | คำสั่ง |", "| to do | command |")
    (tmp_path / "README.th.md").write_text(thai, encoding="utf-8")
    thai_rows = operator_table(tmp_path / "README.th.md")
    assert [row["commands"] for row in thai_rows] == [row["commands"] for row in operator_table()]


def test_the_thai_page_names_every_status_and_the_make_lab_hints():
    thai = THAI.read_text(encoding="utf-8")
    # The report has no status NO (an early draft's word for "not healthy").
    assert not re.search(r"\bNO\b", thai)
    for word in ("`healthy`", "`stopped`", "`failing`", "`failed`", "`unreachable`", "not checked",
                 "make venv", "ANSIBLE_BECOME_ASK_PASS=true make lab", "make lab PYTHON=python3.12",
                 "credentials/course-server.csv", "credentials/course-server.th.html", "--ask-vault-pass"):
        assert word in thai, word
