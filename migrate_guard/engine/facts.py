"""Context facts rules can match on, computed once per migration.

- table_is_new: the table was created earlier in the same migration, or (in a Django initial migration) by an earlier
  initial migration of the project, so it holds no rows and no lock or rewrite can hurt it
- has_index: a foreign key's columns lead some index known by the end of the migration (or from earlier migrations)
- in_transaction: the statement runs inside a transaction (explicit BEGIN, or the tool wraps the migration)
- type_change_safe / old_type: a column type change that Postgres does without rewriting the table
- type_unchanged: the "new" type of an AlterColumnType is the type the column already has
- type_unknown: a tool restates a column (changeColumn, .alter(), MODIFY) whose current type nothing here tells
- table_rebuilt / column_swapped: a dropped or renamed table (column) is part of a swap in the same migration: its
  data copied into another table (column) that then takes its name, so the data and the name are kept (SQLite's way
  to change a table; a column's type changed by copy); see swapped_operations
- table_dropped_later: a dropped index's table is dropped later in the same migration
- replaced_type: an added column takes the name of one an earlier operation of the migration renamed away, with
  another type, and a later UPDATE copies the data into it (`RENAME COLUMN id TO tmp_id; ADD COLUMN id varchar(36);
  UPDATE .. SET id = tmp_id`): the old type
- copied_to: the table an earlier statement of the migration copied a dropped column's values (a dropped table's
  rows) into, or None
- forward_loss: what the up migration (MigrationInfo) or a step with a no-op reverse (RunCode) destroys, in words
  ("drops table users"), or None: a no-op down is only a problem when there is data it cannot bring back
- dialect, postgres_version
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import ir
from ..model import Migration
from ..schema import COLUMN_CHANGES, SchemaState, norm, runs_elsewhere
from .column_types import column_type_facts, type_change_safe, type_unchanged, type_widens
from .naming import name_follows_pattern
from .effects import (copied_into, data_loss, index_drops_before_table_drop, moved_by_code, readds_with_copy,
                      swapped_operations, up_effect)
from .locks import LockTracker

# Every fact a rule's `when` may name besides the operation's own fields (engine/validate.py checks rules against it;
# tests/test_rule_validation.py checks that the engine produces no fact outside it).
FACTS = frozenset({
    "dialect", "postgres_version", "orm", "transactional", "in_transaction", "table_is_new", "table_rebuilt",
    "column_swapped", "table_dropped_later", "forward_loss", "operation", "from_sql", "default_is_expression",
    "column_in_index", "has_index", "on_delete", "name_follows_pattern", "index_name_pattern", "old_type", "new_type",
    "type_change_safe", "type_unchanged", "type_unknown", "type_widens", "becomes_not_null", "lock_mode", "lock_timeout_set", "first_unguarded_lock",
    "table_locked_in_transaction", "transaction_state", "enum_value_used_later", "long_identifier",
    "up_effect", "replaced_type", "copied_to", "json_columns", "int_columns", "serial_columns", "timestamp_columns",
    "varchar_columns", "char_columns", "table", "moved_by_code",
})


def _tables_changed(op: ir.Operation, state: SchemaState) -> list[str]:
    """The tables whose columns SchemaState.apply(op) may change."""
    if isinstance(op, ir.RenameType):
        return state.tables_of_type(op.type_name)
    table = getattr(op, "table", None)
    tables = [norm(table)] if isinstance(table, str) else []
    return tables + [norm(op.new_name)] if isinstance(op, ir.RenameTable) else tables


def expand(op: ir.Operation) -> Iterator[ir.Operation]:
    """An operation and the operations nested in it that rules judge on their own."""
    yield op
    if isinstance(op, ir.CreateTable):
        yield from op.constraints
    elif isinstance(op, ir.AddColumn) and op.column.references is not None:
        ref = op.column.references
        yield ir.AddConstraint(location=op.location, migration=op.migration, direction=op.direction, source=op.source,
                               table=op.table, constraint_type="foreign_key", columns=(op.column.name,),
                               references=ref)



def from_sql(op: ir.Operation) -> bool:
    """The operation is a SQL statement the database runs as written (not an ORM call, which each ORM turns into the
    database's own way, e.g. a table rebuild on SQLite)."""
    head = op.source.lstrip()[:12].upper()
    return head.startswith(("ALTER", "CREATE", "DROP"))


@dataclass
class MigrationFacts:
    """The context facts of one migration's operations, which rules match on with `when`."""

    migration: Migration
    dialect: str
    postgres_version: int
    state: SchemaState  # before this migration
    index_name_pattern: str | None = None  # config: the regular expression index names must match (index-naming)

    def per_operation(self, ops: list[ir.Operation]) -> Iterator[tuple[ir.Operation, dict[str, Any]]]:
        """Each operation (nested ones too) with its facts, in order. `ops` is one direction's operations."""
        walk = _Walk.start(self, ops)
        locks, created = walk.locks, walk.created
        version, orm, transactional = self.postgres_version, self.migration.orm, self.migration.transactional
        for op in ops:
            walk.dialect = op.dialect or self.dialect  # a statement in a dialect branch runs on that database
            open_before = walk.in_transaction
            if isinstance(op, ir.Transaction):
                walk.enter(op)
            for part in _expanded(op):
                table = getattr(part, "table", None)
                table_is_new = norm(table) in created if isinstance(table, str) else False
                facts: dict[str, Any] = {
                    "dialect": walk.dialect, "postgres_version": version, "orm": orm, "transactional": transactional,
                    "table_is_new": table_is_new, "in_transaction": walk.in_transaction,
                    "from_sql": part is op and from_sql(part),  # a CREATE TABLE's constraints are not statements
                }
                mode = locks.add_facts(facts, part, part is op, table_is_new, open_before)
                for name, fact in _facts_of(type(part)):
                    value = fact(walk, part)
                    if name is None:
                        facts.update(value)
                    elif value is not _ABSENT:
                        facts[name] = value
                yield part, facts
                locks.after(part, mode, walk.in_transaction, table_is_new)
                walk.leave(part, op)


# what leave() notes: the indexes and constraints dropped, the tables created, the columns changed
_LEFT_BEHIND = COLUMN_CHANGES | {ir.DropIndex, ir.DropConstraint}


def _expanded(op: ir.Operation) -> Iterable[ir.Operation]:
    return expand(op) if type(op) in _NESTING else (op,)


_NESTING = frozenset({ir.CreateTable, ir.AddColumn})  # the operations expand() may find others in


@dataclass
class _Walk:
    """What the facts of an operation depend on: the whole migration, and what its earlier operations did."""

    facts: MigrationFacts
    ops: list[ir.Operation]
    added: SchemaState  # the indexes this migration adds (by its end)
    swapped: set[int]
    index_goes_with_table: set[int]
    locks: LockTracker
    created: set[str]  # tables created so far (they hold no rows yet)
    in_transaction: bool
    dialect: str = ""
    # Column types as this migration's earlier operations leave them, without touching the project's state (the
    # engine replays the migration into it afterwards, once): the tables an operation changes are copied into
    # `local` when first changed, and read from there from then on.
    local: SchemaState = field(default_factory=SchemaState)
    own: set[str] = field(default_factory=set)
    # (database, name) of the indexes and constraints this migration's earlier operations dropped
    dropped: set[tuple[str, str]] = field(default_factory=set)
    # (table, column) -> its type, for the columns this migration's earlier operations renamed away or dropped
    vacated: dict[tuple[str, str], ir.ColumnType] = field(default_factory=dict)
    readds: set[int] | None = None  # readds_with_copy(ops), when first needed

    @classmethod
    def start(cls, facts: MigrationFacts, ops: list[ir.Operation]) -> _Walk:
        # Indexes known by the end of the migration = the earlier ones (facts.state) + the ones this migration adds.
        # apply() never reads columns to add an index, so the added ones are collected on an empty state: copying the
        # whole schema per migration made a long history quadratic (see bench/profile_case.py).
        added = SchemaState()
        for op in ops:
            for part in _expanded(op):
                added.apply_indexes(part)
        migration = facts.migration
        created: set[str] = set(facts.state.initial_tables) if migration.initial else set()
        return cls(facts, ops, added, swapped_operations(ops), index_drops_before_table_drop(ops, added, facts.state),
                   LockTracker(ops, migration.transactional), created, migration.transactional)

    def enter(self, op: ir.Transaction) -> None:
        if op.by_tool:  # e.g. Alembic autocommit_block(): the tool commits, then reopens
            self.in_transaction = op.action == "begin"
        else:
            self.in_transaction = op.action == "begin" or (self.facts.migration.transactional
                                                           and op.action != "begin")

    def leave(self, part: ir.Operation, op: ir.Operation) -> None:
        if type(part) not in _LEFT_BEHIND:
            return
        if isinstance(part, (ir.DropIndex, ir.DropConstraint)):
            self.dropped.add((self.dialect, norm(part.name)))
        if runs_elsewhere(op, self.facts.dialect):
            return  # a branch for another database (`if (client.includes('sqlite3'))`) leaves this one's tables alone
        if isinstance(part, ir.CreateTable):
            self.created.add(norm(part.table))
        elif isinstance(part, ir.RenameTable) and norm(part.table) in self.created:
            self.created.add(norm(part.new_name))
        if part is not op or type(op) not in COLUMN_CHANGES:
            return
        if isinstance(op, (ir.RenameColumn, ir.DropColumn)):  # gone from its name: what type it had there
            kind = self.view(op.table).column_type(op.table, op.column)
            if kind is not None:
                self.vacated[(norm(op.table), norm(op.column))] = kind
        state = self.facts.state
        for table in _tables_changed(op, state):
            if table not in self.own:
                self.own.add(table)
                if table in state.columns:
                    self.local.columns[table] = dict(state.columns[table])
                if table in state.not_null:
                    self.local.not_null[table] = set(state.not_null[table])
                if table in state.typed_only:
                    self.local.typed_only[table] = set(state.typed_only[table])
        self.local.apply(op)

    def view(self, table: str) -> SchemaState:
        """The schema as this migration's earlier operations leave `table`."""
        return self.local if norm(table) in self.own else self.facts.state

    def loss(self, ops: list[ir.Operation]) -> str | None:
        return data_loss(ops, self.created, self.swapped, self.facts.state, self.facts.dialect)


# --- one function per fact: (the walk so far, the operation) -> its value, or _ABSENT for no such fact ----------------

_ABSENT = object()
_Fact = Callable[[_Walk, Any], Any]


def _facts_of(kind: type) -> list[tuple[str | None, _Fact]]:
    """The facts of an operation class besides the ones every operation has, in the order they are added."""
    found = _OF_KIND.get(kind)
    if found is None:
        found = _OF_KIND[kind] = [(name, fact) for kinds, name, fact in _FACTS if issubclass(kind, kinds)]
    return found


_OF_KIND: dict[type, list[tuple[str | None, _Fact]]] = {}  # operation class -> its facts


def _column_type_facts(walk: _Walk, part: ir.CreateTable | ir.AddColumn) -> dict[str, str | None]:
    return column_type_facts(part)


def _swapped(walk: _Walk, part: ir.Operation) -> bool:
    return id(part) in walk.swapped


def _table_dropped_later(walk: _Walk, part: ir.DropIndex) -> bool:
    return id(part) in walk.index_goes_with_table


def _up_effect(walk: _Walk, part: ir.MigrationInfo) -> str:
    return up_effect(walk.ops)


def _down_loss(walk: _Walk, part: ir.MigrationInfo) -> Any:
    return walk.loss(walk.ops) if part.down in ("noop", "empty") else _ABSENT


def _reverse_noop_loss(walk: _Walk, part: ir.RunCode) -> Any:
    return walk.loss(part.forward) if part.reverse_noop else _ABSENT


def _code_operation(walk: _Walk, part: ir.RunCode) -> Any:
    return {"sql": "RunSQL", "python": "RunPython"}.get(part.language, "code") if part.reverse_noop else _ABSENT


def _default_is_expression(walk: _Walk, part: ir.AddColumn) -> bool:
    default = part.column.default
    return default is not None and (default.volatility != "constant" or default.text.lstrip().startswith("("))


def _copied_to(walk: _Walk, part: ir.DropColumn | ir.DropTable) -> str | None:
    return copied_into(_before(walk, part), part.table, part.column if isinstance(part, ir.DropColumn) else None)


def _moved_by_code(walk: _Walk, part: ir.DropColumn | ir.DropTable) -> str | None:
    return moved_by_code(_before(walk, part))


def _before(walk: _Walk, part: ir.Operation) -> list[ir.Operation]:  # none when `part` is nested in another
    return next((walk.ops[:i] for i, op in enumerate(walk.ops) if op is part), [])


def _column_in_index(walk: _Walk, part: ir.DropColumn) -> bool:
    dropped = frozenset(name for database, name in walk.dropped if database == walk.dialect)
    return (walk.facts.state.column_in_index(part.table, part.column, dropped)
            or walk.added.column_in_index(part.table, part.column))


def _has_index(walk: _Walk, part: ir.AddConstraint) -> Any:
    if part.constraint_type != "foreign_key":
        return _ABSENT
    return walk.facts.state.has_index(part.table, part.columns) or walk.added.has_index(part.table, part.columns)


def _on_delete(walk: _Walk, part: ir.AddConstraint) -> Any:
    if part.constraint_type != "foreign_key":
        return _ABSENT
    return part.references.on_delete if part.references else None


def _name_follows_pattern(walk: _Walk, part: ir.IndexName) -> bool | None:
    return name_follows_pattern(walk.facts.index_name_pattern, part.name)


def _index_name_pattern(walk: _Walk, part: ir.IndexName) -> str | None:
    return walk.facts.index_name_pattern


def _old_column_type(walk: _Walk, part: ir.AlterColumnType) -> ir.ColumnType | None:
    return part.old_type or walk.view(part.table).column_type(part.table, part.column) or part.old_type_in_down


def _old_type(walk: _Walk, part: ir.AlterColumnType) -> str:
    old = _old_column_type(walk, part)
    return str(old) if old else "its current type"


def _new_type(walk: _Walk, part: ir.AlterColumnType) -> str:
    return str(part.new_type) if part.new_type else "a new type"


def _type_change_safe(walk: _Walk, part: ir.AlterColumnType) -> bool:
    return type_change_safe(_old_column_type(walk, part), part.new_type, walk.dialect)


def _type_unchanged(walk: _Walk, part: ir.AlterColumnType) -> bool:
    return type_unchanged(_old_column_type(walk, part), part.new_type)


def _index_table(walk: _Walk, part: ir.DropIndex) -> str | object:
    """`DROP INDEX x` names no table: the one an earlier migration (or this one) made x on, for messages."""
    name = norm(part.name)
    return part.table or walk.facts.state.index_tables.get(name) or walk.added.index_tables.get(name) or _ABSENT


def _type_widens(walk: _Walk, part: ir.AlterColumnType) -> bool:
    old = _old_column_type(walk, part)
    base = _SERIAL_BASE.get(old.name) if old is not None else None  # a serial's values are integers
    return type_widens(ir.ColumnType(base, (), base) if base else old, part.new_type)


def _type_unknown(walk: _Walk, part: ir.AlterColumnType) -> bool:
    return part.restated and _old_column_type(walk, part) is None


_SERIAL_BASE = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
                "smallserial": "smallint", "serial2": "smallint"}


