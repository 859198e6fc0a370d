"""Calls of the project's own migration helpers: `await removeColumnIfExists(queryInterface, 'users', 'legacy')`,
compiled TS's `(0, migrate_1.removeColumnIfExists)(context, ...)`, defined in the same file or in a module the
migration imports by a relative path.

The helper is read, not run: the calls its body makes on the parameter that received the migration's interface
(`context.removeColumn(table, column)`) are returned with their arguments evaluated, a helper parameter standing for
what the caller passed. One level only: a helper's own helpers are not followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tree_sitter import Node

from ..base import display_path, side_text
from .source import Source
from .structure import FUNCTION_TYPES, function_body, function_param_names
from .chains import chain_tops, flatten
from .evaluator import Evaluator
from .values import arguments

_MAX_HELPER_BYTES = 512 * 1024
_SUFFIXES = ("", ".js", ".ts", ".cjs", ".mjs", ".cts", ".mts", "/index.js", "/index.ts")
_REQUIRE = re.compile(r"""^(?:__importDefault|__importStar|_interopRequireDefault|_interopRequireWildcard)?\(?\s*"""
                      r"""require\(\s*(['"])(\.{1,2}/[^'"]*)\1\s*\)\s*\)?(?:\.default)?$""")


@dataclass(slots=True)
class HelperCall:
    """One call a helper makes on the interface it was given, with its arguments' values."""

    method: str
    args: list[Any]


def helper_calls(source: Source, evaluator: Evaluator, call: Node, interfaces: set[str],
                 methods: Callable[[str], bool], root: Path | None = None) -> list[HelperCall]:
    """The interface calls (`methods(name)` true) of the helper `call` invokes, or [] when it is not a local helper
    given one of `interfaces` as an argument."""
    if call.type != "call_expression":
        return []
    arg_nodes = arguments(call.child_by_field_name("arguments"))
    given = next((i for i, a in enumerate(arg_nodes) if a.type == "identifier" and source.text_of(a) in interfaces),
                 None)
    target = _callee(source, call.child_by_field_name("function"))
    if given is None or target is None:
        return []
    found = _definition(source, *target, root)
    if found is None:
        return []
    helper_source, function = found
    params = function_param_names(helper_source, function)
    body = function_body(function)
    if given >= len(params) or not params[given] or body is None:
        return []
    helper_values = Evaluator(helper_source) if helper_source is not source else evaluator
    bound = {name: index for index, name in enumerate(params) if name}

    def value(node: Node) -> Any:
        if node.type == "identifier" and helper_source.text_of(node) in bound:
            index = bound[helper_source.text_of(node)]
            return evaluator.evaluate(arg_nodes[index]) if index < len(arg_nodes) else None
        return helper_values.evaluate(node)

    calls: list[HelperCall] = []
    for top in chain_tops(helper_source, body):
        chain = flatten(helper_source, top)
        first = chain.links[0] if chain.links else None
        if chain.root == params[given] and first is not None and first.name and first.args is not None and \
                methods(first.name):
            calls.append(HelperCall(first.name, [value(a) for a in first.args]))
    return calls


def own_method(source: Source, node: Node, name: str) -> Node | None:
    """The method `name` of the class or object literal around `node` (what `this.name(...)` calls there):
    `class M { async up(qr) { await this.name(qr) } name(qr) {} }`, `module.exports = { up() {}, name() {} }`."""
    scope = node.parent
    while scope is not None and scope.type not in ("class_body", "object"):
        scope = scope.parent
    for member in scope.named_children if scope is not None else []:
        if member.type == "method_definition":
            named = member.child_by_field_name("name")
            if named is not None and source.text_of(named) == name:
                return member
        elif member.type == "pair":
            key, value = member.child_by_field_name("key"), member.child_by_field_name("value")
            if key is not None and value is not None and source.text_of(key).strip("'\"") == name \
                    and value.type in FUNCTION_TYPES:
                return value
    return None


def _callee(source: Source, node: Node | None) -> tuple[str | None, str] | None:
    """(module alias or None, function name) of `name`, `alias.name` or `(0, alias.name)`."""
    if node is not None and node.type == "call_expression" and _is_await(source, node.child_by_field_name("function")):
        # tree-sitter reads `await (0, m.f)(args)` as a call of `await(0, m.f)`
        node = node.child_by_field_name("arguments")
    while node is not None and node.type in ("parenthesized_expression", "sequence_expression", "arguments"):
        node = node.named_children[-1] if node.named_children else None
    if node is None:
        return None
    if node.type == "identifier":
        return None, source.text_of(node)
    if node.type == "member_expression":
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is not None and prop is not None and obj.type == "identifier":
            return source.text_of(obj), source.text_of(prop)
    return None


def _is_await(source: Source, node: Node | None) -> bool:
    return node is not None and node.type == "identifier" and source.text_of(node) == "await"


def _definition(source: Source, alias: str | None, name: str, root: Path | None) -> tuple[Source, Node] | None:
    if alias is None:
        function = _function_named(source, name)
        if function is not None:
            return source, function
    module = _imported_module(source, alias, name)
    if module is None:
        return None
    path = _resolve(source.path.parent, module, root)
    if path is None:
        return None
    try:
        text = side_text(path)
    except OSError:
        return None
    helper = Source(path, display_path(path), text)
    function = _function_named(helper, name)
    return (helper, function) if function is not None else None


def _function_named(source: Source, name: str) -> Node | None:
    """A top-level `function name`, `const name = (...) => {}` or `exports.name = function ...`."""
    text = source.text_of
    for statement in source.root.named_children:
        node = statement.named_children[0] if statement.type == "export_statement" and statement.named_children \
            else statement
        if node.type in ("function_declaration", "generator_function_declaration"):
            named = node.child_by_field_name("name")
            if named is not None and text(named) == name:
                return node
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                target, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if target is not None and value is not None and text(target) == name and value.type in FUNCTION_TYPES:
                    return value
        elif node.type == "expression_statement" and node.named_children:
            expression = node.named_children[0]
            left, right = expression.child_by_field_name("left"), expression.child_by_field_name("right")
            if expression.type == "assignment_expression" and left is not None and right is not None and \
                    text(left) in (f"exports.{name}", f"module.exports.{name}") and right.type in FUNCTION_TYPES:
                return right
    return None


def _imported_module(source: Source, alias: str | None, name: str) -> str | None:
    """The relative module an alias (`const migrate_1 = require('../migrate')`, `import * as m from`) or a name
    (`const { name } = require(...)`, `import { name } from ...`) comes from."""
    text = source.text_of
    for statement in source.root.named_children:
        if statement.type == "import_statement":
            module = statement.child_by_field_name("source")
            clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
            if module is None or clause is None:
                continue
            bound = re.findall(r"[\w$]+", text(clause).replace(" as ", " "))
            if (alias or name) in bound:
                spec = text(module).strip("'\"")
                return spec if spec.startswith(".") else None
        elif statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                target, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if target is None or value is None:
                    continue
                match = _REQUIRE.match("".join(text(value).split()))
                if match is None:
                    continue
                if alias is not None and target.type == "identifier" and text(target) == alias:
                    return match.group(2)
                if alias is None and target.type == "object_pattern" and name in re.findall(r"[\w$]+", text(target)):
                    return match.group(2)
    return None


def _resolve(folder: Path, module: str, root: Path | None) -> Path | None:
    """The helper module's file, only inside the project (a relative import never reads the rest of the machine)."""
    limit = os.path.realpath(root if root is not None else folder.parent.parent)
    for suffix in _SUFFIXES:
        candidate = Path(os.path.normpath(folder / (module + suffix)))
        real = os.path.realpath(candidate)
        if not (real == limit or real.startswith(limit.rstrip(os.sep) + os.sep)):
            return None
        try:
            if candidate.is_file() and candidate.stat().st_size <= _MAX_HELPER_BYTES:
                return candidate
        except OSError:
            continue
    return None
