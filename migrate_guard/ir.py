"""The operation IR: what a migration does, independent of the tool that wrote it.

Extractors turn SQL, Python and TS/JS migrations into these operations; rules only ever see them. Every operation is
a plain dataclass so rules can match on its fields by name (see engine/matcher.py).

Start-up pays for this module on every run, so: operations compare by identity (`eq=False`: each is one statement
at one place; the small value classes keep value equality) and keep a __dict__ (no __slots__): that halves the code
@dataclass generates at import, and pickle (the cache) reads a __dict__ faster than slots. Each class has a docstring:
without one, @dataclass computes a signature for it with `inspect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .ir_columns import ColumnDef as ColumnDef  # re-exported: the IR's column shapes are ir.ColumnDef, ...
from .ir_columns import ColumnType as ColumnType
from .ir_columns import Default as Default
from .ir_columns import ForeignKeyRef as ForeignKeyRef
from .ir_columns import Volatility as Volatility
from .location import Location as Location  # re-exported: extractors and rules use ir.Location

Direction = Literal["up", "down"]
ConstraintType = Literal["foreign_key", "check", "unique", "primary_key", "exclude", "not_null"]
# How a migration can be undone. "by_design" is for formats that have no down migrations (Prisma, Drizzle).
DownState = Literal["present", "missing", "empty", "noop", "raises", "by_design"]


@dataclass(kw_only=True, eq=False)
class Operation:
    """Base of every operation. `kind` is the name rules match on."""

    location: Location
    migration: str
    direction: Direction = "up"
    source: str = ""  # the original text of the statement or call (first line is enough for messages)
    # The database it runs on when the migration branches on it (`if dialect == "mysql":`); None: the migration's.
    dialect: str | None = None

    kind = "operation"


# --- tables -------------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class CreateTable(Operation):
    """CREATE TABLE, with its columns and inline constraints."""

    kind = "create_table"
    table: str
    columns: list[ColumnDef] = field(default_factory=list)
    constraints: list[AddConstraint] = field(default_factory=list)
    if_not_exists: bool = False


@dataclass(kw_only=True, eq=False)
class DropTable(Operation):
    """DROP TABLE."""

    kind = "drop_table"
    table: str
    if_exists: bool = False
    cascade: bool = False


@dataclass(kw_only=True, eq=False)
class RenameTable(Operation):
    """ALTER TABLE ... RENAME TO."""

    kind = "rename_table"
    table: str
    new_name: str


# --- columns ------------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class AddColumn(Operation):
    """ALTER TABLE ... ADD COLUMN."""

    kind = "add_column"
    table: str
    column: ColumnDef


@dataclass(kw_only=True, eq=False)
class DropColumn(Operation):
    """ALTER TABLE ... DROP COLUMN."""

    kind = "drop_column"
    table: str
    column: str


@dataclass(kw_only=True, eq=False)
class RenameColumn(Operation):
    """ALTER TABLE ... RENAME COLUMN."""

    kind = "rename_column"
    table: str
    column: str
    new_name: str


@dataclass(kw_only=True, eq=False)
class AlterColumnType(Operation):
    """A column type change (ALTER COLUMN ... TYPE, MODIFY COLUMN, AlterField with a new type)."""

    kind = "alter_column_type"
    table: str
    column: str
    new_type: ColumnType | None  # None: the tool changes the type but we cannot tell to what
    old_type: ColumnType | None = None  # known when the source says (existing_type=, replayed history)
    # what the down restores the column to (a restating tool's down): the old type when no earlier migration tells
    old_type_in_down: ColumnType | None = None
    using: str | None = None
    restated: bool = False  # the whole column restated (changeColumn, .alter(), MODIFY), its type changed or not


@dataclass(kw_only=True, eq=False)
class SetNotNull(Operation):
    """ALTER COLUMN ... SET NOT NULL (or a field made required)."""

    kind = "set_not_null"
    table: str
    column: str
    # MySQL's MODIFY/CHANGE restate the whole column: NOT NULL there may be what it already was
    restated: bool = False


@dataclass(kw_only=True, eq=False)
class DropNotNull(Operation):
    """ALTER COLUMN ... DROP NOT NULL."""

    kind = "drop_not_null"
    table: str
    column: str


@dataclass(kw_only=True, eq=False)
class SetDefault(Operation):
    """ALTER COLUMN ... SET DEFAULT or DROP DEFAULT."""

    kind = "set_default"
    table: str
    column: str
    default: Default | None  # None: DROP DEFAULT


# --- indexes ------------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class CreateIndex(Operation):
    """CREATE [UNIQUE] INDEX [CONCURRENTLY]."""

    kind = "create_index"
    table: str
    name: str | None = None
    columns: tuple[str, ...] = ()
    unique: bool = False
    concurrent: bool = False
    expression: bool = False  # at least one key is an expression, not a plain column
    if_not_exists: bool = False
    # the field whose definition makes the tool build it (Django: "ForeignKey order.customer", db_index=True)
    built_by: str | None = None


@dataclass(kw_only=True, eq=False)
class DropIndex(Operation):
    """DROP INDEX [CONCURRENTLY]."""

    kind = "drop_index"
    name: str
    table: str | None = None
    concurrent: bool = False
    if_exists: bool = False


# --- constraints --------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class AddConstraint(Operation):
    """A constraint added to an existing table (or declared inline in CREATE TABLE)."""

    kind = "add_constraint"
    table: str
    constraint_type: ConstraintType
    name: str | None = None
    columns: tuple[str, ...] = ()
    references: ForeignKeyRef | None = None
    not_valid: bool = False
    using_index: str | None = None
    with_column: bool = False  # declared with the column it is on (ADD COLUMN c text UNIQUE)


@dataclass(kw_only=True, eq=False)
class DropConstraint(Operation):
    """ALTER TABLE ... DROP CONSTRAINT."""

    kind = "drop_constraint"
    table: str
    name: str


@dataclass(kw_only=True, eq=False)
class ValidateConstraint(Operation):
    """ALTER TABLE ... VALIDATE CONSTRAINT (after NOT VALID)."""

    kind = "validate_constraint"
    table: str
    name: str


# --- data ---------------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class Truncate(Operation):
    """TRUNCATE of one or more tables."""

    kind = "truncate"
    tables: tuple[str, ...]

    @property
    def table(self) -> str:
        return ", ".join(self.tables)


@dataclass(kw_only=True, eq=False)
class Delete(Operation):
    """DELETE FROM, with or without WHERE."""

    kind = "delete"
    table: str
    has_where: bool


@dataclass(kw_only=True, eq=False)
class Update(Operation):
    """UPDATE, with or without WHERE."""

    kind = "update"
    table: str
    has_where: bool


@dataclass(kw_only=True, eq=False)
class RewriteTable(Operation):
    """A statement that rebuilds a table or its indexes under a lock: VACUUM FULL, CLUSTER, ALTER TABLE ... SET
    TABLESPACE / SET LOGGED / SET UNLOGGED, REINDEX. `table` is "" when it names none (the whole database)."""

    kind = "rewrite_table"
    table: str
    command: str  # "VACUUM FULL", "CLUSTER", "SET TABLESPACE", "SET LOGGED", "SET UNLOGGED", "REINDEX"; MySQL:
    # "CONVERT TO CHARACTER SET", "ENGINE", "OPTIMIZE TABLE", "DROP PRIMARY KEY"
    concurrent: bool = False  # REINDEX CONCURRENTLY


@dataclass(kw_only=True, eq=False)
class AlterTableOptions(Operation):
    """MySQL's ALTER TABLE ... , ALGORITHM=COPY, LOCK=EXCLUSIVE: how the server must run the statement."""

    kind = "alter_table_options"
    table: str
    algorithm: str | None = None  # upper case: COPY, INPLACE, INSTANT, DEFAULT
    lock: str | None = None  # upper case: NONE, SHARED, EXCLUSIVE, DEFAULT


