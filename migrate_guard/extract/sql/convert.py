"""Turn one parsed sqlglot statement into IR operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ... import ir
from .inline_keys import column_constraints, inline_key_constraints
from .values import SERIAL_TYPES, make_default, parse_type

Make = Callable[..., Any]  # builds an operation with location/migration/direction/source already filled in


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where the statement being converted sits, and the migration it belongs to."""

    dialect: str
    text: str  # the SQL the tokens' offsets point into

    def source(self, node: exp.Expression) -> str:
        """The node as written in the migration (sqlglot's regenerated SQL differs), when positions are known."""
        spans = [(n.meta["start"], n.meta["end"]) for n in node.walk() if "start" in n.meta and "end" in n.meta]
        if not spans:
            return node.sql(dialect=self.dialect)
        start, end = min(s for s, _ in spans), max(e for _, e in spans) + 1
        # positions cover names and literals, not the parentheses of calls: extend to a balanced expression
        depth = self.text.count("(", start, end) - self.text.count(")", start, end)
        after = end + len(self.text[end:]) - len(self.text[end:].lstrip())
        if depth == 0 and self.text[after:after + 1] == "(" and isinstance(node, (exp.Func, exp.Anonymous)):
            end = after
        while end < len(self.text) and (depth > 0 or self.text[end] == "("):
            depth += {"(": 1, ")": -1}.get(self.text[end], 0)
            end += 1
            if depth == 0:
                break
        return self.text[start:end]


def table_name(node: exp.Expression | None) -> str:
    if node is None:
        return "?"
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        parts = [p for p in (node.catalog, node.db, node.name) if p]
        return ".".join(parts) or "?"
    return node.name or node.sql()


def identifier_names(nodes: list[exp.Expression] | None) -> tuple[str, ...]:
    return tuple(n.name for n in nodes or [] if n is not None)


def column_type(dtype: exp.Expression | None, ctx: Ctx) -> ir.ColumnType | None:
    if dtype is None:
        return None
    key = _simple_type_key(dtype, ctx.dialect)
    if key is None:
        column_type = parse_type(dtype.sql(dialect=ctx.dialect).lower())
        column_type.text = ""  # shown normalised (numeric(12, 2), not sqlglot's DECIMAL(12, 2))
        return column_type
    known = _COLUMN_TYPES.get(key)
    if known is None:
        parsed = parse_type(dtype.sql(dialect=ctx.dialect).lower())
        known = _COLUMN_TYPES[key] = (parsed.name, parsed.params)
    return ir.ColumnType(name=known[0], params=known[1], text="")


# Column types memoised by the type's whole structure: generating sqlglot's SQL for every column (a fresh generator
# each time) was a tenth of the time spent on a typical migration, for a handful of distinct types.
_COLUMN_TYPES: dict[tuple[Any, ...], tuple[str, tuple[int, ...]]] = {}


def _simple_type_key(dtype: exp.Expression, dialect: str) -> tuple[Any, ...] | None:
    """(dialect, type, literal parameters) for `name` / `name(n, m)`; None for any other shape (user-defined, nested,
    array, collated, commented types), which is generated every time."""
    if type(dtype) is not exp.DataType or dtype.comments:
        return None
    key: list[Any] = [dialect]
    for name, value in dtype.args.items():
        if name == "this":
            if not isinstance(value, exp.DType):
                return None
            key.append(value)
        elif name == "expressions":
            for param in value or ():
                if type(param) is not exp.DataTypeParam or param.comments or param.args.get("expression"):
                    return None
                literal = param.this
                if (type(literal) is not exp.Literal or literal.comments
                        or any(k not in ("this", "is_string") for k, v in literal.args.items() if v is not None)):
                    return None
                key.append((literal.this, bool(literal.args.get("is_string"))))
        elif value:
            return None
    return tuple(key)


def reference(ref: exp.Reference | None) -> ir.ForeignKeyRef | None:
    if ref is None:
        return None
    target = ref.this
    columns = identifier_names(target.expressions) if isinstance(target, exp.Schema) else ()
    on_delete = None
    for option in ref.args.get("options") or []:
        text = str(option).upper()
        if text.startswith("ON DELETE "):
            on_delete = text[len("ON DELETE "):].strip()
    return ir.ForeignKeyRef(table=table_name(target), columns=columns, on_delete=on_delete)


