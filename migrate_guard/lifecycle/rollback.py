"""The rollback command: what it reverts (the tool's own plan), the reversed operations, the gates, the rollback."""

from __future__ import annotations

import argparse
import re

from .. import ir
from ..config import Config
from ..extract.base import display_path
from .describe import SKIPPED_KINDS, down_destroys_data, reversed_view
from .native import NativeMigration, NativeState, StatusFailed, read_state
from .process import stream, tee
from .project import Context, build_context
from .review import Review, review
from .steps import (REFUSED, database_of, environment_of, err, gate, heading, last_applied, migration_for,
                    native_failed, out, print_backup, unreviewed_lines)


# --- rollback -------------------------------------------------------------------------------------------------


def rollback(args: argparse.Namespace, config: Config) -> int:
    context = build_context(args, config)
    if context.spec.no_rollback:
        err(f"{context.project.orm} has no native rollback. {context.spec.no_rollback}")
        return REFUSED
    database = database_of(context)
    environment = environment_of(context, database)
    try:
        state = read_state(context)
    except StatusFailed as failure:
        return native_failed("status", failure.code, "nothing was rolled back")
    target = last_applied(context, state)
    if target is None:
        out("Nothing to roll back: no migration is applied.")
        return 0
    _prepare_rollback(context, state, target)
    reverted = _reverted_by_rollback(context, state, target)
    if reverted is None:
        return REFUSED
    _announce(target, reverted)
    reviewed = review(context, [f for m in reverted for f in m.files])
    unreviewed = unreviewed_lines(context, reverted, reviewed)
    for line in unreviewed:
        out(f"[WARN] Not reviewed: {line}")
    reversal = _reversal(reverted, reviewed)
    if reversal is None:
        return REFUSED
    lines, destroys = reversal
    out()
    out("Reversed operations:")
    for line in lines or ["(no schema changes)"]:
        out(f"  {line}")
    if destroys:
        print_backup(database, context)
    destructive = f"the rollback of {', '.join(destroys)} deletes data" if destroys else ""
    unreviewed_reason = f"{len(unreviewed)} migration(s) to revert migrate-guard could not review" if unreviewed else ""
    if not gate(args, environment, f"Roll back {len(reverted)} migration(s)", "rolled back", destructive,
                unreviewed_reason):
        return REFUSED
    for argv in context.tool.argv("rollback"):
        code = stream(argv, context.tool.cwd)
        if code != 0:
            return native_failed("rollback", code, "see its output above")
    try:
        after = read_state(context, quiet=True)
    except StatusFailed as failure:
        return native_failed("status", failure.code, "the rollback itself succeeded")
    heading("Migration Rolled Back")
    out(f"Reverted: {', '.join(m.id for m in reverted)}")
    out()
    out("Reversed operations:")
    for line in lines or ["(no schema changes)"]:
        out(f"  {line}")
    out()
    now = last_applied(context, after) if after.known else None
    out(f"Current state: {now.id if now else '(no migration applied)'}")
    return 0


def _announce(target: NativeMigration, reverted: list[NativeMigration]) -> None:
    out()
    out(f"Rolling back: {target.id}" + (f" ({display_path(target.files[0])})" if target.files else ""))
    others = [m for m in reverted if m.id != target.id]
    if others:
        out(f"The native rollback also reverts {len(others)} migration(s) that depend on it:")
        for other in others:
            out(f"  - {other.id}")


def _reversal(reverted: list[NativeMigration], reviewed: Review) -> tuple[list[str], list[str]] | None:
    """The reversed operations of the migrations to revert, in words, and the ids of those whose rollback deletes
    data; None (refused, said why) when one of them cannot be rolled back."""
    by_id = {m.id: m for m in reviewed.migrations}
    lines: list[str] = []
    destroys: list[str] = []
    for native in reverted:
        migration = migration_for(native, reviewed.migrations, by_id)
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
            return None
        lines += reversed_view(migration)
        if down_destroys_data(migration):
            destroys.append(native.id)
    return lines, destroys


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
        native_failed("migrate --plan", result.code, "nothing was rolled back")
        return None
    by_id = {m.id: m for m in state.migrations}
    labels = re.findall(r"^([A-Za-z_]\w*\.\w+)\s*$", result.output, re.M)
    reverted = [by_id.get(label) or NativeMigration(label, True) for label in labels]
    return reverted or [target]


def _django_target(context: Context, state: NativeState, target: NativeMigration) -> None:
    app, name = target.id.split(".", 1)
    same_app = [m.id.split(".", 1)[1] for m in state.migrations if m.id.split(".", 1)[0] == app]
    index = same_app.index(name)
    context.tool.values["app"] = [app]
    context.tool.values["previous"] = [same_app[index - 1] if index > 0 else "zero"]

