"""What the engine knows about column types: which type changes rewrite no table (or lose no data), and which
columns of a new table or column have the types the type rules name."""

from __future__ import annotations

from .. import ir

_NO_REWRITE_TARGETS = {"text", "varchar"}


def type_change_safe(old: ir.ColumnType | None, new: ir.ColumnType | None, dialect: str) -> bool:
    """True when the change is known not to rewrite the table or fail (Postgres rules)."""
    if old is None or new is None:
        return False
    if old.name == new.name and old.params == new.params:
        return True
    if dialect == "mysql":
        return _mysql_in_place(old, new)
    if dialect not in ("postgres", "cockroachdb"):
        return False
    if old.name in ("varchar", "text") and new.name in _NO_REWRITE_TARGETS:
        if new.name == "text" or not new.params:
            return True
        return old.name == "varchar" and bool(old.params) and new.params[0] >= old.params[0]
    if old.name == "numeric" and new.name == "numeric":
        if not new.params:
            return True
        if len(old.params) >= 1 and len(new.params) >= 1:
            old_scale = old.params[1] if len(old.params) > 1 else 0
            new_scale = new.params[1] if len(new.params) > 1 else 0
            return new.params[0] >= old.params[0] and new_scale == old_scale
    if old.name == "varbit" and new.name == "varbit":
        return not new.params or (bool(old.params) and new.params[0] >= old.params[0])
    return old.name == "cidr" and new.name == "inet"


def _mysql_in_place(old: ir.ColumnType, new: ir.ColumnType) -> bool:
    """MySQL widens a VARCHAR in place when its length prefix keeps its size: 1 byte up to 255 bytes, 2 above; at
    utf8mb4's 4 bytes a character, both lengths at most 63 characters or both above."""
    if old.name != "varchar" or new.name != "varchar" or not old.params or not new.params:
        return False
    before, after = old.params[0], new.params[0]
    return after >= before and (after * 4 <= 255 or before * 4 > 255)


# Column types the type rules name (json-column, prefer-*): the fact holds the columns' names, "a, b", or None.
_TYPE_FACTS = {
    "json_columns": ("json",),
    "int_columns": ("int", "integer", "int4", "smallint", "int2"),
    "serial_columns": ("serial", "serial4", "smallserial", "serial2", "bigserial", "serial8"),
    "timestamp_columns": ("timestamp",),
    "varchar_columns": ("varchar",),
    "char_columns": ("char", "character", "bpchar"),
}


_FACT_OF_TYPE = {name: fact for fact, names in _TYPE_FACTS.items() for name in names}


def column_type_facts(op: ir.CreateTable | ir.AddColumn) -> dict[str, str | None]:
    columns = op.columns if isinstance(op, ir.CreateTable) else [op.column]
    found: dict[str, list[str]] = {}
    for c in columns:
        fact = _FACT_OF_TYPE.get(c.type.name) if c.type is not None else None
        if fact is not None and not (fact == "int_columns" and c.references is not None):
            found.setdefault(fact, []).append(c.name)
    return {fact: ", ".join(found[fact]) if fact in found else None for fact in _TYPE_FACTS}



def type_unchanged(old: ir.ColumnType | None, new: ir.ColumnType | None) -> bool:
    """The column keeps its type: Django's AlterField of a foreign key's on_delete, MySQL's CHANGE that only renames,
    an idempotent `ALTER COLUMN c TYPE text` on a text column. No type change to report."""
    if old is None or new is None:
        return False
    # here, not at the top: importing the SQL package imports sqlglot, which a run resumed from a checkpoint (this
    # module is unpickled with it) never needs
    from ..extract.sql.values import normalise_type

    old, new = normalise_type(old), normalise_type(new)
    return old.name == new.name and old.params == new.params



# each type -> the types that hold every value it can hold (a change to one loses no data, even if it rewrites)
_WIDER = {"smallint": {"int", "bigint", "numeric"}, "int": {"bigint", "numeric"}, "bigint": {"numeric"},
          "real": {"double precision"}, "varchar": {"text", "mediumtext", "longtext"},
          "tinytext": {"text", "mediumtext", "longtext"}, "text": {"mediumtext", "longtext"}, "mediumtext": {"longtext"}}


def type_widens(old: ir.ColumnType | None, new: ir.ColumnType | None) -> bool:
    """The new type holds every value of the old one (int to bigint, TEXT to MEDIUMTEXT, varchar(50) to varchar(200),
    numeric(10, 2) to numeric(12, 2)): a rollback that keeps the new type loses nothing. The same type counts too."""
    if old is None or new is None:
        return False
    from ..extract.sql.values import normalise_type  # see type_unchanged

    old, new = normalise_type(old), normalise_type(new)
    if old.name != new.name:
        return new.name in _WIDER.get(old.name, ()) and not new.params
    if not new.params or old.params == new.params:
        return True
    if not old.params or len(old.params) != len(new.params):
        return False
    if old.name == "numeric" and len(new.params) == 2:  # as many digits before the point, and after it
        return new.params[0] - new.params[1] >= old.params[0] - old.params[1] and new.params[1] >= old.params[1]
    return len(new.params) == 1 and new.params[0] >= old.params[0]