def column_def(node: exp.ColumnDef, ctx: Ctx) -> ir.ColumnDef:
    col = ir.ColumnDef(name=node.name, type=column_type(node.args.get("kind"), ctx))
    if col.type is not None and col.type.name in SERIAL_TYPES:
        col.generated = True
    for constraint in node.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            col.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            col.default = make_default(ctx.source(kind.this))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            col.primary_key, col.nullable = True, False
        elif isinstance(kind, exp.UniqueColumnConstraint):
            col.unique = True
        elif isinstance(kind, exp.Reference):
            col.references = reference(kind)
        elif isinstance(kind, (exp.GeneratedAsIdentityColumnConstraint, exp.GeneratedAsRowColumnConstraint,
                               exp.ComputedColumnConstraint, exp.AutoIncrementColumnConstraint)):
            col.generated = True
    return col


def constraint_ops(node: exp.Expression, table: str, make: Make, not_valid: bool) -> list[Any]:
    """ADD CONSTRAINT / table constraints of CREATE TABLE -> AddConstraint operations."""
    name = None
    parts: list[exp.Expression] = [node]
    if isinstance(node, exp.Constraint):
        name = node.name or None
        parts = list(node.expressions)
    ops = []
    for part in parts:
        if isinstance(part, exp.ForeignKey):
            ops.append(make(ir.AddConstraint, table=table, constraint_type="foreign_key", name=name,
                            columns=identifier_names(part.expressions),
                            references=reference(part.args.get("reference")), not_valid=not_valid))
        elif isinstance(part, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
            ops.append(make(ir.AddConstraint, table=table, constraint_type="primary_key", name=name,
                            columns=identifier_names(part.expressions), not_valid=not_valid))
        elif isinstance(part, exp.UniqueColumnConstraint):
            schema = part.this
            columns = identifier_names(schema.expressions) if isinstance(schema, exp.Schema) else ()
            ops.append(make(ir.AddConstraint, table=table, constraint_type="unique", name=name, columns=columns,
                            not_valid=not_valid))
        elif isinstance(part, (exp.CheckColumnConstraint, exp.Check)):
            ops.append(make(ir.AddConstraint, table=table, constraint_type="check", name=name, not_valid=not_valid))
        elif isinstance(part, exp.IndexColumnConstraint):  # MySQL: ALTER TABLE t ADD INDEX i (a)
            ops.append(make(ir.CreateIndex, table=table, name=part.name or None,
                            columns=identifier_names(part.expressions)))
        elif isinstance(part, exp.ExcludeColumnConstraint):
            ops.append(make(ir.AddConstraint, table=table, constraint_type="exclude", name=name, not_valid=not_valid))
    return ops


def create_ops(node: exp.Create, make: Make, ctx: Ctx) -> list[Any]:
    kind = (node.args.get("kind") or "").upper()
    if kind == "INDEX":
        index = node.this
        params = index.args.get("params")
        keys = [o.this if isinstance(o, exp.Ordered) else o for o in (params.args.get("columns") if params else []) or []]
        columns = tuple(k.name for k in keys if isinstance(k, (exp.Column, exp.Identifier)))
        return [make(ir.CreateIndex, table=table_name(index.args.get("table")), name=index.name or None,
                     columns=columns, unique=bool(node.args.get("unique")),
                     concurrent=bool(node.args.get("concurrently")),
                     expression=len(columns) != len(keys), if_not_exists=bool(node.args.get("exists")))]
    if kind == "TABLE":
        schema = node.this
        table = table_name(schema)
        create = make(ir.CreateTable, table=table, if_not_exists=bool(node.args.get("exists")))
        ops: list[Any] = [create]
        if isinstance(schema, exp.Schema):
            for item in schema.expressions:
                if isinstance(item, exp.ColumnDef):
                    col = column_def(item, ctx)
                    create.columns.append(col)
                    create.constraints.extend(column_constraints(table, col, make))
                else:
                    create.constraints.extend(constraint_ops(item, table, make, not_valid=False))
        return ops
    return [make(ir.Raw, keyword=f"CREATE {kind}".strip())]


def drop_ops(node: exp.Drop, make: Make) -> list[Any]:
    kind = (node.args.get("kind") or "").upper()
    targets = node.args.get("tables") or ([node.this] if node.this else [])
    exists, cascade = bool(node.args.get("exists")), bool(node.args.get("cascade"))
    if kind == "TABLE":
        return [make(ir.DropTable, table=table_name(t), if_exists=exists, cascade=cascade) for t in targets]
    if kind == "INDEX":
        cluster = node.args.get("cluster")
        on_table = table_name(cluster.this) if isinstance(cluster, exp.OnProperty) else None
        return [make(ir.DropIndex, name=table_name(t), table=on_table, concurrent=bool(node.args.get("concurrently")),
                     if_exists=exists) for t in targets]
    if kind in ("SCHEMA",):
        return [make(ir.DropSchema, name=table_name(t), cascade=cascade) for t in targets]
    if kind == "DATABASE":
        return [make(ir.DropDatabase, name=table_name(t)) for t in targets]
    return [make(ir.Raw, keyword=f"DROP {kind}".strip())]


def alter_ops(node: exp.Alter, make: Make, ctx: Ctx) -> list[Any]:
    kind = (node.args.get("kind") or "").upper()
    table = table_name(node.this)
    if kind != "TABLE":
        actions = node.args.get("actions") or []
        if kind == "INDEX" or not actions:
            return [make(ir.Raw, keyword=f"ALTER {kind}".strip())]
    not_valid = bool(node.args.get("not_valid"))
    ops: list[Any] = []
    for action in node.args.get("actions") or []:
        convert = next((_ALTER_ACTIONS[c] for c in type(action).__mro__ if c in _ALTER_ACTIONS), None)
        if convert is None:
            ops.append(make(ir.Raw, keyword=f"ALTER TABLE {type(action).__name__}"))
        else:
            ops.extend(convert(action, _Alter(table, make, ctx, not_valid)))
    if any(isinstance(o, ir.AddConstraint) and o.constraint_type == "primary_key" for o in ops):
        # DROP PRIMARY KEY, ADD PRIMARY KEY (...) in one ALTER replaces the key in place (MySQL): no copy
        ops = [o for o in ops if not (isinstance(o, ir.RewriteTable) and o.command == "DROP PRIMARY KEY")]
    ops.extend(_alter_options(node, table, make))
    return ops


@dataclass(frozen=True)
class _Alter:
    """What an ALTER TABLE's actions share: its table, how operations are made, and NOT VALID."""

    table: str
    make: Make
    ctx: Ctx
    not_valid: bool


def _add_column(action: exp.ColumnDef, alter: _Alter) -> list[Any]:
    added = alter.make(ir.AddColumn, table=alter.table, column=column_def(action, alter.ctx))
    return [added, *inline_key_constraints(added, alter.make)]


def _drop(action: exp.Drop, alter: _Alter) -> list[Any]:
    table, make = alter.table, alter.make
    drop_kind = (action.args.get("kind") or "").upper()
    ops: list[Any] = []
    for target in action.args.get("tables") or []:
        if drop_kind == "CONSTRAINT":
            ops.append(make(ir.DropConstraint, table=table, name=target.name))
        elif drop_kind == "INDEX":
            ops.append(make(ir.DropIndex, name=target.name, table=table))
        elif drop_kind in ("COLUMN", ""):
            ops.append(make(ir.DropColumn, table=table, column=target.name))
        else:
            ops.append(make(ir.Raw, keyword=f"DROP {drop_kind}"))
    return ops


def _modify_column(action: exp.ModifyColumn, alter: _Alter) -> list[Any]:
    """MySQL MODIFY / CHANGE COLUMN: the whole column restated."""
    table, make = alter.table, alter.make
    col = column_def(action.this, alter.ctx)
    old_name = action.args.get("rename_from")
    ops: list[Any] = []
    if old_name is not None and old_name.name != col.name:
        ops.append(make(ir.RenameColumn, table=table, column=old_name.name, new_name=col.name))
    ops.append(make(ir.AlterColumnType, table=table, column=col.name, new_type=col.type, restated=True))
    if not col.nullable:
        ops.append(make(ir.SetNotNull, table=table, column=col.name, restated=True))
    return ops


def _add_constraints(action: exp.AddConstraint, alter: _Alter) -> list[Any]:
    return [op for item in action.expressions for op in constraint_ops(item, alter.table, alter.make, alter.not_valid)]


def _alter_set(action: exp.AlterSet, alter: _Alter) -> list[Any]:
    if action.args.get("tablespace") is not None:
        return [alter.make(ir.RewriteTable, table=alter.table, command="SET TABLESPACE")]
    if action.text("option").upper() in ("LOGGED", "UNLOGGED"):
        return [alter.make(ir.RewriteTable, table=alter.table, command=f"SET {action.text('option').upper()}")]
    return [alter.make(ir.Raw, keyword=f"ALTER TABLE {type(action).__name__}")]


# the class of an ALTER TABLE action -> its operations (any other action: a Raw statement)
_ALTER_ACTIONS: dict[type, Callable[[Any, _Alter], list[Any]]] = {
    exp.ColumnDef: _add_column,
    exp.Drop: _drop,
    exp.AlterRename: lambda action, alter: [alter.make(ir.RenameTable, table=alter.table,
                                                       new_name=table_name(action.this))],
    exp.RenameColumn: lambda action, alter: [alter.make(ir.RenameColumn, table=alter.table, column=action.this.name,
                                                        new_name=action.args["to"].name)],
    exp.AlterColumn: lambda action, alter: alter_column_ops(action, alter.table, alter.make, alter.ctx),
    exp.ModifyColumn: _modify_column,
    exp.AddConstraint: _add_constraints,
    # MySQL: the clustered index is rebuilt, so is the table
    exp.DropPrimaryKey: lambda action, alter: [alter.make(ir.RewriteTable, table=alter.table,
                                                          command="DROP PRIMARY KEY")],
    # ClickHouse: ALTER TABLE t DELETE WHERE ..., a mutation
    exp.Delete: lambda action, alter: [alter.make(ir.Delete, table=alter.table,
                                                  has_where=real_condition(action.args.get("where")))],
    exp.AlterSet: _alter_set,
}


def _alter_options(node: exp.Alter, table: str, make: Make) -> list[Any]:
    """MySQL's ALGORITHM= / LOCK= clauses, and ENGINE= (which rebuilds the table)."""
    algorithm = lock = None
    ops: list[Any] = []
    for option in node.args.get("options") or []:
        if isinstance(option, exp.AlgorithmProperty):
            algorithm = option.name.upper()
        elif isinstance(option, exp.LockProperty):
            lock = option.name.upper()
        elif isinstance(option, exp.EngineProperty):
            ops.append(make(ir.RewriteTable, table=table, command="ENGINE"))
    if algorithm or lock:
        ops.append(make(ir.AlterTableOptions, table=table, algorithm=algorithm, lock=lock))
    return ops


def real_condition(where: exp.Expression | None) -> bool:
    """A WHERE that can be false for some row: `WHERE 1`, `WHERE 1 = 1`, `WHERE TRUE` select every row."""
    if where is None:
        return False
    condition = where.this if isinstance(where, exp.Where) else where
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.Boolean):
        return not condition.this
    if isinstance(condition, exp.Literal):
        return not condition.is_number or condition.this.strip("0.") == ""  # WHERE 0 deletes nothing
    if isinstance(condition, exp.EQ) and isinstance(condition.this, exp.Literal) \
            and isinstance(condition.expression, exp.Literal):
        return condition.this.this != condition.expression.this
    return True


