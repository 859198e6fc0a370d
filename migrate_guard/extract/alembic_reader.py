"""Reads one Alembic function body (`upgrade()` / `downgrade()`) into operations: statements, branches, loops,
helper calls, `with` blocks, SQL given to the connection and SQLAlchemy Core statements. Each `op.*` call goes to its
handler in alembic_ops.OPS."""

from __future__ import annotations

import ast
from typing import Any

from .. import ir
from .alembic_helpers import bound_call
from .alembic_ops import OPS, Args, qualify
from .alembic_scope import Module, branch_dialect
from .base import MigrationUnit
from .pyast import PySource, argument, dotted, expression_text, keywords, last_name, literal
from .pystrings import Lookup, StringReader, sql_ops

_CORE_STATEMENTS = ("delete", "update", "insert", "select")
_VALUED = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)
_MAX_INLINED = 2000
_NOT_DATABASE_WORK = {"commit", "flush", "close", "debug", "info", "warning", "warn", "error", "exception", "echo"}
_SCHEMA_CONSTRUCTS = {"CreateSchema", "CreateSequence", "DropSequence", "CreateTable", "CreateIndex", "CreateColumn",
                      "AddConstraint", "SetTableComment", "SetColumnComment", "DropTableComment", "DropColumnComment"}


def _rows(elements: list[ast.expr], width: int) -> list[list[ast.expr]]:
    """The rows of a literal list of tuples of this width, or [] when it is not one."""
    rows = [e.elts for e in elements if isinstance(e, (ast.Tuple, ast.List)) and len(e.elts) == width]
    return rows if len(rows) == len(elements) else []


