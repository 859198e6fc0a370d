"""Facts about locks and transactions in a migration, as Postgres takes them (docs: "Explicit Locking", ALTER TABLE).

- lock_mode: the table lock the statement takes ("ACCESS EXCLUSIVE", "SHARE", ...; None when it takes none we know)
- lock_timeout_set: a `SET lock_timeout` (not 0) ran earlier in the migration
- first_unguarded_lock: the first statement of the migration that takes ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE) on
  an existing table with no lock_timeout set: the one place `SET lock_timeout` must come before
- table_locked_in_transaction: an earlier statement of the same transaction took such a lock on this table, so it is
  still held (a backfill then runs under it)
- transaction_state: "nested_begin" (BEGIN inside an open transaction), "commit_outside" (COMMIT or ROLLBACK with none
  open), "left_open" (a BEGIN never committed in a migration the tool does not wrap), else None
- enum_value_used_later: a value added with ALTER TYPE ... ADD VALUE is used by a later statement of the same
  transaction (Postgres 12+: "unsafe use of new value")
- long_identifier: a name the statement creates that is longer than Postgres's 63 bytes (silently truncated)
"""

from __future__ import annotations

import re
from typing import Any

from .. import ir
from ..schema import norm

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
_BLOCKING = (ACCESS_EXCLUSIVE, "SHARE ROW EXCLUSIVE")
_ALTER_TABLE = (ir.AddColumn, ir.DropColumn, ir.AlterColumnType, ir.SetNotNull, ir.DropNotNull, ir.SetDefault,
                ir.DropConstraint, ir.RenameColumn, ir.RenameTable, ir.DropTable, ir.Truncate)
_MAX_IDENTIFIER_BYTES = 63


def lock_mode(op: ir.Operation) -> str | None:
    """The lock a statement takes on its table (Postgres)."""
    if isinstance(op, _ALTER_TABLE):
        return ACCESS_EXCLUSIVE
    if isinstance(op, ir.AddConstraint):
        return "SHARE ROW EXCLUSIVE" if op.constraint_type == "foreign_key" else ACCESS_EXCLUSIVE
    if isinstance(op, ir.ValidateConstraint):
        return "SHARE UPDATE EXCLUSIVE"
    if isinstance(op, ir.CreateIndex):
        return "SHARE UPDATE EXCLUSIVE" if op.concurrent else "SHARE"
    if isinstance(op, ir.DropIndex):
        return "SHARE UPDATE EXCLUSIVE" if op.concurrent else ACCESS_EXCLUSIVE
    if isinstance(op, ir.RewriteTable):
        if op.command == "REINDEX":
            return "SHARE UPDATE EXCLUSIVE" if op.concurrent else "SHARE"
        return ACCESS_EXCLUSIVE
    if isinstance(op, (ir.Delete, ir.Update)):
        return "ROW EXCLUSIVE"
    return None


def _tables(op: ir.Operation) -> tuple[str, ...]:
    if isinstance(op, ir.Truncate):
        return op.tables
    table = getattr(op, "table", None)
    return (table,) if isinstance(table, str) and table else ()


class LockTracker:
    """Walks one migration's statements in order, with the transaction state the caller keeps."""

    def __init__(self, ops: list[ir.Operation], transactional: bool) -> None:
        self.timeout_set = False
        self.guard_needed = True  # no unguarded strong lock reported yet
        self.locked: set[str] = set()  # tables strongly locked in the current transaction
        self.transactional = transactional
        self.left_open = _begins_left_open(ops, transactional)
        self.enum_used = _enum_values_used_later(ops)

    def facts(self, part: ir.Operation, is_statement: bool, table_is_new: bool, open_before: bool) -> dict[str, Any]:
        mode = lock_mode(part)
        facts: dict[str, Any] = {"lock_mode": mode, "lock_timeout_set": self.timeout_set}
        strong = mode in _BLOCKING and not table_is_new
        facts["first_unguarded_lock"] = strong and not self.timeout_set and self.guard_needed and is_statement
        if facts["first_unguarded_lock"]:
            self.guard_needed = False
        if isinstance(part, (ir.Delete, ir.Update)):
            facts["table_locked_in_transaction"] = norm(part.table) in self.locked
        if isinstance(part, ir.Transaction) and not part.by_tool:
            facts["transaction_state"] = _transaction_state(part, open_before, id(part) in self.left_open)
        if isinstance(part, ir.AddEnumValue):
            facts["enum_value_used_later"] = id(part) in self.enum_used
        facts["long_identifier"] = long_identifier(part)
        return facts

    def after(self, part: ir.Operation, in_transaction: bool, table_is_new: bool) -> None:
        if isinstance(part, ir.Setting) and part.name == "lock_timeout":
            self.timeout_set = part.value.strip().strip("'\"") not in ("0", "", "0ms", "0s")
        if isinstance(part, ir.Transaction):
            self.locked.clear()
        elif in_transaction and lock_mode(part) in _BLOCKING and not table_is_new:
            self.locked.update(norm(t) for t in _tables(part))


def _transaction_state(op: ir.Transaction, open_before: bool, left_open: bool) -> str | None:
    if op.action == "begin":
        if open_before:
            return "nested_begin"
        return "left_open" if left_open else None
    return None if open_before else "commit_outside"


def _begins_left_open(ops: list[ir.Operation], transactional: bool) -> set[int]:
    """BEGINs never followed by COMMIT/ROLLBACK, in a migration the tool does not wrap in its own transaction."""
    if transactional:
        return set()
    open_begin: ir.Operation | None = None
    for op in ops:
        if isinstance(op, ir.Transaction) and not op.by_tool:
            open_begin = op if op.action == "begin" else None
    return {id(open_begin)} if open_begin is not None else set()


def _enum_values_used_later(ops: list[ir.Operation]) -> set[int]:
    """ALTER TYPE ... ADD VALUE whose value a later statement of the same transaction names."""
    used: set[int] = set()
    for i, op in enumerate(ops):
        if not isinstance(op, ir.AddEnumValue) or not op.value:
            continue
        quoted = f"'{op.value}'"
        for later in ops[i + 1:]:
            if isinstance(later, ir.Transaction):
                break
            if quoted in later.source and not isinstance(later, ir.AddEnumValue):
                used.add(id(op))
                break
    return used


def long_identifier(op: ir.Operation) -> str | None:
    """The first name this statement creates that Postgres would truncate to 63 bytes."""
    names: list[str | None] = []
    if isinstance(op, ir.CreateTable):
        names = [op.table.rsplit(".", 1)[-1], *(c.name for c in op.columns)]
    elif isinstance(op, ir.AddColumn):
        names = [op.column.name]
    elif isinstance(op, (ir.CreateIndex, ir.AddConstraint)):
        names = [op.name]
    elif isinstance(op, (ir.RenameTable, ir.RenameColumn)):
        names = [op.new_name.rsplit(".", 1)[-1] if isinstance(op, ir.RenameTable) else op.new_name]
    for name in names:
        if name and len(name.strip('"`').encode("utf-8")) > _MAX_IDENTIFIER_BYTES and not _built_at_run_time(name):
            return name.strip('"`')
    return None


# What an extractor writes for a part of a name it cannot know: `__tableName__` (JS), `{prefix}` (a Python f-string)
_RUN_TIME_PART = re.compile(r"__\w+?__|\{[^{}]*\}")


def _built_at_run_time(name: str) -> bool:
    """Part of the name is computed when the migration runs: its real length is unknown."""
    return _RUN_TIME_PART.search(name) is not None
