"""Evaluates JS expressions statically (never executed) into the values of values.py: literals, template strings,
concatenations, objects, arrays, references and calls. One reader per tree-sitter node type (_READERS).

A `${...}` substitution whose value is not a known constant becomes a placeholder identifier (`__tableName__`), so
SQL built from templates still parses and its statements are still reported.
"""

from __future__ import annotations

from typing import Any, Callable

from tree_sitter import Node

from .source import Source
from .values import (UNDEFINED, Call, JsArray, JsObject, JsString, Ref, Segment, Unknown, arguments, is_truthy,
                     placeholder)

_WRAPPERS = frozenset({"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                       "type_assertion"})
_DECLARATORS = ("variable_declarator",)
_NO_OPERAND = object()  # a unary operator with nothing after it
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


class Evaluator:
    """Evaluates expressions of one file; knows the file's string constants (`const TABLE = 'users'`)."""

    def __init__(self, source: Source, collect: bool = True) -> None:
        self.source = source
        self.constants: dict[str, Any] = {}
        # `const table = { sessions: 'chat_hub_sessions' }`: table.sessions is a constant too
        self.member_constants: dict[tuple[str, str], JsString] = {}
        if collect:
            self._collect_constants(source.root)

    def _collect_constants(self, root: Node) -> None:
        seen: dict[str, int] = {}
        quoted: list[tuple[str, Node]] = []  # `const table = escape.tableName(T)`: once the plain constants are known
        for node in self.source.index.within(_DECLARATORS, root, mirrored=True):  # later ones first, as ever
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None and \
                    value.type == "call_expression" and self.source.text_of(value).startswith("escape."):
                key = self.source.text_of(name)
                seen[key] = seen.get(key, 0) + 1
                quoted.append((key, value))
            elif name is not None and name.type == "identifier" and value is not None and value.type in (
                    "string", "template_string", "number", "binary_expression", "ternary_expression"):
                key = self.source.text_of(name)
                seen[key] = seen.get(key, 0) + 1
                evaluated = self.evaluate(value)
                if isinstance(evaluated, (JsString, int, float)):
                    self.constants[key] = evaluated
            elif name is not None and name.type == "identifier" and value is not None and value.type == "object":
                key = self.source.text_of(name)
                seen[key] = seen.get(key, 0) + 1
                self._collect_members(key, value)
        for key, value in quoted:
            evaluated = self.evaluate(value)
            if isinstance(evaluated, JsString):
                self.constants[key] = evaluated
        for key, count in seen.items():
            if count > 1:  # the same name bound twice: not a constant we can trust
                self.constants.pop(key, None)
                self.member_constants = {k: v for k, v in self.member_constants.items() if k[0] != key}

    def _collect_members(self, name: str, value: Node) -> None:
        for pair in value.named_children:
            if pair.type != "pair":
                continue
            key, item = self._key(pair.child_by_field_name("key")), pair.child_by_field_name("value")
            if key is not None and item is not None and item.type in ("string", "template_string"):
                evaluated = self.evaluate(item)
                if isinstance(evaluated, JsString) and not evaluated.has_placeholder:
                    self.member_constants[(name, key)] = evaluated

    def evaluate(self, node: Node | None) -> Any:
        # `(x)`, `x as T`, `x satisfies T`, `x!`, `<T>x`: the value of x, unwrapped in a loop (no stack per level)
        while node is not None and node.type in _WRAPPERS:
            children = node.named_children
            node = children[-1] if node.type == "type_assertion" and len(children) > 1 else (
                children[0] if children else None)
        if node is None:
            return UNDEFINED
        read = _READERS.get(node.type)
        return read(self, node) if read is not None else Unknown(self.source.text_of(node))

    def _number(self, node: Node) -> Any:
        raw = self.source.text_of(node).replace("_", "")
        try:
            return int(raw, 0) if raw.isdigit() or raw.lower().startswith(("0x", "0o", "0b")) else float(raw)
        except ValueError:
            return Unknown(raw)

    def _identifier(self, node: Node) -> Any:
        name = self.source.text_of(node)
        if name == "undefined":
            return UNDEFINED
        if name in self.constants:
            return self.constants[name]
        return Ref((name,), name)

    def _member(self, node: Node) -> Any:
        path = self.member_path(node)
        if len(path) == 2 and path in self.member_constants:
            return self.member_constants[path]  # type: ignore[index]
        return Ref(path, self.source.text_of(node)) if path else Unknown(self.source.text_of(node))

    def _call(self, node: Node) -> Any:
        callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        args_node = node.child_by_field_name("arguments")
        concatenated = self._string_concat(callee, args_node)
        if concatenated is not None:
            return concatenated
        path = self.member_path(callee) if callee is not None else ()
        args = []
        for argument in arguments(args_node):  # a loop, not a comprehension: one stack frame less per nested call
            args.append(self.evaluate(argument))
        if len(path) == 2 and path[0] == "escape" and path[1] in _QUOTING and len(args) == 1 and \
                isinstance(args[0], JsString) and not args[0].has_placeholder:
            # n8n's escape.tableName('user') quotes a name: the SQL reads "user" (its table prefix is unknown here)
            return JsString('"' + args[0].text.replace('"', '""') + '"')
        if callee is not None and callee.type == "member_expression" and not path:
            # chained calls such as Sequelize.STRING(50).BINARY: keep the first call's shape
            inner = self.evaluate(callee.child_by_field_name("object"))
            if isinstance(inner, Call):
                return inner
        return Call(path, args, self.source.text_of(node), new=node.type == "new_expression")

    def _ternary(self, node: Node) -> Any:
        """`c ? a : b`: the branch `c` picks when it is known; else, when both are strings (SQL pieces such as
        `isPostgres ? ' CASCADE' : ''`), the first, so the statement still reads as one the migration can run."""
        truth = is_truthy(self.evaluate(node.child_by_field_name("condition")))
        consequence, alternative = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
        if truth is not None:
            return self.evaluate(consequence if truth else alternative)
        first, second = self.evaluate(consequence), self.evaluate(alternative)
        if isinstance(first, JsString) and isinstance(second, JsString):
            return first
        return Unknown(self.source.text_of(node))

    def _array(self, node: Node) -> JsArray:
        items = []
        for child in node.named_children:  # a loop, not a comprehension: one stack frame less per nested array
            if child.type != "comment":
                items.append(self.evaluate(child))
        return JsArray(items, node)

    def _unary(self, node: Node) -> Any:
        """`!x` (minifiers write true/false as !0/!1), `-x`, `void x`. A run of `!` and `-` is read in a loop."""
        operators: list[Node] = []
        current: Node | None = node
        while current is not None and current.type == "unary_expression" \
                and self.source.text_of(current).startswith(("!", "-")):
            operators.append(current)
            current = current.named_children[0] if current.named_children else None
        if not operators:
            text = self.source.text_of(node)
            return UNDEFINED if text.startswith("void") else Unknown(text)
        value = self.evaluate(current) if current is not None else _NO_OPERAND
        for operator in reversed(operators):
            text = self.source.text_of(operator)
            if text.startswith("!"):
                truth = is_truthy(UNDEFINED if value is _NO_OPERAND else value)
                value = (not truth) if truth is not None else Unknown(text)
            else:
                inner = None if value is _NO_OPERAND else value
                value = -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else Unknown(text)
        return value

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
        fields = self.source.fields
        while node is not None:
            if node.type == "member_expression":
                prop = node.child_by_field_id(fields.property)
                if prop is None:
                    return ()
                parts.append(self.source.text_of(prop))
                node = node.child_by_field_id(fields.object)
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
        text = placeholder(getattr(value, "text", "expr"))
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
                    result.text += placeholder(self.source.text_of(inner) if inner is not None else "expr")
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
                fields = self.source.fields
                key_node, value_node = child.child_by_field_id(fields.key), child.child_by_field_id(fields.value)
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



_QUOTING = frozenset({"tableName", "columnName", "indexName"})


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


# tree-sitter node type -> how its value is read (any other node: Unknown, with its text)
_READERS: dict[str, Callable[[Evaluator, Node], Any]] = {
    "string": Evaluator._string,
    "template_string": Evaluator._template,
    "number": Evaluator._number,
    "true": lambda evaluator, node: True,
    "false": lambda evaluator, node: False,
    "null": lambda evaluator, node: None,
    "undefined": lambda evaluator, node: UNDEFINED,
    "binary_expression": Evaluator._plus_chain,
    "identifier": Evaluator._identifier,
    "member_expression": Evaluator._member,
    "call_expression": Evaluator._call,
    "new_expression": Evaluator._call,
    "object": Evaluator._object,
    "array": Evaluator._array,
    "unary_expression": Evaluator._unary,
    "ternary_expression": Evaluator._ternary,
}