# --- databases and schemas ----------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class DropDatabase(Operation):
    """DROP DATABASE."""

    kind = "drop_database"
    name: str


@dataclass(kw_only=True, eq=False)
class DropSchema(Operation):
    """DROP SCHEMA."""

    kind = "drop_schema"
    name: str
    cascade: bool = False


# --- control and everything else ----------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class Transaction(Operation):
    """BEGIN, COMMIT or ROLLBACK written in the migration, or the tool's own transaction suspended."""

    kind = "transaction"
    action: Literal["begin", "commit", "rollback"]
    # The tool's own per-migration transaction committed and reopened (Alembic's autocommit_block()), not a BEGIN
    by_tool: bool = False


@dataclass(kw_only=True, eq=False)
class AddEnumValue(Operation):
    """Postgres ALTER TYPE ... ADD VALUE: a new value of an enum type."""

    kind = "add_enum_value"
    type_name: str
    value: str


@dataclass(kw_only=True, eq=False)
class RenameType(Operation):
    """Postgres ALTER TYPE ... RENAME TO: the columns of that type keep it under its new name."""

    kind = "rename_type"
    type_name: str
    new_name: str


@dataclass(kw_only=True, eq=False)
class Setting(Operation):
    """SET of a session setting (lock_timeout, statement_timeout, ...)."""

    kind = "setting"
    name: str  # lower case: lock_timeout, statement_timeout, ...
    value: str


@dataclass(kw_only=True, eq=False)
class RunCode(Operation):
    """Code the tool runs that we cannot see into (Django RunPython) or SQL given without a reverse."""

    kind = "run_code"
    language: Literal["python", "sql", "js"]
    has_reverse: bool = True
    reverse_noop: bool = False  # the reverse given is the tool's no-op (Django's RunSQL.noop / RunPython.noop)
    # what its forward step does, as far as it can be read (these operations are in the migration's list too)
    forward: list[Operation] = field(default_factory=list)


@dataclass(kw_only=True, eq=False)
class Raw(Operation):
    """A statement understood well enough to know no rule applies (INSERT, COMMENT ON, GRANT, ...)."""

    kind = "raw"
    keyword: str = ""


@dataclass(kw_only=True, eq=False)
class Unreadable(Operation):
    """Database work whose content cannot be known without running the code: SQL built by a call, operations
    returned by a function of another module. No rule has checked it, so the migration is unreviewed."""

    kind = "unreadable"
    what: str  # the expression or call, as written
    reason: str  # a sentence start: "The SQL passed to op.execute() is built at run time"


@dataclass(kw_only=True, eq=False)
class ParseError(Operation):
    """A statement or file that could not be read: reported, and the rest of the file is still linted."""

    kind = "parse_error"
    message: str


@dataclass(kw_only=True, eq=False)
class MigrationInfo(Operation):
    """One per migration, at its first line: facts about the migration as a whole."""

    kind = "migration"
    down: DownState
    orm: str


# Schema-level findings for declarative schema files (schema.prisma) that are not migrations.
@dataclass(kw_only=True, eq=False)
class RelationField(Operation):
    """A relation declared in a schema file (schema.prisma), checked against the migrations."""

    kind = "relation"
    table: str
    column: str
    on_delete: str | None = None
    indexed: bool = True
    relation_mode: str | None = None  # the datasource's relationMode ("prisma": no foreign key in the database)


@dataclass(kw_only=True, eq=False)
class IndexName(Operation):
    """An index name declared in a schema file, checked against the naming pattern."""

    kind = "index_name"
    table: str
    name: str
