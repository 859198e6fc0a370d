"""Alembic migrations: the `op.*` calls of `upgrade()` / `downgrade()`, read with `ast` (never imported or run).

Handles `with op.batch_alter_table(t) as batch_op:` (calls on the alias act on t) and
`with op.get_context().autocommit_block():` (calls inside run outside Alembic's transaction).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from .. import ir
from ..detect.common import dialect_word
from ..model import Migration
from .base import MigrationUnit, NotText, display_path, read_text, unreadable_migration
from .pyast import UNKNOWN, PySource, argument, keywords, last_name, literal, parse_error, sql_ops

ORM = "alembic"
EXTENSIONS = (".py",)
_REVISION = re.compile(r"^[^\S\n]*revision\s*(?::[^=\n]*)?=", re.MULTILINE)

def claims(path: Path, head: str) -> bool:
    return (path.name != "env.py" and _REVISION.search(head) is not None
            and ("def upgrade" in head or "from alembic" in head or "down_revision" in head))


_DOWN_REVISION = re.compile(r"^[^\S\n]*down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)


def owns(head: str) -> bool:
    """Certainly an Alembic revision, wherever it is: both `revision = ...` and `down_revision = ...`."""
    return _REVISION.search(head) is not None and _DOWN_REVISION.search(head) is not None


def migration_key(path: Path) -> str:
    return path.stem


def extract(unit: MigrationUnit) -> Migration:
    path = unit.files[0]
    shown = display_path(path)
    try:
        text = read_text(path)
    except NotText as problem:
        return unreadable_migration(unit, path, str(problem))
    migration = Migration(id=unit.id, orm=ORM, dialect=unit.dialect, path=shown, sources={shown: text},
                          transactional=True)
    try:
        source = PySource.parse(shown, text)
    except (SyntaxError, ValueError) as error:
        migration.operations.append(parse_error(shown, error, unit.id))
        return migration
    functions = {node.name: node for node in source.tree.body if isinstance(node, ast.FunctionDef)}
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    if upgrade is not None:
        migration.operations += Reader(source, unit, "up").block(upgrade.body)
    if downgrade is None:
        migration.down = "missing"
    else:
        migration.down_location = source.location(downgrade)
        migration.down_location = ir.Location(shown, downgrade.lineno, migration.down_location.column,
                                              downgrade.lineno)
        migration.down = down_state(downgrade.body)
        migration.operations += Reader(source, unit, "down").block(downgrade.body)
    return migration


def branch_dialect(test: ast.expr) -> tuple[str | None, bool]:
    """`if conn.dialect.name == "mysql":` / `if dialect_name != "sqlite":` -> ("mysql", False) / ("sqlite", True): the
    SQL written for one database in a migration that supports several (Airflow, MLflow) is read in that dialect."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq))):
        return None, False
    sides = [test.left, test.comparators[0]]
    names = [side.value for side in sides if isinstance(side, ast.Constant) and isinstance(side.value, str)]
    subject = next((side for side in sides if not isinstance(side, ast.Constant)), None)
    text = ast.unparse(subject) if subject is not None else ""
    dialect = dialect_word(names[0]) if len(names) == 1 else None
    if dialect is None or not ("dialect" in text or text.endswith("engine.name")):
        return None, False
    return dialect, isinstance(test.ops[0], ast.NotEq)


def down_state(body: list[ast.stmt]) -> ir.DownState:
    statements = list(body)
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant) \
            and isinstance(statements[0].value.value, str):
        statements = statements[1:]  # docstring
    statements = [s for s in statements if not (isinstance(s, ast.Pass) or _only_logs(s) or (
        isinstance(s, ast.Return) and (s.value is None or literal(s.value) is None)) or (
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis))]
    if not statements:
        return "noop"
    if all(isinstance(s, ast.Raise) for s in statements):
        return "raises"
    return "present"


_LOGGERS = {"print", "log", "logger", "logging", "LOG", "LOGGER", "log_", "_log", "_logger", "warnings", "click"}


