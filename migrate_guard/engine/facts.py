"""Context facts rules can match on, computed once per migration.

- table_is_new: the table was created earlier in the same migration, or (in a Django initial migration) by an earlier
  initial migration of the project, so it holds no rows and no lock or rewrite can hurt it
- has_index: a foreign key's columns lead some index known by the end of the migration (or from earlier migrations)
- in_transaction: the statement runs inside a transaction (explicit BEGIN, or the tool wraps the migration)
- type_change_safe / old_type: a column type change that Postgres does without rewriting the table
- type_unchanged: the "new" type of an AlterColumnType is the type the column already has
- table_rebuilt / column_swapped: a dropped or renamed table (column) is part of a swap in the same migration: its
  data copied into another table (column) that then takes its name, so the data and the name are kept (SQLite's way
  to change a table; a column's type changed by copy); see swapped_operations
- table_dropped_later: a dropped index's table is dropped later in the same migration
- forward_loss: what the up migration (MigrationInfo) or a step with a no-op reverse (RunCode) destroys, in words
  ("drops table users"), or None: a no-op down is only a problem when there is data it cannot bring back
- dialect, postgres_version
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..model import Migration
from ..schema import SchemaState, norm
from .locks import LockTracker

# Every fact a rule's `when` may name besides the operation's own fields (engine/validate.py checks rules against it;
# tests/test_rule_validation.py checks that the engine produces no fact outside it).
FACTS = frozenset({
    "dialect", "postgres_version", "orm", "transactional", "in_transaction", "table_is_new", "table_rebuilt",
    "column_swapped", "table_dropped_later", "forward_loss", "operation", "from_sql", "default_is_expression",
    "column_in_index", "has_index", "on_delete", "name_follows_pattern", "index_name_pattern", "old_type", "new_type",
    "type_change_safe", "type_unchanged", "becomes_not_null", "lock_mode", "lock_timeout_set", "first_unguarded_lock",
    "table_locked_in_transaction", "transaction_state", "enum_value_used_later", "long_identifier",
    "up_effect", "json_columns", "int_columns", "serial_columns", "timestamp_columns", "varchar_columns", "char_columns",
})


def _tables_changed(op: ir.Operation) -> list[str]:
    """The tables whose columns SchemaState.apply(op) may change."""
    tables = [norm(op.table)] if isinstance(getattr(op, "table", None), str) else []
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


_NO_REWRITE_TARGETS = {"text", "varchar"}


def type_change_safe(old: ir.ColumnType | None, new: ir.ColumnType | None, dialect: str) -> bool:
    """True when the change is known not to rewrite the table or fail (Postgres rules)."""
    if old is None or new is None:
        return False
    if old.name == new.name and old.params == new.params:
        return True
    if dialect == "mysql":
        return _mysql_in_place(old, new)
    if dialect not in ("postgres", "cockroachdb"):
        return False
    if old.name in ("varchar", "text") and new.name in _NO_REWRITE_TARGETS:
        if new.name == "text" or not new.params:
            return True
        return old.name == "varchar" and bool(old.params) and new.params[0] >= old.params[0]
    if old.name == "numeric" and new.name == "numeric":
        if not new.params:
            return True
        if len(old.params) >= 1 and len(new.params) >= 1:
            old_scale = old.params[1] if len(old.params) > 1 else 0
            new_scale = new.params[1] if len(new.params) > 1 else 0
            return new.params[0] >= old.params[0] and new_scale == old_scale
    if old.name == "varbit" and new.name == "varbit":
        return not new.params or (bool(old.params) and new.params[0] >= old.params[0])
    return old.name == "cidr" and new.name == "inet"


def _mysql_in_place(old: ir.ColumnType, new: ir.ColumnType) -> bool:
    """MySQL widens a VARCHAR in place when its length prefix keeps its size: 1 byte up to 255 bytes, 2 above; at
    utf8mb4's 4 bytes a character, both lengths at most 63 characters or both above."""
    if old.name != "varchar" or new.name != "varchar" or not old.params or not new.params:
        return False
    before, after = old.params[0], new.params[0]
    return after >= before and (after * 4 <= 255 or before * 4 > 255)


