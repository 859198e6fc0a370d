"""The four lifecycle commands: what each reads, checks, asks and runs, in order."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import time
from pathlib import Path

from .. import ir
from ..config import Config
from ..errors import UsageError
from ..extract.base import display_path
from ..model import SEVERITY_RANK, Finding, Migration
from ..report.escape import printable
from ..report.terminal import use_color
from .describe import SKIPPED_KINDS, applied_view, changes, down_destroys_data, finding_line, reversed_view, safety_lines
from .database import Database, target_database
from .environment import Environment, backup_command, detect_environment, without_password
from .native import NativeMigration, NativeState, StatusFailed, read_state, stream, tee
from .project import Context, build_context, django_app_folders
from .review import DESTRUCTIVE_KINDS, Review, review

REFUSED = 1
NATIVE_FAILED = 1
# Operations that were found but not understood: a migration holding one was not really reviewed.
UNREADABLE_KINDS = {"unreadable": "work built at run time that no rule could check",
                    "parse_error": "a statement that could not be parsed"}
LOCKING_KINDS = frozenset({
    "add_column", "drop_column", "alter_column_type", "set_not_null", "drop_not_null", "set_default", "create_index",
    "drop_index", "add_constraint", "drop_constraint", "rename_column", "rename_table", "drop_table", "truncate",
    "update", "delete", "validate_constraint",
})


def out(text: str = "") -> None:
    lines = [printable(line) for line in text.split("\n")]  # names from migrations: no escapes
    if use_color(sys.stdout):
        lines = [_colored(line) for line in lines]
    print("\n".join(lines), flush=True)


_MARK_COLORS = {"[PASS]": "\033[32m", "[WARN]": "\033[33m", "[FAIL]": "\033[31m", "[INFO]": "\033[36m"}
_HEADINGS = frozenset({"Migration Created", "Migration Applied", "Migration Rolled Back", "Migration Status"})


def _colored(line: str) -> str:
    """Colour as `check` does on a terminal: the [PASS]/[WARN]/[FAIL] marks and the report headings."""
    if line in _HEADINGS:
        return f"\033[1m{line}\033[0m"
    for mark, color in _MARK_COLORS.items():
        if mark in line:
            return line.replace(mark, f"{color}{mark}\033[0m", 1)
    return line


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
    if not args.name.strip():
        raise UsageError("the migration NAME must not be empty")
    context = build_context(args, config)
    _tool_name(context)
    action = "create"
    if context.project.orm == "alembic" and not _alembic_autogenerates(context):
        action = "create_skeleton"
        out("[INFO] env.py sets no target_metadata, so alembic cannot autogenerate: creating an empty revision "
            "with `alembic revision -m` to fill in (set target_metadata in env.py to autogenerate)")
    _check_schema_first(context)
    before = _snapshot(context)
    for argv in context.tool.argv(action):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            return _native_failed("create", code, "no migration was created")
    new_files = sorted(_snapshot(context) - before)
    migration_files = [p for p in new_files if p.suffix in (".sql", ".py", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts")]
    if not migration_files:
        out("No migration was created (the tool found no changes).")
        return 0
    reviewed = review(context, migration_files)
    _heading("Migration Created")
    for path in migration_files:
        out(f"File: {display_path(path)}")
    out(f"ORM:  {context.project.orm}")
    out()
    if reviewed.migrations and not reviewed.problem and not any(
            op.direction == "up" and op.kind not in SKIPPED_KINDS for m in reviewed.migrations for op in m.operations):
        out("The file is an empty skeleton to fill in: there is nothing to check yet.")
        out()
        out(f"Once it is written, check it with: {shlex.join(['migrate-guard', 'check', *(display_path(p) for p in migration_files)])}")
        return 0
    _print_changes(reviewed)
    out()
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


def _check_schema_first(context: Context) -> None:
    """LIFECYCLE-REPORTS.md: before a generator that reads a schema file runs (Prisma's schema.prisma), the schema is
    checked: relations without onDelete, index names, relation indexes. What the generated SQL does (drops, required
    columns without defaults) is checked after it, on the migration itself."""
    if context.project.orm != "prisma":
        return
    schema = context.tool.values.get("schema")
    path = Path(context.tool.cwd, schema[0]) if schema else None
    if path is None or not path.is_file():
        return
    checked = review(context, [path])
    out(f"Schema check ({display_path(path)}):")
    if not checked.findings:
        out("  [PASS] Relations, indexes and index names")
    for finding in checked.findings:
        mark = "FAIL" if finding.severity == "error" else "WARN"
        out(f"  [{mark}] line {finding.location.line}: {printable(finding.message)}")
    out()


def _tool_name(context: Context) -> None:
    """Tools that make a Python module of the name need an identifier: convert it, and say so."""
    name = context.tool.values["name"][0]
    if context.project.orm != "django" or name.isidentifier():
        return
    converted = re.sub(r"\W+", "_", name).strip("_")
    if converted and not converted.isidentifier():
        converted = f"m_{converted}"
    if not converted:
        raise UsageError(f"Django needs a migration name that is a Python identifier: {name!r} has no letters to use")
    out(f"[INFO] Django needs a Python identifier for the name: using {converted} for {name!r}")
    context.tool.values["name"] = [converted]


def _alembic_autogenerates(context: Context) -> bool:
    """env.py hands alembic a MetaData to compare with (autogenerate fails without one: exit 255)."""
    from .native import alembic_env_py

    text = alembic_env_py(context)
    if text is None:
        return True
    assignments = re.findall(r"^target_metadata\s*(?::[^=\n]*)?=\s*(.+?)\s*$", text, re.M)
    return bool(assignments) and any(value not in ("None", "[]", "()") for value in assignments)


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


def _gate(args: argparse.Namespace, environment: Environment, action: str, done: str,
          destructive: str = "", unreviewed: str = "") -> bool:
    """True when we may go on. Each concern needs its own flag (--allow-unreviewed, --allow-destructive, and --yes
    for production); at a terminal one question lists every open concern at once."""
    if environment.production:
        out(f"Environment: production ({environment.reason})")
    needed: list[tuple[str, str]] = []
    if unreviewed and not getattr(args, "allow_unreviewed", False):
        needed.append(("--allow-unreviewed", unreviewed))
    if destructive and not args.allow_destructive:
        needed.append(("--allow-destructive", destructive))
    if environment.production and not args.yes:
        needed.append(("--yes", f"this is PRODUCTION ({environment.reason})"))
    if not needed:
        return True
    reasons = "; ".join(reason for _, reason in needed)
    flags = " and ".join(flag for flag, _ in needed)
    if _interactive():
        if _ask(f"{action}: {reasons}. Continue?"):
            return True
        err(f"refused at the prompt: {reasons}. Nothing was {done}.")
        return False
    err(f"refused: {reasons}. Nothing was {done}. To go on without a terminal, re-run with {flags}.")
    return False


def _database(context: Context) -> Database:
    return target_database(context.project.orm, context.tool.cwd, context.args.database_url, os.environ,
                           context.project.settings)


def _environment(context: Context, database: Database) -> Environment:
    return detect_environment(context.args.env, context.config.production_values, database_url=database.url,
                              url_source=database.source or "DATABASE_URL")


def _print_backup(database: Database, context: Context) -> None:
    command = backup_command(database.url, context.tool.cwd)
    if database.note:
        out(f"[WARN] {database.note}")
    if command:
        out(f"Back up first: {command}")
        out(f"  (database from {database.source})")
    else:
        where = f" ({without_password(database.url)}, from {database.source})" if database.url else ""
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
    database = _database(context)
    environment = _environment(context, database)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        return _native_failed("status", failure.code, "nothing was applied")
    pending = state.pending
    if not pending:
        out("No pending migrations.")
        return 0
    out()
    out(f"Pending migrations ({len(pending)}):")
    for number, migration in enumerate(pending, 1):
        out(f"  {number}. {migration.id}")
    if state.note:
        out(f"  ({state.note})")
    reviewed = review(context, [f for m in pending for f in m.files])
    if reviewed.problem:
        out(f"[WARN] {reviewed.problem}")
    _print_findings(reviewed.findings)
    for warning in _lock_warnings(context, reviewed.migrations):
        out(warning)
    unreviewed = _unreviewed(context, pending, reviewed)
    for line in unreviewed:
        out(f"[WARN] Not reviewed: {line}")
    loses_data = bool(reviewed.errors) or any(op.kind in DESTRUCTIVE_KINDS for m in reviewed.migrations
                                               for op in m.operations if op.direction == "up")
    if loses_data:
        _print_backup(database, context)
    destructive = f"{len(reviewed.errors)} error-level finding(s) in the pending migrations" if reviewed.errors else ""
    unreviewed_reason = (f"{len(unreviewed)} pending migration(s) migrate-guard could not review" if unreviewed else "")
    if not _gate(args, environment, f"Apply {len(pending)} migration(s)", "applied", destructive, unreviewed_reason):
        return REFUSED
    action = "run_production" if environment.production else "run"
    started = time.monotonic()
    for argv in context.tool.argv(action):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            return _native_failed(action.split("_")[0], code, "see its output above")
    duration = time.monotonic() - started
    applied = _newly_applied(context, state)
    by_id = {m.id: m for m in reviewed.migrations}
    _heading("Migration Applied")
    out(f"Applied: {len(applied)} migration(s)")
    out()
    for number, native in enumerate(applied, 1):
        out(f"  {number}. {native.id}")
        migration = _migration_for(native, reviewed.migrations, by_id)
        for line in applied_view(migration) if migration else []:
            out(f"     {line}")
    out()
    out(f"Duration: {duration:.1f}s")
    return 0


def _heading(title: str) -> None:
    out()
    out(title)
    out("-" * len(title))


def _native_failed(action: str, code: int, consequence: str) -> int:
    """The native tool failed: say so in words; our exit code is 1 (2 stays "usage error")."""
    err(f"the native {action} command failed (exit code {code}); {consequence}")
    return NATIVE_FAILED


def _unreviewed(context: Context, natives: list[NativeMigration], reviewed: Review) -> list[str]:
    """Migrations the native tool will run that were not read and linted: no file found for them, a file no
    extractor read, or operations no rule could check."""
    if reviewed.problem:
        return [m.id for m in natives]
    read = {path for migration in reviewed.migrations for path in (migration.path, *migration.sources)}
    found: list[str] = []
    for native in natives:
        if not native.files:
            if context.project.orm == "django" and native.id.split(".", 1)[0] not in django_app_folders(context) \
                    and not _django_app_in_project(context, native.id.split(".", 1)[0]):
                continue  # an installed app's migration (django.contrib, a package): not the project's to lint
            found.append(f"{native.id} (no migration file found for it in {', '.join(context.project.migrations) or 'the project'})")
        elif not all(display_path(f) in read for f in native.files if f.suffix != ".json"):
            found.append(f"{native.id} ({display_path(native.files[0])} could not be read as a migration)")
    for migration in reviewed.migrations:
        blind = [op for op in migration.operations if op.direction == "up" and op.kind in UNREADABLE_KINDS]
        if blind:
            found.append(f"{migration.id} (line {blind[0].location.line}: {UNREADABLE_KINDS[blind[0].kind]})")
    return found


def _django_app_in_project(context: Context, app: str) -> bool:
    """An app folder with migrations inside the project that detection did not list (so it was not linted).
    Every folder name counts here, `vendor` and `build` included: only environments and VCS folders are left out."""
    root = Path(context.project.root)
    for folder, names, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        names[:] = [] if depth >= 5 or "pyvenv.cfg" in files else [
            n for n in names if n not in _NEVER_PROJECT_DIRS and not n.startswith(".")]
        if Path(folder).name == app and "migrations" in names:
            return True
    return False


_NEVER_PROJECT_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


def _newly_applied(context: Context, before: NativeState) -> list[NativeMigration]:
    """What the native run applied: applied now and not before (an installed app's migrations included)."""
    try:
        after = read_state(context, quiet=True)
    except StatusFailed:
        return before.pending
    if not after.known:
        return before.pending
    was_applied = {m.id for m in before.applied}
    return [m for m in after.applied if m.id not in was_applied]


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
    database = _database(context)
    environment = _environment(context, database)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        return _native_failed("status", failure.code, "nothing was rolled back")
    target = _last_applied(context, state)
    if target is None:
        out("Nothing to roll back: no migration is applied.")
        return 0
    _prepare_rollback(context, state, target)
    reverted = _reverted_by_rollback(context, state, target)
    if reverted is None:
        return REFUSED
    out()
    out(f"Rolling back: {target.id}" + (f" ({display_path(target.files[0])})" if target.files else ""))
    others = [m for m in reverted if m.id != target.id]
    if others:
        out(f"The native rollback also reverts {len(others)} migration(s) that depend on it:")
        for migration in others:
            out(f"  - {migration.id}")
    reviewed = review(context, [f for m in reverted for f in m.files])
    unreviewed = _unreviewed(context, reverted, reviewed)
    for line in unreviewed:
        out(f"[WARN] Not reviewed: {line}")
    by_id = {m.id: m for m in reviewed.migrations}
    lines: list[str] = []
    destroys: list[str] = []
    for native in reverted:
        migration = _migration_for(native, reviewed.migrations, by_id)
        if migration is None:
            continue
        irreversible = [op for op in migration.operations if isinstance(op, ir.RunCode) and not op.has_reverse]
        changes_nothing = not any(op.direction == "up" and op.kind not in SKIPPED_KINDS for op in migration.operations)
        empty_both_ways = changes_nothing and migration.down in ("noop", "empty")  # an Alembic merge revision
        if (migration.down != "present" and not empty_both_ways) or irreversible:
            why = migration.down if migration.down != "present" else (
                f"{irreversible[0].language} code without a reverse at line {irreversible[0].location.line}")
            err(f"refused: {native.id} has no down migration ({why}): it cannot be rolled back. "
                f"Write a new migration that reverses it. Nothing was rolled back.")
            return REFUSED
        lines += reversed_view(migration)
        if down_destroys_data(migration):
            destroys.append(native.id)
    out()
    out("Reversed operations:")
    for line in lines or ["(no schema changes)"]:
        out(f"  {line}")
    if destroys:
        _print_backup(database, context)
    destructive = f"the rollback of {', '.join(destroys)} deletes data" if destroys else ""
    unreviewed_reason = f"{len(unreviewed)} migration(s) to revert migrate-guard could not review" if unreviewed else ""
    if not _gate(args, environment, f"Roll back {len(reverted)} migration(s)", "rolled back", destructive,
                 unreviewed_reason):
        return REFUSED
    for argv in context.tool.argv("rollback"):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            return _native_failed("rollback", code, "see its output above")
    try:
        after = read_state(context, quiet=True)
    except StatusFailed as failure:
        return _native_failed("status", failure.code, "the rollback itself succeeded")
    _heading("Migration Rolled Back")
    out(f"Reverted: {', '.join(m.id for m in reverted)}")
    out()
    out("Reversed operations:")
    for line in lines or ["(no schema changes)"]:
        out(f"  {line}")
    out()
    now = _last_applied(context, after) if after.known else None
    out(f"Current state: {now.id if now else '(no migration applied)'}")
    return 0


def _prepare_rollback(context: Context, state: NativeState, target: NativeMigration) -> None:
    """The values the native rollback command needs to revert exactly `target`."""
    if context.project.orm == "django":
        _django_target(context, state, target)
    elif context.project.orm == "alembic":
        # `downgrade -1` is "Ambiguous walk" at a merge revision or with several heads: name the step instead.
        # At a merge, downgrading to one parent reverts only the merge ("m1 -> b1, c1").
        context.tool.values["alembic_target"] = [target.parents[0] if len(target.parents) > 1 else f"{target.id}@-1"]


def _reverted_by_rollback(context: Context, state: NativeState, target: NativeMigration) -> list[NativeMigration] | None:
    """Everything the native rollback will revert, in the order it reverts them. Django also unapplies every
    applied migration that depends on the target (other apps included): its own plan says which."""
    if context.project.orm != "django":
        return [target]
    plans = context.tool.argv("plan")
    result = tee(plans[0], context.tool.cwd, quiet=True)
    if result.code != 0:
        out(result.output.rstrip())
        _native_failed("migrate --plan", result.code, "nothing was rolled back")
        return None
    by_id = {m.id: m for m in state.migrations}
    labels = re.findall(r"^([A-Za-z_]\w*\.\w+)\s*$", result.output, re.M)
    reverted = [by_id.get(label) or NativeMigration(label, True) for label in labels]
    return reverted or [target]


def _last_applied(context: Context, state: NativeState) -> NativeMigration | None:
    applied = state.applied
    if context.project.orm == "django":
        app = getattr(context.args, "app", None)
        if app:
            applied = [m for m in applied if m.id.split(".", 1)[0] == app]
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
        return _native_failed("status", failure.code, "see its output above")
    orm = context.project.orm
    _heading("Migration Status")
    out(f"ORM:      {orm}")
    if context.project.root != ".":
        out(f"Project:  {context.project.root}")
    out()
    _print_state(state)
    if not state.migrations:
        out()
        out("No migrations yet: create the first one with migrate-guard create NAME")
    out()
    _drift(context, state)
    times = [m.applied_at for m in state.applied if m.applied_at]
    last = _last_applied(context, state) if state.known else None
    if times:
        out(f"Last applied: {max(times)}")
    elif last is not None:
        out(f"Last applied: {last.id} (the time is unknown for {orm})")
    elif state.known:
        out("Last applied: (none)")
    else:
        out(f"Last applied: unknown for {orm}")
    return 0


def _print_state(state: NativeState) -> None:
    number = 0
    applied, pending = state.applied, state.pending
    if state.known:
        out(f"Applied ({len(applied)}):")
        for migration in applied:
            number += 1
            when = f"  (applied at {migration.applied_at})" if migration.applied_at else ""
            out(f"  {number}. {migration.id}{when}")
        if not applied:
            out("  (none)")
        out()
    out(f"Pending ({len(pending)}):" if state.known else f"Migrations ({len(pending)}), applied state unknown:")
    for migration in pending:
        number += 1
        out(f"  {number}. {migration.id}")
    if not pending:
        out("  (none)")
    if state.note:
        out(f"  ({state.note})")


def _drift(context: Context, state: NativeState) -> None:
    orm = context.project.orm
    if not context.tool.has("drift"):
        out(f"Schema drift: unknown for {orm} (it has no command that compares the database with the models)")
        return
    if state.database_missing:
        out("Schema drift: not checked: the database does not exist yet (the check would create it)")
        return
    if orm == "alembic" and state.pending:
        out(f"Schema drift: not checked: {len(state.pending)} migration(s) pending (alembic check compares an "
            f"up-to-date database with the models)")
        return
    for argv in context.tool.argv("drift"):
        result = tee(argv, context.tool.cwd)
        text = result.output
        if result.code == 0 and (orm != "alembic" or "No new upgrade operations" in text or not text.strip()):
            out("Schema drift: None detected")
        elif (orm == "alembic" and "New upgrade operations detected" in text) or (orm == "django" and result.code == 1) \
                or (orm == "prisma" and result.code == 2):
            out("Schema drift: DETECTED: the models have changes no migration captures (run migrate-guard create NAME)")
        else:
            out(f"Schema drift: unknown: the check could not run (exit code {result.code}); see its output above")
