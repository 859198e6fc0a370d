"""Evaluate a clause's `when` conditions against an operation and its context facts.

A condition is `name = value` (equality) or `name = { op = value }` with op one of
in, not_in, not, lt, le, gt, ge, is_null. Names are context facts (see facts.py) or dotted paths into the
operation (`column.nullable`, `references.on_delete`). A name that is neither holds no value: it fails every
condition but `is_null = true`; a None fails every comparison (lt, le, gt, ge).
"""

from __future__ import annotations

from typing import Any, Callable

_MISSING = object()


def lookup(name: str, op: Any, facts: dict[str, Any]) -> Any:
    """A fact, else the operation's field at a dotted path (None where the path meets a None), else _MISSING."""
    if name in facts:
        return facts[name]
    value: Any = op
    for part in name.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:
            return value if value is None else _MISSING
    return value


Test = Callable[[Any, dict[str, Any]], bool]


def compile_when(when: tuple[tuple[str, Any], ...]) -> Test:
    """The conditions as one function of (operation, facts), built once per clause: the engine tries every clause of
    an operation's kind on every such operation, and interpreting the conditions each time was most of that cost.
    The generated code names the clause's names and values only through variables, never as text."""
    env: dict[str, Any] = {"_MISSING": _MISSING, "lookup": lookup}
    lines = []
    for i, (name, expected) in enumerate(when):
        env[f"name{i}"] = name
        fallback = "lookup(name{0}, op, facts)" if "." in name else "getattr(op, name{0}, _MISSING)"
        lines.append(f"actual = facts[name{i}] if name{i} in facts else {fallback.format(i)}")
        operators = expected.items() if isinstance(expected, dict) else [("==", expected)]
        for j, (operator, operand) in enumerate(operators):
            if operator not in _FAILS:
                raise ValueError(f"unknown condition operator {operator!r}")
            env[f"operand{i}_{j}"] = operand
            lines.append(f"if {_FAILS[operator].format(f'operand{i}_{j}')}: return False")
    exec("def holds(op, facts):\n" + "".join(f"    {line}\n" for line in lines) + "    return True\n", env)
    holds: Test = env["holds"]
    return holds


# operator -> when a value fails it, as code (`actual`: the value, or _MISSING when the name is neither a fact nor a
# field; `{}`: the operand)
_FAILS = {
    "==": "actual is _MISSING or actual != {}",  # a plain value: equality
    "is_null": "(actual is None or actual is _MISSING) != {}",
    "in": "actual is _MISSING or actual not in {}",
    "not_in": "actual is _MISSING or actual in {}",
    "not": "actual is _MISSING or actual == {}",
    **{operator: f"actual is _MISSING or actual is None or not actual {sign} {{}}"
       for operator, sign in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="))},
}
