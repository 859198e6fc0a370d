"""SQLAlchemy column types as written in Alembic migrations (`sa.String(50)`, `postgresql.JSONB`) -> IR types."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from types import MappingProxyType

from .. import ir
from .pyast import dotted, keywords, last_name, literal

_SIMPLE = {
    "text": "text", "unicodetext": "text", "clob": "text", "integer": "integer", "int": "integer",
    "biginteger": "bigint", "bigint": "bigint", "smallinteger": "smallint", "smallint": "smallint",
    "boolean": "boolean", "bool": "boolean", "date": "date", "time": "time", "json": "json", "jsonb": "jsonb",
    "uuid": "uuid", "largebinary": "bytea", "bytea": "bytea", "blob": "blob", "binary": "bytea",
    "interval": "interval", "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "citext": "citext",
    "tsvector": "tsvector", "hstore": "hstore", "money": "money", "float": "double precision",
    "double": "double precision", "double_precision": "double precision", "real": "real", "enum": "enum",
    "pickletype": "bytea", "bit": "bit", "tinyint": "tinyint", "mediumint": "mediumint", "longtext": "longtext",
    "mediumtext": "mediumtext", "tinytext": "tinytext", "datetime2": "datetime2", "year": "year", "oid": "oid",
    "xml": "xml", "geometry": "geometry", "geography": "geography",
}
_LENGTH = {"string": "varchar", "varchar": "varchar", "unicode": "varchar", "nvarchar": "varchar", "char": "char",
           "nchar": "char", "varbinary": "varbinary", "bit": "bit"}
_PRECISION = {"numeric": "numeric", "decimal": "numeric"}
_NONE: Mapping[str, str] = MappingProxyType({})


def type_text(node: ast.expr | None, own: Mapping[str, str] = _NONE) -> str | None:
    """SQL spelling of a SQLAlchemy type expression, or None when it is not a recognisable type. `own`: the names the
    migration imports from the project's own modules (alembic_scope.Module.foreign)."""
    if node is None:
        return None
    call = node if isinstance(node, ast.Call) else None
    if call and isinstance(call.func, ast.Attribute) and call.func.attr in ("with_variant", "evaluates_none"):
        return type_text(call.func.value, own)  # `sa.Text().with_variant(MEDIUMTEXT, "mysql")`: the base elsewhere
    written = last_name(call.func if call else node)
    if written[:1].islower() or written[:1] == "_":
        # not a type class: a variable (aodh's `existing_type=existing_type`), an attribute (cinder's `col.type`) or
        # a function's result (`_type_of(..)`); its value is not read here
        return None
    name = written.lower()
    if not name:
        return None
    if name == "json" and own:
        project_type = _project_type(call.func if call else node, own)
        if project_type is not None:
            return project_type
    if name in _SIMPLE and name not in _LENGTH:  # neither arguments nor keywords change these
        return _SIMPLE[name]
    args = [literal(a) for a in call.args] if call else []
    kw = {k: literal(v) for k, v in keywords(call).items()} if call else {}
    if name in ("datetime", "timestamp"):
        tz = kw.get("timezone", args[0] if args and isinstance(args[0], bool) else False)
        return "timestamptz" if tz is True else "timestamp"
    if name in _LENGTH:
        length = kw.get("length", args[0] if args else None)
        return f"{_LENGTH[name]}({length})" if isinstance(length, int) else _LENGTH[name]
    if name in _PRECISION:
        precision = kw.get("precision", args[0] if args else None)
        scale = kw.get("scale", args[1] if len(args) > 1 else None)
        if isinstance(precision, int):
            return f"numeric({precision}, {scale})" if isinstance(scale, int) else f"numeric({precision})"
        return "numeric"
    if name == "array" and call and call.args:
        inner = type_text(call.args[0], own)
        return f"{inner}[]" if inner else None
    if name in _SIMPLE:
        return _SIMPLE[name]
    return name  # some other type class (a dialect or custom type): compared by name


def _project_type(node: ast.expr, own: Mapping[str, str]) -> str | None:
    """A JSON type from one of the project's own modules (`own`: name -> the module it was imported from) is not
    SQLAlchemy's json: such wrappers exist to pick JSONB on Postgres (prefect's `JSON` is a TypeDecorator that does),
    so it is kept as the project's type, by its dotted name. Other project types keep the SQLAlchemy type their name
    spells (superset's `MediumText` is MEDIUMTEXT): that reading is right far more often than not."""
    written = dotted(node)  # `database.JSON`, or `JSON` imported from the module
    root = written.split(".", 1)[0]
    if root not in own:
        return None
    return (written if "." in written else f"{own[root]}.{written}").lower()


def column_type(node: ast.expr | None, own: Mapping[str, str] = _NONE) -> ir.ColumnType | None:
    text = type_text(node, own)
    return parsed_type(text) if text else None


_PARSED: dict[str, tuple[str, tuple[int, ...], str]] = {}


def parsed_type(text: str) -> ir.ColumnType:
    """parse_type(text), read once per spelling (a project writes a few dozen, thousands of times): a new ColumnType
    each time all the same, since the IR's are mutable."""
    known = _PARSED.get(text)
    if known is None:
        from .sql.values import parse_type

        parsed = parse_type(text)
        if len(_PARSED) >= 4096:  # spellings made up by a file (`sa.String(1)` .. `sa.String(99999)`): kept bounded
            _PARSED.clear()
        known = _PARSED[text] = (parsed.name, parsed.params, parsed.text)
    return ir.ColumnType(*known)


def is_type_name(name: str) -> bool:
    """The last name of an expression (last_name) that may be a column type's."""
    return bool(name) and name not in _NOT_TYPES


_NOT_TYPES = frozenset({"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "text", "FetchedValue",
                        "DefaultClause"})
