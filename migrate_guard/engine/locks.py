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
_FACTS_OF_THEIR_OWN = frozenset({ir.Delete, ir.Update, ir.Transaction, ir.AddEnumValue})


def lock_mode(op: ir.Operation) -> str | None:
    """The lock a statement takes on its table (Postgres)."""
    mode = _LOCK_MODES.get(type(op))
    return mode if mode is None or isinstance(mode, str) else mode(op)


def _constraint_lock(op: ir.AddConstraint) -> str:
    return "SHARE ROW EXCLUSIVE" if op.constraint_type == "foreign_key" else ACCESS_EXCLUSIVE


def _index_lock(op: ir.CreateIndex) -> str:
    return "SHARE UPDATE EXCLUSIVE" if op.concurrent else "SHARE"


def _drop_index_lock(op: ir.DropIndex) -> str:
    return "SHARE UPDATE EXCLUSIVE" if op.concurrent else ACCESS_EXCLUSIVE


def _rewrite_lock(op: ir.RewriteTable) -> str:
    if op.command == "REINDEX":
        return "SHARE UPDATE EXCLUSIVE" if op.concurrent else "SHARE"
    return ACCESS_EXCLUSIVE


# operation class -> its lock, or a function of the operation (the IR's classes are all direct subclasses of
# Operation, so a lookup by class is the isinstance test, once per statement instead of a dozen)
_LOCK_MODES: dict[type, Any] = {
    **dict.fromkeys(_ALTER_TABLE, ACCESS_EXCLUSIVE), ir.AddConstraint: _constraint_lock,
    ir.ValidateConstraint: "SHARE UPDATE EXCLUSIVE", ir.CreateIndex: _index_lock, ir.DropIndex: _drop_index_lock,
    ir.RewriteTable: _rewrite_lock, ir.Delete: "ROW EXCLUSIVE", ir.Update: "ROW EXCLUSIVE",
}


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

    def add_facts(self, facts: dict[str, Any], part: ir.Operation, is_statement: bool, table_is_new: bool,
                  open_before: bool) -> str | None:
        """Adds the lock facts of `part` to `facts`; returns its lock mode (for after())."""
        mode = lock_mode(part)
        facts["lock_mode"] = mode
        facts["lock_timeout_set"] = self.timeout_set
        first = (mode in _BLOCKING and not table_is_new and not self.timeout_set and self.guard_needed
                 and is_statement)
        facts["first_unguarded_lock"] = first
        if first:
            self.guard_needed = False
        if type(part) in _FACTS_OF_THEIR_OWN:
            if isinstance(part, (ir.Delete, ir.Update)):
                facts["table_locked_in_transaction"] = norm(part.table) in self.locked
            elif isinstance(part, ir.Transaction) and not part.by_tool:
                facts["transaction_state"] = _transaction_state(part, open_before, id(part) in self.left_open)
            elif isinstance(part, ir.AddEnumValue):
                facts["enum_value_used_later"] = id(part) in self.enum_used
        facts["long_identifier"] = long_identifier(part)
        return mode

    def after(self, part: ir.Operation, mode: str | None, in_transaction: bool, table_is_new: bool) -> None:
        """`mode`: lock_mode(part)."""
        if isinstance(part, ir.Setting) and part.name == "lock_timeout":
            self.timeout_set = part.value.strip().strip("'\"") not in ("0", "", "0ms", "0s")
        if isinstance(part, ir.Transaction):
            self.locked.clear()
        elif in_transaction and mode in _BLOCKING and not table_is_new:
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
    names_of = _NAMES_CREATED.get(type(op))
    if names_of is None:
        return None
    for name in names_of(op):
        if name and len(name.strip('"`').encode("utf-8")) > _MAX_IDENTIFIER_BYTES and not _built_at_run_time(name):
            return name.strip('"`')
    return None


def _table_names(op: ir.CreateTable) -> list[str | None]:
    return [op.table.rsplit(".", 1)[-1], *(c.name for c in op.columns)]


# operation class -> the names it creates
_NAMES_CREATED: dict[type, Any] = {
    ir.CreateTable: _table_names, ir.AddColumn: lambda op: (op.column.name,),
    ir.CreateIndex: lambda op: (op.name,), ir.AddConstraint: lambda op: (op.name,),
    ir.RenameTable: lambda op: (op.new_name.rsplit(".", 1)[-1],), ir.RenameColumn: lambda op: (op.new_name,),
}


# What an extractor writes for a part of a name it cannot know: `__tableName__` (JS), `{prefix}` (a Python f-string)
_RUN_TIME_PART = re.compile(r"__\w+?__|\{[^{}]*\}")


def _built_at_run_time(name: str) -> bool:
    """Part of the name is computed when the migration runs: its real length is unknown."""
    return _RUN_TIME_PART.search(name) is not None