def _only_logs(statement: ast.stmt) -> bool:
    """`print(...)`, `logger.info(...)`, `logging.warning(...)`, `warnings.warn(...)`: says something, undoes nothing."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    func = statement.value.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in _LOGGERS


class Reader:
    """Turns the calls of one function body into operations, in order."""

    def __init__(self, source: PySource, unit: MigrationUnit, direction: ir.Direction) -> None:
        self.source, self.unit, self.direction = source, unit, direction
        self.dialect = unit.dialect  # the SQL is read in this dialect: another one in an `if dialect == "mysql":`

    def branch(self, statements: list[ast.stmt], aliases: dict[str, str], dialect: str | None) -> list[ir.Operation]:
        outer = self.dialect
        self.dialect = dialect or outer
        try:
            ops = self.block(statements, aliases)
        finally:
            self.dialect = outer
        for op in ops:  # they run on that database only, and are judged by its rules
            op.dialect = op.dialect or dialect
        return ops

    def block(self, statements: list[ast.stmt], aliases: dict[str, str] | None = None) -> list[ir.Operation]:
        aliases = aliases or {}
        ops: list[ir.Operation] = []
        for statement in statements:
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                ops += self.with_block(statement, aliases)
            elif isinstance(statement, ast.If):
                dialect, negated = branch_dialect(statement.test)
                ops += self.branch(statement.body, aliases, None if negated else dialect)
                ops += self.branch(statement.orelse, aliases, dialect if negated else None)
            elif isinstance(statement, (ast.For, ast.While, ast.AsyncFor)):
                ops += self.block(statement.body, aliases) + self.block(statement.orelse, aliases)
            elif isinstance(statement, ast.Try):
                ops += self.block(statement.body, aliases)
                for handler in statement.handlers:
                    ops += self.block(handler.body, aliases)
                ops += self.block(statement.orelse, aliases) + self.block(statement.finalbody, aliases)
            elif isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) and statement.value is not None:
                if isinstance(statement.value, ast.Call) and self.is_op_call(statement.value, aliases):
                    ops += self.call(statement.value, aliases)
                else:
                    ops += self.connection_sql(statement.value)
        return ops

    def is_op_call(self, call: ast.Call, aliases: dict[str, str]) -> bool:
        func = call.func
        return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and (func.value.id == "op" or func.value.id in aliases))

    def connection_sql(self, expression: ast.expr) -> list[ir.Operation]:
        """SQL run on the connection: `op.get_bind().execute(sa.text("..."))`, `conn.exec_driver_sql("...")`."""
        ops: list[ir.Operation] = []
        calls = sorted((n for n in ast.walk(expression) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                        and n.func.attr in ("execute", "exec_driver_sql")), key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            node = self.source.resolve(argument(call, 0, "statement"))
            if isinstance(node, ast.Call) and last_name(node.func) == "text" and node.args:
                node = node.args[0]
            if node is not None:
                ops += sql_ops(self.source, node, dialect=self.dialect, migration=self.unit.id,
                               direction=self.direction) or []
        return ops

    def with_block(self, statement: ast.With | ast.AsyncWith, aliases: dict[str, str]) -> list[ir.Operation]:
        inner = dict(aliases)
        autocommit = None
        for item in statement.items:
            call = item.context_expr
            if not isinstance(call, ast.Call):
                continue
            name = last_name(call.func)
            if name == "batch_alter_table" and isinstance(item.optional_vars, ast.Name):
                table, schema = literal(argument(call, 0, "table_name")), literal(keywords(call).get("schema"))
                table = table if isinstance(table, str) else "?"
                inner[item.optional_vars.id] = f"{schema}.{table}" if isinstance(schema, str) else table
            elif name == "autocommit_block":
                autocommit = call
        ops = self.block(statement.body, inner)
        if autocommit is not None:
            ops = [self.make(ir.Transaction, autocommit, action="commit", by_tool=True), *ops,
                   self.make(ir.Transaction, autocommit, action="begin", by_tool=True)]
        return ops

    def make(self, cls: Any, node: ast.AST, **fields: Any) -> Any:
        fields.setdefault("source", self.source.source_of(node))
        return cls(location=self.source.location(node), migration=self.unit.id, direction=self.direction, **fields)

    def call(self, call: ast.Call, aliases: dict[str, str]) -> list[ir.Operation]:
        func = call.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return []
        owner = func.value.id
        if owner in aliases:
            table: str | None = aliases[owner]
        elif owner == "op":
            table = None
        else:
            return []
        handler = getattr(self, "op_" + func.attr, None)
        if handler is None:
            return [self.make(ir.Raw, call, keyword=func.attr)]
        ops = handler(call, table, _Args(call, 0 if table is None else 1))
        if table is None:
            _qualify(ops, keywords(call))
        return ops

    # --- tables ---------------------------------------------------------------------------------------------------

    def op_create_table(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        table = a.str(0, "table_name")
        columns: list[ir.ColumnDef] = []
        constraints: list[ir.AddConstraint] = []
        for node in call.args[1:]:
            if not isinstance(node, ast.Call):
                continue
            kind = last_name(node.func)
            if kind == "Column":
                column = column_def(node)
                if column is not None:
                    columns.append(column)
                    if column.references is not None:
                        constraints.append(self.make(ir.AddConstraint, node, table=table,
                                                     constraint_type="foreign_key", columns=(column.name,),
                                                     references=column.references))
            elif kind == "ForeignKeyConstraint":
                local = _strings(argument(node, 0, "columns"))
                remote = _strings(argument(node, 1, "refcolumns"))
                ref_table = remote[0].rsplit(".", 1)[0] if remote and "." in remote[0] else "?"
                constraints.append(self.make(
                    ir.AddConstraint, node, table=table, constraint_type="foreign_key", columns=local,
                    name=_str(keywords(node).get("name")), references=ir.ForeignKeyRef(
                        ref_table, tuple(r.rsplit(".", 1)[-1] for r in remote), _str(keywords(node).get("ondelete")))))
            elif kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
                cols = tuple(c for c in (literal(x) for x in node.args) if isinstance(c, str))
                ctype = "primary_key" if kind == "PrimaryKeyConstraint" else "unique"
                for column in columns:
                    if ctype == "primary_key" and column.name in cols:
                        column.primary_key, column.nullable = True, False
                constraints.append(self.make(ir.AddConstraint, node, table=table, constraint_type=ctype,
                                             columns=cols, name=_str(keywords(node).get("name"))))
        return [self.make(ir.CreateTable, call, table=table, columns=columns, constraints=constraints,
                          if_not_exists=a.kw("if_not_exists") is True)]

    def op_drop_table(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        return [self.make(ir.DropTable, call, table=a.str(0, "table_name"), if_exists=a.kw("if_exists") is True)]

    def op_rename_table(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        return [self.make(ir.RenameTable, call, table=a.str(0, "old_table_name"), new_name=a.str(1, "new_table_name"))]

    # --- columns --------------------------------------------------------------------------------------------------

    def op_add_column(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        table = table or a.str(0, "table_name")
        node = a.node(1, "column")
        column = column_def(node) if isinstance(node, ast.Call) else None
        if column is None:
            return [self.make(ir.Raw, call, keyword="add_column")]
        return [self.make(ir.AddColumn, call, table=table, column=column)]

    def op_drop_column(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        table = table or a.str(0, "table_name")
        return [self.make(ir.DropColumn, call, table=table, column=a.str(1, "column_name"))]

    def op_alter_column(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        from .sa_types import column_type

        table = table or a.str(0, "table_name")
        column = a.str(1, "column_name")
        kw = keywords(call)
        ops: list[ir.Operation] = []
        if "type_" in kw and literal(kw["type_"]) is not None:
            new, old = column_type(kw["type_"]), column_type(kw.get("existing_type"))
            if not (new is not None and old is not None and (new.name, new.params) == (old.name, old.params)):
                using = _str(kw.get("postgresql_using"))
                ops.append(self.make(ir.AlterColumnType, call, table=table, column=column, new_type=new,
                                     old_type=old, using=using))
        nullable, existing_nullable = literal(kw.get("nullable")), literal(kw.get("existing_nullable"))
        if "nullable" in kw and nullable is False and existing_nullable is not False:
            ops.append(self.make(ir.SetNotNull, call, table=table, column=column))
        elif "nullable" in kw and nullable is True and existing_nullable is not True:
            ops.append(self.make(ir.DropNotNull, call, table=table, column=column))
        if "server_default" in kw and literal(kw["server_default"]) is not False:
            ops.append(self.make(ir.SetDefault, call, table=table, column=column,
                                 default=server_default(kw["server_default"])))
        if isinstance(literal(kw.get("new_column_name")), str):
            ops.append(self.make(ir.RenameColumn, call, table=table, column=column,
                                 new_name=literal(kw["new_column_name"])))
        return ops

    # --- indexes and constraints ----------------------------------------------------------------------------------

    def op_create_index(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        name = a.str(0, "index_name", shift=False)
        table = table or a.str(1, "table_name", shift=False)
        columns_node = a.node(2, "columns") if a.shift == 0 else argument(call, 1, "columns")
        elements = columns_node.elts if isinstance(columns_node, (ast.List, ast.Tuple)) else [columns_node]
        columns = tuple(v for v in (literal(e) for e in elements if e is not None) if isinstance(v, str))
        return [self.make(ir.CreateIndex, call, table=table, name=name, columns=columns,
                          unique=a.kw("unique") is True, concurrent=a.kw("postgresql_concurrently") is True,
                          expression=len(columns) < len([e for e in elements if e is not None]),
                          if_not_exists=a.kw("if_not_exists") is True)]

    def op_drop_index(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        name = a.str(0, "index_name", shift=False)
        table = table or _str(argument(call, 1, "table_name"))
        return [self.make(ir.DropIndex, call, name=name, table=table,
                          concurrent=a.kw("postgresql_concurrently") is True, if_exists=a.kw("if_exists") is True)]

    def op_create_foreign_key(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        name = a.str(0, "constraint_name", shift=False)
        if table is None:
            table, referent = a.str(1, "source_table"), a.str(2, "referent_table")
            local, remote = _strings(argument(call, 3, "local_cols")), _strings(argument(call, 4, "remote_cols"))
        else:
            referent = _str(argument(call, 1, "referent_table")) or "?"
            local, remote = _strings(argument(call, 2, "local_cols")), _strings(argument(call, 3, "remote_cols"))
        ref = ir.ForeignKeyRef(referent, remote, _str(keywords(call).get("ondelete")))
        return [self.make(ir.AddConstraint, call, table=table, constraint_type="foreign_key", name=name,
                          columns=local, references=ref)]

    def op_create_unique_constraint(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        return self._constraint(call, table, a, "unique")

    def op_create_primary_key(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        return self._constraint(call, table, a, "primary_key")

    def op_create_check_constraint(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        name = a.str(0, "constraint_name", shift=False)
        table = table or a.str(1, "table_name", shift=False)
        return [self.make(ir.AddConstraint, call, table=table, constraint_type="check", name=name)]

    def _constraint(self, call: ast.Call, table: str | None, a: _Args, kind: str) -> list[ir.Operation]:
        name = a.str(0, "constraint_name", shift=False)
        if table is None:
            table, columns = a.str(1, "table_name", shift=False), _strings(argument(call, 2, "columns"))
        else:
            columns = _strings(argument(call, 1, "columns"))
        return [self.make(ir.AddConstraint, call, table=table, constraint_type=kind, name=name, columns=columns)]

    def op_drop_constraint(self, call: ast.Call, table: str | None, a: _Args) -> list[ir.Operation]:
        name = a.str(0, "constraint_name", shift=False)
        table = table or a.str(1, "table_name", shift=False)
        return [self.make(ir.DropConstraint, call, table=table, name=name)]

    # --- SQL ------------------------------------------------------------------------------------------------------

    def op_execute(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        node = argument(call, 0, "sqltext")
        node = self.source.resolve(node)
        if isinstance(node, ast.Call) and last_name(node.func) == "text" and node.args:
            node = node.args[0]
        ops = sql_ops(self.source, node, dialect=self.dialect, migration=self.unit.id,
                      direction=self.direction) if node is not None else None
        return ops if ops is not None else [self.make(ir.Raw, call, keyword="execute")]

    def op_bulk_insert(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        return [self.make(ir.Raw, call, keyword="INSERT")]


class _Args:
    """Positional arguments of an op call; `shift` = 1 for batch_op calls, whose table argument is implicit."""

    def __init__(self, call: ast.Call, shift: int) -> None:
        self.call, self.shift = call, shift

    def node(self, position: int, name: str) -> ast.expr | None:
        return argument(self.call, position - self.shift, name) if position - self.shift >= 0 else None

    def str(self, position: int, name: str, shift: bool = True) -> str:
        node = self.node(position, name) if shift else argument(self.call, position, name)
        return _str(node) or "?"

    def kw(self, name: str) -> Any:
        return literal(keywords(self.call).get(name))


def _qualify(ops: list[ir.Operation], kw: dict[str, ast.expr]) -> None:
    """`schema=` / `source_schema=` / `referent_schema=`: schema-qualified table names, as SQL would write them."""
    schema = literal(kw.get("schema", kw.get("source_schema")))
    referent = literal(kw.get("referent_schema"))
    for op in ops:
        if isinstance(schema, str) and isinstance(getattr(op, "table", None), str) and "." not in op.table:  # type: ignore[attr-defined]
            op.table = f"{schema}.{op.table}"  # type: ignore[attr-defined]
            if isinstance(op, ir.RenameTable):
                op.new_name = f"{schema}.{op.new_name}"
        references = getattr(op, "references", None)
        if isinstance(referent, str) and references is not None and "." not in references.table:
            references.table = f"{referent}.{references.table}"


def _str(node: ast.expr | None) -> str | None:
    value = literal(node)
    return value if isinstance(value, str) else None


def _strings(node: ast.expr | None) -> tuple[str, ...]:
    value = literal(node)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def server_default(node: ast.expr) -> ir.Default | None:
    from .sql.values import make_default

    value = literal(node)
    if value is None:
        return None
    if isinstance(value, str):
        return make_default(repr(value))
    if value is not UNKNOWN:
        return make_default(str(value))
    if isinstance(node, ast.Call) and last_name(node.func) == "text" and node.args:
        text = literal(node.args[0])
        return make_default(text if isinstance(text, str) else "?")
    if isinstance(node, ast.Call):  # sa.func.now(), func.gen_random_uuid()
        return make_default(last_name(node.func) + "()")
    return make_default(ast.unparse(node))


def column_def(node: ast.Call) -> ir.ColumnDef | None:
    """`sa.Column("name", sa.Type(...), sa.ForeignKey(...), nullable=..., server_default=..., index=True)`."""
    from .sa_types import column_type, is_type_expr

    kw = keywords(node)
    name = _str(kw.get("name"))
    type_node = kw.get("type_")
    references = None
    generated = False
    for position, arg in enumerate(node.args):
        value = literal(arg)
        if position == 0 and isinstance(value, str):
            name = value
            continue
        if isinstance(arg, ast.Call) and last_name(arg.func) == "ForeignKey":
            target = _str(argument(arg, 0, "column")) or "?"
            table, _, column = target.rpartition(".")
            references = ir.ForeignKeyRef(table or "?", (column,) if column else (),
                                          _str(keywords(arg).get("ondelete")))
        elif isinstance(arg, ast.Call) and last_name(arg.func) in ("Identity", "Computed", "Sequence"):
            generated = True
        elif type_node is None and is_type_expr(arg):
            type_node = arg
    if name is None:
        return None
    primary_key = literal(kw.get("primary_key")) is True
    nullable_value = literal(kw.get("nullable")) if "nullable" in kw else (not primary_key)
    default = server_default(kw["server_default"]) if "server_default" in kw else None
    col_type = column_type(type_node)
    if primary_key and col_type is not None and col_type.name in ("int", "integer", "bigint", "smallint") \
            and literal(kw.get("autoincrement")) is not False:
        generated = True  # SERIAL / IDENTITY
    return ir.ColumnDef(name=name, type=col_type, nullable=nullable_value is not False, default=default,
                        primary_key=primary_key, unique=literal(kw.get("unique")) is True,
                        indexed=literal(kw.get("index")) is True, generated=generated, references=references)


_REVISION_VALUE = re.compile(r"^[^\S\n]*revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION_VALUE = re.compile(r"^[^\S\n]*down_revision\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)


def order_units(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """Revisions in the order Alembic applies them (each after its down_revision), not by their random ids."""
    from .base import read_head

    revisions: dict[str, MigrationUnit] = {}
    parents: dict[int, list[str]] = {}
    for unit in units:
        head = read_head(unit.files[0])
        match = _REVISION_VALUE.search(head)
        if match:
            revisions[match.group(1)] = unit
        down = _DOWN_REVISION_VALUE.search(head)
        parents[id(unit)] = re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)) if down else []
    ordered: list[MigrationUnit] = []
    placed: set[int] = set()

    def place(unit: MigrationUnit, trail: set[int]) -> None:
        if id(unit) in placed or id(unit) in trail:
            return
        trail.add(id(unit))
        for parent in parents.get(id(unit), []):
            if parent in revisions:
                place(revisions[parent], trail)
        placed.add(id(unit))
        ordered.append(unit)

    for unit in units:  # the given (natural) order breaks ties between branches
        place(unit, set())
    return ordered
