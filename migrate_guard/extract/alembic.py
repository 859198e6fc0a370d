"""Alembic migrations: the `op.*` calls of `upgrade()` / `downgrade()`, read with `ast` (never imported or run).

Handles `with op.batch_alter_table(t) as batch_op:` (calls on the alias act on t) and
`with op.get_context().autocommit_block():` (calls inside run outside Alembic's transaction).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import ir
from ..dialects import dialect_word
from ..model import Migration
from .base import MigrationUnit, NotText, display_path, unreadable_migration
from .pyast import (UNKNOWN, PySource, StringReader, argument, dotted, expression_text, keywords, last_name, literal,
                    parse_error, read_python, sql_ops, unparse)

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
        text = read_python(path)
    except NotText as problem:
        return unreadable_migration(unit, path, str(problem))
    migration = Migration(id=unit.id, orm=ORM, dialect=unit.dialect, path=shown, sources={shown: text},
                          transactional=True)
    try:
        source = PySource.parse(shown, text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        migration.operations.append(parse_error(shown, error, unit.id))
        return migration
    try:
        _read_functions(source, unit, migration)
    except RecursionError:  # a guard: every reader above is iterative or depth-bounded
        migration.operations = [ir.ParseError(location=ir.Location(shown, 1, 1, 1), migration=unit.id,
                                              message="could not read this file: its expressions nest too deeply")]
    return migration


def _read_functions(source: PySource, unit: MigrationUnit, migration: Migration) -> None:
    shown = source.path
    module = Module.of(source.tree)
    functions = {node.name: node for node in source.tree.body if isinstance(node, ast.FunctionDef)}
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    if upgrade is not None:
        migration.operations += Reader(source, unit, "up", module).block(upgrade.body)
    if downgrade is None:
        migration.down = "missing"
    else:
        migration.down_location = source.location(downgrade)
        migration.down_location = ir.Location(shown, downgrade.lineno, migration.down_location.column,
                                              downgrade.lineno)
        migration.down = down_state(downgrade.body)
        migration.operations += Reader(source, unit, "down", module).block(downgrade.body)


# Modules whose functions, called as a statement in upgrade(), do no database work we could miss.
_KNOWN_MODULES = {"alembic", "sqlalchemy", "sqlalchemy_utils", "geoalchemy2", "sqlmodel", "alembic_utils",
                  "__future__", *sys.stdlib_module_names}
_CORE_STATEMENTS = ("delete", "update", "insert", "select")
_MAX_INLINED = 2000
_NOT_DATABASE_WORK = {"commit", "flush", "close", "debug", "info", "warning", "warn", "error", "exception", "echo"}
_SCHEMA_CONSTRUCTS = {"CreateSchema", "CreateSequence", "DropSequence", "CreateTable", "CreateIndex", "CreateColumn",
                      "AddConstraint", "SetTableComment", "SetColumnComment", "DropTableComment", "DropColumnComment"}


@dataclass(slots=True)
class Module:
    """What a migration module's imports and definitions tell about the names its functions use."""

    op_names: set[str] = field(default_factory=lambda: {"op"})  # `op`, `alembic_op`, `alembic.op`
    op_functions: dict[str, str] = field(default_factory=dict)  # `from alembic.op import drop_table as dt`
    sqlalchemy_names: set[str] = field(default_factory=lambda: {"sa", "sqlalchemy"})
    helpers: dict[str, ast.FunctionDef] = field(default_factory=dict)  # functions of this file: followed
    foreign: dict[str, str] = field(default_factory=dict)  # name -> the project module it comes from: opaque
    inlined: int = 0  # helper calls followed so far in this file (helpers calling helpers ten times each...)

    @classmethod
    def of(cls, tree: ast.Module) -> Module:
        module = cls()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name not in ("upgrade", "downgrade"):
                module.helpers[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imported(alias.name, alias.asname)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    module.imported_from("." * node.level + (node.module or ""), alias.name, alias.asname)
        return module

    def imported(self, name: str, asname: str | None) -> None:
        top = name.split(".")[0]
        if name == "alembic.op":
            self.op_names.add(asname or "alembic.op")
        elif name == "alembic" and asname is None:
            self.op_names.add("alembic.op")
        elif top == "sqlalchemy":
            self.sqlalchemy_names.add(asname or name)
        elif top not in _KNOWN_MODULES:
            self.foreign[asname or top] = name

    def imported_from(self, module: str, name: str, asname: str | None) -> None:
        if module == "alembic" and name == "op":
            self.op_names.add(asname or "op")
        elif module == "alembic.op":
            self.op_functions[asname or name] = name
        elif module.split(".")[0] == "sqlalchemy":
            self.sqlalchemy_names.add(asname or name)
        elif module.startswith(".") or module.split(".")[0] not in _KNOWN_MODULES:
            self.foreign[asname or name] = module


def branch_dialect(test: ast.expr) -> tuple[str | None, bool]:
    """`if conn.dialect.name == "mysql":` / `if dialect_name != "sqlite":` -> ("mysql", False) / ("sqlite", True): the
    SQL written for one database in a migration that supports several (Airflow, MLflow) is read in that dialect."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq))):
        return None, False
    sides = [test.left, test.comparators[0]]
    names = [side.value for side in sides if isinstance(side, ast.Constant) and isinstance(side.value, str)]
    subject = next((side for side in sides if not isinstance(side, ast.Constant)), None)
    text = unparse(subject) if subject is not None else ""
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

    def __init__(self, source: PySource, unit: MigrationUnit, direction: ir.Direction, module: Module | None = None,
                 following: tuple[str, ...] = ()) -> None:
        self.source, self.unit, self.direction = source, unit, direction
        self.module = module or Module()
        self.dialect = unit.dialect  # the SQL is read in this dialect: another one in an `if dialect == "mysql":`
        self.following = following  # the helper functions being inlined, innermost last (no endless recursion)
        self.bindings: dict[str, ast.expr] = {}  # the function's own `name = value`, the latest one
        self.pinned: dict[int, ast.expr | None] = {}  # `sql = sql + "..."`: that `sql` is the value before
        self.strings = StringReader(source, self.lookup)
        self.functions: dict[str, ast.FunctionDef] = dict(self.module.helpers)  # helpers this body may call

    def lookup(self, name: ast.Name) -> ast.expr | None:
        if id(name) in self.pinned:
            return self.pinned[id(name)]
        return self.bindings.get(name.id, self.source.constants.get(name.id))

    def bind(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) \
                and isinstance(statement.op, ast.Add):  # sql += "..." is sql = sql + "..."
            target = statement.target
            targets = [target]
            value = ast.BinOp(left=ast.Name(id=target.id, ctx=ast.Load()), op=ast.Add(), right=statement.value)
            ast.copy_location(value, statement.value)
            ast.copy_location(value.left, target)
        else:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                earlier = self.lookup(target)
                for node in ast.walk(value):
                    if isinstance(node, ast.Name) and node.id == target.id:
                        self.pinned[id(node)] = earlier
                self.bindings[target.id] = value

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
            elif isinstance(statement, (ast.For, ast.AsyncFor)):
                ops += self.loop(statement, aliases)
            elif isinstance(statement, ast.While):
                ops += self.block(statement.body, aliases) + self.block(statement.orelse, aliases)
            elif isinstance(statement, ast.Try):
                ops += self.block(statement.body, aliases)
                for handler in statement.handlers:
                    ops += self.block(handler.body, aliases)
                ops += self.block(statement.orelse, aliases) + self.block(statement.finalbody, aliases)
            elif isinstance(statement, ast.FunctionDef):  # a helper defined inside upgrade() itself
                self.functions[statement.name] = statement
            elif isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)) \
                    and statement.value is not None:
                ops += self.expression(statement, statement.value, aliases)
                self.bind(statement)
        return ops

    def loop(self, statement: ast.For | ast.AsyncFor, aliases: dict[str, str]) -> list[ir.Operation]:
        """`for table in ("a", "b"): op.drop_table(table)`: the body once per name of a literal list (a drop of a and
        a drop of b); over anything else, once with the loop variable unknown."""
        items = self.strings.resolve(statement.iter)
        names = [literal(e) for e in items.elts] if isinstance(items, (ast.List, ast.Tuple, ast.Set)) else []
        ops: list[ir.Operation] = []
        if isinstance(statement.target, ast.Name) and names and len(names) <= 50 \
                and all(isinstance(n, str) for n in names):
            for element in items.elts:  # type: ignore[union-attr]
                self.bindings[statement.target.id] = element
                ops += self.block(statement.body, aliases)
        else:
            ops += self.block(statement.body, aliases)
        return ops + self.block(statement.orelse, aliases)

    def expression(self, statement: ast.stmt, value: ast.expr, aliases: dict[str, str]) -> list[ir.Operation]:
        if isinstance(value, ast.Call) and self.is_op_call(value, aliases):
            return self.call(value, aliases)
        helper = self.functions.get(value.func.id) if isinstance(value, ast.Call) and isinstance(
            value.func, ast.Name) else None
        if helper is not None:
            return self.inline(value, helper, aliases)
        ops = self.connection_sql(value) + self.orm_queries(value)
        foreign = self.foreign(value) if isinstance(statement, ast.Expr) and isinstance(value, ast.Call) else None
        if not ops and foreign:
            ops.append(self.make(ir.Unreadable, value, what=expression_text(self.source, value),
                                 reason=f"This call to {foreign} may change the database, but its code is in "
                                        "another module"))
        return ops

    def op_owner(self, func: ast.expr) -> bool:
        """`op`, or what the module calls it (`alembic_op`, `alembic.op`)."""
        return dotted(func) in self.module.op_names

    def op_function(self, func: ast.expr) -> str | None:
        """`op.drop_table` / `drop_table` imported from alembic.op / `drop = op.drop_table; drop(...)`: its name."""
        if isinstance(func, ast.Name) and func.id in self.module.op_functions:
            return self.module.op_functions[func.id]
        if isinstance(func, ast.Name):
            bound = self.lookup(func)
            if isinstance(bound, ast.Attribute) and self.op_owner(bound.value):
                return bound.attr
        if isinstance(func, ast.Attribute) and self.op_owner(func.value):
            return func.attr
        return None

    def is_op_call(self, call: ast.Call, aliases: dict[str, str]) -> bool:
        func = call.func
        return self.op_function(func) is not None or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in aliases)

    def orm_queries(self, expression: ast.expr) -> list[ir.Operation]:
        """`session.query(User).delete()` / `.update({...})` with no `.filter()`: every row of the model's table."""
        ops: list[ir.Operation] = []
        for call in ast.walk(expression):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("delete", "update")):
                continue
            current = self.strings.resolve(call.func.value)
            for _ in range(32):
                if not (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)):
                    break
                if current.func.attr == "query" and current.args:
                    cls = ir.Delete if call.func.attr == "delete" else ir.Update
                    ops.append(self.make(cls, call, table=self.model_table(current.args[0]), has_where=False))
                    break
                if current.func.attr not in ("order_by", "execution_options", "enable_eagerloads", "options"):
                    break  # filter(), filter_by(), limit(), anything we do not know: not every row for certain
                current = self.strings.resolve(current.func.value)
        return ops

    def model_table(self, node: ast.expr) -> str:
        """A model class of this file (`class User(Base): __tablename__ = "users"`) or a table: its table's name."""
        value = self.strings.resolve(node)
        if isinstance(node, ast.Name):
            model = next((c for c in self.source.tree.body if isinstance(c, ast.ClassDef) and c.name == node.id), None)
            for statement in model.body if model is not None else []:
                if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets):
                    name = literal(statement.value)
                    if isinstance(name, str):
                        return name
        return self.table_name(value or node)

    def foreign(self, call: ast.Call) -> str | None:
        """`helpers.drop_all()` / `drop_all()` imported from a project module: the module, else None. Ending a
        session's work (`db.session.commit()`) or logging is not database work of its own."""
        name = dotted(call.func)
        root = name.split(".")[0]
        module = self.module.foreign.get(root) if root and not root.endswith("()") else None
        if module is None or name.rsplit(".", 1)[-1] in _NOT_DATABASE_WORK:
            return None
        return f"{name}() from {module}"

    def inline(self, call: ast.Call, function: ast.FunctionDef, aliases: dict[str, str]) -> list[ir.Operation]:
        """A helper of this file (`def drop_legacy(name): op.drop_table(name)`) called from upgrade(): its operations,
        with its parameters bound to the call's arguments, reported at the call."""
        if function.name in self.following or len(self.following) >= 8:
            return []
        self.module.inlined += 1
        if self.module.inlined > _MAX_INLINED:
            return [self.make(ir.Unreadable, call, what=expression_text(self.source, call),
                              reason="This helper call is one of too many nested helper calls to follow")]
        helper = Reader(self.source, self.unit, self.direction, self.module, (*self.following, function.name))
        helper.dialect = self.dialect
        parameters = [*function.args.posonlyargs, *function.args.args]
        defaults = dict(zip([p.arg for p in parameters][len(parameters) - len(function.args.defaults):],
                            function.args.defaults))
        defaults.update({p.arg: d for p, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d})
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        given = {p.arg: a for p, a in zip(parameters, positional)}
        given.update({k.arg: k.value for k in call.keywords if k.arg is not None})
        for name in [p.arg for p in (*parameters, *function.args.kwonlyargs)]:
            value = given.get(name, defaults.get(name))
            if value is not None:
                helper.bindings[name] = self.strings.resolve(value) or value
        ops = helper.block(function.body, aliases)
        at = self.source.location(call)
        for op in ops:
            op.location = at
        return ops

    def connection_sql(self, expression: ast.expr) -> list[ir.Operation]:
        """SQL run on the connection: `op.get_bind().execute(sa.text("..."))`, `conn.exec_driver_sql("...")`."""
        ops: list[ir.Operation] = []
        calls = sorted((n for n in ast.walk(expression) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                        and n.func.attr in ("execute", "exec_driver_sql")), key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            node = argument(call, 0, "statement")
            if node is not None:
                ops += self.statement_ops(node, call, f"{call.func.attr}()")  # type: ignore[attr-defined]
        return ops

    def statement_ops(self, node: ast.expr, call: ast.Call, what: str) -> list[ir.Operation]:
        """What a statement given to op.execute() / connection.execute() does: SQL text, or a SQLAlchemy Core
        `sa.delete(t)` / `t.update().values(...)` (no `.where()`: every row)."""
        schema_ops = self.schema_construct(node, call)
        if schema_ops is not None:
            return schema_ops
        core = self.core_statement(node)
        if core is None:
            return sql_ops(self.source, node, dialect=self.dialect, migration=self.unit.id, direction=self.direction,
                           lookup=self.lookup, what=f"this {what}", at=call)
        kind, table, has_where = core
        if kind == "delete":
            return [self.make(ir.Delete, call, table=table, has_where=has_where)]
        if kind == "update":
            return [self.make(ir.Update, call, table=table, has_where=has_where)]
        return [self.make(ir.Raw, call, keyword=kind.upper())]

    def schema_construct(self, node: ast.expr, call: ast.Call) -> list[ir.Operation] | None:
        """SQLAlchemy DDL constructs: `DDL("...")` is SQL, `DropTable(t)` / `DropSchema("s")` drop, the others
        (`CreateSchema`, `CreateSequence`, `DropSequence`, ...) create or remove no data. None: not one of them."""
        value = self.strings.resolve(node)
        if not isinstance(value, ast.Call) or not value.args:
            return None
        name = last_name(value.func)
        if name == "DDL":
            return sql_ops(self.source, value.args[0], dialect=self.dialect, migration=self.unit.id,
                           direction=self.direction, lookup=self.lookup, what="this DDL()", at=call)
        if name == "DropTable":
            return [self.make(ir.DropTable, call, table=self.table_name(value.args[0]))]
        if name == "DropSchema":
            schema = self.strings.read(value.args[0])
            return [self.make(ir.DropSchema, call, name=schema.text if schema is not None else "?",
                              cascade=literal(keywords(value).get("cascade")) is True)]
        if name in _SCHEMA_CONSTRUCTS:
            return [self.make(ir.Raw, call, keyword=name)]
        return None

    def core_statement(self, node: ast.expr) -> tuple[str, str, bool] | None:
        """(kind, table, has_where) of a SQLAlchemy Core statement, else None."""
        has_where = False
        current = self.strings.resolve(node)
        for _ in range(64):
            if not isinstance(current, ast.Call):
                return None
            func, name = current.func, last_name(current.func)
            if name in _CORE_STATEMENTS:
                owner = func.value if isinstance(func, ast.Attribute) else None
                if owner is None or dotted(owner) in self.module.sqlalchemy_names:  # sa.delete(t[, whereclause])
                    table, where = argument(current, 0, "table"), argument(current, 1, "whereclause")
                else:  # t.delete([whereclause])
                    table, where = owner, argument(current, 0, "whereclause")
                if table is None:
                    return None
                return name, self.table_name(table), has_where or where is not None
            if not isinstance(func, ast.Attribute):
                return None
            has_where = has_where or (name in ("where", "filter", "filter_by") and bool(current.args or
                                                                                      current.keywords))
            current = self.strings.resolve(func.value)
        return None

    def table_name(self, node: ast.expr) -> str:
        """`sa.table("users", ...)` / `sa.Table("users", meta, ...)` (maybe through a name) -> users."""
        value = self.strings.resolve(node)
        if isinstance(value, ast.Call) and last_name(value.func) in ("table", "Table"):
            name = literal(argument(value, 0, "name"))
            if isinstance(name, str):
                return name
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        return "{" + expression_text(self.source, node) + "}"

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
        table: str | None = None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in aliases:
            table, name = aliases[func.value.id], func.attr
        elif self.op_function(func) is not None:
            name = self.op_function(func)  # type: ignore[assignment]
        else:
            return []
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            return [self.make(ir.Raw, call, keyword=name)]
        ops = handler(call, table, _Args(call, 0 if table is None else 1, self.strings))
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
        if node is None:
            return [self.make(ir.Unreadable, call, what=expression_text(self.source, call),
                              reason="This op.execute() is given no statement we can see")]
        return self.statement_ops(node, call, "op.execute()")

    def op_bulk_insert(self, call: ast.Call, _: str | None, a: _Args) -> list[ir.Operation]:
        return [self.make(ir.Raw, call, keyword="INSERT")]


class _Args:
    """Positional arguments of an op call; `shift` = 1 for batch_op calls, whose table argument is implicit."""

    def __init__(self, call: ast.Call, shift: int, strings: StringReader | None = None) -> None:
        self.call, self.shift, self.strings = call, shift, strings

    def node(self, position: int, name: str) -> ast.expr | None:
        node = argument(self.call, position - self.shift, name) if position - self.shift >= 0 else None
        return self.strings.resolve(node) if self.strings is not None and node is not None else node

    def str(self, position: int, name: str, shift: bool = True) -> str:
        """A name argument: its value when it can be read (a literal, a constant, a helper's parameter, an
        f-string), else the expression itself in braces (`{table_name}`), so a drop is still a drop."""
        node = self.node(position, name) if shift else argument(self.call, position, name)
        if self.strings is not None and node is not None:
            node = self.strings.resolve(node)
        value = _str(node)
        if value is None and node is not None and self.strings is not None:
            built = self.strings.read(node)
            if built is not None:
                value = re.sub(r"mg_hole_\d+", lambda m: "{" + built.holes.get(m.group(), "?") + "}", built.text)
            elif not (isinstance(node, ast.Constant) and node.value is None):
                value = "{" + expression_text(self.strings.source, node) + "}"
        return value or "?"

    def kw(self, name: str) -> Any:
        return literal(keywords(self.call).get(name))


def _qualify(ops: list[ir.Operation], kw: dict[str, ast.expr]) -> None:
    """`schema=` / `source_schema=` / `referent_schema=`: schema-qualified table names, as SQL would write them."""
    schema = literal(kw.get("schema", kw.get("source_schema")))
    referent = literal(kw.get("referent_schema"))
    # a create_table's constraints name its table too (indico: every FK, UNIQUE and PRIMARY KEY of a table created
    # with schema= was taken for a change of an existing, unqualified table)
    ops = [*ops, *(c for op in ops if isinstance(op, ir.CreateTable) for c in op.constraints)]
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
    return make_default(unparse(node))


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
