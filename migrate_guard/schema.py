"""The schema a project's migrations built so far (tables, column types, nullability, indexes), replayed operation
by operation. The engine's facts read it, the cache keeps it as checkpoints, and Prisma's schema check replays its
migration history into it: it knows the IR and nothing above it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import ir
from .model import Migration


@lru_cache(maxsize=1 << 16)  # a project's names recur in every statement about them
def norm(name: str | None) -> str:
    if not name:
        return ""
    name = name.strip('"`[]').lower()
    return name[len("public."):] if name.startswith("public.") else name


@dataclass
class SchemaState:
    """What earlier migrations of the same project told us: column types and indexes."""

    columns: dict[str, dict[str, ir.ColumnType | None]] = field(default_factory=dict)
    indexes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # tables created by initial migrations (Migration.initial): still empty for the project's other initial ones
    initial_tables: set[str] = field(default_factory=set)
    # table -> its columns known to be NOT NULL (MySQL's MODIFY restates NOT NULL: a change only if it was nullable)
    not_null: dict[str, set[str]] = field(default_factory=dict)
    # table -> columns known only from a type change (ALTER COLUMN ... TYPE, a restated column): nullability unknown
    typed_only: dict[str, set[str]] = field(default_factory=dict)
    # index name -> its table, for the statements that name an index only (DROP INDEX x)
    index_tables: dict[str, str] = field(default_factory=dict)
    # index or unique/primary key constraint name -> (table, columns): what DROP INDEX / DROP CONSTRAINT takes away
    index_named: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # indexes by table, caught up lazily with `indexes` (which only ever grows): has_index() is then a lookup, not a
    # scan of every index of a long history for every foreign key
    _by_table: dict[str, list[tuple[str, ...]]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=0, init=False, repr=False, compare=False)

    # Pickled for the cache's checkpoints with column types as plain tuples (tens of thousands of objects: plain
    # data loads several times faster), turned back into ColumnType when read; the per-table index lookup is
    # rebuilt on demand, not stored. Equal types share one tuple, which marshal writes once: a tuple per column
    # was most of the 40 MB a 20,000-file project's state took to write.
    def __getstate__(self) -> dict[str, object]:
        shared: dict[Any, Any] = {}
        columns = {table: {column: _shared(_plain(kind), shared) for column, kind in kinds.items()}
                   for table, kinds in self.columns.items()}
        return {"columns": columns, "indexes": self.indexes, "initial_tables": self.initial_tables,
                "not_null": self.not_null, "typed_only": self.typed_only,
                "index_tables": self.index_tables, "index_named": self.index_named}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update({"not_null": {}, "typed_only": {}, "index_named": {}, **state}, _by_table={}, _indexed=0)

    def copy(self) -> SchemaState:
        return SchemaState(columns={t: dict(c) for t, c in self.columns.items()}, indexes=list(self.indexes),
                           initial_tables=set(self.initial_tables),
                           not_null={t: set(c) for t, c in self.not_null.items()},
                           typed_only={t: set(c) for t, c in self.typed_only.items()},
                           index_tables=dict(self.index_tables), index_named=dict(self.index_named))

    def replay(self, migration: Migration) -> None:
        """What a migration leaves behind: its up operations applied; the tables an initial one creates noted."""
        for op in migration.operations:
            if op.direction == "up" and not runs_elsewhere(op, migration.dialect):
                self.apply(op)
                if migration.initial and isinstance(op, ir.CreateTable):
                    self.initial_tables.add(norm(op.table))

    def apply(self, op: ir.Operation) -> None:
        self._apply_nullability(op)
        handler = _APPLY.get(type(op))
        if handler is not None:
            handler(self, op)

    def apply_indexes(self, op: ir.Operation) -> None:
        """What apply() does to the indexes only (the engine's view of the indexes a migration adds)."""
        handler = _APPLY_INDEXES.get(type(op))
        if handler is not None:
            handler(self, op)

    def _create_table(self, op: ir.CreateTable) -> None:
        self.columns[norm(op.table)] = {norm(c.name): c.type for c in op.columns}
        self._column_indexes(op.table, op.columns)
        for constraint in op.constraints:
            self.apply(constraint)

    def _create_table_indexes(self, op: ir.CreateTable) -> None:
        self._column_indexes(op.table, op.columns)
        for constraint in op.constraints:
            self.apply_indexes(constraint)

    def _column_indexes(self, table: str, columns: list[ir.ColumnDef]) -> None:
        for col in columns:
            if col.primary_key or col.unique or col.indexed:
                self.indexes.append((norm(table), (norm(col.name),)))

    def _add_column(self, op: ir.AddColumn) -> None:
        self.columns.setdefault(norm(op.table), {})[norm(op.column.name)] = op.column.type
        self._column_indexes(op.table, [op.column])

    def _alter_column_type(self, op: ir.AlterColumnType) -> None:
        if op.new_type is None:
            return
        columns = self.columns.setdefault(norm(op.table), {})
        if norm(op.column) not in columns:
            self.typed_only.setdefault(norm(op.table), set()).add(norm(op.column))
        columns[norm(op.column)] = op.new_type

    def _drop_column(self, op: ir.DropColumn) -> None:
        self.columns.get(norm(op.table), {}).pop(norm(op.column), None)

    def _rename_column(self, op: ir.RenameColumn) -> None:
        cols = self.columns.get(norm(op.table), {})
        if norm(op.column) in cols:
            cols[norm(op.new_name)] = cols.pop(norm(op.column))

    def _rename_table(self, op: ir.RenameTable) -> None:
        if norm(op.table) in self.columns:
            self.columns[norm(op.new_name)] = self.columns.pop(norm(op.table))

    def _rename_type(self, op: ir.RenameType) -> None:
        for table in self.tables_of_type(op.type_name):
            kinds = self.columns[table]
            for column, kind in kinds.items():
                if _type_name(kind) == norm(op.type_name).split(".")[-1]:
                    kinds[column] = ir.ColumnType(norm(op.new_name), (), op.new_name)

    def tables_of_type(self, type_name: str) -> list[str]:
        """The tables with a column of this (user-defined) type."""
        wanted = norm(type_name).split(".")[-1]
        return [table for table, kinds in self.columns.items() if any(_type_name(k) == wanted for k in kinds.values())]

    def _drop_table(self, op: ir.DropTable) -> None:
        self.columns.pop(norm(op.table), None)

    def _create_index(self, op: ir.CreateIndex) -> None:
        if op.columns:
            self._add_index(op.name, norm(op.table), tuple(norm(c) for c in op.columns))
        if op.name:
            self.index_tables[norm(op.name)] = norm(op.table)

    def _add_constraint(self, op: ir.AddConstraint) -> None:
        if op.constraint_type in ("primary_key", "unique") and op.columns:
            self._add_index(op.name, norm(op.table), tuple(norm(c) for c in op.columns))

    def _add_index(self, name: str | None, table: str, columns: tuple[str, ...]) -> None:
        self.indexes.append((table, columns))
        if name:
            self.index_named[norm(name)] = (table, columns)

    def _drop_index(self, op: ir.DropIndex | ir.DropConstraint) -> None:
        entry = self.index_named.pop(norm(op.name), None)
        if entry is None:
            return
        table, columns = entry
        # the per-table lookup, caught up, loses the same (first) entry as the list: rebuilding it from the whole
        # history after every drop made a long one quadratic
        on_table = self._indexes_on(table)
        if columns in on_table:
            self.indexes.remove(entry)
            on_table.remove(columns)
            self._indexed = len(self.indexes)

    def _apply_nullability(self, op: ir.Operation) -> None:
        change = _NULLABILITY.get(type(op))
        if change is not None:
            change(self, op)

    def _created_nullability(self, op: ir.CreateTable) -> None:
        self.typed_only.pop(norm(op.table), None)
        self.not_null[norm(op.table)] = {norm(c.name) for c in op.columns if not c.nullable or c.primary_key}

    def _dropped_nullability(self, op: ir.DropTable) -> None:
        self.typed_only.pop(norm(op.table), None)
        self.not_null.pop(norm(op.table), None)

    def _added_nullability(self, op: ir.AddColumn) -> None:
        self.typed_only.get(norm(op.table), set()).discard(norm(op.column.name))
        if not op.column.nullable or op.column.primary_key:
            self.not_null.setdefault(norm(op.table), set()).add(norm(op.column.name))

    def _nullable_again(self, op: ir.DropNotNull | ir.DropColumn) -> None:
        self.typed_only.get(norm(op.table), set()).discard(norm(op.column))
        self.not_null.get(norm(op.table), set()).discard(norm(op.column))

    def _set_not_null(self, op: ir.SetNotNull) -> None:
        self.not_null.setdefault(norm(op.table), set()).add(norm(op.column))

    def _key_not_null(self, op: ir.AddConstraint) -> None:
        if op.constraint_type == "primary_key":
            # a primary key makes its columns NOT NULL, and they stay so when it is dropped
            self.not_null.setdefault(norm(op.table), set()).update(norm(c) for c in op.columns)

    def _renamed_column_nullability(self, op: ir.RenameColumn) -> None:
        columns = self.not_null.get(norm(op.table), set())
        if norm(op.column) in columns:
            columns.discard(norm(op.column))
            columns.add(norm(op.new_name))

    def _renamed_table_nullability(self, op: ir.RenameTable) -> None:
        if norm(op.table) in self.not_null:
            self.not_null[norm(op.new_name)] = self.not_null.pop(norm(op.table))

    def column_in_index(self, table: str, column: str, dropped: frozenset[str] = frozenset()) -> bool:
        """Some index, primary key or unique constraint of the table includes the column (in any position), leaving
        out the named ones in `dropped`."""
        gone = {self.index_named[name][1] for name in dropped if name in self.index_named}
        return any(norm(column) in cols and cols not in gone for cols in self._indexes_on(norm(table)))

    def nullable(self, table: str, column: str) -> bool | None:
        """Is the column nullable: True / False as far as earlier migrations tell, None when the column is unknown."""
        if norm(column) in self.not_null.get(norm(table), set()):
            return False  # also of a table no migration created (a primary key added to it)
        if norm(column) not in self.columns.get(norm(table), {}):
            return None
        return None if norm(column) in self.typed_only.get(norm(table), set()) else True

    def column_type(self, table: str, column: str) -> ir.ColumnType | None:
        kinds = self.columns.get(norm(table), {})
        kind: Any = kinds.get(norm(column))
        if isinstance(kind, tuple):  # as unpickled from a checkpoint
            kind = kinds[norm(column)] = ir.ColumnType(*kind)
        return kind

    def has_index(self, table: str, columns: tuple[str, ...]) -> bool:
        wanted = {norm(c) for c in columns}
        size = len(wanted)
        return any(set(cols[:size]) == wanted for cols in self._indexes_on(norm(table)))

    def _indexes_on(self, table: str) -> list[tuple[str, ...]]:
        if self._indexed > len(self.indexes):  # the list was replaced or cut: start over
            self._by_table, self._indexed = {}, 0
        for t, cols in self.indexes[self._indexed:]:
            self._by_table.setdefault(t, []).append(cols)
        self._indexed = len(self.indexes)
        return self._by_table.get(table, [])


# What each kind of operation changes in the schema state (nullability aside: _NULLABILITY).
_APPLY: dict[type, Any] = {
    ir.CreateTable: SchemaState._create_table, ir.AddColumn: SchemaState._add_column,
    ir.AlterColumnType: SchemaState._alter_column_type, ir.DropColumn: SchemaState._drop_column,
    ir.RenameColumn: SchemaState._rename_column, ir.RenameTable: SchemaState._rename_table,
    ir.DropTable: SchemaState._drop_table, ir.CreateIndex: SchemaState._create_index,
    ir.AddConstraint: SchemaState._add_constraint, ir.DropIndex: SchemaState._drop_index,
    ir.DropConstraint: SchemaState._drop_index, ir.RenameType: SchemaState._rename_type,
}


_APPLY_INDEXES: dict[type, Any] = {
    ir.CreateTable: SchemaState._create_table_indexes, ir.AddColumn: lambda state, op: state._column_indexes(
        op.table, [op.column]),
    **{kind: _APPLY[kind] for kind in (ir.CreateIndex, ir.AddConstraint, ir.DropIndex, ir.DropConstraint)},
}


# What each kind of operation changes in the columns known NOT NULL or known by type only.
_NULLABILITY: dict[type, Any] = {
    ir.CreateTable: SchemaState._created_nullability, ir.DropTable: SchemaState._dropped_nullability,
    ir.AddColumn: SchemaState._added_nullability, ir.DropNotNull: SchemaState._nullable_again,
    ir.DropColumn: SchemaState._nullable_again, ir.SetNotNull: SchemaState._set_not_null,
    ir.AddConstraint: SchemaState._key_not_null, ir.RenameColumn: SchemaState._renamed_column_nullability,
    ir.RenameTable: SchemaState._renamed_table_nullability,
}


# The operations apply() changes columns, their types or their nullability with (the others: indexes only, or nothing).
COLUMN_CHANGES = frozenset(_NULLABILITY) | frozenset(_APPLY) - {ir.CreateIndex, ir.DropIndex, ir.DropConstraint}


def runs_elsewhere(op: ir.Operation, dialect: str) -> bool:
    """The operation is in a branch for another database than the migration's (`if dialect == 'sqlite':`)."""
    return op.dialect is not None and op.dialect != dialect


def _type_name(kind: ir.ColumnType | tuple[Any, ...] | None) -> str | None:
    name = kind.name if isinstance(kind, ir.ColumnType) else kind[0] if kind else None
    return norm(name).split(".")[-1] if name else None


def _plain(kind: ir.ColumnType | tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    return (kind.name, kind.params, kind.text) if isinstance(kind, ir.ColumnType) else kind


def _shared(plain: tuple[Any, ...] | None, seen: dict[Any, Any]) -> tuple[Any, ...] | None:
    try:
        return seen.setdefault(plain, plain)
    except TypeError:  # unhashable parameters: kept as they are
        return plain
