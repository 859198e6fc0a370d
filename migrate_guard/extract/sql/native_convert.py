"""libpg_query's JSON of one statement -> IR operations: one converter per statement kind (CONVERTERS), and for
ALTER TABLE one per subcommand (_ALTER_COMMANDS). Anything not modelled exactly raises NotConverted: the statement
then goes to the sqlglot path (native.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ... import ir
from .inline_keys import column_constraints, inline_key_constraints
from .native_text import Ctx, NotConverted
from .values import SERIAL_TYPES, make_default

Make = Callable[..., Any]


_FK_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_NO_ACTION = re.compile(r"on\s+delete\s+no\s+action", re.IGNORECASE)

# A type as written (its first word, lower case) -> the name the sqlglot path gives it (sqlglot's generated SQL read
# by values.parse_type). Written forms not listed (float, char, time, interval, user types, ...) go to sqlglot.
WRITTEN_TYPES = {
    "int": "int", "integer": "int", "int4": "int", "bigint": "bigint", "int8": "bigint", "smallint": "smallint",
    "int2": "smallint", "text": "text", "boolean": "boolean", "bool": "boolean", "uuid": "uuid", "jsonb": "jsonb",
    "json": "json", "date": "date", "bytea": "bytea", "varchar": "varchar", "numeric": "numeric",
    "decimal": "numeric", "serial": "serial", "bigserial": "bigserial", "smallserial": "smallserial",
    "timestamptz": "timestamptz", "double": "double precision", "real": "real",
}
# libpg_query's internal name -> the written first words it may come from, as checked above
_INTERNAL_TYPES = {
    "int4": {"int", "integer", "int4"}, "int8": {"bigint", "int8"}, "int2": {"smallint", "int2"}, "text": {"text"},
    "bool": {"boolean", "bool"}, "uuid": {"uuid"}, "jsonb": {"jsonb"}, "json": {"json"}, "date": {"date"},
    "bytea": {"bytea"}, "varchar": {"varchar", "character"}, "numeric": {"numeric", "decimal"},
    "serial": {"serial"}, "bigserial": {"bigserial"}, "smallserial": {"smallserial"},
    "timestamptz": {"timestamptz", "timestamp"}, "timestamp": {"timestamp"}, "float8": {"double"},
    "float4": {"real"},
}



def _strings(items: list[dict[str, Any]] | None) -> list[str]:
    names = []
    for item in items or ():
        if "String" not in item:
            raise NotConverted
        names.append(item["String"].get("sval", ""))
    return names


def _relation(node: dict[str, Any] | None) -> str:
    if not node:
        raise NotConverted
    parts = [node.get("catalogname"), node.get("schemaname"), node.get("relname")]
    return ".".join(p for p in parts if p) or "?"


def _column_type(type_name: dict[str, Any] | None, ctx: Ctx) -> ir.ColumnType | None:
    if type_name is None:
        return None
    names = _strings(type_name.get("names"))
    if type_name.get("setof") or type_name.get("pct_type") or len(names) not in (1, 2) \
            or (len(names) == 2 and names[0] != "pg_catalog"):
        raise NotConverted
    internal = names[-1]
    written = ctx.written_word(type_name["location"])
    ctx.typed.add(ctx.chars.at(type_name["location"]))
    if written not in _INTERNAL_TYPES.get(internal, ()):
        raise NotConverted
    name = "timestamptz" if internal == "timestamptz" else "timestamp" if internal == "timestamp" else \
        "varchar" if internal == "varchar" else WRITTEN_TYPES[written]
    params: list[int] = []
    for mod in type_name.get("typmods") or ():
        const = mod.get("A_Const", {})
        if "ival" not in const:
            raise NotConverted
        params.append(int(const["ival"].get("ival", 0)))
    if internal == "timestamptz" and written == "timestamp" and params:
        raise NotConverted  # timestamp(3) with time zone: sqlglot's spelling of it is not modelled here
    bounds = type_name.get("arrayBounds")
    if bounds:
        if len(bounds) != 1:
            raise NotConverted
        name += "[]"
    return ir.ColumnType(name=name, params=tuple(params), text="")


def _reference(constraint: dict[str, Any], source: str) -> ir.ForeignKeyRef:
    if constraint.get("fk_del_set_cols"):
        raise NotConverted
    action = constraint.get("fk_del_action", "a")
    if action == "a" and _NO_ACTION.search(source):
        raise NotConverted  # an explicit ON DELETE NO ACTION is kept as written by the sqlglot path
    return ir.ForeignKeyRef(table=_relation(constraint.get("pktable")),
                            columns=tuple(_strings(constraint.get("pk_attrs"))),
                            on_delete=_FK_ACTIONS.get(action))


def _column_def(node: dict[str, Any], ctx: Ctx, in_alter: bool) -> ir.ColumnDef:
    if node.get("collClause") or node.get("identity") or node.get("generated"):
        raise NotConverted
    col = ir.ColumnDef(name=node["colname"], type=_column_type(node.get("typeName"), ctx))
    if col.type is not None and col.type.name in SERIAL_TYPES:
        col.generated = True
    for item in node.get("constraints") or ():
        constraint = item["Constraint"]
        contype = constraint["contype"]
        if contype == "CONSTR_NOTNULL":
            col.nullable = False
        elif contype == "CONSTR_NULL":
            col.nullable = True
        elif contype == "CONSTR_DEFAULT":
            col.default = make_default(ctx.expression_text(_location(constraint["raw_expr"])))
        elif contype == "CONSTR_PRIMARY":
            col.primary_key, col.nullable = True, False
        elif contype == "CONSTR_UNIQUE":
            col.unique = True
        elif contype == "CONSTR_FOREIGN":
            col.references = _reference(constraint, ctx.source)
        elif contype in ("CONSTR_IDENTITY", "CONSTR_GENERATED"):
            if in_alter:
                raise NotConverted
            col.generated = True
        elif contype not in ("CONSTR_CHECK", "CONSTR_ATTR_DEFERRABLE", "CONSTR_ATTR_NOT_DEFERRABLE",
                             "CONSTR_ATTR_DEFERRED", "CONSTR_ATTR_IMMEDIATE"):
            raise NotConverted
    return col


def _location(expression: dict[str, Any]) -> int:
    (_, body), = expression.items()
    location = body.get("location") if isinstance(body, dict) else None
    if location is None:
        raise NotConverted
    if "TypeCast" in expression:  # 'x'::text: the cast's location is at the ::, the text starts at its argument
        return _location(body["arg"])
    if "A_Expr" in expression and body.get("lexpr"):
        return _location(body["lexpr"])
    return int(location)


def _constraint_ops(constraint: dict[str, Any], table: str, make: Make, ctx: Ctx) -> list[Any]:
    contype = constraint["contype"]
    name = constraint.get("conname") or None
    not_valid = bool(constraint.get("skip_validation"))
    if contype == "CONSTR_FOREIGN":
        return [make(ir.AddConstraint, table=table, constraint_type="foreign_key", name=name,
                     columns=tuple(_strings(constraint.get("fk_attrs"))),
                     references=_reference(constraint, ctx.source), not_valid=not_valid)]
    if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        kind = "primary_key" if contype == "CONSTR_PRIMARY" else "unique"
        if constraint.get("indexname"):
            return [make(ir.AddConstraint, table=table, constraint_type=kind, name=name,
                         using_index=constraint["indexname"])]
        if constraint.get("including") or constraint.get("options") or constraint.get("nulls_not_distinct"):
            raise NotConverted
        return [make(ir.AddConstraint, table=table, constraint_type=kind, name=name,
                     columns=tuple(_strings(constraint.get("keys"))), not_valid=not_valid)]
    if contype == "CONSTR_CHECK":
        return [make(ir.AddConstraint, table=table, constraint_type="check", name=name, not_valid=not_valid)]
    if contype == "CONSTR_EXCLUSION":
        return [make(ir.AddConstraint, table=table, constraint_type="exclude", name=name, not_valid=not_valid)]
    raise NotConverted


def _create_table(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    if node.get("partbound") or node.get("inhRelations") or node.get("ofTypename") or node.get("partspec") \
            or node.get("options") or node.get("tablespacename") or node.get("accessMethod"):
        raise NotConverted
    table = _relation(node.get("relation"))
    create = make(ir.CreateTable, table=table, if_not_exists=bool(node.get("if_not_exists")))
    for element in node.get("tableElts") or ():
        if "ColumnDef" in element:
            col = _column_def(element["ColumnDef"], ctx, in_alter=False)
            create.columns.append(col)
            create.constraints.extend(column_constraints(table, col, make))
        elif "Constraint" in element:
            constraint = element["Constraint"]
            if constraint.get("skip_validation"):
                raise NotConverted
            create.constraints.extend(_constraint_ops(constraint, table, make, ctx))
        else:
            raise NotConverted
    return [create]


def _create_index(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    keys = node.get("indexParams") or []
    columns = []
    for key in keys:
        element = key["IndexElem"]
        if element.get("name") and not element.get("opclass") and not element.get("collation"):
            columns.append(element["name"])
        elif element.get("name"):
            raise NotConverted
    if not keys or node.get("indexIncludingParams"):
        raise NotConverted
    return [make(ir.CreateIndex, table=_relation(node.get("relation")), name=node.get("idxname") or None,
                 columns=tuple(columns), unique=bool(node.get("unique")), concurrent=bool(node.get("concurrent")),
                 expression=len(columns) != len(keys), if_not_exists=bool(node.get("if_not_exists")))]


def _drop(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    kind = node.get("removeType")
    exists, cascade = bool(node.get("missing_ok")), node.get("behavior") == "DROP_CASCADE"
    if kind == "OBJECT_SCHEMA":
        return [make(ir.DropSchema, name=name, cascade=cascade) for name in _strings(node.get("objects"))]
    targets = []
    for item in node.get("objects") or ():
        if "List" not in item:
            raise NotConverted
        targets.append(".".join(_strings(item["List"].get("items"))))
    if kind == "OBJECT_TABLE":
        return [make(ir.DropTable, table=t, if_exists=exists, cascade=cascade) for t in targets]
    if kind == "OBJECT_INDEX":
        return [make(ir.DropIndex, name=t, table=None, concurrent=bool(node.get("concurrent")), if_exists=exists)
                for t in targets]
    raise NotConverted


def _alter_table(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    if node.get("objtype") != "OBJECT_TABLE":
        raise NotConverted
    table = _relation(node.get("relation"))
    ops: list[Any] = []
    for item in node.get("cmds") or ():
        cmd = item["AlterTableCmd"]
        convert = _ALTER_COMMANDS.get(cmd["subtype"])
        if convert is None:
            raise NotConverted
        ops.extend(convert(cmd, table, make, ctx))
    if not ops:
        raise NotConverted
    return ops


def _add_column(cmd: dict[str, Any], table: str, make: Make, ctx: Ctx) -> list[Any]:
    added = make(ir.AddColumn, table=table, column=_column_def(cmd["def"]["ColumnDef"], ctx, True))
    return [added, *inline_key_constraints(added, make)]


def _alter_column_type(cmd: dict[str, Any], table: str, make: Make, ctx: Ctx) -> list[Any]:
    column_def = cmd["def"]["ColumnDef"]
    if column_def.get("collClause"):
        raise NotConverted
    # USING as written; the sqlglot path keeps sqlglot's regenerated SQL (CAST(c AS TEXT) for c::text).
    # No rule reads it.
    using = column_def.get("raw_default")
    return [make(ir.AlterColumnType, table=table, column=cmd.get("name"),
                 new_type=_column_type(column_def.get("typeName"), ctx),
                 using=ctx.expression_text(_location(using)) if using else None)]


def _column_default(cmd: dict[str, Any], table: str, make: Make, ctx: Ctx) -> list[Any]:
    definition = cmd.get("def")
    default = make_default(ctx.expression_text(_location(definition))) if definition else None
    return [make(ir.SetDefault, table=table, column=cmd.get("name"), default=default)]


def _add_constraint(cmd: dict[str, Any], table: str, make: Make, ctx: Ctx) -> list[Any]:
    return _constraint_ops(cmd["def"]["Constraint"], table, make, ctx)


def _on_column(kind: type[ir.Operation]) -> Callable[[dict[str, Any], str, Make, Ctx], list[Any]]:
    """A subcommand that only names a column (DROP COLUMN c, ALTER COLUMN c SET NOT NULL, ...)."""
    return lambda cmd, table, make, ctx: [make(kind, table=table, column=cmd.get("name"))]


def _on_constraint(kind: type[ir.Operation]) -> Callable[[dict[str, Any], str, Make, Ctx], list[Any]]:
    """A subcommand that only names a constraint (DROP CONSTRAINT c, VALIDATE CONSTRAINT c)."""
    return lambda cmd, table, make, ctx: [make(kind, table=table, name=cmd.get("name"))]


def _rewrite(command: str) -> Callable[[dict[str, Any], str, Make, Ctx], list[Any]]:
    """A subcommand that rewrites the whole table (SET TABLESPACE, SET LOGGED / UNLOGGED)."""
    return lambda cmd, table, make, ctx: [make(ir.RewriteTable, table=table, command=command)]


# AlterTableCmd.subtype -> its operations (any other subcommand: the sqlglot path)
_ALTER_COMMANDS: dict[str, Callable[[dict[str, Any], str, Make, Ctx], list[Any]]] = {
    "AT_AddColumn": _add_column,
    "AT_DropColumn": _on_column(ir.DropColumn),
    "AT_AlterColumnType": _alter_column_type,
    "AT_SetNotNull": _on_column(ir.SetNotNull),
    "AT_DropNotNull": _on_column(ir.DropNotNull),
    "AT_ColumnDefault": _column_default,
    "AT_AddConstraint": _add_constraint,
    "AT_DropConstraint": _on_constraint(ir.DropConstraint),
    "AT_ValidateConstraint": _on_constraint(ir.ValidateConstraint),
    "AT_SetTableSpace": _rewrite("SET TABLESPACE"),
    "AT_SetLogged": _rewrite("SET LOGGED"),
    "AT_SetUnLogged": _rewrite("SET UNLOGGED"),
}


def _rename(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    kind = node.get("renameType")
    table = _relation(node.get("relation"))
    if kind == "OBJECT_TABLE":  # relationType is left at its zero value (OBJECT_ACCESS_METHOD) here
        return [make(ir.RenameTable, table=table, new_name=node["newname"])]
    if kind == "OBJECT_COLUMN" and node.get("relationType") == "OBJECT_TABLE":
        return [make(ir.RenameColumn, table=table, column=node["subname"], new_name=node["newname"])]
    raise NotConverted


def _truncate(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    return [make(ir.Truncate, tables=tuple(_relation(r["RangeVar"]) for r in node.get("relations") or ()))]


def _bounded(where: dict[str, Any] | None) -> bool:
    """The sqlglot path's real_condition: no WHERE, or one that holds for every row, bounds nothing. Constant
    conditions (WHERE true, WHERE 1 = 1) are left to it."""
    if where is None:
        return False
    if "A_Const" in where or ("A_Expr" in where and "A_Const" in where["A_Expr"].get("lexpr", {})):
        raise NotConverted
    return True


def _delete(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    if node.get("withClause") or node.get("usingClause") or node.get("returningList"):
        raise NotConverted
    return [make(ir.Delete, table=_relation(node.get("relation")), has_where=_bounded(node.get("whereClause")))]


def _update(node: dict[str, Any], make: Make, ctx: Ctx) -> list[Any]:
    if node.get("withClause") or node.get("returningList"):
        raise NotConverted
    return [make(ir.Update, table=_relation(node.get("relation")), has_where=_bounded(node.get("whereClause")))]


CONVERTERS: dict[str, Callable[[dict[str, Any], Make, Ctx], list[Any]]] = {
    "CreateStmt": _create_table, "IndexStmt": _create_index, "DropStmt": _drop, "AlterTableStmt": _alter_table,
    "RenameStmt": _rename, "TruncateStmt": _truncate, "DeleteStmt": _delete, "UpdateStmt": _update,
}

