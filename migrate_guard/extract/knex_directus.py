"""Directus's schema helpers, which its knex migrations call instead of knex.schema (`const helper =
getHelpers(knex).schema`; api/src/database/helpers/schema/types.ts):

- `changeToType(table, column, type, { nullable, default, length })` restates the column, as `table[type](column)`
  (`string(column, length)`) with `.nullable()` / `.notNullable()` / `.defaultTo()` and `.alter()`;
- `changeNullable(table, column, nullable)` is `setNullable(column)` or `dropNullable(column)`.

A type chosen by `helper.isOneOfClients([...]) ? a : b` is the branch for this project's database."""

from __future__ import annotations

from typing import Any

from .. import ir
from .js.chains import Chain
from .js.columns import default_of, sql_type
from .js.structure import declarators
from .js.values import JsString, name_of
from .knex_table import COLUMN_TYPES, TableBuilder

def helper_names(source: Any, body: Any, knex_names: set[str]) -> set[str]:
    """The names bound to `getHelpers(knex).schema` in `body`."""
    wanted = {f"getHelpers({name}).schema" for name in knex_names}
    found: set[str] = set()
    for node in declarators(source, body):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None and name.type == "identifier" \
                and "".join(source.text_of(value).split()) in wanted:
            found.add(source.text_of(name))
    return found


def read(knex: Any, chain: Chain, helpers: set[str], knex_names: set[str]) -> bool:
    """Whether `chain` is a call of a Directus schema helper (then read here)."""
    links = chain.links
    if chain.root not in helpers:  # getHelpers(knex).schema.changeToType(...)
        call = links[0] if links else None
        if chain.root != "getHelpers" or call is None or call.name is not None or not call.args \
                or knex.context.source.text_of(call.args[0]) not in knex_names or len(links) < 2 \
                or links[1].name != "schema" or links[1].args is not None:
            return False
        links = links[2:]
    link = links[0] if links else None
    if link is None or link.args is None or link.name not in ("changeToType", "changeNullable"):
        return False
    nodes: list[Any] = link.args
    context = knex.context
    args = [context.value(a) for a in nodes]
    table, column = (name_of(args[0]) if args else None), (name_of(args[1]) if len(args) > 1 else None)
    if table is None or column is None:
        return True
    builder = TableBuilder(knex, knex.table_name(args[0]), None, None)
    location = context.chain_location(chain, link)
    if link.name == "changeNullable":
        if len(args) > 2 and isinstance(args[2], bool):
            cls = ir.DropNotNull if args[2] else ir.SetNotNull
            builder.emit_alter(cls, location, chain.top, column=column)
        return True
    options = args[3] if len(args) > 3 and hasattr(args[3], "get") else None
    modifiers: dict[str, Any] = {}
    if options is not None and options.get("nullable") is True:
        modifiers["nullable"] = True
    elif options is not None and options.get("nullable") is False:
        modifiers["notNullable"] = True
    kind = _type_name(context, nodes[2] if len(nodes) > 2 else None, helpers)
    column_type = None
    if kind == "string":
        length = options.get("length") if options is not None else None
        column_type = sql_type("varchar", length if isinstance(length, int) else 255)
    elif kind in COLUMN_TYPES and COLUMN_TYPES[kind]:
        column_type = sql_type(COLUMN_TYPES[kind])
    default = None
    if options is not None and options.get("default") is not None:
        default = default_of(options.get("default"))
    builder.alter(ir.ColumnDef(name=column, type=column_type, default=default), modifiers, location, chain.top)
    return True


def _type_name(context: Any, node: Any, helpers: set[str]) -> str | None:
    """The knex type a changeToType call names: a string, or a name bound to one, or to `helper.isOneOfClients([...])
    ? a : b` (the branch for this project's database)."""
    if node is None:
        return None
    source = context.source
    for declarator in declarators(source, source.root) if node.type == "identifier" else ():
        name, bound = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or bound is None or source.text_of(name) != source.text_of(node) \
                or bound.type != "ternary_expression" or declarator.start_byte > node.start_byte:
            continue
        chosen = _clients_test(context, bound.child_by_field_name("condition"), helpers)
        if chosen is None:
            return None  # (the evaluator would take the first branch of any test)
        node = bound.child_by_field_name("consequence" if chosen else "alternative")
        break
    value = context.value(node) if node is not None else None
    return value.text if isinstance(value, JsString) and not value.has_placeholder else None


def _clients_test(context: Any, test: Any, helpers: set[str]) -> bool | None:
    """`helper.isOneOfClients(['oracle', 'cockroachdb'])` for this project's database, or None for another test."""
    source = context.source
    if test is None or test.type != "call_expression":
        return None
    callee, arguments = test.child_by_field_name("function"), test.child_by_field_name("arguments")
    if callee is None or arguments is None or callee.type != "member_expression":
        return None
    receiver, method = callee.child_by_field_name("object"), callee.child_by_field_name("property")
    if receiver is None or method is None or source.text_of(method) != "isOneOfClients" \
            or source.text_of(receiver) not in helpers or not arguments.named_children:
        return None
    listed = context.value(arguments.named_children[0])
    items = getattr(listed, "items", None)
    if items is None or not all(isinstance(item, JsString) for item in items):
        return None
    return context.unit.dialect in {item.text for item in items}  # Directus's client names are our dialects' names