def _lookup(pinned: dict[int, ast.expr | None], bindings: dict[str, ast.expr],
            constants: dict[str, ast.expr]) -> Lookup:
    def lookup(name: ast.Name) -> ast.expr | None:
        if id(name) in pinned:
            return pinned[id(name)]
        return bindings.get(name.id, constants.get(name.id))

    return lookup


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
        # not a bound method: a Reader -> StringReader -> Reader cycle kept each file's tree until the cyclic GC ran
        self.lookup = _lookup(self.pinned, self.bindings, source.constants)
        self.strings = StringReader(source, self.lookup)
        self.functions: dict[str, ast.FunctionDef] = dict(self.module.helpers)  # helpers this body may call

    def bind(self, statement: ast.stmt) -> None:
        targets: list[ast.expr]
        value: ast.expr
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) \
                and isinstance(statement.op, ast.Add):  # sql += "..." is sql = sql + "..."
            augmented = statement.target
            added = ast.BinOp(left=ast.Name(id=augmented.id, ctx=ast.Load()), op=ast.Add(), right=statement.value)
            ast.copy_location(added, statement.value)
            ast.copy_location(added.left, augmented)
            targets, value = [augmented], added
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
            if isinstance(statement, _VALUED):  # the usual statement first: the kinds below are disjoint from these
                if statement.value is not None:
                    ops += self.expression(statement, statement.value, aliases)
                    if not isinstance(statement, ast.Expr):
                        self.bind(statement)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
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
        return ops

    def loop(self, statement: ast.For | ast.AsyncFor, aliases: dict[str, str]) -> list[ir.Operation]:
        """`for table in ("a", "b"): op.drop_table(table)`: the body once per name of a literal list (a drop of a and
        a drop of b), also per row of a list of tuples unpacked (`for table, column in COLUMNS`); over anything else,
        once with the loop variable unknown."""
        items = self.strings.resolve(statement.iter)
        elements = [self.strings.resolve(e) or e for e in items.elts] \
            if isinstance(items, (ast.List, ast.Tuple, ast.Set)) else []
        names = [literal(e) for e in elements]
        ops: list[ir.Operation] = []
        target = statement.target
        unpacked = [n.id for n in target.elts if isinstance(n, ast.Name)] if isinstance(target, ast.Tuple) else []
        if isinstance(target, ast.Name) and names and len(names) <= 50 and all(isinstance(n, str) for n in names):
            for element in elements:
                self.bindings[target.id] = element
                ops += self.block(statement.body, aliases)
        elif isinstance(target, ast.Tuple) and unpacked and len(unpacked) == len(target.elts) \
                and 0 < len(rows := _rows(elements, len(unpacked))) <= 50:
            for row in rows:  # `for table, column in [("users", "bio"), ...]:` the body once per row
                for name, value in zip(unpacked, row):
                    self.bindings[name] = value
                ops += self.block(statement.body, aliases)
        else:
            ops += self.block(statement.body, aliases)
        return ops + self.block(statement.orelse, aliases)

    def expression(self, statement: ast.stmt, value: ast.expr, aliases: dict[str, str]) -> list[ir.Operation]:
        if isinstance(value, ast.Call):
            func = value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in aliases:
                return self.call(value, aliases)
            name = self.op_function(func)
            if name is not None:
                return self.call(value, aliases, name)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.functions:
            return self.inline(value, self.functions[value.func.id], aliases)
        ops = self.connection_sql(value) + self.orm_queries(value)
        foreign = self.foreign(value) if isinstance(statement, ast.Expr) and isinstance(value, ast.Call) else None
        if not ops and foreign and isinstance(value, ast.Call):
            ops = self.project_helper(value, aliases)
            if not ops:
                ops.append(self.make(ir.Unreadable, value, what=expression_text(self.source, value),
                                     reason=f"This call to {foreign} may change the database, but its code is in "
                                            "another module"))
        return ops

    def project_helper(self, call: ast.Call, aliases: dict[str, str]) -> list[ir.Operation]:
        """A helper function of another module of the project (superset's `create_table(name, *columns)` in
        migrations/shared/utils.py): its operations, read there with its parameters bound to the call's arguments,
        all reported at the call. Empty when it is not found or nothing in it is read."""
        from .py_models import project_function

        found = project_function(self.source.tree, self.source.path, call.func)
        if found is None:
            return []
        source, function = found
        ops = self.inline(call, function, aliases, source, Module.of(source.tree), f"{source.path}:{function.name}")
        location, text = self.source.place(call)
        for op in ops:  # where it is written is another file
            for part in (op, *getattr(op, "constraints", ())):  # a created table's constraints are operations too
                part.location, part.source = location, text
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
        """A model class (`class User(Base): __tablename__ = "users"`, of this file or imported from the project) or a
        table: its table's name."""
        value = self.strings.resolve(node)
        if isinstance(node, ast.Name):
            from .py_models import model_table

            name = model_table(self.source.tree, self.source.path, node.id)
            if name is not None:
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
        from .py_models import in_project

        return f"{name}() from {module}" if in_project(self.source.path, module) else None

    def inline(self, call: ast.Call, function: ast.FunctionDef, aliases: dict[str, str],
               source: PySource | None = None, module: Module | None = None,
               name: str | None = None) -> list[ir.Operation]:
        """A helper of this file (`def drop_legacy(name): op.drop_table(name)`) called from upgrade(): its operations,
        with its parameters bound to the call's arguments (`*columns` and `**kwargs` spread where the helper passes
        them on), reported at the call (or, when the call passes nothing, where each operation is written).
        `source`, `module`, `name`: a helper of another module (project_helper)."""
        name = name or function.name
        if name in self.following or len(self.following) >= 8:
            return []
        self.module.inlined += 1
        if self.module.inlined > _MAX_INLINED:
            return [self.make(ir.Unreadable, call, what=expression_text(self.source, call),
                              reason="This helper call is one of too many nested helper calls to follow")]
        helper = Reader(source or self.source, self.unit, self.direction, module or self.module,
                        (*self.following, name))
        helper.dialect = self.dialect
        function, values, given = bound_call(function, call, self.lookup if source is not None else None)
        for parameter, value in values.items():
            helper.bindings[parameter] = self.strings.resolve(value) or value
        ops = helper.block(function.body, aliases)
        if not given:  # nothing of the call shapes them: they stay where they are written, where the fix goes
            return ops
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
                table = literal(self.strings.resolve(argument(call, 0, "table_name")))
                schema = literal(keywords(call).get("schema"))
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
        location, source = self.source.place(node)
        fields.setdefault("source", source)
        return cls(location=location, migration=self.unit.id, direction=self.direction, **fields)

    def call(self, call: ast.Call, aliases: dict[str, str], name: str | None = None) -> list[ir.Operation]:
        """An op call; `name`: its op_function, when worked out already (then it is no batch_op alias call)."""
        func = call.func
        table: str | None = None
        if name is None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in aliases:
            table, name = aliases[func.value.id], func.attr
        elif name is None:
            name = self.op_function(func)
        if name is None:
            return []
        handler = OPS.get(name)
        if handler is None:
            return [self.make(ir.Raw, call, keyword=name)]
        args = Args(call, 0 if table is None else 1, self.strings)
        ops = handler(self, call, table, args)
        if table is None:
            qualify(ops, args.keywords)
        return ops
