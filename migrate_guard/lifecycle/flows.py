"""The create, run and status commands: what each reads, checks, asks and runs, in order (rollback: rollback.py;
what they share: steps.py)."""

from __future__ import annotations

import argparse
import re
import shlex
import time
from pathlib import Path

from ..config import Config
from ..errors import UsageError
from ..extract.base import display_path
from ..model import SEVERITY_RANK, Finding
from ..report.escape import printable
from .describe import SKIPPED_KINDS, applied_view, changes, finding_line, safety_lines
from .native import NativeState, StatusFailed, read_state
from .process import stream, tee
from .project import Context, build_context
from .review import DESTRUCTIVE_KINDS, Review, review
from .steps import (REFUSED, database_of, environment_of, gate, heading, last_applied, lock_warnings, migration_for,
                    native_failed, newly_applied, out, print_backup, unreviewed_lines)


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
            return native_failed("create", code, "no migration was created")
    new_files = sorted(_snapshot(context) - before)
    migration_files = [p for p in new_files if p.suffix in (".sql", ".py", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts")]
    if not migration_files:
        out("No migration was created (the tool found no changes).")
        return 0
    reviewed = review(context, migration_files)
    heading("Migration Created")
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



# --- run ------------------------------------------------------------------------------------------------------


def apply(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    database = database_of(context)
    environment = environment_of(context, database)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        return native_failed("status", failure.code, "nothing was applied")
    pending = state.pending
    if not pending:
        out("No pending migrations.")
        return 0
    out()
    out(f"Pending migrations ({len(pending)}):")
    for number, native in enumerate(pending, 1):
        out(f"  {number}. {native.id}")
    if state.note:
        out(f"  ({state.note})")
    reviewed = review(context, [f for m in pending for f in m.files])
    if reviewed.problem:
        out(f"[WARN] {reviewed.problem}")
    _print_findings(reviewed.findings)
    for warning in lock_warnings(context, reviewed.migrations):
        out(warning)
    unreviewed = unreviewed_lines(context, pending, reviewed)
    for line in unreviewed:
        out(f"[WARN] Not reviewed: {line}")
    loses_data = bool(reviewed.errors) or any(op.kind in DESTRUCTIVE_KINDS for m in reviewed.migrations
                                               for op in m.operations if op.direction == "up")
    if loses_data:
        print_backup(database, context)
    destructive = f"{len(reviewed.errors)} error-level finding(s) in the pending migrations" if reviewed.errors else ""
    unreviewed_reason = (f"{len(unreviewed)} pending migration(s) migrate-guard could not review" if unreviewed else "")
    if not gate(args, environment, f"Apply {len(pending)} migration(s)", "applied", destructive, unreviewed_reason):
        return REFUSED
    action = "run_production" if environment.production else "run"
    started = time.monotonic()
    for argv in context.tool.argv(action):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            return native_failed(action.split("_")[0], code, "see its output above")
    duration = time.monotonic() - started
    applied = newly_applied(context, state)
    by_id = {m.id: m for m in reviewed.migrations}
    heading("Migration Applied")
    out(f"Applied: {len(applied)} migration(s)")
    out()
    for number, native in enumerate(applied, 1):
        out(f"  {number}. {native.id}")
        migration = migration_for(native, reviewed.migrations, by_id)
        for line in applied_view(migration) if migration else []:
            out(f"     {line}")
    out()
    out(f"Duration: {duration:.1f}s")
    return 0



# --- status ---------------------------------------------------------------------------------------------------


def status(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        return native_failed("status", failure.code, "see its output above")
    orm = context.project.orm
    heading("Migration Status")
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
    last = last_applied(context, state) if state.known else None
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

