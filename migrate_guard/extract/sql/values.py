"""Small facts about SQL values and types that several extractors share."""

from __future__ import annotations

import re

from ...ir import ColumnType, Default, Volatility

# Functions whose value differs per row: adding a column with such a default rewrites the whole table.
# now()/current_timestamp are stable (one value per statement) and do not.
VOLATILE_FUNCTIONS = (
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "random",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "uuid",  # MySQL UUID()
)
_VOLATILE_RE = re.compile(r"\b(" + "|".join(VOLATILE_FUNCTIONS) + r")\s*\(", re.IGNORECASE)
_STABLE_RE = re.compile(r"\b(now|current_timestamp|current_date|current_time|localtimestamp|statement_timestamp|"
                        r"transaction_timestamp|current_user|session_user)\b", re.IGNORECASE)

# Serial types are integers filled from a sequence (nextval), i.e. a volatile default.
SERIAL_TYPES = {"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}


def default_volatility(text: str) -> Volatility:
    if _VOLATILE_RE.search(text):
        return "volatile"
    if _STABLE_RE.search(text):
        return "stable"
    return "constant"


def make_default(text: str) -> Default:
    text = text.strip()
    return Default(text=text, volatility=default_volatility(text))


_TYPE_ALIASES = {
    "character varying": "varchar",
    "character": "char",
    "int4": "int",
    "integer": "int",
    "int8": "bigint",
    "int2": "smallint",
    "decimal": "numeric",
    "bool": "boolean",
    "float8": "double precision",
    "double": "double precision",
    "float4": "real",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
}
_TYPE_NAME = re.compile(r"[a-z_][a-z0-9_ ]*", re.IGNORECASE)


def type_parts(text: str) -> tuple[str, str | None, bool] | None:
    """`name [(params)] [[]]` of a type as written, or None when it is not that shape. Cut from the end with string
    operations: one regular expression for it had three overlapping runs of blanks (polynomial on `int` + blanks)."""
    rest = text.strip()
    array = rest.endswith("[]")
    if array:
        rest = rest[:-2].rstrip()
    params = None
    if rest.endswith(")"):
        opening = rest.find("(")
        if opening < 0 or ")" in rest[opening + 1:-1]:
            return None
        params, rest = rest[opening + 1:-1], rest[:opening].rstrip()
    return (rest, params, array) if _TYPE_NAME.fullmatch(rest) else None


def parse_type(text: str) -> ColumnType:
    """Read a type as written (`varchar(255)`, `NUMERIC(10, 2)`, `text`) into a normalised ColumnType."""
    parts = type_parts(text)
    if parts is None:
        return ColumnType(name=text.strip().lower(), text=text.strip())
    written_name, written_params, array = parts
    name = " ".join(written_name.lower().split())
    name = _TYPE_ALIASES.get(name, name)
    params: tuple[int, ...] = ()
    if written_params:
        try:
            params = tuple(int(p) for p in written_params.split(","))
        except ValueError:
            params = ()
    if array:
        name += "[]"
    return ColumnType(name=name, params=params, text=text.strip())


def normalise_type(column_type: ColumnType) -> ColumnType:
    name = _TYPE_ALIASES.get(column_type.name, column_type.name)
    return ColumnType(name=name, params=column_type.params, text=column_type.text)
