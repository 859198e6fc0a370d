"""The column shapes of the IR (ir.py re-exports them: ir.ColumnDef, ir.ColumnType, ir.Default, ir.ForeignKeyRef):
a column as created, its type, its default and the key it references. Plain value classes, compared by value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Volatility = Literal["constant", "stable", "volatile"]


@dataclass
class ColumnType:
    """A column type as written. `name` is lower case without parameters (varchar, numeric, text, ...)."""

    name: str
    params: tuple[int, ...] = ()
    text: str = ""  # the type as written in the source, for messages

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.params:
            return f"{self.name}({', '.join(map(str, self.params))})"
        return self.name


@dataclass
class Default:
    """A column default as written, and whether evaluating it can change from row to row."""

    text: str
    volatility: Volatility = "constant"


@dataclass
class ForeignKeyRef:
    """The table and columns a foreign key points at."""

    table: str
    columns: tuple[str, ...] = ()
    on_delete: str | None = None


@dataclass
class ColumnDef:
    """A column as created (CREATE TABLE, ADD COLUMN, a model field)."""

    name: str
    type: ColumnType | None = None
    nullable: bool = True
    default: Default | None = None
    primary_key: bool = False
    unique: bool = False
    indexed: bool = False  # the tool creates an index for it (Django ForeignKey, sa.Column(index=True), ...)
    generated: bool = False  # identity / serial / GENERATED ... AS: values come from the database
    references: ForeignKeyRef | None = None