def _replaced_type(walk: _Walk, part: ir.AddColumn | ir.RenameColumn) -> str | None:
    """The type of the column this one takes the name of, when it differs (see the module's docstring)."""
    if isinstance(part, ir.RenameColumn):  # ADD c2; UPDATE .. SET c2 = c; DROP c; RENAME c2 TO c (a swap)
        if id(part) not in walk.swapped:
            return None
        old = walk.vacated.get((norm(part.table), norm(part.new_name)))
        new = walk.view(part.table).column_type(part.table, part.column)
    else:  # RENAME c TO tmp; ADD c; UPDATE .. SET c = tmp
        old = walk.vacated.get((norm(part.table), norm(part.column.name)))
        if old is None:
            return None
        if walk.readds is None:
            walk.readds = readds_with_copy(walk.ops)
        if id(part) not in walk.readds:
            return None  # a rename and a new column of the old name, the data not copied: rename-column's business
        new = part.column.type
    if old is not None and old.name in _SERIAL_BASE:  # the values are integers; the sequence is not the type
        old = ir.ColumnType(_SERIAL_BASE[old.name], (), _SERIAL_BASE[old.name])
    if old is None or new is None or type_unchanged(old, new) or type_change_safe(old, new, walk.dialect):
        return None
    return str(old)