# Column types the type rules name (json-column, prefer-*): the fact holds the columns' names, "a, b", or None.
_TYPE_FACTS = {
    "json_columns": ("json",),
    "int_columns": ("int", "integer", "int4", "smallint", "int2"),
    "serial_columns": ("serial", "serial4", "smallserial", "serial2", "bigserial", "serial8"),
    "timestamp_columns": ("timestamp",),
    "varchar_columns": ("varchar",),
    "char_columns": ("char", "character", "bpchar"),
}


def column_type_facts(op: ir.CreateTable | ir.AddColumn) -> dict[str, str | None]:
    columns = op.columns if isinstance(op, ir.CreateTable) else [op.column]
    facts: dict[str, str | None] = {}
    for fact, names in _TYPE_FACTS.items():
        found = [c.name for c in columns if c.type is not None and c.type.name in names
                 and not (fact == "int_columns" and c.references is not None)]
        facts[fact] = ", ".join(found) if found else None
    return facts


def from_sql(op: ir.Operation) -> bool:
    """The operation is a SQL statement the database runs as written (not an ORM call, which each ORM turns into the
    database's own way, e.g. a table rebuild on SQLite)."""
    head = op.source.lstrip()[:12].upper()
    return head.startswith(("ALTER", "CREATE", "DROP"))


def type_unchanged(old: ir.ColumnType | None, new: ir.ColumnType | None) -> bool:
    """The column keeps its type: Django's AlterField of a foreign key's on_delete, MySQL's CHANGE that only renames,
    an idempotent `ALTER COLUMN c TYPE text` on a text column. No type change to report."""
    if old is None or new is None:
        return False
    # here, not at the top: importing the SQL package imports sqlglot, which a run resumed from a checkpoint (this
    # module is unpickled with it) never needs
    from ..extract.sql.values import normalise_type

    old, new = normalise_type(old), normalise_type(new)
    return old.name == new.name and old.params == new.params


def swapped_operations(ops: list[ir.Operation]) -> set[int]:
    """ids of the drops and renames of swaps: a table's (column's) data copied into a new one that takes its name in
    the same migration, so the data and the name are kept. Either the copy is renamed to the original's name after
    the original is dropped (`INSERT INTO new SELECT .. FROM t; DROP TABLE t; ALTER TABLE new RENAME TO t`, SQLite's
    table change; `ADD COLUMN c2; UPDATE t SET c2 = c; DROP COLUMN c; RENAME COLUMN c2 TO c`, a type change by copy),
    or the original is renamed away first and dropped once copied into a new one of its name
    (`ALTER TABLE t RENAME TO tmp; CREATE TABLE t ..; INSERT INTO t SELECT .. FROM tmp; DROP TABLE tmp`)."""
    swapped: set[int] = set()
    renames = [(j, key) for j, o in enumerate(ops) if (key := _rename_key(o)) is not None]
    for i, op in enumerate(ops):
        dropped = _drop_key(op)
        if dropped is None:
            continue
        owner, name = dropped
        for j, (kind, table, old, new) in renames:
            if (kind, table) != owner[:2] or new != name:
                continue
            if j > i and _copies(ops[:i], owner, target=old, source=name):  # the copy renamed back
                swapped |= {id(op), id(ops[j])}
                break
            if j < i and _copies(ops[j + 1:i], owner, target=old, source=name):  # the original renamed away
                swapped |= {id(op), id(ops[j])}
                break
    return swapped


_Owner = tuple[str, str]  # ("table", "") or ("column", its table)


def _drop_key(op: ir.Operation) -> tuple[_Owner, str] | None:
    if isinstance(op, ir.DropTable):
        return ("table", ""), norm(op.table)
    if isinstance(op, ir.DropColumn):
        return ("column", norm(op.table)), norm(op.column)
    return None


