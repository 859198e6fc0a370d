"""Constraints written on a column (`c text UNIQUE`, `PRIMARY KEY`, `REFERENCES t(id)`) as operations of their own,
for both SQL readers (sqlglot and libpg_query), so they stay identical. `ALTER TABLE t ADD COLUMN c text UNIQUE` builds
its index with the table locked, as Django's AddField(unique=True) does; in CREATE TABLE they are the new table's."""

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


def column_constraints(table: str, column: ir.ColumnDef, make: Callable[..., Any]) -> list[ir.Operation]:
    """The constraints a CREATE TABLE column declares inline: its foreign key, then its primary key or UNIQUE."""
    found: list[ir.Operation] = []
    if column.references is not None:
        found.append(make(ir.AddConstraint, table=table, constraint_type="foreign_key", columns=(column.name,),
                          references=column.references))
    if column.primary_key or column.unique:
        found.append(make(ir.AddConstraint, table=table,
                          constraint_type="primary_key" if column.primary_key else "unique", columns=(column.name,)))
    return found
