"""Options shared by commands that lint and report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from ..config import FAIL_LEVELS, Config, load_config
from ..dialects import DATABASES, canonical
from ..model import SEVERITY_RANK, Report
from ..errors import UsageError
from ..report.terminal import use_color


# format -> flag of the extra report file it can be written to in the same run (as pytest's --junit-xml)
SIDE_REPORTS = {"junit": "--junit-xml", "sarif": "--sarif-output", "json": "--json-output",
                "markdown": "--markdown-output"}
FORMATS = ("text", "json", "junit", "sarif", "github", "markdown", "gitlab")
_SIDE_NAMES = {"junit": "JUnit XML", "markdown": "Markdown"}


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="report format (default: text; markdown for PR comments and $GITHUB_STEP_SUMMARY, "
                             "gitlab for GitLab Code Quality)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    side = parser.add_argument_group("extra report files (written beside the --format report, e.g. for CI)")
    for fmt, flag in SIDE_REPORTS.items():
        side.add_argument(flag, metavar="FILE", dest=f"side_{fmt}", default=None,
                          help=f"also write a {_SIDE_NAMES.get(fmt, fmt.upper())} report to FILE")
    parser.add_argument("--fail-on", choices=FAIL_LEVELS, default=None,
                        help="lowest severity that makes the exit code 1 (default: error, or fail_on in config)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: found by walking up)")
    add_dialect_option(parser, "SQL dialect for every migration (default: per migration from config, its file and "
                               "folder names, the project's files, its SQL, or postgres)")


def add_dialect_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--dialect", type=_dialect_argument, default=None, metavar="|".join(DATABASES),
                        help=help_text)


def _dialect_argument(value: str) -> str:
    dialect = canonical(value)
    if dialect is None:
        raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(DATABASES)})")
    return dialect


def config_from(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    _use_sql_parser(config)
    if getattr(args, "fail_on", None):
        config.fail_on = args.fail_on
    return config


def _use_sql_parser(config: Config) -> None:
    """Postgres SQL is read with the configured parser; "native" without pglast is a configuration error."""
    from ..errors import ConfigError
    from ..sql_parser import NativeParserMissing, configure, native_parser_used

    configure(config.sql_parser)
    try:
        native_parser_used()
    except NativeParserMissing as missing:
        raise ConfigError(str(missing)) from None


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in report.findings) else 0


def side_reports(args: argparse.Namespace) -> dict[str, str]:
    """format -> file for the extra report files asked for on the command line."""
    return {fmt: path for fmt in SIDE_REPORTS if (path := getattr(args, f"side_{fmt}", None))}


def _write(path: str, texts: str | Iterable[str]) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            for text in (texts,) if isinstance(texts, str) else texts:
                handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _drop_stdout() -> None:
    """What is left in stdout's buffer goes nowhere: the interpreter's flush at exit would fail again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def emit(report: Report, fmt: str, output: str | None, extra: dict[str, str] | None = None,
         text_options: dict[str, bool] | None = None) -> None:
    """The main report to stdout (or --output FILE), then each extra report file (--junit-xml FILE, ...).
    `text_options` (quiet, statistics) shape the text report only."""
    from ..report import pieces

    options = (text_options or {}) if fmt == "text" else {}
    if output:
        _write(output, pieces(fmt)(report, color=False, **options))
    else:
        try:
            for text in pieces(fmt)(report, color=use_color(sys.stdout) and fmt == "text", **options):
                sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk, a closed descriptor: one line, not a traceback
            _drop_stdout()
            raise UsageError(f"cannot write the report to standard output: {error.strerror or error}") from None
    for extra_fmt, path in (extra or {}).items():
        _write(path, pieces(extra_fmt)(report, color=False))
