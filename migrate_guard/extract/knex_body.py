"""Reading a Knex migration's up or down: knex.schema builders, knex.raw SQL (with its bindings) and query-builder
data changes. Imported once extraction starts (tree-sitter is loaded by then)."""

from __future__ import annotations

import re
from typing import Any

from .. import ir
from .js.migration import Context
from .js.chains import chains_from, in_value_position
from .js.structure import aliases, find_entries, first_param_names, function_param_names
from .js.values import JsArray, JsString, Segment, name_of
from . import knex_directus as directus
from .knex_helpers import read_helper_exports
from .knex_table import COLUMN_TYPES, TableBuilder
from .knex_versions import built_by_helper


_BINDING = re.compile(r"\\?\?\??")  # knex's own: `\?` a literal ?, `??` an identifier, `?` a value


def with_bindings(sql: Any, bindings: Any) -> Any:
    """knex.raw(sql, [..]) replaces every `??` by an identifier and every `?` by a value (quotes or not, as knex does),
    so `?::uuid[]` and `ALTER TABLE ?? SET (...)` parse. Positions in the file are kept for the rest of the text."""
    if not isinstance(sql, JsString) or not isinstance(bindings, JsArray) or "?" not in sql.text:
        return sql
    items = list(bindings.items)
    result = JsString("", has_placeholder=sql.has_placeholder)
    kept = 0  # text of `sql` copied up to here

    def copy(end: int) -> None:
        if end > kept:
            line, column = sql.position(kept)
            result.segments.append(Segment(len(result.text), line, column))
            result.segments.extend(Segment(len(result.text) + seg.offset - kept, seg.line, seg.column)
                                   for seg in sql.segments if kept < seg.offset < end)
            result.text += sql.text[kept:end]

    for match in _BINDING.finditer(sql.text):
        token = match.group(0)
        copy(match.start())
        if token == "\\?":
            replacement = "?"
        else:
            value = items.pop(0) if items else None
            if token == "??":
                name = value.text if isinstance(value, JsString) and not value.has_placeholder else None
                replacement = '"' + name.replace('"', '""') + '"' if name else "__binding__"
                result.has_placeholder |= name is None
            else:
                replacement = "NULL"
        line, column = sql.position(match.start())
        result.segments.append(Segment(len(result.text), line, column))
        result.text += replacement
        kept = match.end()
    copy(len(sql.text))
    return result


def _helper_export_without_up(context: Any) -> bool:
    return built_by_helper(context.source.text) and "up" not in find_entries(context.source)


def interpret(context: Any, entry: Any) -> None:
    source = context.source
    if entry is not None and entry.direction == "down" and _helper_export_without_up(context):
        # `module.exports = createDropColumnMigration(...); module.exports.down = async () => {}`: only a down is
        # written, the up is the helper's
        up = Context(context.unit, source, context.evaluator, "up")
        read_helper_exports(up, COLUMN_TYPES)
        context.ops.extend(up.readable_ops())
    elif read_helper_exports(context, COLUMN_TYPES) and entry is None:
        return
    names = first_param_names(entry) if entry is not None else set()
    names = names or {"knex"}
    body = entry.body if entry is not None else source.root
    names = aliases(source, body, names)
    helpers = directus.helper_names(source, body, names)
    names |= helpers | {"getHelpers"}  # (in place: chains_from reads it at each chain, a transaction adds to it)
    for chain in chains_from(source, body, names):
        if chain.root in helpers or chain.root == "getHelpers":
            directus.read(Knex(context, chain, body), chain, helpers, names)
            continue
        first = chain.links[0]
        if first.name == "transaction" and first.args:
            params = function_param_names(source, first.args[0])
            if params and params[0]:
                names.add(params[0])  # the transaction object is a knex instance too
            continue
        Knex(context, chain, body).run()


_DATA_CHANGES = {"del", "delete", "update", "truncate"}
_TABLE_SOURCES = {"from", "table", "into", "queryBuilder"}


class Knex:
    def __init__(self, context: Any, chain: Any, body: Any) -> None:
        self.context = context
        self.chain = chain
        self.body = body
        self.schema_prefix = ""

    def value(self, node: Any) -> Any:
        return self.context.value(node)

    def run(self) -> None:
        links = self.chain.links
        first = links[0]
        if first.name == "schema":
            self.schema(links[1:])
        elif first.name == "raw" and first.args:
            if not in_value_position(self.context.source, self.chain.top, self.body):
                sql = self.value(first.args[0])
                if len(first.args) > 1:
                    sql = with_bindings(sql, self.value(first.args[1]))
                self.context.sql(sql, first.args[0])
        elif first.name is None or first.name in _TABLE_SOURCES or first.name in _DATA_CHANGES:
            self.query_builder(links)

    # --- knex.schema ---------------------------------------------------------------------------------------------

    def schema(self, links: list[Any]) -> None:
        context = self.context
        for link in links:
            if link.args is None:
                continue
            args = [self.value(a) for a in link.args]
            location = context.chain_location(self.chain, link)
            node = link.node
            method = link.name
            table = self.table_name(args[0]) if args else "?"
            if method == "withSchema" and args:
                self.schema_prefix = (name_of(args[0]) or "") + "."
            elif method in ("createTable", "createTableIfNotExists"):
                create = context.emit(ir.CreateTable, location, node, table=table,
                                      if_not_exists=method == "createTableIfNotExists")
                if len(link.args) >= 2:
                    TableBuilder(self, table, create, link.args[1]).run()
            elif method in ("alterTable", "table") and len(link.args) >= 2:
                TableBuilder(self, table, None, link.args[1]).run()
            elif method in ("dropTable", "dropTableIfExists") and args:
                context.emit(ir.DropTable, location, node, table=table, if_exists=method == "dropTableIfExists")
            elif method == "renameTable" and len(args) >= 2:
                context.emit(ir.RenameTable, location, node, table=table, new_name=self.table_name(args[1]))
            elif method == "raw" and args:
                context.sql(with_bindings(args[0], args[1]) if len(args) > 1 else args[0], link.args[0])
            elif method in ("dropSchema", "dropSchemaIfExists") and args:
                context.emit(ir.DropSchema, location, node, name=name_of(args[0]) or "?",
                             cascade=len(args) > 1 and args[1] is True)

    def table_name(self, value: Any) -> str:
        return self.schema_prefix + (name_of(value) or "?")

    # --- knex('t').del() -----------------------------------------------------------------------------------------

    def query_builder(self, links: list[Any]) -> None:
        # knex('t').del(), knex.from('t').del() and knex.delete().from('t') all name the table somewhere in the chain
        sources = [link for link in links if (link.name is None or link.name in _TABLE_SOURCES) and link.args]
        table = name_of(self.value(sources[0].args[0])) if sources else None
        # a where anywhere in the chain filters: knex('t').update({...}).where(...) is bounded too
        # so does an inner join: only the rows with a match are changed (`knex('members').join('suppressions', ...)`)
        has_where = any(link.name and (link.name.startswith(("where", "andWhere", "orWhere"))
                                       or link.name in ("join", "innerJoin")) for link in links)
        for link in links:
            name = link.name
            if link.args is None:
                continue
            if name in ("del", "delete", "update", "truncate"):
                location = self.context.chain_location(self.chain, link)
                target = table or "?"
                if name == "truncate":
                    self.context.emit(ir.Truncate, location, self.chain.top, tables=(target,))
                elif name == "update":
                    self.context.emit(ir.Update, location, self.chain.top, table=target, has_where=has_where)
                else:
                    self.context.emit(ir.Delete, location, self.chain.top, table=target, has_where=has_where)
