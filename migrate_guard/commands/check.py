"""`migrate-guard check [PATH ...]`."""

from __future__ import annotations

import argparse

from .common import add_report_options, config_from, emit, exit_code


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("check", help="lint migrations (all detected projects, or the given files and folders)")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="migration files or folders (default: detect)")
    add_report_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..check import Options, run_check

    config = config_from(args)
    report = run_check(config, Options(paths=args.paths, dialect=args.dialect))
    emit(report, args.format, args.output)
    return exit_code(report, config.fail_on)
