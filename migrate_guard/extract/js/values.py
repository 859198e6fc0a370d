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
        return placeholder(value.text)
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


def placeholder(text: str) -> str:
    cleaned = re.sub(r"\W+", "_", text).strip("_") or "expr"
    return f"__{cleaned}__"


def arguments(args_node: Node | None) -> list[Node]:
    if args_node is None:
        return []
    if args_node.type == "template_string":  # tagged template: sql`...`
        return [args_node]
    return [c for c in args_node.named_children if c.type != "comment"]
