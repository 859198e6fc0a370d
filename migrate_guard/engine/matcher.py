"""Evaluate a clause's `when` conditions against an operation and its context facts.

A condition is `name = value` (equality) or `name = { op = value }` with op one of
in, not_in, not, lt, le, gt, ge, is_null. Names are context facts (see facts.py) or dotted paths into the
operation (`column.nullable`, `references.on_delete`).
"""

from __future__ import annotations

from typing import Any, Callable

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


Test = Callable[[Any, dict[str, Any]], bool]


def compile_when(when: tuple[tuple[str, Any], ...]) -> Test:
    """The conditions as one function of (operation, facts), built once per clause: the engine tries every clause of
    an operation's kind on every such operation, and interpreting the conditions each time was most of that cost.
    The generated code names the clause's names and values only through variables, never as text."""
    env: dict[str, Any] = {"_MISSING": _MISSING, "lookup": lookup, "condition_holds": condition_holds}
    lines = []
    for i, (name, expected) in enumerate(when):
        env[f"name{i}"], env[f"expected{i}"] = name, expected
        if "." in name:
            lines.append(f"actual = facts[name{i}] if name{i} in facts else lookup(name{i}, op, facts)")
        else:
            lines += [f"actual = facts.get(name{i}, _MISSING)",
                      f"if actual is _MISSING: actual = getattr(op, name{i}, _MISSING)"]
        test = _INLINE.get(next(iter(expected))) if isinstance(expected, dict) and len(expected) == 1 else None
        if test is not None:
            env[f"expected{i}"] = next(iter(expected.values()))
            lines.append(f"if actual is _MISSING or {test.format(f'expected{i}')}: return False")
        elif isinstance(expected, dict):
            lines.append(f"if not condition_holds(actual, expected{i}): return False")
        else:
            lines.append(f"if actual is _MISSING or actual != expected{i}: return False")
    exec("def holds(op, facts):\n" + "".join(f"    {line}\n" for line in lines) + "    return True\n", env)
    holds: Test = env["holds"]
    return holds


# the operators a condition with one of them fails by, as code: what condition_holds() does for them
_INLINE = {"in": "actual not in {}", "not_in": "actual in {}", "not": "actual == {}"}
