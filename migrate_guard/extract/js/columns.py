"""Column pieces shared by the TS/JS extractors: default values and type names as SQL-like text."""

from __future__ import annotations

from typing import Any

from ... import ir
from ..sql.values import make_default, parse_type
from .values import Call, JsArray, JsObject, JsString, Ref, Unknown

_NOW_NAMES = {"now", "NOW", "fn.now"}


def default_of(value: Any, *, raw_strings: bool = False) -> ir.Default | None:
    """A column default as SQL-ish text. `raw_strings`: the tool inserts strings as SQL (TypeORM `default:`)."""
    if value is None:
        return ir.Default("NULL")
    if isinstance(value, Unknown) and value.text == "undefined":
        return None
    if isinstance(value, bool):
        return ir.Default("true" if value else "false")
    if isinstance(value, (int, float)):
        return ir.Default(str(value))
    if isinstance(value, JsString):
        return make_default(value.text) if raw_strings else ir.Default("'" + value.text.replace("'", "''") + "'")
    if isinstance(value, Call):
        return _call_default(value)
    if isinstance(value, Ref):
        return _ref_default(value)
    if isinstance(value, (JsObject, JsArray)):
        return ir.Default("'" + "json" + "'")
    if isinstance(value, Unknown):
        # `default: () => "now()"` (TypeORM): the arrow's text
        text = value.text
        if "=>" in text:
            text = text.split("=>", 1)[1].strip().strip("'\"`")
        return make_default(text)
    return None


def _call_default(value: Call) -> ir.Default:
    """`knex.fn.now()`, `knex.raw("...")`, `Sequelize.literal("...")`, `Sequelize.fn("gen_random_uuid")`."""
    name = value.callee[-1] if value.callee else ""
    if name in ("now",) or value.callee[-2:] == ("fn", "now"):
        return make_default("now()")
    if name in ("raw", "literal") and value.args and isinstance(value.args[0], JsString):
        return make_default(value.args[0].text)
    if name == "fn" and value.args and isinstance(value.args[0], JsString):
        return make_default(value.args[0].text + "()")
    return make_default(value.text)


def _ref_default(value: Ref) -> ir.Default:
    """`Sequelize.NOW`, `DataTypes.UUIDV4`, or a name."""
    if value.path[-1] == "NOW":
        return make_default("now()")
    if value.path[-1] in ("UUIDV4", "UUIDV1"):
        return make_default("gen_random_uuid()")
    return make_default(value.text)


def sql_type(text: str, *params: Any) -> ir.ColumnType:
    numbers = [p for p in params if isinstance(p, int) and not isinstance(p, bool)]
    if numbers:
        return parse_type(f"{text}({', '.join(map(str, numbers))})")
    return parse_type(text)
