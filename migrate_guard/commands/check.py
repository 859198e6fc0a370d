"""`migrate-guard check [PATH ...]`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import add_report_options, config_from, emit, exit_code, side_reports
from .selection import add_selection_options, apply_selection

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Report
    from ..pipeline.options import Options

EXAMPLES = """\
examples:
  migrate-guard check                              lint every migration project found here
  migrate-guard check --changed-since origin/main  only what this branch adds or changes
  migrate-guard check db/migrations --select destructive --format sarif --output report.sarif

exit codes:
  0  no finding at or above the fail level (--fail-on, default: error)
  1  at least one finding at or above the fail level
  2  usage or configuration error (unknown flag, config key or rule id, missing path)
"""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("check", help="lint migrations (all detected projects, or the given files and folders)",
                            description="Lint migrations: every detected project, or the given files and folders.",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="migration files or folders (default: detect)")
    add_report_options(parser)
    add_selection_options(parser)
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="text report: only error findings and the summary")
    parser.add_argument("--statistics", action="store_true",
                        help="text report: the number of findings per rule instead of each finding")
    parser.add_argument("--changed-since", metavar="REF", default=None,
                        help="lint only migrations added or modified since the merge base of REF and HEAD "
                             "(renames followed, deletions ignored; uncommitted changes count)")
    parser.add_argument("--no-cache", action="store_true",
                        help="parse every migration again instead of reusing cached results")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="processes that parse migrations (default: one per core when there are many)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also print on stderr how the work was done (cache hits, migrations parsed, processes)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..pipeline.options import Options

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if any(not path.strip() for path in args.paths):
        raise UsageError("an empty PATH was given (check \"\"): name a file or folder, or give none to detect")
    config = config_from(args)
    selected = apply_selection(config, args)
    options = Options(paths=args.paths, dialect=args.dialect, changed_since=args.changed_since,
                      use_cache=not args.no_cache, jobs=args.jobs)
    # A warm run served whole (pipeline/replay.py); not for --changed-since, which asks git what changed.
    replays = options.use_cache and options.changed_since is None
    report = _replayed(config, options) if replays else None
    if report is None:
        report = _run(config, options, keep_it=replays and getattr(args, "own_process", False))
    if selected is not None:  # findings the engine makes whatever the config (e.g. about ignore comments) obey it too
        report.findings = [f for f in report.findings if f.rule in selected]
    emit(report, args.format, args.output, side_reports(args),
         text_options={"quiet": args.quiet, "statistics": args.statistics})
    if args.verbose:
        stats = report.stats
        print(f"migrate-guard: {stats.get('migrations', 0)} migrations read: {stats.get('cache_hits', 0)} from the "
              f"cache, {stats.get('parsed', 0)} parsed by {stats.get('processes', 0)} process(es)"
              f"{' (cache off)' if args.no_cache else ''}; {stats.get('projects_judged_from_cache', 0)} of "
              f"{stats.get('projects', 0)} project(s) judged from the cache; {stats.get('resumed', 0)} earlier "
              "migration(s) stood for by a checkpoint of the schema they leave"
              + (f"; {stats['unneeded']} not parsed: they name no table the linted ones do" if stats.get("unneeded")
                 else ""), file=sys.stderr)
    return exit_code(report, config.fail_on)


def _replayed(config: Config, options: Options) -> Report | None:
    from ..pipeline.replay import replayed

    return replayed(config, options)


def _run(config: Config, options: Options, keep_it: bool) -> Report:
    """The whole pipeline; with `keep_it`, what it read is recorded and its Report kept for the next same run."""
    from ..pipeline.run import run_check

    if not keep_it:
        return run_check(config, options)
    from ..pipeline.replay import excluded_folders, keep, run_key
    from ..pipeline.run_reads import RECORDS, recording_run

    if not RECORDS:
        return run_check(config, options)
    key = run_key(config, options)  # what replayed() will look for: the inputs as they were before the run
    with recording_run(excluded_folders(config)) as reads:
        report = run_check(config, options, reads.known)  # what planning hashed is not read again to keep it
    keep(config, key, reads, report)
    return report
