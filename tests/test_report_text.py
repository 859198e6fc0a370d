"""The text report as people read it: path once, `line:col severity [rule] message`, the source with the span marked,
the hint; colours as no-color.org and force-color.org say; --quiet and --statistics. Snapshots in tests/data/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import run_cli

DATA = Path(__file__).parent / "data"
CLEANUP = (
    "SELECT 1; DROP TABLE legacy;\n"
    "ALTER TABLE users\n\tDROP COLUMN nickname;\n"
    "UPDATE accounts\nSET\n  a = 1,\n  b = 2,\n  c = 3,\n  d = 4,\n  e = 5,\n  f = 6;\n"
    'DELETE FROM "café_表\x1b[2J";\n'
)
NO_COLOR_ENV = {"NO_COLOR": "1"}
FORCED_ENV = {"NO_COLOR": "", "FORCE_COLOR": "1"}  # an empty NO_COLOR does not disable colour


def _snapshot(name: str, actual: str) -> None:
    path = DATA / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path} (UPDATE_SNAPSHOTS=1 rewrites it)"


@pytest.fixture
def cleanup(tree) -> Path:
    return tree({"db/001_cleanup.sql": CLEANUP, "db/002_empty_table.sql": "TRUNCATE audit_log;\n"})


def test_text_report_snapshot_without_colour(cleanup: Path) -> None:
    result = run_cli("check", "db", "--select", "destructive", cwd=cleanup, env=NO_COLOR_ENV)
    assert result.code == 1
    assert "\x1b" not in result.out
    _snapshot("text-report.txt", result.out)


def test_text_report_snapshot_in_colour(cleanup: Path) -> None:
    result = run_cli("check", "db", "--select", "destructive", cwd=cleanup, env=FORCED_ENV)
    assert result.code == 1
    assert "\x1b[1;31merror\x1b[0m" in result.out
    # the hostile table name is still shown escaped, colour or not
    assert "café_表\\x1b[2J" in result.out and "\x1b[2J" not in result.out
    _snapshot("text-report-color.txt", result.out.replace("\x1b", "\\e"))


def test_path_is_printed_once_per_file_and_the_span_is_marked(cleanup: Path) -> None:
    out = run_cli("check", "db", "--select", "destructive", cwd=cleanup).out
    assert out.count("db/001_cleanup.sql") == 1 and out.count("db/002_empty_table.sql") == 1
    lines = out.splitlines()
    drop = lines.index("  1 | SELECT 1; DROP TABLE legacy;")
    assert lines[drop + 1] == "    |           ^^^^^^^^^^^^^^^^^^"  # from column 11 to the end of the statement
    assert "   3 |     DROP COLUMN nickname;" not in out and "  3 |     DROP COLUMN nickname;" in out  # tab expanded
    assert "  ...\n  11 |   f = 6;" in out  # a long statement: first and last lines


def test_excerpt_skipped_for_a_folder_a_missing_file_or_a_line_past_the_end(tmp_path: Path) -> None:
    from migrate_guard.location import Location
    from migrate_guard.report.source import SourceFiles

    (tmp_path / "short.sql").write_text("DROP TABLE a;\n", encoding="utf-8")
    sources = SourceFiles()
    assert sources.excerpt(Location(str(tmp_path), 1, 1, 1)) == []  # unclaimed-migrations points at a folder
    assert sources.excerpt(Location(str(tmp_path / "gone.sql"), 1, 1, 1)) == []
    assert sources.excerpt(Location(str(tmp_path / "short.sql"), 9, 1, 9)) == []
    [line] = sources.excerpt(Location(str(tmp_path / "short.sql"), 1, 1, 1))
    assert (line.text, line.mark_start, line.mark_end) == ("DROP TABLE a;", 0, 13)


def test_quiet_shows_only_errors_and_the_summary(cleanup: Path) -> None:
    result = run_cli("check", "db", "--select", "destructive", "--quiet", cwd=cleanup)
    assert result.code == 1
    assert "[drop-table]" in result.out and "[unbounded-update]" not in result.out
    assert result.out.rstrip().endswith("2 files checked: 4 errors, 1 warning, 0 info.")


def test_statistics_counts_per_rule(cleanup: Path) -> None:
    result = run_cli("check", "db", "--select", "destructive", "--statistics", cwd=cleanup)
    assert result.out.splitlines() == [
        "1  drop-column       error", "1  drop-table        error", "1  truncate          error",
        "1  unbounded-delete  error", "1  unbounded-update  warning", "", "2 files checked: 4 errors, 1 warning, 0 info."]


def _color_decision(env: dict[str, str], tty: bool) -> bool:
    """use_color as the CLI calls it, on a real pseudo-terminal or a real pipe, in a fresh interpreter."""
    import subprocess

    code = "import sys; from migrate_guard.report.terminal import use_color; print(use_color(sys.stdout), file=sys.stderr)"
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    if tty:
        master, slave = os.openpty()
        try:
            proc = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, stdout=slave,
                                  stderr=subprocess.PIPE, text=True, timeout=60)
        finally:
            os.close(slave)
            os.close(master)
    else:
        proc = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    return proc.stderr.strip() == "True"


@pytest.mark.parametrize(("env", "tty", "expected"), [
    ({}, True, True),
    ({}, False, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),  # only a non-empty NO_COLOR disables
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": ""}, False, False),
    ({"TERM": "dumb"}, True, False),
    ({"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
])
def test_colour_follows_no_color_and_force_color(env: dict[str, str], tty: bool, expected: bool) -> None:
    assert _color_decision(env, tty) is expected


def test_output_file_is_never_coloured(cleanup: Path) -> None:
    run_cli("check", "db", "--output", "report.txt", cwd=cleanup, env=FORCED_ENV)
    assert "\x1b" not in (cleanup / "report.txt").read_text(encoding="utf-8")


def test_a_span_far_right_on_a_minified_line_is_shown_with_context(tree) -> None:
    root = tree({"db/001_min.sql": "SELECT 1;" * 120 + " DROP TABLE legacy;\n"})
    out = run_cli("check", "db", "--select", "drop-table", cwd=root).out
    lines = out.splitlines()
    source = next(line for line in lines if line.startswith("  1 | "))
    assert source.startswith("  1 | ...") and "DROP TABLE legacy;" in source and len(source) < 200
    marker = lines[lines.index(source) + 1]
    assert marker.index("^") == source.index("DROP")
