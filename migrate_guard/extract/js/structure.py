"""Find a migration's `up`/`down` functions by structure and their parameter names (the call chains inside them:
chains.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from ...ir import DownState
from .source import Source
from .values import arguments

FUNCTION_TYPES = {"function_declaration", "function_expression", "function", "arrow_function", "method_definition",
                  "generator_function", "generator_function_declaration"}
WRAPPERS = {"parenthesized_expression", "await_expression", "non_null_expression", "as_expression",
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
    """up/down as class methods, `exports.up = ...`, `export async function up`, `module.exports = { up, down }`, ...
    A file with several migration classes (TypeORM runs each) has the up and down of each further class under
    "up 2", "down 2", ... (later_entries)."""
    finder = _EntryFinder(source, _top_level_functions(source))
    inside = -1  # the end of the up or down being skipped: nothing inside it is looked at
    for node in source.index.within(_ENTRY_PLACES, source.root):
        if node.start_byte < inside:
            continue
        if node.type == "shorthand_property_identifier":
            if source.text_of(node) in DIRECTIONS:
                finder.record(source.text_of(node), finder.functions.get(source.text_of(node)), node)
            continue
        name_node, function = _NAMED_FUNCTIONS[node.type](node)
        if name_node is not None and function is not None and finder.entry_at(name_node, function):
            inside = node.end_byte  # do not look for up/down inside up/down
    return finder.found


def _top_level_functions(source: Source) -> dict[str, Node]:
    """The file's top-level named functions, for `module.exports = { up, down }`."""
    functions: dict[str, Node] = {}
    for node in source.root.named_children:
        target = node.named_children[0] if node.type == "export_statement" and node.named_children else node
        if target.type in ("function_declaration", "generator_function_declaration"):
            name = target.child_by_field_name("name")
            if name is not None:
                functions[source.text_of(name)] = target
        elif target.type in ("lexical_declaration", "variable_declaration"):
            for declarator in target.named_children:
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if name is not None and value is not None and _unwrap(value).type in FUNCTION_TYPES:
                    functions[source.text_of(name)] = _unwrap(value)
    return functions


@dataclass
class _EntryFinder:
    source: Source
    functions: dict[str, Node]
    found: dict[str, Entry] = field(default_factory=dict)

    def record(self, direction: str, function: Node | None, name_node: Node) -> None:
        if function is None or direction in self.found:
            return
        function = _unwrap(function)
        if function.type == "identifier":
            function = self.functions.get(self.source.text_of(function))
            if function is None:
                return
        if function.type not in FUNCTION_TYPES:
            return
        body = function.child_by_field_name("body")
        if body is None:
            return
        self.found[direction] = Entry(direction, function, body, _params(self.source, function), name_node)

    def entry_at(self, name_node: Node, function: Node) -> bool:
        """Record `function` when `name_node` names up or down; True when it is that entry (not to be searched)."""
        name = self.source.text_of(name_node).strip("'\"")
        if name in DIRECTIONS and name in self.found and function.type == "method_definition":
            classes = {_class_of(entry.function) for entry in self.found.values() if entry.direction == name}
            if _class_of(function) not in classes:  # another migration class's method
                key = f"{name} {len(classes) + 1}"
                self.record(key, function, name_node)
                if key in self.found:
                    self.found[key].direction = name
                return key in self.found
        if name in DIRECTIONS and name not in self.found:
            self.record(name, function, name_node)
            return name in self.found and self.found[name].function.id == _unwrap(function).id
        return False


def _class_of(function: Node) -> int | None:
    """The id of the class whose body holds this method, or None."""
    parent = function.parent
    return parent.parent.id if parent is not None and parent.type == "class_body" and parent.parent is not None \
        else None


def later_entries(entries: dict[str, Entry], direction: str) -> list[Entry]:
    """The up (down) of each migration class after the first one in the file."""
    return [entry for key, entry in entries.items() if key != direction and entry.direction == direction]


_Named = tuple["Node | None", "Node | None"]  # (where up/down may be named, the function-like value)


def _declared(node: Node) -> _Named:
    return node.child_by_field_name("name"), node


def _named_expression(node: Node) -> _Named:
    # knex-migrator (Ghost): `createTransactionalMigration(async function up(knex) {}, async function down() {})`
    name = node.child_by_field_name("name")
    return (name, node) if name is not None else (None, None)


def _declarator(node: Node) -> _Named:
    return node.child_by_field_name("name"), node.child_by_field_name("value")


def _pair(node: Node) -> _Named:
    return node.child_by_field_name("key"), node.child_by_field_name("value")


def _class_field(node: Node) -> _Named:  # class M { up = async (qr) => {...} }
    return node.child_by_field_name("name") or node.child_by_field_name("property"), node.child_by_field_name("value")


def _assignment(node: Node) -> _Named:  # exports.up = ..., module.exports.down = ...
    left = node.child_by_field_name("left")
    if left is not None and left.type == "member_expression":
        return left.child_by_field_name("property"), node.child_by_field_name("right")
    return None, None


# node type -> (name, function) of the places an up or down function is written
_NAMED_FUNCTIONS: dict[str, Callable[[Node], _Named]] = {
    "method_definition": _declared, "function_declaration": _declared, "generator_function_declaration": _declared,
    "function_expression": _named_expression, "function": _named_expression,
    "variable_declarator": _declarator,
    "pair": _pair,
    "public_field_definition": _class_field, "field_definition": _class_field,
    "assignment_expression": _assignment,
}


_ENTRY_PLACES = ("shorthand_property_identifier", *_NAMED_FUNCTIONS)


def _unwrap(node: Node) -> Node:
    while node.type in WRAPPERS and node.named_children:
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
    for node in declarators(source, body):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None and name.type == "identifier" and value.type == "identifier" \
                and source.text_of(value) in found:
            found.add(source.text_of(name))
    return found


def declarators(source: Source, node: Node) -> list[Node]:
    """The variable declarators in a subtree, in the order of the stack walk these readers were written as."""
    return source.index.within(_DECLARATORS, node, mirrored=True)


_DECLARATORS = ("variable_declarator",)
