"""Sequelize migrations (`module.exports = { async up(queryInterface, Sequelize) {...} }`, umzug's
`up({ context: queryInterface })`), TS or JS: the QueryInterface API and `sequelize.query(sql)`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order

ORM = "sequelize"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
_MARKERS = re.compile(r"queryInterface|QueryInterface|\bSequelize\b|\bsequelize\b|DataTypes|"
                      r"\.(?:addColumn|removeColumn|bulkInsert|bulkDelete|changeColumn)\(")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("config/config.json", "config/config.js", "config/database.js", "config/database.json",
                 "src/config/config.json", "src/config/config.js", "db/config.json", ".sequelizerc")
_DIALECT_PATTERN = r"""["']?dialect["']?\s*:\s*["'`]([a-z]+)"""


# the words one of _MARKERS' alternatives holds: a search tries every position of a head none of them is in
_MARKER_WORDS = ("queryInterface", "QueryInterface", "Sequelize", "sequelize", "DataTypes", ".addColumn(",
                 ".removeColumn(", ".bulkInsert(", ".bulkDelete(", ".changeColumn(")


def claims(path: Path, head: str) -> bool:
    return any(word in head for word in _MARKER_WORDS) and bool(_MARKERS.search(head)) and bool(_UP.search(head))


# QueryInterface methods no other tool's migration calls on its parameter (TypeORM's queryRunner is told apart first).
_QUERY_INTERFACE = (r"\.\s*(?:addColumn|removeColumn|changeColumn|renameColumn|createTable|dropTable|addIndex|"
                    r"removeIndex|addConstraint|removeConstraint|bulkInsert|bulkDelete|bulkUpdate|describeTable|"
                    r"sequelize\s*\.\s*query)\s*\(")


def owns(head: str) -> bool:
    """Certainly a Sequelize migration, wherever it is: `up(queryInterface, Sequelize)`, umzug's
    `up({ context: queryInterface })`, or `up`'s parameter used through the QueryInterface API (`context.addColumn`)."""
    from .js.shape import parameter_names, parameter_types, up_parameters

    params = up_parameters(head)
    if params is None:
        return False
    names = parameter_names(params)
    if not names or not names[0]:
        return False
    if names[0] in ("queryInterface", "qi") or names[1:2] in (["Sequelize"], ["DataTypes"]) or (
            "QueryInterface" in parameter_types(params)):
        return True
    return names[0] + "." in head and (  # (a search tries every position)
        re.search(r"(?<![\w$.])" + re.escape(names[0]) + _QUERY_INTERFACE, head) is not None)


def migration_key(path: Path) -> str:
    return path.name


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _DIALECT_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit, downs: bool = True) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them; its down state and location are still read."""
    from .js.migration import extract_js

    from .js.restated import down_changes_up, old_definitions_from_down

    # sequelize-cli runs migrations outside a transaction
    migration = extract_js(unit, ORM, _interpret, down_needed=down_changes_up, downs=downs)
    old_definitions_from_down(migration)
    return migration


def _interpret(context: Any, entry: Any) -> None:
    from .js.structure import first_param_names

    interfaces = first_param_names(entry, 0, "context") if entry is not None else set()
    _read_body(context, entry.body if entry is not None else context.source.root, interfaces or {"queryInterface"}, ())


_MAX_METHOD_DEPTH = 3


def _read_body(context: Any, body: Any, interfaces: set[str], following: tuple[str, ...]) -> None:
    """The QueryInterface calls of a body, and of the migration object's own methods it calls with the interface
    (`await this.createUsersTable(queryInterface, Sequelize)`), up to three levels."""
    from .js.structure import aliases, chain_tops, flatten
    from .sequelize_calls import call as _call, helper as _helper

    source = context.source
    interfaces = aliases(source, body, interfaces)
    sequelizes = _sequelize_names(source, body, interfaces) | {"sequelize"}
    interfaces |= _query_interface_names(source, body, interfaces | sequelizes)
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        links = chain.links
        if chain.root in (interfaces | sequelizes) and links and links[0].name == "getQueryInterface":
            links = links[1:]  # umzug: ({ context: sequelize }) => sequelize.getQueryInterface().addColumn(...)
            if links:
                _call(context, chain, links[0])
        elif chain.root in interfaces and links and links[0].name == "sequelize" and links[0].args is None:
            links = links[1:]
            if links and links[0].name == "query" and links[0].args:
                context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif chain.root in interfaces and links:
            _call(context, chain, links[0])
        elif chain.root in sequelizes and links and links[0].name == "query" and links[0].args:
            context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif chain.root == "this" and links and len(following) < _MAX_METHOD_DEPTH:
            _method_call(context, chain, interfaces, following)
        elif chain.top.type == "call_expression":
            _helper(context, chain, interfaces)


def _method_call(context: Any, chain: Any, interfaces: set[str], following: tuple[str, ...]) -> None:
    from .js.local_helpers import own_method
    from .js.structure import function_param_names

    link = chain.links[0]
    if not link.name or link.args is None or link.name in following:
        return
    method = own_method(context.source, chain.top, link.name)
    body = method.child_by_field_name("body") if method is not None else None
    if method is None or body is None:
        return
    passed = [context.source.text_of(a) if a.type == "identifier" else None for a in link.args]
    params = function_param_names(context.source, method)
    names = {p for p, a in zip(params, passed) if p and a in interfaces}
    if names:
        _read_body(context, body, names, (*following, link.name))


def _query_interface_names(source: Any, body: Any, owners: set[str]) -> set[str]:
    """`const queryInterface = sequelize.getQueryInterface()`."""
    from .js.structure import declarators

    found: set[str] = set()
    for node in declarators(source, body):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        text = "".join(source.text_of(value).split()) if value is not None else ""
        if name is not None and name.type == "identifier" and text in {f"{o}.getQueryInterface()" for o in owners}:
            found.add(source.text_of(name))
    return found


def _sequelize_names(source: Any, body: Any, interfaces: set[str]) -> set[str]:
    """`const { sequelize } = queryInterface` / `const sequelize = queryInterface.sequelize`."""
    from .js.structure import declarators

    found: set[str] = set()
    for node in declarators(source, body):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        value_text = source.text_of(value) if value is not None else ""
        if name is not None and name.type == "identifier" and value_text in {
                f"{i}.sequelize" for i in interfaces}:
            found.add(source.text_of(name))
        elif name is not None and name.type == "object_pattern" and value_text in interfaces:
            for child in name.named_children:
                if child.type == "shorthand_property_identifier_pattern" and source.text_of(child) == "sequelize":
                    found.add("sequelize")
                elif child.type == "pair_pattern":
                    key, target = child.child_by_field_name("key"), child.child_by_field_name("value")
                    if key is not None and target is not None and source.text_of(key) == "sequelize":
                        found.add(source.text_of(target))
    return found
