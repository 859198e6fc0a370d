"""Static values of JS expressions: literals, template strings, concatenations, objects, arrays. Never executed.

A `${...}` substitution whose value is not a known constant becomes a placeholder identifier (`__tableName__`), so
SQL built from templates still parses and its statements are still reported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from .source import Source

_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


@dataclass(slots=True)
class Segment:
    offset: int  # in the string's text
    line: int  # file position of that character
    column: int


@dataclass(slots=True)
class JsString:
    text: str
    segments: list[Segment] = field(default_factory=list)
    has_placeholder: bool = False

    def position(self, offset: int) -> tuple[int, int]:
        """File (line, column) of a character of the string."""
        if not self.segments:
            return 1, 1
        index = max(0, bisect_right([s.offset for s in self.segments], offset) - 1)
        segment = self.segments[index]
        part = self.text[segment.offset:offset]
        newlines = part.count("\n")
        if not newlines:
            return segment.line, segment.column + len(part)
        return segment.line + newlines, len(part) - part.rfind("\n")

    def __add__(self, other: JsString) -> JsString:
        shift = len(self.text)
        return JsString(self.text + other.text,
                        self.segments + [Segment(s.offset + shift, s.line, s.column) for s in other.segments],
                        self.has_placeholder or other.has_placeholder)


@dataclass(slots=True)
class Unknown:
    """A value we cannot know statically (a variable, a function call we do not model)."""

    text: str


@dataclass(slots=True)
class Ref:
    """An identifier or member path (`Sequelize.STRING`, `DataTypes.INTEGER`, `knex.fn.now`)."""

    path: tuple[str, ...]
    text: str


@dataclass(slots=True)
class Call:
    callee: tuple[str, ...]
    args: list[Any]
    text: str
    new: bool = False  # `new TableColumn(...)`


@dataclass(slots=True)
class JsObject:
    entries: dict[str, Any]
    nodes: dict[str, Node]
    node: Node

    def get(self, key: str, default: Any = None) -> Any:
        return self.entries.get(key, default)


@dataclass(slots=True)
class JsArray:
    items: list[Any]
    node: Node


UNDEFINED = Unknown("undefined")


def string_value(value: Any) -> str | None:
    """The plain text of a string value (placeholders included), or None."""
    if isinstance(value, JsString):
        return value.text
    return None


def name_of(value: Any) -> str | None:
    """A table/column/index name: a string, or the placeholder text of what we could not resolve."""
    if isinstance(value, JsString):
        return value.text
    if isinstance(value, (Unknown, Ref, Call)):
        return _placeholder(value.text)
    return None


def names_of(value: Any) -> tuple[str, ...]:
    if isinstance(value, JsArray):
        return tuple(n for n in (name_of(item) for item in value.items) if n)
    name = name_of(value)
    return (name,) if name else ()


def is_truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, JsString):
        return bool(value.text)
    if isinstance(value, (JsObject, JsArray)):
        return True
    return None


def _placeholder(text: str) -> str:
    cleaned = re.sub(r"\W+", "_", text).strip("_") or "expr"
    return f"__{cleaned}__"


class Evaluator:
    """Evaluates expressions of one file; knows the file's string constants (`const TABLE = 'users'`)."""

    def __init__(self, source: Source, collect: bool = True) -> None:
        self.source = source
        self.constants: dict[str, Any] = {}
        if collect:
            self._collect_constants(source.root)

    def _collect_constants(self, root: Node) -> None:
        seen: dict[str, int] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None and value.type in (
                        "string", "template_string", "number", "binary_expression"):
                    key = self.source.text_of(name)
                    seen[key] = seen.get(key, 0) + 1
                    evaluated = self.evaluate(value)
                    if isinstance(evaluated, (JsString, int, float)):
                        self.constants[key] = evaluated
            stack.extend(node.named_children)
        for key, count in seen.items():
            if count > 1:  # the same name bound twice: not a constant we can trust
                self.constants.pop(key, None)

    def evaluate(self, node: Node | None) -> Any:
        if node is None:
            return UNDEFINED
        kind = node.type
        text = self.source.text_of
        if kind == "string":
            return self._string(node)
        if kind == "template_string":
            return self._template(node)
        if kind == "number":
            raw = text(node).replace("_", "")
            try:
                return int(raw, 0) if raw.isdigit() or raw.lower().startswith(("0x", "0o", "0b")) else float(raw)
            except ValueError:
                return Unknown(raw)
        if kind in ("true", "false"):
            return kind == "true"
        if kind == "null":
            return None
        if kind == "undefined":
            return UNDEFINED
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                    "type_assertion"):
            inner = node.named_children[0] if node.named_children else None
            if kind == "type_assertion" and len(node.named_children) > 1:
                inner = node.named_children[-1]
            return self.evaluate(inner)
        if kind == "binary_expression":
            return self._plus_chain(node)
        if kind == "identifier":
            name = text(node)
            if name == "undefined":
                return UNDEFINED
            if name in self.constants:
                return self.constants[name]
            return Ref((name,), name)
        if kind == "member_expression":
            path = self.member_path(node)
            return Ref(path, text(node)) if path else Unknown(text(node))
        if kind in ("call_expression", "new_expression"):
            callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            args_node = node.child_by_field_name("arguments")
            concatenated = self._string_concat(callee, args_node)
            if concatenated is not None:
                return concatenated
            path = self.member_path(callee) if callee is not None else ()
            args = [self.evaluate(a) for a in arguments(args_node)]
            if callee is not None and callee.type == "member_expression" and not path:
                # chained calls such as Sequelize.STRING(50).BINARY: keep the first call's shape
                inner = self.evaluate(callee.child_by_field_name("object"))
                if isinstance(inner, Call):
                    return inner
            return Call(path, args, text(node), new=kind == "new_expression")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            return JsArray([self.evaluate(c) for c in node.named_children if c.type != "comment"], node)
        if kind == "unary_expression" and text(node).startswith("!"):
            # minifiers write true/false as !0/!1
            truth = is_truthy(self.evaluate(node.named_children[0] if node.named_children else None))
            return (not truth) if truth is not None else Unknown(text(node))
        if kind == "unary_expression" and text(node).startswith("void"):
            return UNDEFINED
        if kind == "unary_expression" and text(node).startswith("-"):
            inner = self.evaluate(node.named_children[0]) if node.named_children else None
            return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else Unknown(text(node))
        return Unknown(text(node))

    def _string_concat(self, callee: Node | None, args_node: Node | None) -> JsString | None:
        """`"a".concat(b, "c")`: how tsc writes template literals when it targets ES5."""
        if callee is None or callee.type != "member_expression":
            return None
        prop = callee.child_by_field_name("property")
        if prop is None or self.source.text_of(prop) != "concat":
            return None
        base = self.evaluate(callee.child_by_field_name("object"))
        if not isinstance(base, JsString):
            return None
        for arg in arguments(args_node):
            base = base + self._as_string(self.evaluate(arg), arg)
        return base

    def member_path(self, node: Node | None) -> tuple[str, ...]:
        """`a.b.c` -> ("a", "b", "c"); () when the chain holds anything but names."""
        parts: list[str] = []
        while node is not None:
            if node.type == "member_expression":
                prop = node.child_by_field_name("property")
                if prop is None:
                    return ()
                parts.append(self.source.text_of(prop))
                node = node.child_by_field_name("object")
            elif node.type in ("identifier", "this", "super"):
                parts.append(self.source.text_of(node))
                return tuple(reversed(parts))
            elif node.type in ("parenthesized_expression", "non_null_expression", "as_expression"):
                node = node.named_children[0] if node.named_children else None
            else:
                return ()
        return ()

    def _plus_chain(self, node: Node) -> Any:
        """`a + b + c + ...` is left-nested: walk it without recursion (SQL built from hundreds of pieces)."""
        operands: list[Node] = []
        current: Node | None = node
        while current is not None and current.type == "binary_expression":
            operator = current.child_by_field_name("operator")
            if operator is None or self.source.text_of(operator) != "+":
                if current is node:
                    return Unknown(self.source.text_of(node))
                break
            right = current.child_by_field_name("right")
            if right is not None:
                operands.append(right)
            current = current.child_by_field_name("left")
        if current is not None:
            operands.append(current)
        operands.reverse()
        result = self.evaluate(operands[0])
        for operand in operands[1:]:
            result = self._concat(result, self.evaluate(operand), operand)
        return result

    def _concat(self, left: Any, right: Any, node: Node) -> Any:
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return left + right
        left_s, right_s = self._as_string(left, node), self._as_string(right, node)
        return left_s + right_s

    def _as_string(self, value: Any, node: Node) -> JsString:
        if isinstance(value, JsString):
            return value
        line, column = self.source.line_col(node.start_point)
        if isinstance(value, bool):
            return JsString(str(value).lower(), [Segment(0, line, column)])
        if isinstance(value, (int, float)):
            return JsString(str(value), [Segment(0, line, column)])
        text = _placeholder(getattr(value, "text", "expr"))
        return JsString(text, [Segment(0, line, column)], has_placeholder=True)

    def _string(self, node: Node) -> JsString:
        result = JsString("")
        children = [c for c in node.children if c.type in ("string_fragment", "escape_sequence")]
        if not children:
            line, column = self.source.line_col(node.start_point)
            return JsString("", [Segment(0, line, column + 1)])
        for child in children:
            self._append(result, child)
        return result

    def _template(self, node: Node) -> JsString:
        result = JsString("")
        for child in node.children:
            if child.type in ("string_fragment", "escape_sequence"):
                self._append(result, child)
            elif child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                value = self.evaluate(inner)
                line, column = self.source.line_col(child.start_point)
                if isinstance(value, JsString):
                    result.segments.extend(Segment(s.offset + len(result.text), s.line, s.column)
                                           for s in value.segments)
                    result.text += value.text
                    result.has_placeholder |= value.has_placeholder
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    result.segments.append(Segment(len(result.text), line, column))
                    result.text += str(value)
                else:
                    result.segments.append(Segment(len(result.text), line, column))
                    result.text += _placeholder(self.source.text_of(inner) if inner is not None else "expr")
                    result.has_placeholder = True
        if not result.segments:
            line, column = self.source.line_col(node.start_point)
            result.segments.append(Segment(0, line, column + 1))
        return result

    def _append(self, result: JsString, child: Node) -> None:
        line, column = self.source.line_col(child.start_point)
        raw = self.source.text_of(child)
        cooked = raw if child.type == "string_fragment" else _unescape(raw)
        result.segments.append(Segment(len(result.text), line, column))
        result.text += cooked

    def object_entries(self, node: Node) -> JsObject:
        return self._object(node)

    def _object(self, node: Node) -> JsObject:
        entries: dict[str, Any] = {}
        nodes: dict[str, Node] = {}
        for child in node.named_children:
            if child.type == "pair":
                key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
                key = self._key(key_node)
                if key is not None:
                    entries[key] = self.evaluate(value_node)
                    nodes[key] = child
            elif child.type == "shorthand_property_identifier":
                key = self.source.text_of(child)
                entries[key] = self.constants.get(key, Ref((key,), key))
                nodes[key] = child
            elif child.type == "method_definition":
                name = child.child_by_field_name("name")
                if name is not None:
                    key = self.source.text_of(name)
                    entries[key] = Unknown(self.source.text_of(child))
                    nodes[key] = child
        return JsObject(entries, nodes, node)

    def _key(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier"):
            return self.source.text_of(node)
        if node.type == "string":
            return self._string(node).text
        if node.type == "number":
            return self.source.text_of(node)
        if node.type == "computed_property_name":
            inner = self.evaluate(node.named_children[0] if node.named_children else None)
            return inner.text if isinstance(inner, JsString) else None
        return None


def arguments(args_node: Node | None) -> list[Node]:
    if args_node is None:
        return []
    if args_node.type == "template_string":  # tagged template: sql`...`
        return [args_node]
    return [c for c in args_node.named_children if c.type != "comment"]


def _unescape(raw: str) -> str:
    if len(raw) < 2 or raw[0] != "\\":
        return raw
    body = raw[1:]
    if body[0] in _SIMPLE_ESCAPES and len(body) == 1:
        return _SIMPLE_ESCAPES[body[0]]
    if body[0] == "\n":
        return ""
    if body[0] in "xu":
        digits = body[1:].strip("{}")
        try:
            return chr(int(digits, 16))
        except ValueError:
            return body
    return body
