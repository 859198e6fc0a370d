"""The call chains in a migration's code: `knex.schema.createTable(...)` as its root and links (flatten), the chains of a
body that are statements of their own (chain_tops, chains_from), and whether a call is a value inside another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from .source import Source
from .structure import FUNCTION_TYPES, WRAPPERS
from .values import arguments


@dataclass(slots=True)
class Link:
    """One step of a chain: `.name(args)` (a call), `.name` (args None), or a call of the root itself (name None)."""

    name: str | None
    args: list[Node] | None
    node: Node  # the call or member expression ending at this link
    name_node: Node


@dataclass(slots=True)
class Chain:
    root: str | None  # the identifier the chain starts from (`knex`, `queryRunner`), None for anything else
    root_node: Node
    links: list[Link]
    top: Node


def flatten(source: Source, top: Node) -> Chain:
    links: list[Link] = []
    current = top
    fields = source.fields
    while True:
        kind = current.type
        if kind == "call_expression":
            callee = current.child_by_field_id(fields.function)
            if callee is None:
                break
            args = arguments(current.child_by_field_id(fields.arguments))
            if callee.type == "member_expression":
                prop = callee.child_by_field_id(fields.property)
                if prop is None:
                    break
                links.append(Link(source.text_of(prop), args, current, prop))
                current = callee.child_by_field_id(fields.object) or callee
            else:
                links.append(Link(None, args, current, callee))
                current = callee
        elif kind == "member_expression":
            prop = current.child_by_field_id(fields.property)
            obj = current.child_by_field_id(fields.object)
            if prop is None or obj is None:
                break
            links.append(Link(source.text_of(prop), None, current, prop))
            current = obj
        elif kind in WRAPPERS and current.named_child_count:
            current = current.named_children[0]
        else:
            break
    links.reverse()
    root = source.text_of(current) if current.type in ("identifier", "this") else None
    return Chain(root, current, links, top)


_CALLS = ("call_expression",)


def chain_tops(source: Source, body: Node) -> list[Node]:
    """Every call expression that is not part of a longer chain, in source order (pre-order)."""
    return [node for node in source.index.within(_CALLS, body) if not _continues_chain(node, source.fields.object)]


def chains_from(source: Source, body: Node, roots: set[str]) -> Iterator[Chain]:
    """The call chains of `body` that start at one of `roots` (`knex.schema.createTable(...)` for {"knex"}), in
    source order; `roots` is read at each chain, so a name added on the way counts from the next one on."""
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        if chain.root in roots and chain.links:
            yield chain


def _continues_chain(node: Node, object_field: int | None = None) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression"):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "member_expression":
        obj = parent.child_by_field_name("object") if object_field is None else parent.child_by_field_id(object_field)
        return obj is not None and obj.id == node.id and parent.parent is not None and \
            parent.parent.type == "call_expression"
    return False


_STATEMENT_CALLEES = {"all", "allSettled", "race", "then", "transaction", "map", "forEach", "push", "each",
                      "mapSeries", "reduce", "__awaiter", "__generator", "resolve"}


def in_value_position(source: Source, node: Node, stop: Node) -> bool:
    """True when an expression is used as a value inside another call (`defaultTo(knex.raw('now()'))`,
    `update({ x: knex.raw(...) })`), not run as a statement of its own."""
    current = node
    while current is not None and current.id != stop.id:
        parent = current.parent
        if parent is None or parent.type in FUNCTION_TYPES:
            return False
        if parent.type == "pair":
            return True
        if parent.type == "arguments":
            call = parent.parent
            callee = call.child_by_field_name("function") if call is not None else None
            name = ""
            if callee is not None:
                prop = callee.child_by_field_name("property") if callee.type == "member_expression" else callee
                name = source.text_of(prop) if prop is not None else ""
            if name not in _STATEMENT_CALLEES:
                return True
        current = parent
    return False
