"""The command line as a new user meets it: no command, an empty PATH, every command's --help."""

from __future__ import annotations

import pytest

from conftest import run_cli
from migrate_guard.cli import COMMANDS


def test_no_command_is_a_short_usage_on_stderr_exit_2(tmp_path) -> None:
    result = run_cli(cwd=tmp_path)
    assert (result.code, result.out) == (2, "")
    lines = result.err.splitlines()
    assert lines[0] == "usage: migrate-guard COMMAND [OPTIONS]" and len(lines) <= 4
    assert "check, detect, rules, explain" in result.err


def test_full_help_is_still_there(tmp_path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.code == 0 and "COMMAND" in result.out and "check" in result.out


@pytest.mark.parametrize("path", ["", "  "])
def test_empty_path_is_a_usage_error(tmp_path, path: str) -> None:
    result = run_cli("check", path, cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("migrate-guard: error: an empty PATH") and len(result.err.splitlines()) == 1


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_has_a_description_and_an_example(tmp_path, command: str) -> None:
    result = run_cli(command, "--help", cwd=tmp_path)
    assert result.code == 0, result.err
    blocks = result.out.split("\n\n")
    assert blocks[0].startswith(f"usage: migrate-guard {command}")
    assert blocks[1].strip() and not blocks[1].startswith(("positional", "options")), blocks[1]  # the description
    assert f"\n  migrate-guard {command}" in result.out.split("example")[-1], result.out


def test_check_help_states_the_exit_codes(tmp_path) -> None:
    out = run_cli("check", "--help", cwd=tmp_path).out
    codes = out.split("exit codes:")[1]
    assert "  0  no finding at or above the fail level" in codes
    assert "  1  at least one finding at or above the fail level" in codes
    assert "  2  usage or configuration error" in codes


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_report_that_cannot_be_written_to_stdout_is_one_line_and_exit_2(tmp_path, fmt: str) -> None:
    """A full disk (/dev/full) is a clear message, not a traceback, and not the interpreter's complaint at exit."""
    import os
    import subprocess
    import sys

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "1_a.up.sql").write_text("DROP TABLE t;\n")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "migrate_guard", "check", "db/migrations", "--format", fmt,
                                 "--no-cache"], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2
    assert result.stderr == ("migrate-guard: error: cannot write the report to standard output: "
                             "No space left on device\n")
