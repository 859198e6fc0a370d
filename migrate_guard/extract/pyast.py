"""Reading Python migrations with the standard library's syntax tree (`ast`): never imported, never run.

Why `ast` and not libcst: measured in bench/python_parser_choice.py (see the README's Django/Alembic section), `ast`
parses the same migrations several times faster and costs nothing to import, and we only need node positions and
literal values, which `ast` gives exactly.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ir
from .base import NotText, read_text

if TYPE_CHECKING:
    from .sql.positions import Origin  # importing the SQL package loads sqlglot: only when SQL is extracted


class Unknown:
    """A value we cannot know without running the code (a variable, a call, an f-string...)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
_MISSING = object()
_OPENING = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")")  # a string literal's prefix and opening quotes


@dataclass(slots=True)
class PySource:
    """A parsed Python file: its text, lines and tree, plus positions in the contract's 1-based characters."""

    path: str  # as displayed
    text: str
    tree: ast.Module
    lines: list[str]
    constants: dict[str, ast.expr]  # module-level NAME = <expr>, for SQL kept in a variable
    ascii: bool = False  # every byte offset is then a character offset

    @classmethod
    def parse(cls, path: str, text: str) -> PySource:
        """Raises SyntaxError (or ValueError for NUL bytes) when the file is not valid Python."""
        tree = ast.parse(text, filename=path)
        constants: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                constants[node.target.id] = node.value
        return cls(path, text, tree, text.split("\n"), constants, text.isascii())

    def column(self, line: int, byte_offset: int) -> int:
        """ast columns are UTF-8 byte offsets; the contract's are characters (1-based)."""
        if self.ascii:
            return min(byte_offset, len(self.lines[line - 1])) + 1 if 1 <= line <= len(self.lines) \
                else byte_offset + 1
        if 1 <= line <= len(self.lines):
            return len(self.lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1
        return byte_offset + 1

    def location(self, node: ast.AST) -> ir.Location:
        line = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", None) or line
        return ir.Location(self.path, line, self.column(line, getattr(node, "col_offset", 0)), end)

    def source_of(self, node: ast.AST) -> str:
        """The first line of a node's source (enough for messages; ast.get_source_segment re-splits the file)."""
        line = getattr(node, "lineno", 0)
        if not 1 <= line <= len(self.lines):
            return ""
        whole = self.lines[line - 1]
        start = self.column(line, getattr(node, "col_offset", 0)) - 1
        if getattr(node, "end_lineno", line) == line:
            end = self.column(line, getattr(node, "end_col_offset", len(whole) - start)) - 1
            return whole[start:end].rstrip()
        return whole[start:].rstrip()

    def place(self, node: ast.AST) -> tuple[ir.Location, str]:
        """(location(node), source_of(node)), with the start column worked out once."""
        line = getattr(node, "lineno", None)
        if line is None:
            return self.location(node), self.source_of(node)
        end_line: Any = getattr(node, "end_lineno", _MISSING)
        column = self.column(line, getattr(node, "col_offset", 0))
        location = ir.Location(self.path, line, column, (None if end_line is _MISSING else end_line) or line)
        if not 1 <= line <= len(self.lines):
            return location, ""
        whole = self.lines[line - 1]
        if end_line is _MISSING or end_line == line:
            end = self.column(line, getattr(node, "end_col_offset", len(whole) - column + 1)) - 1
            return location, whole[column - 1:end].rstrip()
        return location, whole[column - 1:].rstrip()

    def string_origin(self, node: ast.expr) -> Origin:
        """Where the first character of a string literal's content sits (after its prefix and opening quotes)."""
        from .sql.positions import Origin

        line = getattr(node, "lineno", 1)
        column = self.column(line, getattr(node, "col_offset", 0))
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        match = _OPENING.match(text, column - 1)
        if match:
            column = match.end() + 1
        return Origin(self.path, line, column)

    def resolve(self, node: ast.expr | None, depth: int = 0) -> ast.expr | None:
        """A module-level constant's value expression, for `RunSQL(SQL)` / `op.execute(UPGRADE_SQL)`."""
        while isinstance(node, ast.Name) and node.id in self.constants and depth < 5:
            node, depth = self.constants[node.id], depth + 1
        return node


def dotted(node: ast.AST | None) -> str:
    """`migrations.AddField` / `op.add_column` / `sa.Column` / `Column` / `op.get_bind().execute`: the name as
    written, or "". A loop, not recursion: a chain of thousands of calls costs no stack."""
    parts: list[str] = []
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        else:
            parts.append("()")
            node = node.func
    if not isinstance(node, ast.Name):
        return ""
    text = node.id
    for part in reversed(parts):
        text = text + part if part == "()" else f"{text}.{part}"
    return text


def unparse(node: ast.AST) -> str:
    """ast.unparse, which recurses: an expression nested deeper than the stack allows is shown as `...`."""
    try:
        return ast.unparse(node)
    except RecursionError:
        return "..."


def last_name(node: ast.AST | None) -> str:
    """The last part of dotted(node) (`sa.Column` -> Column, `op.get_bind()` -> get_bind()), without building
    the whole name."""
    calls = 0
    while isinstance(node, ast.Call):
        calls += 1
        node = node.func
    if isinstance(node, ast.Name):
        return node.id + "()" * calls
    if not isinstance(node, ast.Attribute):
        return ""
    name = node.attr + "()" * calls
    root: ast.AST = node.value
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.value if isinstance(root, ast.Attribute) else root.func
    return name if isinstance(root, ast.Name) else ""


def literal(node: ast.AST | None) -> Any:
    """A literal's Python value (strings, numbers, bools, None, containers of them), else UNKNOWN."""
    if node is None:
        return None
    cls = type(node)
    if cls is ast.Constant:
        return node.value  # type: ignore[attr-defined]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CONTAINERS and \
            len(node.args) == 1 and not node.keywords:
        # older Django makemigrations wrote unique_together=set([('a', 'b')])
        inner = literal(node.args[0])
        if inner is UNKNOWN or isinstance(inner, (str, bytes)) or not hasattr(inner, "__iter__"):
            return UNKNOWN
        try:
            return _CONTAINERS[node.func.id](inner)
        except TypeError:  # set([['a', 'b']]): unhashable items
            return UNKNOWN
    if cls in _NEVER_LITERAL:
        return UNKNOWN
    if isinstance(node, ast.Call):  # only `set()` is one
        return set() if isinstance(node.func, ast.Name) and node.func.id == "set" and not node.args \
            and not node.keywords else UNKNOWN
    try:
        return _value(node, 0)
    except (_NotLiteral, TypeError, MemoryError):  # TypeError: an unhashable set item or dict key
        return UNKNOWN
    except _TooDeep:
        pass
    try:
        return ast.literal_eval(node)  # type: ignore[arg-type]
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


_CONTAINERS: dict[str, Any] = {"set": set, "frozenset": frozenset, "tuple": tuple, "list": list}


class _NotLiteral(Exception):
    pass


class _TooDeep(Exception):
    pass


_NUMBERS = (int, float, complex)
_NEVER_LITERAL = {ast.Name, ast.Attribute, ast.JoinedStr, ast.Subscript, ast.Lambda, ast.Compare, ast.BoolOp}
_MAX_LITERAL_DEPTH = 100  # deeper: ast.literal_eval decides, as it always did


def _value(node: ast.AST, depth: int) -> Any:
    """ast.literal_eval's value of a node, the same rules, without its per-call closures and ValueError messages
    (most calls here are on a `sa.Integer()` or a name, which fail at once): a cost seen in every Python migration."""
    cls = type(node)
    if cls is ast.Constant:
        return node.value  # type: ignore[attr-defined]
    if depth > _MAX_LITERAL_DEPTH:
        raise _TooDeep
    depth += 1
    if cls is ast.Tuple:
        return tuple([_value(e, depth) for e in node.elts])  # type: ignore[attr-defined]
    if cls is ast.List:
        return [_value(e, depth) for e in node.elts]  # type: ignore[attr-defined]
    if cls is ast.Set:
        return {_value(e, depth) for e in node.elts}  # type: ignore[attr-defined]
    if cls is ast.Dict:
        keys, values = node.keys, node.values  # type: ignore[attr-defined]
        if len(keys) != len(values) or any(k is None for k in keys):  # `{**other}`
            raise _NotLiteral
        return dict(zip([_value(k, depth) for k in keys], [_value(v, depth) for v in values]))
    if cls is ast.Call:
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Name) and func.id == "set" and not node.args and not node.keywords:  # type: ignore[attr-defined]
            return set()
        raise _NotLiteral
    if cls is ast.BinOp and isinstance(node.op, (ast.Add, ast.Sub)):  # type: ignore[attr-defined]
        left, right = _signed_number(node.left), _number(node.right)  # type: ignore[attr-defined]
        if isinstance(left, (int, float)) and isinstance(right, complex):
            return left + right if isinstance(node.op, ast.Add) else left - right  # type: ignore[attr-defined]
        raise _NotLiteral
    if isinstance(node, ast.Constant):
        return node.value
    return _signed_number(node)


