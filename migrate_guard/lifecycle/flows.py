"""The four lifecycle commands: what each reads, checks, asks and runs, in order."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .. import ir
from ..config import Config
from ..extract.base import display_path
from ..model import SEVERITY_RANK, Finding, Migration
from ..report.escape import printable
from .describe import changes, down_destroys_data, finding_line, reversed_view, safety_lines
from .environment import Environment, backup_command, database_url_from_config, detect_environment, without_password
from .native import NativeMigration, NativeState, StatusFailed, read_state, stream, tee
from .project import Context, build_context, django_app_folders
from .review import DESTRUCTIVE_KINDS, Review, review

REFUSED = 1
LOCKING_KINDS = frozenset({
    "add_column", "drop_column", "alter_column_type", "set_not_null", "drop_not_null", "set_default", "create_index",
    "drop_index", "add_constraint", "drop_constraint", "rename_column", "rename_table", "drop_table", "truncate",
    "update", "delete", "validate_constraint",
})


def out(text: str = "") -> None:
    print("\n".join(printable(line) for line in text.split("\n")), flush=True)  # names from migrations: no escapes


def err(text: str) -> None:
    print("\n".join(printable(line) for line in f"migrate-guard: {text}".split("\n")), file=sys.stderr, flush=True)


# --- create ---------------------------------------------------------------------------------------------------


def _snapshot(context: Context) -> set[Path]:
    files: set[Path] = set()
    for folder in context.migration_dirs():
        if folder.is_dir():
            files.update(p.resolve() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def create(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    before = _snapshot(context)
    for argv in context.tool.argv("create"):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            err(f"{context.spec.executable} failed with exit code {code}")
            return code
    new_files = sorted(_snapshot(context) - before)
    migration_files = [p for p in new_files if p.suffix in (".sql", ".py", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts")]
    if not migration_files:
        out("No migration was created (the tool found no changes).")
        return 0
    reviewed = review(context, migration_files)
    out()
    out("Migration Created")
    for path in migration_files:
        out(f"  File: {display_path(path)}")
    out(f"  ORM: {context.project.orm}")
    _print_changes(reviewed)
    out("Safety check:")
    if reviewed.problem:
        out(f"  [WARN] {reviewed.problem}")
    for line in safety_lines(reviewed.migrations, reviewed.findings):
        out(f"  {line}")
    _print_findings(reviewed.findings)
    fail_on = config.fail_on
    failing = fail_on != "never" and any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in reviewed.findings)
    out()
    if reviewed.errors:
        out("Fix the errors above before applying (or apply on purpose with: migrate-guard run --allow-destructive)")
    else:
        out("Ready to apply with: migrate-guard run")
    return 1 if failing else 0


def _print_changes(reviewed: Review) -> None:
    out("Changes detected:")
    lines = [line for migration in reviewed.migrations for line in changes(migration)]
    for line in lines or ["(no schema changes)"]:
        out(f"  {line}")


def _print_findings(findings: list[Finding]) -> None:
    if findings:
        out("Findings:")
        for finding in findings:
            out(finding_line(finding))


# --- gates ----------------------------------------------------------------------------------------------------


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _production_gate(args: argparse.Namespace, environment: Environment, action: str) -> bool:
    """True when we may go on. Production always needs --yes or a typed confirmation at a terminal."""
    if not environment.production:
        return True
    out(f"Environment: production ({environment.reason})")
    if args.yes:
        return True
    if _interactive() and _ask(f"{action} in PRODUCTION?"):
        return True
    err(f"refused: {action.lower()} in production needs confirmation: re-run with --yes "
        f"(no terminal to ask at: {'yes' if not _interactive() else 'declined'}). Nothing was changed.")
    return False


def _database_url(context: Context) -> str | None:
    return context.args.database_url or os.environ.get("DATABASE_URL") or database_url_from_config(
        context.project.orm, context.tool.cwd)


def _print_backup(context: Context) -> None:
    command = backup_command(_database_url(context), context.tool.cwd)
    if command:
        out(f"Back up first: {command}")
    else:
        url = _database_url(context)
        where = f" ({without_password(url)})" if url else ""
        out(f"Back up the database{where} before applying: these changes lose data.")


def _lock_warnings(context: Context, migrations: list[Migration]) -> list[str]:
    large = {table.lower() for table in context.config.large_tables}
    warnings: list[str] = []
    for migration in migrations:
        for op in migration.operations:
            table = getattr(op, "table", None)
            if op.direction != "up" or op.kind not in LOCKING_KINDS or not isinstance(table, str):
                continue
            if table.lower() in large or table.split(".")[-1].lower() in large:
                if op.kind == "create_index" and getattr(op, "concurrent", False):
                    continue
                warnings.append(f"[WARN] Lock: {op.kind.replace('_', ' ')} on large table {table} "
                                f"({op.location.path}:{op.location.line}) can hold a lock for a long time; "
                                f"run it off-peak or use a lock_timeout")
    return warnings


# --- run ------------------------------------------------------------------------------------------------------


def apply(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    environment = detect_environment(args.env, config.production_values)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        err(f"the native status command failed with exit code {failure.code}; nothing was applied")
        return failure.code
    pending = state.pending
    if not pending:
        out("No pending migrations.")
        return 0
    out()
    out(f"Pending migrations ({len(pending)}):")
    for migration in pending:
        out(f"  {migration.id}")
    if state.note:
        out(f"  ({state.note})")
    reviewed = review(context, [f for m in pending for f in m.files])
    if reviewed.problem:
        out(f"[WARN] {reviewed.problem}")
    _print_findings(reviewed.findings)
    for warning in _lock_warnings(context, reviewed.migrations):
        out(warning)
    loses_data = bool(reviewed.errors) or any(op.kind in DESTRUCTIVE_KINDS for m in reviewed.migrations
                                               for op in m.operations if op.direction == "up")
    if loses_data:
        _print_backup(context)
    if reviewed.errors and not args.allow_destructive:
        count = len(reviewed.errors)
        if not (_interactive() and _ask(f"{count} error-level finding(s). Apply anyway?")):
            err(f"refused: {count} error-level finding(s) in the pending migrations. Nothing was applied. "
                f"Fix them, or apply on purpose with --allow-destructive.")
            return REFUSED
    if not _production_gate(args, environment, "Apply migrations"):
        return REFUSED
    action = "run_production" if environment.production else "run"
    started = time.monotonic()
    for argv in context.tool.argv(action):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            err(f"{context.spec.executable} failed with exit code {code}")
            return code
    duration = time.monotonic() - started
    applied = _newly_applied(context, pending)
    by_id = {m.id: m for m in reviewed.migrations}
    out()
    out("Migration Applied")
    out(f"  Count: {len(applied)}")
    for native in applied:
        out(f"  {native.id}")
        migration = _migration_for(native, reviewed.migrations, by_id)
        for line in changes(migration) if migration else []:
            out(f"    {line}")
    out(f"  Duration: {duration:.2f}s")
    return 0


def _newly_applied(context: Context, pending: list[NativeMigration]) -> list[NativeMigration]:
    try:
        after = read_state(context, quiet=True)
    except StatusFailed:
        return pending
    if not after.known:
        return pending
    now_applied = {m.id for m in after.applied}
    return [m for m in pending if m.id in now_applied]


def _migration_for(native: NativeMigration, migrations: list[Migration], by_id: dict[str, Migration]) -> Migration | None:
    shown = {display_path(f) for f in native.files}
    for migration in migrations:
        if migration.path in shown or any(path in shown for path in migration.sources):
            return migration
    return by_id.get(native.id)


# --- rollback -------------------------------------------------------------------------------------------------


def rollback(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    if context.spec.no_rollback:
        err(f"{context.project.orm} has no native rollback. {context.spec.no_rollback}")
        return REFUSED
    environment = detect_environment(args.env, config.production_values)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        err(f"the native status command failed with exit code {failure.code}; nothing was rolled back")
        return failure.code
    target = _last_applied(context, state)
    if target is None:
        out("Nothing to roll back: no migration is applied.")
        return 0
    out()
    out(f"Rolling back: {target.id}" + (f" ({display_path(target.files[0])})" if target.files else ""))
    reviewed = review(context, target.files)
    migration = reviewed.migrations[0] if reviewed.migrations else None
    if migration is None:
        problem = reviewed.problem or f"cannot read migration {target.id}"
        if not args.allow_destructive:
            err(f"refused: {problem}, so its down migration cannot be checked. Nothing was rolled back. "
                f"Roll back on purpose with --allow-destructive.")
            return REFUSED
        out(f"[WARN] {problem}")
    else:
        irreversible = [op for op in migration.operations if isinstance(op, ir.RunCode) and not op.has_reverse]
        if migration.down != "present" or irreversible:
            why = migration.down if migration.down != "present" else (
                f"{irreversible[0].language} code without a reverse at line {irreversible[0].location.line}")
            err(f"refused: {target.id} has no down migration ({why}): it cannot be rolled back. "
                f"Write a new migration that reverses it. Nothing was rolled back.")
            return REFUSED
        out("Reversed operations:")
        for line in reversed_view(migration) or ["(no schema changes)"]:
            out(f"  {line}")
        if down_destroys_data(migration):
            _print_backup(context)
            if not (args.allow_destructive or args.yes):
                if not (_interactive() and _ask("The rollback deletes data. Continue?")):
                    err("refused: this rollback deletes data; confirm with --allow-destructive (or --yes). "
                        "Nothing was rolled back.")
                    return REFUSED
    if not _production_gate(args, environment, "Roll back"):
        return REFUSED
    if context.project.orm == "django":
        _django_target(context, state, target)
    for argv in context.tool.argv("rollback"):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            err(f"{context.spec.executable} failed with exit code {code}")
            return code
    out()
    out("Migration Rolled Back")
    out(f"  {target.id}")
    out("State after:")
    try:
        _print_state(read_state(context, quiet=True))
    except StatusFailed as failure:
        err(f"the native status command failed with exit code {failure.code}")
        return failure.code
    return 0


def _last_applied(context: Context, state: NativeState) -> NativeMigration | None:
    applied = state.applied
    if context.project.orm == "django":
        if context.args.app:
            applied = [m for m in applied if m.id.split(".", 1)[0] == context.args.app]
        else:  # the project's own apps, not django.contrib or third-party apps
            own = set(django_app_folders(context))
            applied = [m for m in applied if m.id.split(".", 1)[0] in own]
        stamped = [m for m in applied if m.applied_at]
        if stamped:
            # The most recently applied; among equal times (one `migrate`), the last listed.
            return max(reversed(stamped), key=lambda m: m.applied_at or "")
    return applied[-1] if applied else None


def _django_target(context: Context, state: NativeState, target: NativeMigration) -> None:
    app, name = target.id.split(".", 1)
    same_app = [m.id.split(".", 1)[1] for m in state.migrations if m.id.split(".", 1)[0] == app]
    index = same_app.index(name)
    context.tool.values["app"] = [app]
    context.tool.values["previous"] = [same_app[index - 1] if index > 0 else "zero"]


# --- status ---------------------------------------------------------------------------------------------------


def status(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        err(f"the native status command failed with exit code {failure.code}")
        return failure.code
    out()
    out(f"Status ({context.project.orm}, {context.project.root})")
    _print_state(state)
    if context.tool.has("drift"):
        out()
        out("Schema drift:")
        if context.project.orm == "alembic" and state.pending:
            out(f"  [INFO] Not checked: {len(state.pending)} migration(s) pending (alembic check compares an "
                f"up-to-date database with the models)")
        else:
            _drift(context)
    return 0


def _print_state(state: NativeState) -> None:
    number = 0
    applied, pending = state.applied, state.pending
    if state.known:
        out(f"  Applied ({len(applied)}):")
        for migration in applied:
            number += 1
            when = f"  (applied at {migration.applied_at})" if migration.applied_at else ""
            out(f"    {number}. {migration.id}{when}")
    out(f"  Pending ({len(pending)}):" if state.known else f"  Migrations ({len(pending)}), applied state unknown:")
    for migration in pending:
        number += 1
        out(f"    {number}. {migration.id}")
    times = [m.applied_at for m in applied if m.applied_at]
    if times:
        out(f"  Last applied: {max(times)}")
    if state.note:
        out(f"  ({state.note})")


def _drift(context: Context) -> None:
    orm = context.project.orm
    for argv in context.tool.argv("drift"):
        result = tee(argv, context.tool.cwd)
        text = result.output
        if result.code == 0 and (orm != "alembic" or "No new upgrade operations" in text or not text.strip()):
            out("  [PASS] No drift: the migrations match the models")
        elif (orm == "alembic" and "New upgrade operations detected" in text) or (orm == "django" and result.code == 1) \
                or (orm == "prisma" and result.code == 2):
            out("  [WARN] Drift: the models have changes no migration captures (run migrate-guard create NAME)")
        else:
            out(f"  [INFO] The drift check could not run (exit code {result.code}); see its output above")
