"""Old column definitions read from the down migration, for tools whose column changes restate the whole column
(Sequelize `changeColumn`, knex `.alter()`): the up says only what the column becomes, and the down's restatement of
the same column is the best evidence of what it was when no earlier migration created it."""

from __future__ import annotations

from ... import ir
from ...model import Migration


def old_definitions_from_down(migration: Migration) -> None:
    """Give an up type change the type the down restores (used when no earlier migration tells), and mark an up NOT NULL
    as restated (a change only if the column was nullable) when the down restates it NOT NULL as well."""
    down_types: dict[tuple[str, str], ir.AlterColumnType] = {}
    down_not_null: set[tuple[str, str]] = set()
    for op in migration.operations:
        if op.direction != "down":
            continue
        if isinstance(op, ir.AlterColumnType):
            down_types.setdefault((op.table, op.column), op)
        elif isinstance(op, ir.SetNotNull):
            down_not_null.add((op.table, op.column))
    if not down_types:
        return
    for op in migration.operations:
        if op.direction != "up":
            continue
        key = (getattr(op, "table", ""), getattr(op, "column", ""))
        if isinstance(op, ir.AlterColumnType) and op.old_type is None and key in down_types:
            op.old_type_in_down = down_types[key].new_type
        elif isinstance(op, ir.SetNotNull) and key in down_not_null and key in down_types:
            op.restated = True


def down_changes_up(operations: list[ir.Operation]) -> bool:
    """Whether old_definitions_from_down could change any of these (up) operations: only then is the down read for it."""
    return any((isinstance(op, ir.AlterColumnType) and op.old_type is None) or isinstance(op, ir.SetNotNull)
               for op in operations if op.direction == "up")
