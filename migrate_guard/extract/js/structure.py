"""Find a migration's `up`/`down` functions by structure, their parameter names, and the call chains inside them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from ...ir import DownState
from .source import Source
from .values import arguments

FUNCTION_TYPES = {"function_declaration", "function_expression", "function", "arrow_function", "method_definition",
                  "generator_function", "generator_function_declaration"}
_WRAPPERS = {"parenthesized_expression", "await_expression", "non_null_expression", "as_expression",
             "satisfies_expression"}
DIRECTIONS = ("up", "down")


@dataclass(slots=True)
class Param:
    """One parameter: a plain name, or the names bound by destructuring (`{ context: queryInterface }`)."""

    name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Entry:
    direction: str
    function: Node  # the function-like node
    body: Node  # statement_block or an arrow's expression
    params: list[Param]
    name_node: Node  # where `up`/`down` is written (for locations)


def find_entries(source: Source) -> dict[str, Entry]:
    """up/down as class methods, `exports.up = ...`, `export async function up`, `module.exports = { up, down }`, ..."""
    text = source.text_of
    functions: dict[str, Node] = {}  # top-level named functions, for `module.exports = { up, down }`
    for node in source.root.named_children:
        target = node.named_children[0] if node.type == "export_statement" and node.named_children else node
        if target.type in ("function_declaration", "generator_function_declaration"):
            name = target.child_by_field_name("name")
            if name is not None:
                functions[text(name)] = target
        elif target.type in ("lexical_declaration", "variable_declaration"):
            for declarator in target.named_children:
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if name is not None and value is not None and _unwrap(value).type in FUNCTION_TYPES:
                    functions[text(name)] = _unwrap(value)

    found: dict[str, Entry] = {}

    def record(direction: str, function: Node | None, name_node: Node) -> None:
        if function is None or direction in found:
            return
        function = _unwrap(function)
        if function.type == "identifier":
            function = functions.get(text(function))
            if function is None:
                return
        if function.type not in FUNCTION_TYPES:
            return
        body = function.child_by_field_name("body")
        if body is None:
            return
        found[direction] = Entry(direction, function, body, _params(source, function), name_node)

    stack = [source.root]
    while stack:
        node = stack.pop()
        kind = node.type
        name_node: Node | None = None
        function: Node | None = None
        if kind in ("method_definition", "function_declaration", "generator_function_declaration"):
            name_node, function = node.child_by_field_name("name"), node
        elif kind in ("function_expression", "function") and node.child_by_field_name("name") is not None:
            # knex-migrator (Ghost): `createTransactionalMigration(async function up(knex) {}, async function down() {})`
            name_node, function = node.child_by_field_name("name"), node
        elif kind == "variable_declarator":
            name_node, function = node.child_by_field_name("name"), node.child_by_field_name("value")
        elif kind == "pair":
            name_node, function = node.child_by_field_name("key"), node.child_by_field_name("value")
        elif kind in ("public_field_definition", "field_definition"):  # class M { up = async (qr) => {...} }
            name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
            function = node.child_by_field_name("value")
        elif kind == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                name_node, function = left.child_by_field_name("property"), node.child_by_field_name("right")
        elif kind == "shorthand_property_identifier" and text(node) in DIRECTIONS:
            record(text(node), functions.get(text(node)), node)
        if name_node is not None and function is not None:
            name = text(name_node).strip("'\"")
            if name in DIRECTIONS and name not in found:
                record(name, function, name_node)
                if name in found and found[name].function.id == _unwrap(function).id:
                    continue  # do not look for up/down inside up/down
        stack.extend(reversed(node.named_children))
    return found


def _unwrap(node: Node) -> Node:
    while node.type in _WRAPPERS and node.named_children:
        node = node.named_children[-1] if node.type == "as_expression" else node.named_children[0]
        if node.type in ("type_annotation",):
            break
    return node


def _params(source: Source, function: Node) -> list[Param]:
    params_node = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params_node is None:
        return []
    nodes = [params_node] if params_node.type == "identifier" else [
        c for c in params_node.named_children if c.type != "comment"]
    result: list[Param] = []
    for node in nodes:
        if node.type in ("required_parameter", "optional_parameter"):
            node = node.child_by_field_name("pattern") or node.named_children[0]
        if node.type == "assignment_pattern":
            node = node.child_by_field_name("left") or node.named_children[0]
        if node.type == "identifier":
            result.append(Param(source.text_of(node)))
        elif node.type == "object_pattern":
            fields: dict[str, str] = {}
            for child in node.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    fields[source.text_of(child)] = source.text_of(child)
                elif child.type == "pair_pattern":
                    key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        fields[source.text_of(key)] = source.text_of(value)
            result.append(Param(None, fields))
        else:
            result.append(Param(None))
    return result


# --- the down function's state --------------------------------------------------------------------------------------

_HELPER_WRAPPERS = {"__awaiter", "__generator", "tslib.__awaiter", "tslib_1.__awaiter", "tslib_1.__generator"}


def effective_statements(source: Source, body: Node) -> list[Node]:
    """The statements of a body, looking through tsc's __awaiter/__generator wrappers of compiled code."""
    if body.type != "statement_block":
        return [body]
    statements = [c for c in body.named_children if c.type != "comment"]
    if len(statements) == 1:
        inner = statements[0]
        expression = inner.named_children[0] if inner.type in ("return_statement", "expression_statement") and \
            inner.named_children else None
        if expression is not None and expression.type == "call_expression":
            callee = expression.child_by_field_name("function")
            name = source.text_of(callee) if callee is not None else ""
            if name.split(".")[-1] in ("__awaiter", "__generator"):
                args = arguments(expression.child_by_field_name("arguments"))
                if args and args[-1].type in FUNCTION_TYPES:
                    inner_body = args[-1].child_by_field_name("body")
                    if inner_body is not None:
                        return effective_statements(source, inner_body)
    return statements


