"""What the lifecycle commands share: their output, the gates before a change (environment, confirmation,
backup, lock warnings), failures of the native tool, and matching the tool's migrations to the reviewed ones."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..extract.base import display_path
from ..model import Migration
from ..report.escape import printable
from ..report.terminal import use_color
from .database import Database, target_database
from .environment import Environment, backup_command, detect_environment, without_password
from .native import NativeMigration, NativeState, StatusFailed, read_state
from .project import Context, django_app_folders
from .review import Review

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


# --- gates ----------------------------------------------------------------------------------------------------


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def gate(args: argparse.Namespace, environment: Environment, action: str, done: str,
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
    if interactive():
        if ask(f"{action}: {reasons}. Continue?"):
            return True
        err(f"refused at the prompt: {reasons}. Nothing was {done}.")
        return False
    err(f"refused: {reasons}. Nothing was {done}. To go on without a terminal, re-run with {flags}.")
    return False


def database_of(context: Context) -> Database:
    return target_database(context.project.orm, context.tool.cwd, context.args.database_url, os.environ,
                           context.project.settings)


def environment_of(context: Context, database: Database) -> Environment:
    return detect_environment(context.args.env, context.config.production_values, database_url=database.url,
                              url_source=database.source or "DATABASE_URL")


def print_backup(database: Database, context: Context) -> None:
    command = backup_command(database.url, context.tool.cwd)
    if database.note:
        out(f"[WARN] {database.note}")
    if command:
        out(f"Back up first: {command}")
        out(f"  (database from {database.source})")
    else:
        where = f" ({without_password(database.url)}, from {database.source})" if database.url else ""
        out(f"Back up the database{where} before applying: these changes lose data.")


def lock_warnings(context: Context, migrations: list[Migration]) -> list[str]:
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


# --- the native tool and the reviewed migrations ---


def heading(title: str) -> None:
    out()
    out(title)
    out("-" * len(title))


def native_failed(action: str, code: int, consequence: str) -> int:
    """The native tool failed: say so in words; our exit code is 1 (2 stays "usage error")."""
    err(f"the native {action} command failed (exit code {code}); {consequence}")
    return NATIVE_FAILED


def unreviewed_lines(context: Context, natives: list[NativeMigration], reviewed: Review) -> list[str]:
    """Migrations the native tool will run that were not read and linted: no file found for them, a file no
    extractor read, or operations no rule could check."""
    if reviewed.problem:
        return [m.id for m in natives]
    read = {path for migration in reviewed.migrations for path in (migration.path, *migration.sources)}
    found: list[str] = []
    for native in natives:
        if not native.files:
            if context.project.orm == "django" and native.id.split(".", 1)[0] not in django_app_folders(context) \
                    and not django_app_in_project(context, native.id.split(".", 1)[0]):
                continue  # an installed app's migration (django.contrib, a package): not the project's to lint
            found.append(f"{native.id} (no migration file found for it in {', '.join(context.project.migrations) or 'the project'})")
        elif not all(display_path(f) in read for f in native.files if f.suffix != ".json"):
            found.append(f"{native.id} ({display_path(native.files[0])} could not be read as a migration)")
    for migration in reviewed.migrations:
        blind = [op for op in migration.operations if op.direction == "up" and op.kind in UNREADABLE_KINDS]
        if blind:
            found.append(f"{migration.id} (line {blind[0].location.line}: {UNREADABLE_KINDS[blind[0].kind]})")
    return found


def django_app_in_project(context: Context, app: str) -> bool:
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


def newly_applied(context: Context, before: NativeState) -> list[NativeMigration]:
    """What the native run applied: applied now and not before (an installed app's migrations included)."""
    try:
        after = read_state(context, quiet=True)
    except StatusFailed:
        return before.pending
    if not after.known:
        return before.pending
    was_applied = {m.id for m in before.applied}
    return [m for m in after.applied if m.id not in was_applied]


def migration_for(native: NativeMigration, migrations: list[Migration], by_id: dict[str, Migration]) -> Migration | None:
    shown = {display_path(f) for f in native.files}
    for migration in migrations:
        if migration.path in shown or any(path in shown for path in migration.sources):
            return migration
    return by_id.get(native.id)


def last_applied(context: Context, state: NativeState) -> NativeMigration | None:
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