def _rename_key(op: ir.Operation) -> tuple[str, str, str, str] | None:
    if isinstance(op, ir.RenameTable):
        return "table", "", norm(op.table), norm(op.new_name)
    if isinstance(op, ir.RenameColumn):
        return "column", norm(op.table), norm(op.column), norm(op.new_name)
    return None


def _copies(ops: list[ir.Operation], owner: _Owner, target: str, source: str) -> bool:
    """Some statement of `ops` copies `source` into `target`: `INSERT INTO target ... SELECT ... FROM source` for
    tables; for columns, an UPDATE of their table that names both (`UPDATE t SET c2 = c::bigint`), or code we cannot
    read (Django RunPython, which is how a Django swap copies)."""
    import re

    if owner[0] == "column":
        names = [re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE) for n in (target, source)]
        return any((isinstance(o, ir.Update) and norm(o.table) == owner[1] and all(n.search(o.source) for n in names))
                   or (isinstance(o, ir.RunCode) and o.language != "sql") for o in ops)
    schema = r"(?:[\w:\"`]+\.)?[\"`]?"  # an optional schema (or a placeholder for one: `:SCHEMA.`)
    insert = re.compile(r"\binsert\s+into\s+" + schema + re.escape(target.split(".")[-1]) + r"\b", re.IGNORECASE)
    select = re.compile(r"\bselect\b", re.IGNORECASE)
    read = re.compile(r"\bfrom\s+" + schema + re.escape(source.split(".")[-1]) + r"\b", re.IGNORECASE)

    def copies(text: str) -> bool:  # insert ... select ... from in that order: three scans, not `.*` twice (cubic)
        found = insert.search(text)
        found = found and select.search(text, found.end())
        return bool(found and read.search(text, found.end()))

    return any(isinstance(o, ir.Raw) and o.source and copies(o.source) for o in ops)


def index_drops_before_table_drop(ops: list[ir.Operation], *states: SchemaState) -> set[int]:
    """ids of the DROP INDEX operations whose table the same migration drops later: the index goes with the table
    anyway, and DROP TABLE takes the same lock. The table is the one the statement names, else the one the index was
    created on (from `states`), else a dropped table whose name is a `_`-separated part of the index name."""
    import re

    found: set[int] = set()
    for i, op in enumerate(ops):
        if not isinstance(op, ir.DropIndex):
            continue
        later = {norm(o.table) for o in ops[i + 1:] if isinstance(o, ir.DropTable)}
        if not later:
            continue
        name = norm(op.name)
        table = norm(op.table) or next((s.index_tables[name] for s in states if name in s.index_tables), "")
        if table:
            hit = table in later
        else:
            hit = any(re.search(r"(?:^|_)" + re.escape(t.split(".")[-1]) + r"(?:_|$)", name.split(".")[-1])
                      for t in later)
        if hit:
            found.add(id(op))
    return found


_NO_EFFECT = (ir.MigrationInfo, ir.Raw, ir.Setting, ir.Transaction, ir.ParseError)
_DATA_ONLY = (ir.Delete, ir.Update, ir.RunCode)


def up_effect(ops: list[ir.Operation]) -> str:
    """What a migration's up changes: "schema", only "data" (DML, code; an INSERT is a Raw statement, so a data-only
    migration of INSERTs reads as "nothing" too, which is the same verdict for a missing down), or "nothing" (an
    upgrade() that is only `pass`: there is nothing to undo)."""
    effects = {("data" if isinstance(op, _DATA_ONLY) else "schema") for op in ops if not isinstance(op, _NO_EFFECT)}
    return "schema" if "schema" in effects else "data" if effects else "nothing"


