"""`migrate-guard create NAME` / `run` / `rollback` / `status`: the native migration tool, behind safety gates.

The native tool does the work and its output reaches the user as it comes; the checks around it are ours.
When the native tool fails, its exit code is ours.
"""

from __future__ import annotations

import argparse

from .common import add_dialect_option, config_from


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    create = sub.add_parser("create", help="run the native migration generator, then lint what it generated")
    create.add_argument("name", metavar="NAME", help="migration name (passed to the tool as one argument)")
    create.add_argument("--app", metavar="APP", help="Django: the app to make migrations for")
    create.add_argument("--fail-on", choices=("error", "warning", "info", "never"), default=None,
                        help="lowest severity of the new migration's findings that makes the exit code 1 "
                             "(default: error, or fail_on in config)")
    _common(create)
    create.set_defaults(run=run_create)

    run = sub.add_parser("run", help="lint the pending migrations, then apply them with the native tool")
    run.add_argument("--allow-destructive", action="store_true",
                     help="apply even when a pending migration has an error-level finding")
    _unreviewed(run)
    _common(run)
    _confirm(run)
    run.set_defaults(run=run_run)

    rollback = sub.add_parser("rollback", help="revert the last applied migration with the native tool")
    rollback.add_argument("--app", metavar="APP", help="Django: revert the last migration of this app")
    rollback.add_argument("--allow-destructive", action="store_true",
                          help="revert even when the down migration destroys data")
    _unreviewed(rollback)
    _common(rollback)
    _confirm(rollback)
    rollback.set_defaults(run=run_rollback)

    status = sub.add_parser("status", help="applied and pending migrations, and schema drift where the tool can tell")
    _common(status)
    status.set_defaults(run=run_status)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="ROOT", help="the project's root folder (when several are detected)")
    parser.add_argument("--orm", metavar="ORM", help="the project's ORM id (when several are detected)")
    parser.add_argument("--migrations", metavar="DIR", action="append",
                        help="migration folder (default: detected; repeatable)")
    parser.add_argument("--datasource", metavar="FILE", help="TypeORM: the data source file passed as -d")
    parser.add_argument("--database-url", metavar="URL",
                        help="database URL for tools that take one (default: $DATABASE_URL)")
    parser.add_argument("--config", metavar="FILE", help="migrate-guard configuration file (default: found by walking up)")
    add_dialect_option(parser, "SQL dialect used to lint (default: as `check` decides it, or postgres)")


def _unreviewed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-unreviewed", action="store_true",
                        help="go on even when a migration the native tool will run could not be read and linted")


def _confirm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", metavar="ENV", help="the environment (production requires confirmation); "
                                                     "default: detected from APP_ENV, NODE_ENV, RAILS_ENV, "
                                                     "DJANGO_ENV, ... and from a database host that is not local")
    parser.add_argument("--yes", action="store_true",
                        help="confirm production without a prompt (for CI); destructive changes need "
                             "--allow-destructive as well")


def run_create(args: argparse.Namespace) -> int:
    from ..lifecycle.flows import create

    return create(args, config_from(args))


def run_run(args: argparse.Namespace) -> int:
    from ..lifecycle.flows import apply

    return apply(args, config_from(args))


def run_rollback(args: argparse.Namespace) -> int:
    from ..lifecycle.rollback import rollback

    return rollback(args, config_from(args))


def run_status(args: argparse.Namespace) -> int:
    from ..lifecycle.flows import status

    return status(args, config_from(args))

