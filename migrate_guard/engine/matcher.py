"""Evaluate a clause's `when` conditions against an operation and its context facts.

A condition is `name = value` (equality) or `name = { op = value }` with op one of
in, not_in, not, lt, le, gt, ge, is_null. Names are context facts (see facts.py) or dotted paths into the
operation (`column.nullable`, `references.on_delete`).
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def lookup(name: str, op: Any, facts: dict[str, Any]) -> Any:
    if name in facts:
        return facts[name]
    value: Any = op
    for part in name.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:
            return value if value is None else _MISSING
    return value


def condition_holds(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, dict):
        return actual is not _MISSING and actual == expected
    for operator, operand in expected.items():
        if operator == "is_null":
            if (actual is None or actual is _MISSING) != operand:
                return False
        elif actual is _MISSING:
            return False
        elif operator == "in":
            if actual not in operand:
                return False
        elif operator == "not_in":
            if actual in operand:
                return False
        elif operator == "not":
            if actual == operand:
                return False
        elif operator in ("lt", "le", "gt", "ge"):
            if actual is None or not _compare(operator, actual, operand):
                return False
        else:
            raise ValueError(f"unknown condition operator {operator!r}")
    return True


def _compare(operator: str, actual: Any, operand: Any) -> bool:
    if operator == "lt":
        return bool(actual < operand)
    if operator == "le":
        return bool(actual <= operand)
    if operator == "gt":
        return bool(actual > operand)
    return bool(actual >= operand)


def matches(when: tuple[tuple[str, Any], ...], op: Any, facts: dict[str, Any]) -> bool:
    for name, expected in when:
        actual = facts[name] if name in facts else lookup(name, op, facts)
        if isinstance(expected, dict):
            if not condition_holds(actual, expected):
                return False
        elif actual is _MISSING or actual != expected:
            return False
    return True