def data_loss(ops: list[ir.Operation], created: set[str], swapped: set[int], state: SchemaState,
              dialect: str) -> str | None:
    """What the first of `ops` that destroys data does, in words ("drops table users"), or None when they only add,
    backfill or change things no rollback needs to restore. Tables created earlier (`created`, updated here as
    `ops` create more) hold no data yet; the drops and renames of a swap keep it."""
    created = set(created)
    for op in ops:
        table = getattr(op, "table", None)
        if isinstance(op, ir.CreateTable):
            created.add(norm(op.table))
        if id(op) in swapped or (isinstance(table, str) and norm(table) in created):
            continue
        if isinstance(op, ir.DropTable):
            return f"drops table {op.table}"
        if isinstance(op, ir.DropColumn):
            return f"drops column {op.table}.{op.column}"
        if isinstance(op, ir.Truncate):
            return f"truncates {op.table}"
        if isinstance(op, ir.Delete):
            return f"deletes rows of {op.table}"
        if isinstance(op, (ir.DropSchema, ir.DropDatabase)):
            return f"drops {'schema' if isinstance(op, ir.DropSchema) else 'database'} {op.name}"
        if isinstance(op, ir.AlterColumnType):
            old = op.old_type or state.column_type(op.table, op.column) or op.old_type_in_down
            if not (type_change_safe(old, op.new_type, op.dialect or dialect) or type_widens(old, op.new_type)):
                return f"changes the type of {op.table}.{op.column}"
    return None


# each type -> the types that hold every value it can hold (a change to one loses no data, even if it rewrites)
_WIDER = {"smallint": {"int", "bigint", "numeric"}, "int": {"bigint", "numeric"}, "bigint": {"numeric"},
          "real": {"double precision"}, "varchar": {"text", "mediumtext", "longtext"},
          "tinytext": {"text", "mediumtext", "longtext"}, "text": {"mediumtext", "longtext"}, "mediumtext": {"longtext"}}


def type_widens(old: ir.ColumnType | None, new: ir.ColumnType | None) -> bool:
    """The new type holds every value of the old one (int to bigint, TEXT to MEDIUMTEXT, varchar(50) to varchar(200),
    numeric(10, 2) to numeric(12, 2)): a rollback that keeps the new type loses nothing. The same type counts too."""
    if old is None or new is None:
        return False
    from ..extract.sql.values import normalise_type  # see type_unchanged

    old, new = normalise_type(old), normalise_type(new)
    if old.name != new.name:
        return new.name in _WIDER.get(old.name, ()) and not new.params
    if not new.params or old.params == new.params:
        return True
    if not old.params or len(old.params) != len(new.params):
        return False
    if old.name == "numeric" and len(new.params) == 2:  # as many digits before the point, and after it
        return new.params[0] - new.params[1] >= old.params[0] - old.params[1] and new.params[1] >= old.params[1]
    return len(new.params) == 1 and new.params[0] >= old.params[0]


