"""Alembic's `op.*` calls, one handler each: `OPS["drop_table"](reader, call, table, args)` -> its operations.

`table` is the implicit table of a `batch_op` call (None for a plain `op` call); `args` reads the positional and
keyword arguments, shifted by one for batch calls.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from .. import ir
from .pyast import UNKNOWN, argument, expression_text, keywords, last_name, literal, unparse
from .pystrings import StringReader
from .sa_types import column_type, is_type_name

if TYPE_CHECKING:
    from .alembic_reader import Reader

OpHandler = Callable[["Reader", ast.Call, "str | None", "Args"], "list[ir.Operation]"]


# --- tables -------------------------------------------------------------------------------------------------------

def op_create_table(reader: Reader, call: ast.Call, _: str | None, a: Args) -> list[ir.Operation]:
    table = a.text(0, "table_name")
    columns: list[ir.ColumnDef] = []
    constraints: list[ir.AddConstraint] = []
    for node in call.args[1:]:
        if not isinstance(node, ast.Call):
            continue
        kind = last_name(node.func)
        if kind == "Column":
            column = column_def(node, reader.module.foreign)
            if column is not None:
                columns.append(column)
                if column.references is not None:
                    constraints.append(reader.make(ir.AddConstraint, node, table=table,
                                                   constraint_type="foreign_key", columns=(column.name,),
                                                   references=column.references))
        elif kind == "ForeignKeyConstraint":
            local = _strings(argument(node, 0, "columns"))
            remote = _strings(argument(node, 1, "refcolumns"))
            ref_table = remote[0].rsplit(".", 1)[0] if remote and "." in remote[0] else "?"
            constraints.append(reader.make(
                ir.AddConstraint, node, table=table, constraint_type="foreign_key", columns=local,
                name=_str(keywords(node).get("name")), references=ir.ForeignKeyRef(
                    ref_table, tuple(r.rsplit(".", 1)[-1] for r in remote), _str(keywords(node).get("ondelete")))))
        elif kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
            cols = tuple(c for c in (literal(x) for x in node.args) if isinstance(c, str))
            ctype = "primary_key" if kind == "PrimaryKeyConstraint" else "unique"
            for column in columns:
                if ctype == "primary_key" and column.name in cols:
                    column.primary_key, column.nullable = True, False
            constraints.append(reader.make(ir.AddConstraint, node, table=table, constraint_type=ctype,
                                           columns=cols, name=_str(keywords(node).get("name"))))
    return [reader.make(ir.CreateTable, call, table=table, columns=columns, constraints=constraints,
                        if_not_exists=a.kw("if_not_exists") is True)]


def op_drop_table(reader: Reader, call: ast.Call, _: str | None, a: Args) -> list[ir.Operation]:
    return [reader.make(ir.DropTable, call, table=a.text(0, "table_name"), if_exists=a.kw("if_exists") is True)]


def op_rename_table(reader: Reader, call: ast.Call, _: str | None, a: Args) -> list[ir.Operation]:
    return [reader.make(ir.RenameTable, call, table=a.text(0, "old_table_name"), new_name=a.text(1, "new_table_name"))]


# --- columns ------------------------------------------------------------------------------------------------------

def op_add_column(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    table = table or a.text(0, "table_name")
    node = a.node(1, "column")
    column = column_def(node, reader.module.foreign) if isinstance(node, ast.Call) else None
    if column is None:
        return [reader.make(ir.Raw, call, keyword="add_column")]
    ops = [reader.make(ir.AddColumn, call, table=table, column=column)]
    if column.indexed:  # Alembic then creates the column's index too, named by SQLAlchemy's ix_<table>_<column>
        ops.append(reader.make(ir.CreateIndex, call, table=table, name=f"ix_{table.split('.')[-1]}_{column.name}",
                               columns=(column.name,), unique=column.unique))
    return ops


def op_drop_column(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    table = table or a.text(0, "table_name")
    return [reader.make(ir.DropColumn, call, table=table, column=a.text(1, "column_name"))]


def op_alter_column(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    table = table or a.text(0, "table_name")
    column = a.text(1, "column_name")
    kw = keywords(call)
    ops: list[ir.Operation] = []
    if "type_" in kw and literal(kw["type_"]) is not None:
        own = reader.module.foreign
        new, old = column_type(kw["type_"], own), column_type(kw.get("existing_type"), own)
        if not (new is not None and old is not None and (new.name, new.params) == (old.name, old.params)):
            using = _str(kw.get("postgresql_using"))
            ops.append(reader.make(ir.AlterColumnType, call, table=table, column=column, new_type=new,
                                   old_type=old, using=using))
    nullable, existing_nullable = literal(kw.get("nullable")), literal(kw.get("existing_nullable"))
    if "nullable" in kw and nullable is False and existing_nullable is not False:
        ops.append(reader.make(ir.SetNotNull, call, table=table, column=column))
    elif "nullable" in kw and nullable is True and existing_nullable is not True:
        ops.append(reader.make(ir.DropNotNull, call, table=table, column=column))
    if "server_default" in kw and literal(kw["server_default"]) is not False:
        ops.append(reader.make(ir.SetDefault, call, table=table, column=column,
                               default=server_default(kw["server_default"])))
    if isinstance(literal(kw.get("new_column_name")), str):
        ops.append(reader.make(ir.RenameColumn, call, table=table, column=column,
                               new_name=literal(kw["new_column_name"])))
    return ops


# --- indexes and constraints --------------------------------------------------------------------------------------

def op_create_index(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    name = a.name(0, "index_name")
    table = table or a.text(1, "table_name", shift=False)
    columns_node = a.node(2, "columns")
    elements = columns_node.elts if isinstance(columns_node, (ast.List, ast.Tuple)) else [columns_node]
    columns = tuple(v for v in (literal(e) for e in elements if e is not None) if isinstance(v, str))
    return [reader.make(ir.CreateIndex, call, table=table, name=name, columns=columns,
                        unique=a.kw("unique") is True, concurrent=a.kw("postgresql_concurrently") is True,
                        expression=len(columns) < len([e for e in elements if e is not None]),
                        if_not_exists=a.kw("if_not_exists") is True)]


def op_drop_index(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    name = a.text(0, "index_name", shift=False)
    table = table or _str(argument(call, 1, "table_name"))
    return [reader.make(ir.DropIndex, call, name=name, table=table,
                        concurrent=a.kw("postgresql_concurrently") is True, if_exists=a.kw("if_exists") is True)]


def op_create_foreign_key(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    name = a.name(0, "constraint_name")
    if table is None:
        table, referent = a.text(1, "source_table"), a.text(2, "referent_table")
        local, remote = _strings(a.at(3, "local_cols")), _strings(a.at(4, "remote_cols"))
    else:
        referent = a.text(2, "referent_table")
        local, remote = _strings(a.at(2, "local_cols")), _strings(a.at(3, "remote_cols"))
    ref = ir.ForeignKeyRef(referent, remote, _str(keywords(call).get("ondelete")))
    return [reader.make(ir.AddConstraint, call, table=table, constraint_type="foreign_key", name=name,
                        columns=local, references=ref)]


def op_create_unique_constraint(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    return _constraint(reader, call, table, a, "unique")


def op_create_primary_key(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    return _constraint(reader, call, table, a, "primary_key")


def op_create_check_constraint(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    name = a.name(0, "constraint_name")
    table = table or a.text(1, "table_name", shift=False)
    return [reader.make(ir.AddConstraint, call, table=table, constraint_type="check", name=name)]


def _constraint(reader: Reader, call: ast.Call, table: str | None, a: Args, kind: str) -> list[ir.Operation]:
    name = a.name(0, "constraint_name")
    if table is None:
        table, columns = a.text(1, "table_name", shift=False), _strings(a.at(2, "columns"))
    else:
        columns = _strings(a.at(1, "columns"))
    return [reader.make(ir.AddConstraint, call, table=table, constraint_type=kind, name=name, columns=columns)]


def op_drop_constraint(reader: Reader, call: ast.Call, table: str | None, a: Args) -> list[ir.Operation]:
    name = a.text(0, "constraint_name", shift=False)
    table = table or a.text(1, "table_name", shift=False)
    return [reader.make(ir.DropConstraint, call, table=table, name=name)]


# --- SQL ----------------------------------------------------------------------------------------------------------

def op_execute(reader: Reader, call: ast.Call, _: str | None, a: Args) -> list[ir.Operation]:
    node = argument(call, 0, "sqltext")
    if node is None:
        return [reader.make(ir.Unreadable, call, what=expression_text(reader.source, call),
                            reason="This op.execute() is given no statement we can see")]
    return reader.statement_ops(node, call, "op.execute()")


def op_bulk_insert(reader: Reader, call: ast.Call, _: str | None, a: Args) -> list[ir.Operation]:
    return [reader.make(ir.Raw, call, keyword="INSERT")]


OPS: dict[str, OpHandler] = {
    "create_table": op_create_table,
    "drop_table": op_drop_table,
    "rename_table": op_rename_table,
    "add_column": op_add_column,
    "drop_column": op_drop_column,
    "alter_column": op_alter_column,
    "create_index": op_create_index,
    "drop_index": op_drop_index,
    "create_foreign_key": op_create_foreign_key,
    "create_unique_constraint": op_create_unique_constraint,
    "create_primary_key": op_create_primary_key,
    "create_check_constraint": op_create_check_constraint,
    "drop_constraint": op_drop_constraint,
    "execute": op_execute,
    "bulk_insert": op_bulk_insert,
}


class Args:
    """Positional arguments of an op call; `shift` = 1 for batch_op calls, whose table argument is implicit."""

    def __init__(self, call: ast.Call, shift: int, strings: StringReader | None = None) -> None:
        self.call, self.shift, self.strings = call, shift, strings
        self.keywords = keywords(call)

    def node(self, position: int, name: str) -> ast.expr | None:
        return self.at(position - self.shift, name) if position - self.shift >= 0 else None

    def at(self, position: int, name: str) -> ast.expr | None:
        """The argument at `position` (no shift), resolved: a helper's parameter or a local name stands for its
        value (airflow's `batch_op.create_index(new_name, columns)` in a helper given `columns=["dag_id"]`)."""
        node = argument(self.call, position, name)
        return self.strings.resolve(node) if self.strings is not None and node is not None else node

    def text(self, position: int, name: str, shift: bool = True) -> str:
        """A name argument: its value when it can be read (a literal, a constant, a helper's parameter, an
        f-string), else the expression itself in braces (`{table_name}`), so a drop is still a drop."""
        node = self.node(position, name) if shift else argument(self.call, position, name)
        if self.strings is not None and node is not None:
            node = self.strings.resolve(node)
        node = _final_name(node)
        value = _str(node)
        if value is None and node is not None and self.strings is not None:
            built = self.strings.read(node)
            if built is not None:
                value = re.sub(r"mg_hole_\d+", lambda m: "{" + built.holes.get(m.group(), "?") + "}", built.text)
            elif not (isinstance(node, ast.Constant) and node.value is None):
                value = "{" + expression_text(self.strings.source, node) + "}"
        return value or "?"

    def name(self, position: int, key: str) -> str | None:
        """An index or constraint name: None when written as None (the naming convention names it)."""
        node = argument(self.call, position, key)
        if node is None or isinstance(node, ast.Constant) and node.value is None:
            return None
        return self.text(position, key, shift=False)

    def kw(self, name: str) -> Any:
        return literal(self.keywords.get(name))



def _final_name(node: ast.expr | None) -> ast.expr | None:
    """`op.f("ix_name")` / `conv("ix_name")` mark a name the naming convention must leave as it is: the name."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and (
            isinstance(node.func, ast.Attribute) and node.func.attr == "f"
            or isinstance(node.func, ast.Name) and node.func.id in ("f", "conv")):
        return node.args[0]
    return node


def qualify(ops: list[ir.Operation], kw: dict[str, ast.expr]) -> None:
    """`schema=` / `source_schema=` / `referent_schema=`: schema-qualified table names, as SQL would write them."""
    schema = literal(kw.get("schema", kw.get("source_schema")))
    referent = literal(kw.get("referent_schema"))
    if not isinstance(schema, str) and not isinstance(referent, str):
        return
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


def column_def(node: ast.Call, own: Mapping[str, str]) -> ir.ColumnDef | None:
    """`sa.Column("name", sa.Type(...), sa.ForeignKey(...), nullable=..., server_default=..., index=True)`; `own`:
    the names imported from the project's own modules (its types are not SQLAlchemy's)."""
    kw = keywords(node)
    name = _str(kw["name"]) if "name" in kw else None
    type_node = kw.get("type_")
    references = None
    generated = False
    for position, arg in enumerate(node.args):
        # a call of an attribute (`sa.Integer()`, the usual type) is never a literal
        value = UNKNOWN if type(arg) is ast.Call and type(arg.func) is ast.Attribute else literal(arg)
        if position == 0 and isinstance(value, str):
            name = value
            continue
        if isinstance(arg, ast.Call):
            kind = last_name(arg.func)
            if kind == "ForeignKey":
                target = _str(argument(arg, 0, "column")) or "?"
                table, _, column = target.rpartition(".")
                references = ir.ForeignKeyRef(table or "?", (column,) if column else (),
                                              _str(keywords(arg).get("ondelete")))
                continue
            if kind in ("Identity", "Computed", "Sequence"):
                generated = True
                continue
        else:
            kind = last_name(arg)
        if type_node is None and value is UNKNOWN and is_type_name(kind):
            type_node = arg
    if name is None:
        return None
    primary_key = "primary_key" in kw and literal(kw["primary_key"]) is True
    nullable_value = literal(kw["nullable"]) if "nullable" in kw else (not primary_key)
    default = server_default(kw["server_default"]) if "server_default" in kw else None
    col_type = column_type(type_node, own)
    if primary_key and col_type is not None and col_type.name in ("int", "integer", "bigint", "smallint") \
            and literal(kw.get("autoincrement")) is not False:
        generated = True  # SERIAL / IDENTITY
    return ir.ColumnDef(name=name, type=col_type, nullable=nullable_value is not False, default=default,
                        primary_key=primary_key, unique="unique" in kw and literal(kw["unique"]) is True,
                        indexed="index" in kw and literal(kw["index"]) is True, generated=generated,
                        references=references)
