"""`verify` from projects to a report: which projects, which database for each, the checks, cleanup."""

from __future__ import annotations

import signal
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..pipeline.discover import excluded, project_files
from ..pipeline.options import Options
from ..pipeline.plan import plan_files
from ..config import Config
from ..errors import UsageError
from ..extract.base import MigrationUnit, NotText, display_path
from ..location import Location
from ..model import Finding, LintedFile, Project, Report
from ..report.escape import printable
from .apply import SQL_FORMATS, CannotApply, Script, script_for
from .checks import NOT_SUPPORTED as NOT_SUPPORTED_RULE, Database, Outcome, Verifier, kept
from .native import LOCKS_NOT_OBSERVED, LOCKS_OF_DDL, RUNNERS, NativeRunner, native_scripts
from .database import Scratch, SqliteDatabase, VerifyFailure
from .postgres import PostgresDatabase, PostgresServer, new_name
from .servers import server_from_url, start_cluster

_DATABASES = {"postgres": "postgres", "cockroachdb": "postgres", "sqlite": "sqlite"}


@dataclass(slots=True)
class Request:
    path: str = "."
    database_url: str | None = None
    rows: int = 3
    from_id: str | None = None
    dialect: str | None = None


@dataclass(slots=True)
class ProjectResult:
    name: str
    orm: str
    database: str  # "SQLite", "Postgres", or why it was not verified
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: str | None = None  # why the project was not verified
    notices: list[str] = field(default_factory=list)  # what could not be checked in a verified project


@dataclass(slots=True)
class VerifyReport:
    report: Report
    projects: list[ProjectResult]


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def run_verify(config: Config, request: Request) -> VerifyReport:
    from ..engine.judge import Engine

    projects = _projects(request.path, config)
    engine = Engine.create(config)
    scratch = Scratch()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    server: list[PostgresServer] = []
    results: list[ProjectResult] = []
    findings: list[Finding] = []
    linted: list[LintedFile] = []
    try:
        for project, units in projects:
            results.append(_verify_project(project, units, request, config, engine, scratch, server, findings,
                                           linted))
    except _Terminated:
        raise KeyboardInterrupt from None
    except VerifyFailure as failure:
        raise UsageError(str(failure)) from None
    except sqlite3.Error as error:
        raise UsageError(f"SQLite: {error}") from None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        try:
            scratch.close()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, previous)
    findings.sort(key=Finding.sort_key)
    report = Report(findings=findings, files=len(linted), projects=[p for p, _ in projects], linted=linted)
    return VerifyReport(report, results)


def _projects(path: str, config: Config) -> list[tuple[Project, list[MigrationUnit]]]:
    from ..detect import detect_repository, projects_for_paths

    root = Path(path)
    if not root.exists():
        raise UsageError(f"path does not exist: {path}")
    if root.is_file():
        root = root.parent
    projects = detect_repository(root).projects
    if not projects:
        from ..pipeline.discover import candidates_in

        projects = projects_for_paths(candidates_in(root))
    out = []
    for project in projects:
        files = [f for f in project_files(project) if not excluded(f, config)]
        plan = plan_files(files, config, Options(), [project])
        units = [unit for group in plan.groups.values() for unit in group]
        if units:
            out.append((project, units))
    return out


def _verify_project(project: Project, units: list[MigrationUnit], request: Request, config: Config, engine,
                    scratch: Scratch, server: list[PostgresServer], findings: list[Finding],
                    linted: list[LintedFile]) -> ProjectResult:
    from ..dialects import DISPLAY_NAMES

    name = project.root
    dialect = request.dialect or units[0].dialect or "postgres"
    kind = _DATABASES.get(dialect)
    shown = {"sqlite": "SQLite", "postgres": "Postgres"}.get(kind or "", DISPLAY_NAMES.get(dialect, dialect))
    result = ProjectResult(name, project.orm, shown)
    first = units[0].files[0]
    if project.orm not in SQL_FORMATS and project.orm not in ("alembic", "django", *RUNNERS):
        why = f"{project.orm} migrations"
        result.skipped = f"not verified: {why}, and verify does not run them yet"
        findings.append(_not_supported(engine, project, first, f"{why}: verify cannot apply them yet, so this project "
                                                                 "was not verified."))
        return result
    if kind is None:
        result.skipped = f"not verified: verify supports SQLite and Postgres, not {shown}"
        findings.append(_not_supported(engine, project, first, f"This project's migrations run on {shown}: verify "
                                                                 "supports SQLite and Postgres only, so it was not "
                                                                 "verified."))
        return result
    try:
        scripts, runner, database = _scripts(project, units, request, kind, scratch, server)
        first_checked = _first_checked(scripts, request, name)
        if database is None:
            database = SqliteDatabase.create(scratch) if kind == "sqlite" else _postgres_database(request, scratch,
                                                                                                   server)
        if runner is not None:
            _prepare(runner, database, result)
    except CannotApply as problem:
        return _skip(result, engine, project, first, problem, findings)
    predicted: dict[tuple[str, int], list[Finding]] = {}
    for finding in engine.lint_project([s.migration for s in scripts]):
        predicted.setdefault((finding.location.path, finding.location.line), []).append(finding)
    verifier = Verifier(engine, database, request.rows, predicted)
    result.outcomes = verifier.run(scripts, first_checked, _progress())
    _clear_progress()
    for outcome in result.outcomes:
        outcome.findings = kept(outcome.findings, engine, scripts)
        findings.extend(outcome.findings)
        if outcome.checked:
            linted.extend(LintedFile(path, name, project.orm) for path in outcome.script.migration.sources)
    return result