def name_follows_pattern(pattern: str | None, name: str) -> bool | None:
    """None when no pattern is configured (the index-naming rule is then off)."""
    if not pattern:
        return None
    import re

    from ..errors import ConfigError

    try:
        return re.search(pattern, name) is not None
    except re.error as error:
        raise ConfigError(f"index_name_pattern is not a valid regular expression: {error}") from None


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
        # Indexes known by the end of the migration = the earlier ones (self.state) + the ones this migration adds.
        # apply() never reads columns to add an index, so the added ones are collected on an empty state: copying the
        # whole schema per migration made a long history quadratic (see bench/profile_case.py).
        added = SchemaState()
        for op in ops:
            for part in expand(op):
                added.apply(part)
        # Column types as this migration's earlier operations leave them, without touching the project's state
        # (the engine replays the migration into it afterwards, once): the tables an operation changes are copied
        # into `local` when first changed, and read from there from then on.
        local, own = SchemaState(), set()
        created: set[str] = set(self.state.initial_tables) if self.migration.initial else set()
        in_transaction = self.migration.transactional
        base = {"dialect": self.dialect, "postgres_version": self.postgres_version, "orm": self.migration.orm,
                "transactional": self.migration.transactional}
        swapped = swapped_operations(ops)
        index_goes_with_table = index_drops_before_table_drop(ops, added, self.state)
        locks = LockTracker(ops, self.migration.transactional)
        for op in ops:
            dialect = op.dialect or self.dialect  # a statement in a dialect branch runs on that database
            open_before = in_transaction
            if isinstance(op, ir.Transaction):
                if op.by_tool:  # e.g. Alembic autocommit_block(): the tool commits, then reopens
                    in_transaction = op.action == "begin"
                else:
                    in_transaction = op.action == "begin" or (self.migration.transactional and op.action != "begin")
            for part in expand(op):
                table = getattr(part, "table", None)
                facts = dict(base)
                facts["dialect"] = dialect
                facts["table_is_new"] = norm(table) in created if isinstance(table, str) else False
                if isinstance(part, (ir.DropTable, ir.RenameTable)):
                    facts["table_rebuilt"] = id(part) in swapped
                elif isinstance(part, (ir.DropColumn, ir.RenameColumn)):
                    facts["column_swapped"] = id(part) in swapped
                elif isinstance(part, ir.DropIndex):
                    facts["table_dropped_later"] = id(part) in index_goes_with_table
                elif isinstance(part, ir.MigrationInfo):
                    facts["up_effect"] = up_effect(ops)
                    if part.down in ("noop", "empty"):
                        facts["forward_loss"] = data_loss(ops, created, swapped, self.state, self.dialect)
                elif isinstance(part, ir.RunCode) and part.reverse_noop:
                    facts["forward_loss"] = data_loss(part.forward, created, swapped, self.state, self.dialect)
                    facts["operation"] = {"sql": "RunSQL", "python": "RunPython"}.get(part.language, "code")
                facts["in_transaction"] = in_transaction
                facts["from_sql"] = part is op and from_sql(part)  # a CREATE TABLE's constraints are not statements
                facts.update(locks.facts(part, part is op, facts["table_is_new"], open_before))
                if isinstance(part, (ir.CreateTable, ir.AddColumn)):
                    facts.update(column_type_facts(part))
                if isinstance(part, ir.AddColumn):
                    default = part.column.default
                    facts["default_is_expression"] = default is not None and (
                        default.volatility != "constant" or default.text.lstrip().startswith("("))
                if isinstance(part, ir.DropColumn):
                    facts["column_in_index"] = (self.state.column_in_index(part.table, part.column)
                                                or added.column_in_index(part.table, part.column))
                if isinstance(part, ir.AddConstraint) and part.constraint_type == "foreign_key":
                    facts["has_index"] = (self.state.has_index(part.table, part.columns)
                                          or added.has_index(part.table, part.columns))
                    facts["on_delete"] = part.references.on_delete if part.references else None
                if isinstance(part, ir.IndexName):
                    facts["name_follows_pattern"] = name_follows_pattern(self.index_name_pattern, part.name)
                    facts["index_name_pattern"] = self.index_name_pattern
                if isinstance(part, ir.AlterColumnType):
                    view = local if norm(part.table) in own else self.state
                    old = part.old_type or view.column_type(part.table, part.column) or part.old_type_in_down
                    facts["old_type"] = str(old) if old else "its current type"
                    facts["new_type"] = str(part.new_type) if part.new_type else "a new type"
                    facts["type_change_safe"] = type_change_safe(old, part.new_type, dialect)
                    facts["type_unchanged"] = type_unchanged(old, part.new_type)
                if isinstance(part, ir.SetNotNull):
                    view = local if norm(part.table) in own else self.state
                    was_nullable = view.nullable(part.table, part.column)
                    # a restated NOT NULL (MySQL MODIFY) changes the column only when it was known to be nullable
                    facts["becomes_not_null"] = was_nullable is True if part.restated else was_nullable is not False
                yield part, facts
                locks.after(part, in_transaction, facts["table_is_new"])
                if isinstance(part, ir.CreateTable):
                    created.add(norm(part.table))
                elif isinstance(part, ir.RenameTable) and norm(part.table) in created:
                    created.add(norm(part.new_name))
                if part is op:
                    for table in _tables_changed(op):
                        if table not in own:
                            own.add(table)
                            if table in self.state.columns:
                                local.columns[table] = dict(self.state.columns[table])
                            if table in self.state.not_null:
                                local.not_null[table] = set(self.state.not_null[table])
                            if table in self.state.typed_only:
                                local.typed_only[table] = set(self.state.typed_only[table])
                    local.apply(op)
