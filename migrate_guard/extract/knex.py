"""Knex migrations (`exports.up = function (knex) {...}`, `export async function up(knex: Knex)`), TS or JS:
knex.schema builders and their column chains, knex.raw SQL, and query-builder data changes (del/update/truncate).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order

ORM = "knex"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
_MARKERS = re.compile(r"\bknex\b|\bKnex\b|\.schema\s*\.\s*(?:createTable|alterTable|table|dropTable|raw|withSchema)\b")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("knexfile.*", "src/knexfile.*", "db/knexfile.*")
_CLIENT_PATTERN = r"""\bclient\s*:\s*["'`]([a-z0-9-]+)"""


_BINDING = re.compile(r"\\?\?\??")  # knex's own: `\?` a literal ?, `??` an identifier, `?` a value


def with_bindings(sql: Any, bindings: Any) -> Any:
    """knex.raw(sql, [..]) replaces every `??` by an identifier and every `?` by a value (quotes or not, as knex does),
    so `?::uuid[]` and `ALTER TABLE ?? SET (...)` parse. Positions in the file are kept for the rest of the text."""
    from .js.values import JsArray, JsString, Segment

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


def claims(path: Path, head: str) -> bool:
    if "queryInterface" in head:
        return False
    if ("knex" in head or "Knex" in head or ".schema" in head) and _MARKERS.search(head) and _UP.search(head):
        return True
    from .knex_versions import built_by_helper

    return _in_versions_folder(path) and built_by_helper(head)


def owns(head: str) -> bool:
    """Certainly a Knex migration, wherever it is: `up` takes `knex` (or a `Knex`), or builds with
    `<its parameter>.schema.createTable(...)`."""
    from .js.shape import parameter_names, parameter_types, up_parameters

    params = up_parameters(head)
    if params is None:
        return False
    names = parameter_names(params)
    if names[:1] == ["knex"] or "Knex" in parameter_types(params) or "Knex.Knex" in parameter_types(params):
        return True
    return bool(names and names[0] and names[0] + ".schema" in head  # (a search tries every position)
                and re.search(r"(?<![\w$.])" + re.escape(names[0]) + _SCHEMA_CALL, head))


_SCHEMA_CALL = r"\.schema\s*\.\s*(?:createTable|alterTable|table|dropTable|dropTableIfExists|renameTable|hasTable|raw)\b"


def migration_key(path: Path) -> str:
    # knex-migrator applies versions/<version>/<file> version by version: the version is part of the name
    return f"{path.parent.name}/{path.name}" if _in_versions_folder(path) else path.name


def _in_versions_folder(path: Path) -> bool:
    from .knex_versions import is_version_folder

    return path.parent.parent.name == "versions" and is_version_folder(path.parent.name)


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _CLIENT_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit, downs: bool = True) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them; its down state and location are still read."""
    from .js.migration import extract_js

    from .js.restated import down_changes_up, old_definitions_from_down

    migration = extract_js(unit, ORM, _interpret, _transactional, down_changes_up, downs=downs)
    old_definitions_from_down(migration)
    if migration.down == "missing" and any(op.kind != "parse_error" for op in migration.operations) and \
            _helper_built(migration):
        migration.down = "present"  # every knex-migrator helper brings its own down
    return migration


def _helper_export_without_up(context: Any) -> bool:
    from .js.structure import find_entries
    from .knex_versions import built_by_helper

    return built_by_helper(context.source.text) and "up" not in find_entries(context.source)


def _helper_built(migration: Migration) -> bool:
    from .knex_versions import built_by_helper

    return any(built_by_helper(text) for text in migration.sources.values())


def _transactional(source: Any) -> bool:
    # Knex wraps each migration in a transaction unless the file exports `config = { transaction: false }`.
    return "transaction" not in source.text or not re.search(r"\btransaction\s*:\s*false\b", source.text)


def _interpret(context: Any, entry: Any) -> None:
    from .js.structure import aliases, chain_tops, first_param_names, flatten, function_param_names
    from .knex_helpers import read_helper_exports
    from .knex_table import COLUMN_TYPES

    source = context.source
    if entry is not None and entry.direction == "down" and _helper_export_without_up(context):
        from .js.migration import Context

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
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        if chain.root not in names or not chain.links:
            continue
        first = chain.links[0]
        if first.name == "transaction" and first.args:
            params = function_param_names(source, first.args[0])
            if params and params[0]:
                names.add(params[0])  # the transaction object is a knex instance too
            continue
        _Knex(context, chain, body).run()


_DATA_CHANGES = {"del", "delete", "update", "truncate"}
_TABLE_SOURCES = {"from", "table", "into", "queryBuilder"}


class _Knex:
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
            from .js.structure import in_value_position

            if not in_value_position(self.context.source, self.chain.top, self.body):
                sql = self.value(first.args[0])
                if len(first.args) > 1:
                    sql = with_bindings(sql, self.value(first.args[1]))
                self.context.sql(sql, first.args[0])
        elif first.name is None or first.name in _TABLE_SOURCES or first.name in _DATA_CHANGES:
            self.query_builder(links)

    # --- knex.schema ---------------------------------------------------------------------------------------------

    def schema(self, links: list[Any]) -> None:
        from .. import ir
        from .knex_table import TableBuilder
        from .js.values import name_of

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
        from .js.values import name_of

        return self.schema_prefix + (name_of(value) or "?")

    # --- knex('t').del() -----------------------------------------------------------------------------------------

    def query_builder(self, links: list[Any]) -> None:
        from .. import ir
        from .js.values import name_of

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
