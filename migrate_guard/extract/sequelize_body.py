"""Reading a Sequelize migration's up or down: its QueryInterface calls (also through `sequelize` and umzug's
context), and those of the migration object's own methods it calls with the interface. Imported once extraction
starts (tree-sitter is loaded by then)."""

from __future__ import annotations

from typing import Any

from .js.local_helpers import own_method
from .js.structure import aliases, declarators, first_param_names, function_param_names
from .js.chains import chain_tops, flatten
from .sequelize_calls import call, helper


def interpret(context: Any, entry: Any) -> None:
    interfaces = first_param_names(entry, 0, "context") if entry is not None else set()
    _read_body(context, entry.body if entry is not None else context.source.root, interfaces or {"queryInterface"}, ())


_MAX_METHOD_DEPTH = 3


def _read_body(context: Any, body: Any, interfaces: set[str], following: tuple[str, ...]) -> None:
    """The QueryInterface calls of a body, and of the migration object's own methods it calls with the interface
    (`await this.createUsersTable(queryInterface, Sequelize)`), up to three levels."""
    source = context.source
    interfaces = aliases(source, body, interfaces)
    sequelizes = _sequelize_names(source, body, interfaces) | {"sequelize"}
    interfaces |= _query_interface_names(source, body, interfaces | sequelizes | set(THIS_SEQUELIZE_TEXTS))
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        root, links = _through_this(chain.root, chain.links, interfaces)
        if root in (interfaces | sequelizes) and links and links[0].name == "getQueryInterface":
            links = links[1:]  # umzug: ({ context: sequelize }) => sequelize.getQueryInterface().addColumn(...)
            if links:
                call(context, chain, links[0])
        elif root in interfaces and links and links[0].name == "sequelize" and links[0].args is None:
            links = links[1:]
            if links and links[0].name == "query" and links[0].args:
                context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif root in interfaces and links:
            call(context, chain, links[0])
        elif root in sequelizes and links and links[0].name == "query" and links[0].args:
            context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif root == "this" and links and len(following) < _MAX_METHOD_DEPTH:
            _method_call(context, chain, interfaces, following)
        elif chain.top.type == "call_expression":
            helper(context, chain, interfaces)


# NocoBase's Migration class (@nocobase/server) reaches Sequelize through its own members, and its QueryInterface as
# `this.queryInterface`
_THIS_SEQUELIZE = (("db", "sequelize"), ("sequelize",), ("app", "db", "sequelize"), ("context", "db", "sequelize"))
_THIS_INTERFACE = ("queryInterface",)
THIS_SEQUELIZE_TEXTS = tuple("this." + ".".join(path) for path in _THIS_SEQUELIZE)


def _through_this(root: str | None, links: list[Any], interfaces: set[str]) -> tuple[str | None, list[Any]]:
    """A chain from `this.db.sequelize` or `this.queryInterface`, as if from a name for the Sequelize instance or the
    QueryInterface; any other chain as it is."""
    if root != "this" or not links:
        return root, links
    names = tuple(link.name if link.args is None else None for link in links[:3])
    for path in _THIS_SEQUELIZE:
        if names[:len(path)] == path and len(links) > len(path):
            return "sequelize", links[len(path):]  # (always one of `sequelizes`)
    if names[:1] == _THIS_INTERFACE and len(links) > 1:
        return next(iter(interfaces), "queryInterface"), links[1:]
    return root, links


def _method_call(context: Any, chain: Any, interfaces: set[str], following: tuple[str, ...]) -> None:
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
    """`const queryInterface = sequelize.getQueryInterface()` (NocoBase: `= this.queryInterface`)."""
    found: set[str] = set()
    for node in declarators(source, body):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        text = "".join(source.text_of(value).split()) if value is not None else ""
        if name is not None and name.type == "identifier" and (
                text in {f"{o}.getQueryInterface()" for o in owners} or text == "this.queryInterface"):
            found.add(source.text_of(name))
    return found


def _sequelize_names(source: Any, body: Any, interfaces: set[str]) -> set[str]:
    """`const { sequelize } = queryInterface` / `const sequelize = queryInterface.sequelize`."""
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
