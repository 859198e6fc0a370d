"""A finding's message and hint: a clause's template filled from the operation's facts and fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from .. import ir

# A JS template's run-time part in a name (`${tablePrefix}workflow`) is read as the identifier __tablePrefix__ so the
# SQL parses; the message shows it as written (written.py).
JS_ORMS = frozenset({"typeorm", "knex", "sequelize", "db-migrate"})
_LINE_END = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # where str.splitlines() ends a line
_ABSENT = object()


def message(template: str, namespace: Namespace, orm: str, sources: Iterable[str] = ()) -> str:
    """The filled template; in a JS migration, the run-time parts of names as `sources` (its files' text) wrote them."""
    text = fill(template, namespace)
    if orm in JS_ORMS and "__" in text:
        from .written import rewrite_holes

        text = rewrite_holes(text, sources)
    return text


def fill(template: str, namespace: Namespace) -> str:
    try:
        return template.format_map(namespace).strip()
    except (AttributeError, IndexError, ValueError, KeyError):
        return template.strip()


class Namespace(dict[str, Any]):
    """What a template's {names} stand for: the operation's facts (those not None), else its fields and the names the
    engine adds (`kind`, `statement`, `column_type`, `default`, `<field>_def`), else the placeholder itself. Facts are
    in the dict; the rest is computed when a template names it (most templates name two or three of them)."""

    def __init__(self, op: ir.Operation, facts: dict[str, Any]) -> None:
        super().__init__({k: v for k, v in facts.items() if v is not None})
        self.op = op

    def __missing__(self, key: str) -> Any:
        value = _derived(self.op, key)
        if value is _ABSENT:
            return "{" + key + "}"
        self[key] = value
        return value


_FIELD_NAMES: dict[type, frozenset[str]] = {}  # operation class -> its field names


def _field_names(cls: type) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


def _derived(op: ir.Operation, key: str) -> Any:
    """The value a name has when no fact of the operation holds it (in the order the engine lets them override each
    other: the names it adds for some operations, then fields, then `<field>_def`, `kind` and `statement`)."""
    if isinstance(op, ir.AddColumn) and key in ("column_type", "default"):
        if key == "column_type":
            return str(op.column.type) if op.column.type else "?"
        return op.column.default.text if op.column.default else ""
    if key == "table":
        if isinstance(op, ir.Truncate):
            return op.table
        if isinstance(op, ir.DropIndex) and not op.table:  # DROP INDEX x of an index no migration here created
            return "the index's table"
    names = _field_names(type(op))
    if key in names:
        value = getattr(op, key)
        if _named_dataclass(value):
            value = value.name
        elif isinstance(value, tuple):
            value = ", ".join(map(str, value))
        return "" if value is None else value
    if key.endswith("_def") and key[:-4] in names:
        value = getattr(op, key[:-4])
        return value if _named_dataclass(value) else _ABSENT
    if key == "kind":
        return op.kind
    if key == "statement":
        source = op.source.strip()
        end = _LINE_END.search(source)
        return source[:end.start()] if end else source
    return _ABSENT


def _named_dataclass(value: Any) -> bool:
    return hasattr(type(value), "__dataclass_fields__") and hasattr(value, "name")
