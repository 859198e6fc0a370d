"""Parse a TS/JS file with tree-sitter and map its nodes back to file lines and columns."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from tree_sitter import Language, Node, Parser

from ...ir import Location
from .nodes import NodeIndex

_TS_SUFFIXES = {".ts", ".mts", ".cts"}
_CONTINUATION = re.compile(rb"[\x80-\xbf]")  # the bytes of a UTF-8 character after its first


@lru_cache(maxsize=None)
def _parser(grammar: str) -> Parser:
    if grammar == "typescript":
        import tree_sitter_typescript

        return Parser(Language(tree_sitter_typescript.language_typescript()))
    import tree_sitter_javascript

    return Parser(Language(tree_sitter_javascript.language()))


class Fields(NamedTuple):
    """A grammar's ids of the fields the hottest readers ask for (0: none, which finds no child)."""

    function: int
    arguments: int
    property: int
    object: int
    key: int
    value: int


@lru_cache(maxsize=None)
def fields_of(language: Language) -> Fields:
    # child_by_field_name looks the name up among all the grammar's field names at every call
    return Fields(*(language.field_id_for_name(name) or 0 for name in Fields._fields))


def grammar_for(path: Path) -> str:
    return "typescript" if path.suffix.lower() in _TS_SUFFIXES else "javascript"


class Source:
    """One parsed file: its text, its tree, and byte offset -> (line, column) with columns counted in characters."""

    def __init__(self, path: Path, shown: str, text: str) -> None:
        self.path = path
        self.shown = shown
        self.text = text
        self.data = text.encode("utf-8")
        grammar = grammar_for(path)
        self.tree = _parser(grammar).parse(self.data)
        if self.tree.root_node.has_error and grammar == "javascript":
            # Plain .js files sometimes carry TypeScript syntax (and the reverse is rare): keep the better parse.
            other = _parser("typescript").parse(self.data)
            if _error_count(other.root_node) < _error_count(self.tree.root_node):
                self.tree = other
        self.root: Node = self.tree.root_node
        self.fields = fields_of(self.tree.language)
        self._lines = self.data.split(b"\n")
        self._continuations: dict[int, list[int]] = {}
        self._ascii = len(self.data) == len(text)  # byte offsets are character offsets: slice the text
        self._index: NodeIndex | None = None

    @property
    def index(self) -> NodeIndex:
        if self._index is None:
            self._index = NodeIndex(self.root, self.tree.language)
        return self._index

    def text_of(self, node: Node) -> str:
        if self._ascii:
            return self.text[node.start_byte:node.end_byte]
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def line_col(self, point: Any) -> tuple[int, int]:
        row, byte_col = point[0], point[1]
        if row >= len(self._lines):
            return row + 1, byte_col + 1
        # Characters before byte_col = bytes minus UTF-8 continuation bytes, counted once per line (decoding the
        # prefix at every call was quadratic on a minified file: one line, thousands of calls).
        continuations = self._continuations.get(row)
        if continuations is None:
            line = self._lines[row]
            continuations = [] if line.isascii() else [m.start() for m in _CONTINUATION.finditer(line)]
            self._continuations[row] = continuations
        if not continuations:
            return row + 1, byte_col + 1
        return row + 1, byte_col - bisect_left(continuations, byte_col) + 1

    def location(self, node: Node, start: Node | None = None) -> Location:
        line, column = self.line_col((start or node).start_point)
        return Location(self.shown, line, column, max(line, node.end_point[0] + 1))

    def first_line(self, node: Node) -> str:
        text = self.text_of(node).strip()
        # the text before its first "\n" holds the first line (which may end earlier, at another line break)
        return text.partition("\n")[0].splitlines()[0] if text else ""


def _error_count(node: Node) -> int:
    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            count += 1
        elif current.has_error:
            stack.extend(current.children)
    return count


def syntax_errors(root: Node) -> list[Node]:
    """The ERROR and MISSING nodes of a tree, outermost first, in source order."""
    found: list[Node] = []
    stack = [root]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            found.append(current)
        elif current.has_error:
            stack.extend(reversed(current.children))
    return found


def deeper_than(root: Node, limit: int) -> bool:
    """Whether the tree nests more than `limit` levels deep: a cursor's walk (no recursion) that skips each subtree
    with too few nodes to be that deep (a subtree of n nodes is at most n - 1 levels deep)."""
    if root.descendant_count - 1 <= limit:
        return False
    cursor = root.walk()
    depth = 0
    descend = True
    while True:
        if descend and cursor.goto_first_child():
            depth += 1
        else:
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return False
                depth -= 1
        if depth > limit:
            return True
        node = cursor.node
        descend = node is None or depth + node.descendant_count - 1 > limit
