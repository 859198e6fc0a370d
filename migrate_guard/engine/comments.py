"""The comments of a migration file, found by a real tokenizer for its language, so that text inside a string
literal (`"-- migrate-guard: ignore-file"` in Python, a JS template literal, a SQL '...') is never taken for one.

Python: the standard library's `tokenize`. JS/TS: tree-sitter's comment nodes. SQL and Prisma: a scanner that knows
their strings, quoted identifiers, dollar quotes and comments. Each scanner is linear in the file's size.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from ..location import line_starts as _line_starts


@dataclass(frozen=True, slots=True)
class Comment:
    line: int  # 1-based
    column: int  # 0-based, in characters
    text: str  # with its markers (`--`, `#`, `//`, `/* */`)


_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")


def comments(text: str, path: str) -> list[Comment]:
    """Every comment of a file, in order. The language comes from the file's suffix."""
    lower = path.lower()
    if lower.endswith(".py"):
        return python_comments(text)
    if lower.endswith(_JS_SUFFIXES):
        return js_comments(text, typescript=lower.endswith((".ts", ".mts", ".cts", ".tsx")))
    if lower.endswith(".prisma"):
        return _scan(text, _PRISMA)
    return _scan(text, _SQL)


def python_comments(text: str) -> list[Comment]:
    found: list[Comment] = []
    readline = io.StringIO(text).readline
    stopped_at = 0
    try:
        for token in tokenize.generate_tokens(readline):
            stopped_at = token.end[0]
            if token.type == tokenize.COMMENT:
                found.append(Comment(token.start[0], token.start[1], token.string))
    except (tokenize.TokenError, SyntaxError):  # broken Python (reported as a parse-error): scan the rest by line
        lines = text.split("\n")
        for number in range(stopped_at + 1, len(lines) + 1):
            position = lines[number - 1].find("#")
            if position != -1:
                found.append(Comment(number, position, lines[number - 1][position:]))
    return found


def js_comments(text: str, typescript: bool) -> list[Comment]:
    from tree_sitter import Language, Parser

    if typescript:
        import tree_sitter_typescript

        language = Language(tree_sitter_typescript.language_typescript())
    else:
        import tree_sitter_javascript

        language = Language(tree_sitter_javascript.language())
    data = text.encode("utf-8")
    root = Parser(language).parse(data).root_node
    lines = data.split(b"\n")
    found: list[Comment] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("comment", "html_comment"):
            row, byte_column = node.start_point
            column = len(lines[row][:byte_column].decode("utf-8", errors="replace")) if row < len(lines) else 0
            found.append(Comment(row + 1, column, data[node.start_byte:node.end_byte].decode("utf-8", "replace")))
        else:
            stack.extend(reversed(node.children))
    return found


# One alternation per language, found with `search` (the skipping happens in C): comments are captured in the group
# "comment"; strings, quoted identifiers and dollar quotes are matched only to be skipped. Each branch is a loop of
# disjoint character classes (no nested quantifiers), so the scan never backtracks.
_SQL = re.compile(r"""
    (?P<comment>--[^\n]*|\#[^\n]*|/\*)
  | (?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'?
  | '(?:[^']|'')*'?
  | "(?:[^"]|"")*"?
  | `[^`]*`?
  | (?<![\w$])(?P<dollar>\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)
""", re.VERBOSE | re.DOTALL)
_PRISMA = re.compile(r"""
    (?P<comment>//[^\n]*|/\*)
  | "(?:[^"\\\n]|\\.)*"?
""", re.VERBOSE | re.DOTALL)
_BLOCK_EDGE = re.compile(r"/\*|\*/")


def _scan(text: str, pattern: re.Pattern[str]) -> list[Comment]:
    found: list[Comment] = []
    line_starts = _line_starts(text)
    position = 0
    while (match := pattern.search(text, position)) is not None:
        end = match.end()
        if match.group("comment") == "/*":
            end = _block_end(text, match.start())
        elif match.groupdict().get("dollar"):
            tag = match.group("dollar")
            closing = text.find(tag, match.end())
            end = len(text) if closing == -1 else closing + len(tag)
        if match.group("comment"):
            line, column = _line_col(line_starts, match.start())
            found.append(Comment(line, column, text[match.start():end]))
        position = max(end, match.start() + 1)
    return found


def _block_end(text: str, start: int) -> int:
    """The end of a /* */ comment starting at `start`; they nest (Postgres), an unclosed one runs to the end."""
    depth = 0
    for edge in _BLOCK_EDGE.finditer(text, start):
        depth += 1 if edge.group() == "/*" else -1
        if depth == 0:
            return edge.end()
    return len(text)


def _line_col(starts: list[int], offset: int) -> tuple[int, int]:
    from bisect import bisect_right

    index = bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index]
