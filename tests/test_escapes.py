"""Terminal escape injection (issue 17, item 12): identifiers and file names from a migration reach every
human-readable report with their control characters, C1 controls and bidi overrides escaped; JSON keeps them exact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from migrate_guard.report.escape import printable

CLEAR_SCREEN = "\x1b[2J\x1b[H"
HOSTILE = f"evil{CLEAR_SCREEN}\r\nfake.sql:1:1: error\u202egnp.\x9b31m\x07\x7f"
UNSAFE = ("\x1b", "\r", "\u202e", "\x9b", "\x07", "\x7f")


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    assert printable(HOSTILE) == "evil\\x1b[2J\\x1b[H\\x0d\\x0afake.sql:1:1: error\\u202egnp.\\x9b31m\\x07\\x7f"
    assert printable("plain\ttext, ünïcødé 表") == "plain\ttext, ünïcødé 表"
    assert printable("\u2066x\u2069\u200f\u2028\x00") == "\\u2066x\\u2069\\u200f\\u2028\\x00"


@pytest.fixture
def hostile_project(tmp_path: Path) -> Path:
    quoted = HOSTILE.replace('"', '""')
    return write_tree(tmp_path, {
        f"migrations/1_drop{CLEAR_SCREEN}\r.up.sql": f'DROP TABLE "{quoted}";\n',
        f"migrations/1_drop{CLEAR_SCREEN}\r.down.sql": "SELECT 1;\n",
    })


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "sarif"])
def test_human_readable_reports_carry_no_raw_control_characters(hostile_project: Path, fmt: str) -> None:
    result = run_cli("check", "--format", fmt, cwd=hostile_project)
    assert result.code == 1
    shown = result.out
    if fmt == "sarif":
        shown = "\n".join(r["message"]["text"] for r in json.loads(result.out)["runs"][0]["results"])
    elif fmt == "junit":
        ElementTree.fromstring(result.out.encode())  # well-formed: XML 1.0 cannot hold an ESC at all
    assert "evil\\x1b[2J" in shown
    for character in UNSAFE:
        assert character not in shown, (fmt, character)
    if fmt == "text":  # the forged finding stays inside the real one's line
        assert not any(line.startswith("fake.sql") for line in shown.splitlines())


def test_json_keeps_the_exact_identifier(hostile_project: Path) -> None:
    findings = run_cli("check", "--format", "json", cwd=hostile_project).json()["findings"]
    drop = next(f for f in findings if f["rule"] == "drop-table")
    assert HOSTILE.replace("\r\n", "\n") in drop["message"]  # (the file is read with universal newlines)
    assert drop["path"] == f"migrations/1_drop{CLEAR_SCREEN}\r.up.sql"


def test_error_lines_are_escaped(tmp_path: Path) -> None:
    result = run_cli("check", f"missing{CLEAR_SCREEN}.sql", cwd=tmp_path)
    assert result.code == 2
    assert "\x1b" not in result.err and "missing\\x1b[2J" in result.err


def test_lifecycle_output_is_escaped_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    from migrate_guard.lifecycle.steps import err, out

    out(f"Pending: 1_drop{CLEAR_SCREEN}\nsecond line")
    err("cannot map \u202e1_x")
    captured = capsys.readouterr()
    assert captured.out == "Pending: 1_drop\\x1b[2J\\x1b[H\nsecond line\n"
    assert captured.err == "migrate-guard: cannot map \\u202e1_x\n"