def down_state(source: Source, entry: Entry | None) -> DownState:
    if entry is None:
        return "missing"
    statements = effective_statements(source, entry.body)
    if not statements:
        return "empty"
    if entry.body.type != "statement_block":
        return "noop" if _is_noop_expression(source, statements[0]) else (
            "raises" if _is_reject(source, statements[0]) else "present")
    if all(s.type == "throw_statement" for s in statements):
        return "raises"
    if all(_is_noop_statement(source, s) for s in statements):
        return "noop"
    if all(s.type == "return_statement" and s.named_children and _is_reject(source, s.named_children[0])
           for s in statements):
        return "raises"
    return "present"


def _is_noop_statement(source: Source, node: Node) -> bool:
    if node.type == "empty_statement":
        return True
    if node.type == "return_statement":
        return not node.named_children or _is_noop_expression(source, node.named_children[0])
    if node.type == "expression_statement" and node.named_children:  # a log line says something, undoes nothing
        call = node.named_children[0]
        callee = call.child_by_field_name("function") if call.type == "call_expression" else None
        return callee is not None and _LOGGER.match(source.text_of(callee)) is not None
    return False


_LOGGER = re.compile(r"(?:console|logger|log|this\.logger)(?:\.(?:log|info|warn|error|debug|trace))?$")


def _is_noop_expression(source: Source, node: Node) -> bool:
    text = " ".join(source.text_of(node).split())
    # tsc's generator `return [2 /*return*/]` is a plain return
    return text in ("Promise.resolve()", "null", "undefined", "void 0", "[2 /*return*/]", "[2]") or text.startswith(
        "Promise.resolve(")


def _is_reject(source: Source, node: Node) -> bool:
    return _unwrap(node).type == "call_expression" and source.text_of(node).lstrip().startswith("Promise.reject(")


# --- call chains -----------------------------------------------------------------------------------------------------


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
    while True:
        if current.type == "call_expression":
            callee = current.child_by_field_name("function")
            args = arguments(current.child_by_field_name("arguments"))
            if callee is None:
                break
            if callee.type == "member_expression":
                prop = callee.child_by_field_name("property")
                if prop is None:
                    break
                links.append(Link(source.text_of(prop), args, current, prop))
                current = callee.child_by_field_name("object") or callee
            else:
                links.append(Link(None, args, current, callee))
                current = callee
        elif current.type == "member_expression":
            prop = current.child_by_field_name("property")
            obj = current.child_by_field_name("object")
            if prop is None or obj is None:
                break
            links.append(Link(source.text_of(prop), None, current, prop))
            current = obj
        elif current.type in _WRAPPERS and current.named_children:
            current = current.named_children[0]
        else:
            break
    links.reverse()
    root = source.text_of(current) if current.type in ("identifier", "this") else None
    return Chain(root, current, links, top)


def chain_tops(body: Node) -> Iterator[Node]:
    """Every call expression that is not part of a longer chain, in source order (pre-order)."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "call_expression" and not _continues_chain(node):
            yield node
        stack.extend(reversed(node.named_children))


def _continues_chain(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression"):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "member_expression":
        obj = parent.child_by_field_name("object")
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


def first_param_names(entry: Entry, index: int = 0, field_name: str | None = None) -> set[str]:
    if index < len(entry.params):
        param = entry.params[index]
        if param.name:
            return {param.name}
        if field_name and field_name in param.fields:
            return {param.fields[field_name]}
    return set()


def function_param_names(source: Source, node: Node) -> list[str]:
    """Parameter names of a function-like node (callbacks such as `(table) => {...}`)."""
    node = _unwrap(node)
    if node.type not in FUNCTION_TYPES:
        return []
    return [p.name or "" for p in _params(source, node)]


def function_body(node: Node) -> Node | None:
    node = _unwrap(node)
    return node.child_by_field_name("body") if node.type in FUNCTION_TYPES else None


def aliases(source: Source, body: Node, names: set[str]) -> set[str]:
    """`const qi = queryInterface` / `let k = knex`: more names for the same object."""
    found = set(names)
    for node in _descendants(body, "variable_declarator"):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None and name.type == "identifier" and value.type == "identifier" \
                and source.text_of(value) in found:
            found.add(source.text_of(name))
    return found


def _descendants(node: Node, kind: str) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            yield current
        stack.extend(current.named_children)
