"""`ALTER TABLE t ADD COLUMN c text UNIQUE` (or PRIMARY KEY) also adds the constraint, and builds its index with the
table locked: the constraint is an operation of its own, as Django's AddField(unique=True) gives. Shared by both SQL
readers (sqlglot and libpg_query), so they stay identical."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import ir


def inline_key_constraints(added: ir.AddColumn, make: Callable[..., Any]) -> list[ir.Operation]:
    column = added.column
    if column.primary_key:
        return [make(ir.AddConstraint, table=added.table, constraint_type="primary_key", columns=(column.name,),
                     with_column=True)]
    if column.unique:
        return [make(ir.AddConstraint, table=added.table, constraint_type="unique", columns=(column.name,),
                     with_column=True)]
    return []
