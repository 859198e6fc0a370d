"""Check a rule file against what the engine knows, when it is loaded: a typo in a rule must be an error, not a rule
that silently never fires.

- every `kind` is an operation kind of the IR (ir.py);
- every `when` name is a context fact (facts.FACTS) or a field path of each of the clause's operations
  (`column.default.volatility`), and every operator is one the matcher knows;
- every `{placeholder}` of a message or hint is a fact, a field of the operation, or a name the engine adds;
- `dialects` are databases of dialects.DATABASES, `hints` keys are ORM ids.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from functools import lru_cache
from typing import Any

from .. import ir
from ..dialects import DATABASES
from .facts import FACTS

OPERATORS = frozenset({"in", "not_in", "not", "lt", "le", "gt", "ge", "is_null"})
# names the engine puts into a message's namespace besides facts and fields (messages.Namespace)
_ENGINE_NAMES = frozenset({"kind", "statement", "column_type", "default"})
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_.]*)\}(?!\})")


@lru_cache(maxsize=1)
def operation_classes() -> dict[str, type]:
    """kind -> IR class."""
    classes: dict[str, type] = {}
    for value in vars(ir).values():
        if isinstance(value, type) and issubclass(value, ir.Operation) and value is not ir.Operation:
            classes[value.kind] = value
    return classes


@lru_cache(maxsize=None)
def _field_types(cls: type) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls, vars(ir))
    except (NameError, TypeError):
        hints = {}
    return {f.name: hints.get(f.name) for f in dataclasses.fields(cls)}


def _classes_in(annotation: Any) -> list[type]:
    """The dataclasses a field's annotation may hold (`ColumnDef | None` -> [ColumnDef])."""
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _classes_in(arg)]
    return []


def has_path(cls: type, path: str) -> bool:
    """Does `a.b.c` name a field (and fields of its dataclasses) of cls?"""
    current = [cls]
    for part in path.split("."):
        found = []
        for klass in current:
            fields = _field_types(klass)
            if part in fields:
                found.append(fields[part])
            elif isinstance(getattr(klass, part, None), property):  # Truncate.table
                found.append(None)
        if not found:
            return False
        current = [c for annotation in found for c in _classes_in(annotation)]
        if not current and part != path.split(".")[-1]:
            return False
    return True


def problems(entry: dict[str, Any], orm_ids: frozenset[str]) -> list[str]:
    """What is wrong with one rule entry of a rules/*.toml file (empty: nothing)."""
    found: list[str] = []
    classes = operation_classes()
    for dialect in entry.get("dialects", ()):
        if dialect not in DATABASES:
            found.append(f"unknown dialect {dialect!r} (known: {', '.join(DATABASES)})")
    if not isinstance(entry.get("enabled", True), bool):
        found.append("`enabled` must be true or false")
    for number, clause in enumerate(entry.get("match", []), start=1):
        where = f"[[match]] {number}"
        kinds = clause.get("kind")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        unknown = [k for k in kinds if k not in classes]
        if unknown:
            found.append(f"{where}: unknown operation kind {', '.join(map(repr, unknown))}")
            continue
        for name, condition in clause.get("when", {}).items():
            if name not in FACTS and not all(has_path(classes[k], name) for k in kinds):
                found.append(f"{where}: `when` names {name!r}, which is neither a fact nor a field of "
                             f"{', '.join(kinds)}")
            if isinstance(condition, dict):
                found.extend(f"{where}: unknown operator {op!r} for {name!r} (known: {', '.join(sorted(OPERATORS))})"
                             for op in condition if op not in OPERATORS)
        texts = [clause.get("message", ""), clause.get("hint", ""), *clause.get("hints", {}).values()]
        for placeholder in {p for text in texts for p in _PLACEHOLDER.findall(text)}:
            base = placeholder.removesuffix("_def")
            if placeholder not in FACTS | _ENGINE_NAMES and not all(has_path(classes[k], base) for k in kinds):
                found.append(f"{where}: the message names {{{placeholder}}}, which no operation of {', '.join(kinds)} "
                             f"or fact provides")
        for orm in clause.get("hints", {}):
            if orm not in orm_ids:
                found.append(f"{where}: `hints` names {orm!r}, which is not an ORM id")
    return found
