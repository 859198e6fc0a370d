"""The shapes the Django reader shares: a migration file of the graph (Node) and the replayed model state."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .. import ir
from .django_fields import FieldInfo
from .pyast import PySource


@dataclass
class Node:
    app: str
    name: str
    path: Path
    text: str = ""
    source: PySource | None = None
    error: ir.ParseError | None = None
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    run_before: list[tuple[str, str]] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)  # a squashed migration's originals
    operations: list[ast.expr] = field(default_factory=list)
    opaque: list[ast.expr] = field(default_factory=list)  # parts of `operations` that cannot be read
    atomic: bool = True
    initial: bool = False

    @property
    def id(self) -> str:
        return f"{self.app}.{self.name}"



@dataclass
class ModelState:
    app: str
    name: str  # lower case
    table: str
    explicit_table: bool = False
    managed: bool = True
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    together: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)

    def pk(self) -> FieldInfo | None:
        return next((f for f in self.fields.values() if f.primary_key), None)

    def field(self, name: str) -> FieldInfo | None:
        return self.fields.get(name) or next((f for n, f in self.fields.items() if n.lower() == name.lower()), None)


State = dict[str, ModelState]