def _becomes_not_null(walk: _Walk, part: ir.SetNotNull) -> bool:
    was_nullable = walk.view(part.table).nullable(part.table, part.column)
    # a restated NOT NULL (MySQL MODIFY) changes the column only when it was known to be nullable
    return was_nullable is True if part.restated else was_nullable is not False


# (the operations a fact is about, its name, its function); the name None: a function of several facts (a dict)
_FACTS: list[tuple[Any, str | None, _Fact]] = [
    ((ir.DropTable, ir.RenameTable), "table_rebuilt", _swapped),
    ((ir.DropColumn, ir.RenameColumn), "column_swapped", _swapped),
    (ir.DropIndex, "table_dropped_later", _table_dropped_later),
    (ir.DropIndex, "table", _index_table),
    (ir.MigrationInfo, "up_effect", _up_effect),
    (ir.MigrationInfo, "forward_loss", _down_loss),
    (ir.RunCode, "forward_loss", _reverse_noop_loss),
    (ir.RunCode, "operation", _code_operation),
    ((ir.CreateTable, ir.AddColumn), None, _column_type_facts),
    (ir.AddColumn, "default_is_expression", _default_is_expression),
    (ir.AddColumn, "replaced_type", _replaced_type),
    (ir.RenameColumn, "replaced_type", _replaced_type),
    (ir.DropColumn, "column_in_index", _column_in_index),
    ((ir.DropColumn, ir.DropTable), "copied_to", _copied_to),
    ((ir.DropColumn, ir.DropTable), "moved_by_code", _moved_by_code),
    (ir.AddConstraint, "has_index", _has_index),
    (ir.AddConstraint, "on_delete", _on_delete),
    (ir.IndexName, "name_follows_pattern", _name_follows_pattern),
    (ir.IndexName, "index_name_pattern", _index_name_pattern),
    (ir.AlterColumnType, "old_type", _old_type),
    (ir.AlterColumnType, "new_type", _new_type),
    (ir.AlterColumnType, "type_change_safe", _type_change_safe),
    (ir.AlterColumnType, "type_unchanged", _type_unchanged),
    (ir.AlterColumnType, "type_unknown", _type_unknown),
    (ir.AlterColumnType, "type_widens", _type_widens),
    (ir.SetNotNull, "becomes_not_null", _becomes_not_null),
]
