"""The table of a SQLAlchemy model a migration names by its class: `op.create_index(.., SqlScorer.__tablename__, ..)`
with `from mlflow.store.tracking.dbmodels.models import SqlScorer`. The model's module is found from the import,
inside the folders above the migration, and read (parsed, never run) once per process."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

_MAX_MODULE_BYTES = 1024 * 1024
_MAX_LEVELS = 8  # how far above the migration a top-level package may sit


def model_table(tree: ast.Module, shown_path: str, class_name: str) -> str | None:
    """`__tablename__` of the class defined in this file, or imported into it from a module of the project."""
    found = _tablename(tree, class_name)
    if found is not None:
        return found
    for statement in tree.body:
        if not isinstance(statement, ast.ImportFrom):
            continue
        for alias in statement.names:
            if (alias.asname or alias.name) == class_name:
                path = _module_file(Path(shown_path).parent, statement.module or "", statement.level)
                module = _parsed(str(path)) if path is not None else None
                return _tablename(module, alias.name) if module is not None else None
    return None


@lru_cache(maxsize=256)
def in_project(shown_path: str, module: str) -> bool:
    """The module is the project's own (a relative import, or a package found in a folder above the migration), not
    an installed library's (`from babel import Locale`): only the project's code is opaque database work."""
    if module.startswith(".") or not module:
        return True
    top = module.split(".")[0]
    return any((folder / top).is_dir() or (folder / f"{top}.py").is_file()
               for base in _folders_above(Path(shown_path).parent) for folder in (base, base / "src"))


def _folders_above(folder: Path) -> Iterator[Path]:
    """The folder and those above it where a top-level package may sit, nearest first."""
    for _ in range(_MAX_LEVELS):
        yield folder
        if folder.parent == folder:
            return
        folder = folder.parent


def _tablename(tree: ast.Module, class_name: str) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets):
                    value = statement.value
                    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    return None


def _module_file(folder: Path, module: str, level: int) -> Path | None:
    parts = module.split(".") if module else []
    if level:  # from ..models import X: relative to the migration's own package
        base = folder
        for _ in range(level - 1):
            base = base.parent
        return _as_file(base.joinpath(*parts)) if parts else None
    if not parts:
        return None
    found = (_as_file(base.joinpath(*parts)) for base in _folders_above(folder) if (base / parts[0]).is_dir())
    return next((path for path in found if path is not None), None)


def _as_file(stem: Path) -> Path | None:
    for candidate in (stem.with_name(stem.name + ".py"), stem / "__init__.py"):
        try:
            if candidate.is_file() and candidate.stat().st_size <= _MAX_MODULE_BYTES:
                return candidate
        except OSError:
            continue
    return None


@lru_cache(maxsize=64)
def _parsed(path: str) -> ast.Module | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return ast.parse(handle.read(), filename=os.path.basename(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
