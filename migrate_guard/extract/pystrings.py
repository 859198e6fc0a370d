"""SQL that Python migration code builds from strings: literals, constants, f-strings, `%` and `.format()`,
concatenation and `text()`/`dedent()` calls (StringReader), and the operations that SQL holds (sql_ops). Parts only
known at run time become placeholders (`{name}` in the findings) or an Unreadable operation."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from .. import ir
from .pyast import PySource, expression_text, last_name, literal

# --- strings built in code ------------------------------------------------------------------------------------------

_KEEPS_TEXT = {"bindparams", "execution_options", "columns", "params"}  # methods of text() that keep its SQL
_MAX_DEPTH = 40
_MAX_STEPS = 20_000  # parts read per string
_MAX_CHARS = 16 * 1024 * 1024
_HUGE_WIDTH = re.compile(r"\d{5,}")  # "%999999999s" / "{:>999999999}": formatting them would exhaust memory


class _TooBig(Exception):
    """A string whose value would be too large or too costly to build: read as unknown."""


def _bounded(text: str) -> str:
    if len(text) > _MAX_CHARS:
        raise _TooBig
    return text  # nesting of formatted / %-formatted parts followed before giving up (hostile input stays bounded)
_HOLE = re.compile(r"mg_hole_\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[sdifrxXeEgGcoa%]")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]*\}")

# The value a name holds where it is used: the function's own assignments, then the module's constants.
Lookup = Callable[[ast.Name], "ast.expr | None"]


@dataclass(slots=True)
class BuiltString:
    """A string read from code. Each part only known at run time is a placeholder identifier (`mg_hole_1`) in
    `text`, so the SQL keeps its shape (`f"DROP TABLE {name}"` still drops a table); `holes` maps each placeholder
    back to the expression as written. `literal`: the value is exactly this one literal, whose positions are exact."""

    text: str
    holes: dict[str, str]
    literal: ast.Constant | None = None


class StringReader:
    """Reads the value of a string expression without running it: literals, names bound to them (`lookup`: the
    function's own assignments, then the module's), f-strings, `+`, `%`, `.format()`, `"".join([...])`, `text()`,
    `dedent()`. Concatenations are flattened with a loop, so thousands of terms cost no recursion."""

    def __init__(self, source: PySource, lookup: Lookup | None = None) -> None:
        self.source = source
        self.lookup = lookup or (lambda name: source.constants.get(name.id))
        self.holes: dict[str, str] = {}

    def resolve(self, node: ast.expr | None) -> ast.expr | None:
        for _ in range(8):
            if not isinstance(node, ast.Name):
                break
            bound = self.lookup(node)
            if bound is None or bound is node:
                break
            node = bound
        if isinstance(node, ast.Attribute) and node.attr == "__tablename__" and isinstance(node.value, ast.Name):
            from .py_models import model_table

            table = model_table(self.source.tree, self.source.path, node.value.id)
            if table is not None:  # SqlScorer.__tablename__: the model's table, read from its module
                return ast.copy_location(ast.Constant(table), node)
        return node

    def read(self, node: ast.expr | None) -> BuiltString | None:
        """None when the expression is not a string with at least one known part."""
        node = self.resolve(node)
        while isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in _KEEPS_TEXT:
                node = self.resolve(node.func.value)  # sa.text("... :id").bindparams(id=1): the same SQL
            elif last_name(node.func) in ("text", "literal_column") and node.args:
                node = self.resolve(node.args[0])  # sa.text("..."): the literal inside, whose positions are exact
            else:
                break
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return BuiltString(node.value, {}, node)
        self.holes = {}
        self.steps = 0
        try:
            text = self._value(node, 0)
        except _TooBig:
            return None
        return None if text is None else BuiltString(text, self.holes)

    def hole(self, node: ast.expr) -> str:
        name = f"mg_hole_{len(self.holes) + 1}"
        self.holes[name] = expression_text(self.source, node)
        return name

    def _known_or_hole(self, node: ast.expr, depth: int) -> str:
        value = self._value(node, depth + 1)
        return value if value is not None else self.hole(node)

    def _value(self, node: ast.expr | None, depth: int) -> str | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        self.steps += 1
        if self.steps > _MAX_STEPS:  # `s = s + s` forty times: the value would double each time
            raise _TooBig
        node = self.resolve(node)
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return "".join(self._formatted(part, depth) for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concatenation(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            template = self._value(node.left, depth + 1)
            return None if template is None else self._percent(template, node.right, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return None

    def _formatted(self, part: ast.expr, depth: int) -> str:
        if isinstance(part, ast.Constant):
            return str(part.value)
        if isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
            return self._known_or_hole(part.value, depth)
        return self.hole(part.value if isinstance(part, ast.FormattedValue) else part)

    def _concatenation(self, node: ast.BinOp, depth: int) -> str | None:
        terms: list[ast.expr] = []
        stack: list[ast.expr] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
                stack += [current.right, current.left]
            else:
                terms.append(current)
        values = [self._value(term, depth + 1) for term in terms]
        if all(value is None for value in values):
            return None  # not known to be a string at all (numbers, lists, two unknowns)
        return _bounded("".join(value if value is not None else self.hole(term) for term, value in zip(terms, values)))

    def _argument(self, node: ast.expr, depth: int) -> Any:
        value = self._value(node, depth + 1)
        if value is not None:
            return value
        constant = literal(node)
        return constant if isinstance(constant, (int, float)) else self.hole(node)

    def _percent(self, template: str, right: ast.expr, depth: int) -> str:
        right = self.resolve(right) or right
        try:
            if _HUGE_WIDTH.search(template):
                raise ValueError("a field width that would build a huge string")
            if isinstance(right, ast.Dict):
                mapping = {k.value: self._argument(v, depth) for k, v in zip(right.keys, right.values)
                           if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                return template % mapping
            if isinstance(right, ast.Tuple):
                return template % tuple(self._argument(e, depth) for e in right.elts)
            return template % (self._argument(right, depth),)
        except (TypeError, ValueError, KeyError, IndexError, OverflowError):
            whole = self.hole(right)
            return _PERCENT_SPEC.sub(lambda m: "%" if m.group() == "%%" else whole, template)

    def _call(self, call: ast.Call, depth: int) -> str | None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else last_name(func)  # "...".format: not a dotted name
        if isinstance(func, ast.Attribute) and name == "format":
            template = self._value(func.value, depth + 1)
            if template is None:
                return None
            args = [self._argument(a, depth) for a in call.args if not isinstance(a, ast.Starred)]
            kwargs = {k.arg: self._argument(k.value, depth) for k in call.keywords if k.arg is not None}
            try:
                if _HUGE_WIDTH.search(template):
                    raise ValueError("a field width that would build a huge string")
                return _bounded(template.format(*args, **kwargs))
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                whole = self.hole(call)
                return _FORMAT_FIELD.sub(lambda m: m.group()[0] if m.group() in ("{{", "}}") else whole, template)
        if isinstance(func, ast.Attribute) and name == "join" and len(call.args) == 1:
            separator = self._value(func.value, depth + 1)
            items = self.resolve(call.args[0])
            if separator is None or not isinstance(items, (ast.List, ast.Tuple)):
                return None
            return _bounded(separator.join(self._known_or_hole(item, depth) for item in items.elts))
        if isinstance(func, ast.Attribute) and name in ("strip", "lstrip", "rstrip") and not call.args:
            value = self._value(func.value, depth + 1)
            return None if value is None else getattr(value, name)()
        if name in ("text", "dedent", "literal_column") and len(call.args) >= 1:
            value = self._value(call.args[0], depth + 1)
            return textwrap.dedent(value) if value is not None and name == "dedent" else value
        return None


def fill_holes(op: ir.Operation, holes: dict[str, str]) -> None:
    """Put the expressions back where their placeholders ended up in an operation's fields (table names, columns,
    the statement's text): a table only known at run time is shown as `{name}`."""
    if not holes:
        return

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _HOLE.sub(lambda m: "{" + holes.get(m.group(), m.group()) + "}", value) if "mg_hole_" in value \
                else value
        if isinstance(value, tuple):
            return tuple(fill(v) for v in value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                if f.name != "location":
                    setattr(value, f.name, fill(getattr(value, f.name)))
        return value

    fill(op)


def sql_ops(source: PySource, node: ast.expr, *, dialect: str, migration: str, direction: ir.Direction,
            lookup: Lookup | None = None, what: str = "this call", at: ast.AST | None = None) -> list[ir.Operation]:
    """Operations of the SQL an expression holds: a string, a list/tuple of strings or of (sql, params) pairs, built
    from constants where it can be read (see StringReader). Every part that cannot be read is an Unreadable
    operation saying so, located at `at` (the call that runs it) when given: a migration is never passed as clean
    because its SQL was out of sight."""
    reader = StringReader(source, lookup)
    node = reader.resolve(node) or node
    elements = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    ops: list[ir.Operation] = []
    for element in elements:
        element = reader.resolve(element) or element
        if isinstance(node, (ast.List, ast.Tuple)) and isinstance(element, (ast.Tuple, ast.List)) and element.elts:
            element = element.elts[0]  # (sql, params)
        if isinstance(element, ast.Starred):
            element = element.value
        ops += _string_sql(source, reader, element, dialect=dialect, migration=migration, direction=direction,
                           what=what, at=at)
    return ops


def _string_sql(source: PySource, reader: StringReader, node: ast.expr, *, dialect: str, migration: str,
                direction: ir.Direction, what: str, at: ast.AST | None) -> list[ir.Operation]:
    from .sql import extract_sql
    from .sql.positions import Origin

    built = reader.read(node)
    if built is not None and built.holes and not _HOLE.sub("", built.text).strip(" \t\n;,()"):
        built = None  # only parts known at run time (f"{sql}"): nothing of the statement can be read
    if built is None:
        return [ir.Unreadable(location=source.location(at or node), migration=migration, direction=direction,
                              source=source.source_of(at or node), what=expression_text(source, node),
                              reason=f"The SQL of {what} is built at run time")]
    if built.literal is not None:
        return extract_sql(built.text, dialect=dialect, origin=source.string_origin(built.literal),
                           migration=migration, direction=direction)
    location = source.location(at or node)  # a built string has no exact place in the file: the call that runs it
    ops = extract_sql(built.text, dialect=dialect, origin=Origin(location.path, location.line, location.column),
                      migration=migration, direction=direction)
    found: list[ir.Operation] = []
    for op in ops:
        op.location = location
        if isinstance(op, ir.ParseError) and built.holes and "mg_hole_" in op.source:
            op = ir.Unreadable(location=location, migration=migration, direction=direction, source=op.source,
                               what=expression_text(source, node),
                               reason=f"The SQL of {what} is built from parts only known at run time")
        else:
            fill_holes(op, built.holes)
        found.append(op)
    return found
