"""Options shared by commands that lint and report."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import FAIL_LEVELS, Config, load_config
from ..model import SEVERITY_RANK, Report
from ..errors import UsageError


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "junit", "sarif", "github"), default="text",
                        help="report format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-on", choices=FAIL_LEVELS, default=None,
                        help="lowest severity that makes the exit code 1 (default: error, or fail_on in config)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: found by walking up)")
    parser.add_argument("--dialect", choices=("postgres", "mysql", "sqlite"), default=None,
                        help="SQL dialect for every migration (default: config, the project's files, or postgres)")


def config_from(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    if getattr(args, "fail_on", None):
        config.fail_on = args.fail_on
    return config


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in report.findings) else 0


def use_color(stream: object) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()  # type: ignore[attr-defined]


def emit(report: Report, fmt: str, output: str | None) -> None:
    from ..report import renderer

    if output:
        text = renderer(fmt)(report, color=False)
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {output}: {error.strerror or error}") from None
        return
    sys.stdout.write(renderer(fmt)(report, color=use_color(sys.stdout) and fmt == "text"))
