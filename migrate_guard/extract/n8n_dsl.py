"""n8n's migration context (@n8n/db, run by TypeORM): `async up({ runQuery, escape, schemaBuilder: { dropColumns } })`.

n8n's migrations rarely call the QueryRunner: they destructure a context whose `runQuery(sql)` runs SQL and whose
`schemaBuilder` is a small DSL (`dropColumns('t', ['c'])`, `addColumns('t', [column('c').varchar(36).notNull])`,
`createIndex('t', ['c'])`, `createTable('t').withColumns(...)`, ...). Each call is read as the statement it issues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from .. import ir
from .js.columns import default_of, sql_type
from .js.migration import Context
from .js.structure import Entry, declarators
from .js.chains import Chain, Link, chain_tops, flatten
from .js.values import JsObject, name_of, names_of

_RUN_QUERY = "runQuery"
_SCHEMA_BUILDER = "schemaBuilder"
CONTEXT = "\0context"  # the whole context, taken as one parameter: `async up(context) { const { .. } = context; }`
_COLUMN = "column"


def context_names(context: Context, entry: Entry) -> dict[str, str]:
    """Local name -> the context member it stands for (`runQuery`, `schemaBuilder`, or a builder method)."""
    return function_names(context, entry.function, entry.body)


def function_names(context: Context, function: Node, body: Node | None) -> dict[str, str]:
    """context_names of any function given the context as its first parameter (up, or a method up passes it to)."""
    params = function.child_by_field_name("parameters")
    first = next((p for p in (params.named_children if params is not None else []) if p.type != "comment"), None)
    if first is not None and first.type in ("required_parameter", "optional_parameter"):
        first = first.child_by_field_name("pattern") or (first.named_children[0] if first.named_children else None)
    names: dict[str, str] = {}
    if first is not None and first.type == "identifier" and body is not None:
        whole = context.source.text_of(first)
        if whole not in ("queryRunner", "qr", "knex", "queryInterface"):  # the plain tools' own parameters
            _destructured_in_body(context, body, names, {whole}, inside_builder=False)
            if names:
                names[whole] = CONTEXT
    elif first is not None and first.type == "object_pattern":
        _pattern(context, first, names, inside_builder=False)
    if body is not None and _SCHEMA_BUILDER in names.values():
        builders = {local for local, member in names.items() if member == _SCHEMA_BUILDER}
        _destructured_in_body(context, body, names, builders, inside_builder=True)
    return names


def _pattern(context: Context, pattern: Node, names: dict[str, str], inside_builder: bool) -> None:
    text = context.source.text_of
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            member = text(child)
            if inside_builder or member in (_RUN_QUERY, _SCHEMA_BUILDER):
                names[member] = member
        elif child.type == "pair_pattern":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is None or value is None:
                continue
            member = text(key)
            if value.type == "identifier" and (inside_builder or member in (_RUN_QUERY, _SCHEMA_BUILDER)):
                names[text(value)] = member
            elif value.type == "object_pattern" and member == _SCHEMA_BUILDER:
                _pattern(context, value, names, inside_builder=True)


def _destructured_in_body(context: Context, body: Node, names: dict[str, str], owners: set[str],
                          inside_builder: bool) -> None:
    """`const { createTable, column } = schemaBuilder;` (or `const { schemaBuilder } = context;`)."""
    for node in declarators(context.source, body):
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if target is not None and value is not None and target.type == "object_pattern" and \
                context.source.text_of(value) in owners:
            _pattern(context, target, names, inside_builder=inside_builder)


def read(context: Context, body: Node, names: dict[str, str]) -> None:
    """Emit the operations of the context calls in a body (up's, or a helper method's it passes them to)."""
    for top in chain_tops(context.source, body):
        chain = flatten(context.source, top)
        member = names.get(chain.root or "")
        if member is None or not chain.links:
            continue
        links = chain.links
        if member == CONTEXT and links[0].name in (_RUN_QUERY, _SCHEMA_BUILDER) and links[0].args is None:
            member, links = links[0].name or "", links[1:]  # context.schemaBuilder.dropTable('t')
            if not links:
                continue
        if member == _SCHEMA_BUILDER and links[0].name is not None:
            member, links = links[0].name, links  # schemaBuilder.dropTable('t')
        if not links or links[0].args is None:
            continue
        if member == _RUN_QUERY and links[0].args:
            context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif member in _BUILDER:
            _BUILDER[member](context, chain, links, names)


def _args(context: Context, link: Link) -> list[Any]:
    return [context.value(a) for a in link.args or []]


def _emit(context: Context, chain: Chain, cls: type[ir.Operation], **fields: Any) -> Any:
    return context.emit(cls, context.location(chain.top), chain.top, **fields)


def _drop_table(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    if args and name_of(args[0]):
        _emit(context, chain, ir.DropTable, table=name_of(args[0]))


def _drop_columns(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    for column in names_of(args[1]) if table and len(args) > 1 else ():
        _emit(context, chain, ir.DropColumn, table=table, column=column)


def _add_columns(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    nodes = links[0].args or []
    if table is None or len(nodes) < 2 or nodes[1].type != "array":
        return
    for item in nodes[1].named_children:
        column = column_definition(context, item, names)
        if column is not None:
            _emit(context, chain, ir.AddColumn, table=table, column=column)


def _create_table(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    if table is None:
        return
    create = _emit(context, chain, ir.CreateTable, table=table)
    for link in links[1:]:
        if link.name in ("withIndexOn", "withUniqueConstraintOn") and link.args:
            columns = names_of(context.value(link.args[0]))
            unique = link.name == "withUniqueConstraintOn" or (len(link.args) > 1 and context.value(link.args[1]) is True)
            if columns:  # after the CREATE TABLE, on the new table; TypeORM names it (IDX_<hash>)
                context.emit(ir.CreateIndex, context.location(link.node), link.node, table=table, columns=columns,
                             unique=unique)
        elif link.name == "withColumns":
            create.columns.extend(c for c in (column_definition(context, a, names) for a in link.args or []) if c)
        elif link.name == "withForeignKey" and link.args and len(link.args) >= 2:
            column, target = context.value(link.args[0]), context.value(link.args[1])
            if isinstance(target, JsObject) and name_of(column):
                reference = ir.ForeignKeyRef(table=name_of(target.get("tableName")) or "?",
                                             columns=names_of(target.get("columnName")),
                                             on_delete=name_of(target.get("onDelete")))
                create.constraints.append(context.make(ir.AddConstraint, context.location(link.node), link.node,
                                                       table=table, constraint_type="foreign_key",
                                                       columns=(name_of(column),), references=reference))


def _create_index(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    columns = names_of(args[1]) if len(args) > 1 else ()
    if table and columns:
        custom = name_of(args[3]) if len(args) > 3 and args[3] is not None else None
        _emit(context, chain, ir.CreateIndex, table=table, columns=columns, unique=len(args) > 2 and args[2] is True,
              name=custom or f"IDX_{table}_{'_'.join(columns)}")


def _drop_index(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    options = args[2] if len(args) > 2 and isinstance(args[2], JsObject) else None
    custom = name_of(options.get("customIndexName")) if options is not None and options.get("customIndexName") \
        else None
    columns = names_of(args[1]) if len(args) > 1 else ()
    if table:
        _emit(context, chain, ir.DropIndex, table=table, name=custom or f"IDX_{table}_{'_'.join(columns)}")


def _add_foreign_key(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    column = name_of(args[1]) if len(args) > 1 else None
    target = names_of(args[2]) if len(args) > 2 else ()
    if table and column and len(target) == 2:
        on_delete = name_of(args[4]) if len(args) > 4 and args[4] is not None else None
        _emit(context, chain, ir.AddConstraint, table=table, constraint_type="foreign_key", columns=(column,),
              references=ir.ForeignKeyRef(table=target[0], columns=(target[1],), on_delete=on_delete))


def _on_column(cls: type[ir.Operation]) -> Callable[[Context, Chain, list[Link], dict[str, str]], None]:
    def handler(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
        args = _args(context, links[0])
        table = name_of(args[0]) if args else None
        column = name_of(args[1]) if len(args) > 1 else None
        if table and column:
            _emit(context, chain, cls, table=table, column=column)

    return handler


def _add_enum_check(context: Context, chain: Chain, links: list[Link], names: dict[str, str]) -> None:
    args = _args(context, links[0])
    table = name_of(args[0]) if args else None
    if table:
        _emit(context, chain, ir.AddConstraint, table=table, constraint_type="check",
              columns=names_of(args[1]) if len(args) > 1 else ())


_BUILDER: dict[str, Callable[[Context, Chain, list[Link], dict[str, str]], None]] = {
    "dropTable": _drop_table, "dropColumns": _drop_columns, "addColumns": _add_columns, "createTable": _create_table,
    "createIndex": _create_index, "dropIndex": _drop_index, "addForeignKey": _add_foreign_key,
    "addNotNull": _on_column(ir.SetNotNull), "dropNotNull": _on_column(ir.DropNotNull),
    "addEnumCheck": _add_enum_check,
}

# n8n's Column types -> SQL (its Postgres mapping; varchar without a length is 255 there too)
_TYPES = {"bool": "boolean", "int": "int", "bigint": "bigint", "smallint": "smallint", "double": "double precision",
          "varchar": "varchar", "text": "text", "json": "json", "timestamp": "timestamp",
          "timestampTimezone": "timestamptz", "timestampNoTimezone": "timestamp", "uuid": "uuid", "binary": "bytea"}


def column_definition(context: Context, node: Node, names: dict[str, str]) -> ir.ColumnDef | None:
    """`column('id').varchar(36).primary.notNull.default("'x'")`."""
    chain = flatten(context.source, node)
    links = chain.links
    if names.get(chain.root or "") == _SCHEMA_BUILDER and links and links[0].name == _COLUMN:
        links = [Link(None, links[0].args, links[0].node, links[0].name_node), *links[1:]]  # schemaBuilder.column()
    elif names.get(chain.root or "") != _COLUMN:
        return None
    if not links or links[0].name is not None:
        return None
    name = name_of(context.value(links[0].args[0])) if links[0].args else None
    if not name:
        return None
    column = ir.ColumnDef(name=name)
    for link in links[1:]:
        if link.name in _TYPES:
            length = [a for a in _args(context, link) if isinstance(a, int) and not isinstance(a, bool)]
            column.type = sql_type(_TYPES[link.name], *(length if link.name == "varchar" else []),
                                   *([255] if link.name == "varchar" and not length else []))
        elif link.name == "primary" or link.name == "primaryWithName":
            column.primary_key, column.nullable = True, False
        elif link.name == "notNull":
            column.nullable = False
        elif link.name == "default" and link.args:
            column.default = default_of(context.value(link.args[0]), raw_strings=True)
        elif link.name in ("autoGenerate", "autoGenerate2"):
            column.generated = True
    return column