def alter_column_ops(action: exp.AlterColumn, table: str, make: Make, ctx: Ctx) -> list[Any]:
    column = action.name
    if action.args.get("dtype") is not None:
        using = action.args.get("using")
        return [make(ir.AlterColumnType, table=table, column=column,
                     new_type=column_type(action.args["dtype"], ctx),
                     using=using.sql(dialect=ctx.dialect) if isinstance(using, exp.Expression) else None)]
    if "allow_null" in action.args and action.args["allow_null"] is not None:
        if action.args["allow_null"]:
            return [make(ir.DropNotNull, table=table, column=column)]
        return [make(ir.SetNotNull, table=table, column=column)]
    if action.args.get("drop") and action.args.get("allow_null") is None and action.args.get("default") is None:
        return [make(ir.SetDefault, table=table, column=column, default=None)]
    if action.args.get("default") is not None:
        return [make(ir.SetDefault, table=table, column=column,
                     default=make_default(ctx.source(action.args["default"])))]
    return [make(ir.Raw, keyword="ALTER COLUMN")]


def data_ops(node: exp.Expression, make: Make) -> list[Any]:
    if isinstance(node, exp.TruncateTable):
        return [make(ir.Truncate, tables=tuple(table_name(t) for t in node.expressions))]
    has_where = real_condition(node.args.get("where"))
    if isinstance(node, exp.Delete):
        return [make(ir.Delete, table=table_name(node.this), has_where=has_where)]
    # UPDATE ... FROM other WHERE join-condition is bounded by its WHERE; without WHERE it touches every row.
    return [make(ir.Update, table=table_name(node.this), has_where=has_where)]


def expression_ops(node: exp.Expression, make: Make, ctx: Ctx) -> list[Any]:
    if isinstance(node, exp.Create):
        return create_ops(node, make, ctx)
    if isinstance(node, exp.Drop):
        return drop_ops(node, make)
    if isinstance(node, exp.Alter):
        return alter_ops(node, make, ctx)
    if isinstance(node, (exp.TruncateTable, exp.Delete, exp.Update)):
        return data_ops(node, make)
    if isinstance(node, exp.With) or (isinstance(node, exp.Query) and node.find(exp.Delete, exp.Update)):
        inner = node.find(exp.Delete, exp.Update)
        if inner is not None:
            return data_ops(inner, make)
    return [make(ir.Raw, keyword=node.key.upper())]