def _signed_number(node: ast.AST) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _number(node.operand)
        return +operand if isinstance(node.op, ast.UAdd) else -operand
    return _number(node)


def _number(node: ast.AST) -> Any:
    if not isinstance(node, ast.Constant) or type(node.value) not in _NUMBERS:
        raise _NotLiteral
    return node.value


def keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    """An argument given by position or by keyword."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    args = call.args
    if position < len(args):
        before = 0
        while before <= position and not isinstance(args[before], ast.Starred):
            before += 1
        if before > position:
            return args[position]  # no `*rest` before it: the list below would hold the same argument there
    positional = [a for a in args if not isinstance(a, ast.Starred)]
    return positional[position] if position < len(positional) else None


def parse_error(source_path: str, error: Exception, migration: str) -> ir.ParseError:
    line = getattr(error, "lineno", None) or 1
    column = getattr(error, "offset", None) or 1
    message = getattr(error, "msg", None) or str(error)
    return ir.ParseError(location=ir.Location(source_path, line, max(1, column), line), migration=migration,
                         message=f"could not parse this Python file: {message} (line {line})")




def read_python(path: Path) -> str:
    """read_text() for Python source, honouring a PEP 263 declaration (`# -*- coding: latin-1 -*-`) as Python does."""
    text: str | None = None
    try:
        text = read_text(path)
    except NotText as problem:
        undecodable = problem
        try:
            data = path.read_bytes()  # read_text read it: a regular file, not binary, only not UTF-8
        except OSError:
            raise problem from None
    else:
        second_line_end = text.find("\n", text.find("\n") + 1)
        if text.find("coding", 0, len(text) if second_line_end == -1 else second_line_end) == -1:
            return text  # no declaration in the first two lines: UTF-8, as read
        data = text.encode("utf-8")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # an unknown codec, or bytes that do not match the declaration
        raise NotText(f"bad coding declaration: {error}") from None
    if encoding in ("utf-8", "utf-8-sig"):
        if text is None:
            raise undecodable
        return text
    try:
        decoded = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise NotText(f"not valid {encoding} text as its coding declaration says ({error})") from None
    return decoded.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def expression_text(source: PySource, node: ast.AST) -> str:
    """An expression as written, on one line (its first line, with an ellipsis when it goes on)."""
    text = source.source_of(node)
    if getattr(node, "end_lineno", None) not in (None, getattr(node, "lineno", None)):
        text += " ..."
    return text or type(node).__name__