def _scripts(project: Project, units: list[MigrationUnit], request: Request, kind: str, scratch: Scratch,
             server: list[PostgresServer]) -> tuple[list[Script], NativeRunner | None, Database | None]:
    """The project's migrations ready to apply, the native tool's runner (Knex, Sequelize, TypeORM) and, for Django
    on Postgres, the database sqlmigrate already needed; CannotApply when the project cannot be verified."""
    from ..pipeline.pool import extract_unit

    if project.orm in RUNNERS:
        runner, scripts = native_scripts(project, units, [extract_unit(unit) for unit in units], scratch)
        return scripts, runner, None
    if project.orm == "alembic":
        from .alembic import alembic_scripts

        return alembic_scripts(project, units, [extract_unit(unit) for unit in units], kind), None, None
    if project.orm == "django":
        from .django import django_scripts

        migrations = [extract_unit(unit) for unit in units]
        if kind == "postgres":  # sqlmigrate renders Postgres SQL on a connection: the database, still empty
            database = _postgres_database(request, scratch, server)
            return django_scripts(project, units, migrations, kind, database.parameters()), None, database
        return django_scripts(project, units, migrations, kind), None, None
    scripts = []
    for unit in units:
        if not any(path.suffix.lower() == ".sql" for path in unit.files):
            continue  # schema.prisma beside Prisma's migrations: checked by `check`, nothing to apply
        migration = extract_unit(unit)
        if request.dialect:
            migration.dialect = request.dialect
        try:
            scripts.append(script_for(unit, migration))
        except NotText as problem:
            raise UsageError(f"verify cannot read {migration.path}: {problem}") from None
    return scripts, None, None


def _first_checked(scripts: list[Script], request: Request, name: str) -> int:
    """--from: the first migration checked; those before it are only applied."""
    if request.from_id is None:
        return 0
    matching = [i for i, script in enumerate(scripts) if script.id == request.from_id
                or script.id.startswith(request.from_id)]
    if not matching:
        raise UsageError(f"--from {request.from_id}: no migration of {name} has that id")
    return matching[0]


def _prepare(runner: NativeRunner, database: Database, result: ProjectResult) -> None:
    """The native tool must reach the database before the first migration; on Postgres, the DDL observer."""
    try:
        runner.probe(database)
    except CannotApply:
        database.drop()
        raise
    if isinstance(database, PostgresDatabase):
        runner.observing = database.observe_ddl()
        result.notices.append((LOCKS_OF_DDL if runner.observing else LOCKS_NOT_OBSERVED).format(tool=runner.tool))


def _postgres_database(request: Request, scratch: Scratch, server: list[PostgresServer]) -> PostgresDatabase:
    """A new database on the run's one server, started (or reached through --database) on first use."""
    if not server:
        server.append(server_from_url(request.database_url, scratch) if request.database_url
                      else start_cluster(scratch))
    return server[0].create_database(new_name())


def _skip(result: ProjectResult, engine, project: Project, first: Path, problem: CannotApply,
          findings: list[Finding]) -> ProjectResult:
    result.skipped = f"not verified: {printable(str(problem))}"
    findings.append(_not_supported(engine, project, first, f"{problem}: this project was not verified."))
    return result


def _not_supported(engine, project: Project, first: Path, message: str) -> Finding:
    from ..model import Migration

    location = Location(display_path(first), 1, 1, 1)
    stand_in = Migration(id=project.root, orm=project.orm, dialect=project.dialect or "", path=location.path)
    return engine._engine_finding(NOT_SUPPORTED_RULE, location, stand_in, message,
                                  "Use `migrate-guard check` for this project; verify applies SQL migrations "
                                  "(golang-migrate, goose, dbmate, Flyway, Prisma, Drizzle, plain SQL), Alembic's "
                                  "offline SQL and Django's sqlmigrate, and runs Knex, Sequelize and TypeORM "
                                  "migrations with the project's own CLI (installed in its node_modules).")


def _progress():
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, name: str) -> None:
        if total > 5:
            sys.stderr.write(f"\rverifying {done + 1}/{total} {name[:60]:<60}")
            sys.stderr.flush()

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 80 + "\r")
        sys.stderr.flush()
