"""What an Alembic revision's imports and definitions say about the names its functions use, and which database an
`if dialect == ...:` branch is written for."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field

from ..dialects import dialect_word
from .pyast import unparse

# Modules whose functions, called as a statement in upgrade(), do no database work we could miss.
_KNOWN_MODULES = {"alembic", "sqlalchemy", "sqlalchemy_utils", "geoalchemy2", "sqlmodel", "alembic_utils",
                  "__future__", *sys.stdlib_module_names}


@dataclass(slots=True)
class Module:
    """What a migration module's imports and definitions tell about the names its functions use."""

    op_names: set[str] = field(default_factory=lambda: {"op"})  # `op`, `alembic_op`, `alembic.op`
    op_functions: dict[str, str] = field(default_factory=dict)  # `from alembic.op import drop_table as dt`
    sqlalchemy_names: set[str] = field(default_factory=lambda: {"sa", "sqlalchemy"})
    helpers: dict[str, ast.FunctionDef] = field(default_factory=dict)  # functions of this file: followed
    foreign: dict[str, str] = field(default_factory=dict)  # name -> the project module it comes from: opaque
    inlined: int = 0  # helper calls followed so far in this file (helpers calling helpers ten times each...)

    @classmethod
    def of(cls, tree: ast.Module) -> Module:
        module = cls()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name not in ("upgrade", "downgrade"):
                module.helpers[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imported(alias.name, alias.asname)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    module.imported_from("." * node.level + (node.module or ""), alias.name, alias.asname)
        return module

    def imported(self, name: str, asname: str | None) -> None:
        top = name.split(".")[0]
        if name == "alembic.op":
            self.op_names.add(asname or "alembic.op")
        elif name == "alembic" and asname is None:
            self.op_names.add("alembic.op")
        elif top == "sqlalchemy":
            self.sqlalchemy_names.add(asname or name)
        elif top not in _KNOWN_MODULES:
            self.foreign[asname or top] = name

    def imported_from(self, module: str, name: str, asname: str | None) -> None:
        if module == "alembic" and name == "op":
            self.op_names.add(asname or "op")
        elif module == "alembic.op":
            self.op_functions[asname or name] = name
        elif module.split(".")[0] == "sqlalchemy":
            self.sqlalchemy_names.add(asname or name)
        elif module.startswith(".") or module.split(".")[0] not in _KNOWN_MODULES:
            self.foreign[asname or name] = module



def branch_dialect(test: ast.expr) -> tuple[str | None, bool]:
    """`if conn.dialect.name == "mysql":` / `if dialect_name != "sqlite":` -> ("mysql", False) / ("sqlite", True): the
    SQL written for one database in a migration that supports several (Airflow, MLflow) is read in that dialect."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq))):
        return None, False
    sides = [test.left, test.comparators[0]]
    names = [side.value for side in sides if isinstance(side, ast.Constant) and isinstance(side.value, str)]
    subject = next((side for side in sides if not isinstance(side, ast.Constant)), None)
    text = unparse(subject) if subject is not None else ""
    dialect = dialect_word(names[0]) if len(names) == 1 else None
    if dialect is None or not ("dialect" in text or text.endswith("engine.name")):
        return None, False
    return dialect, isinstance(test.ops[0], ast.NotEq)
