"""Which extractor reads which file. Modules are imported on first use, so start-up stays light."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

# Order matters when sniffing a file without a project: specific formats before generic ones.
MODULES: dict[str, str] = {
    "prisma": "prisma",
    "prisma-schema": "prisma_schema",
    "drizzle": "drizzle",
    "golang-migrate": "golang_migrate",
    "goose": "goose",
    "dbmate": "dbmate",
    "flyway": "flyway",
    "django": "django",
    "alembic": "alembic",
    "typeorm": "typeorm",
    "knex": "knex",
    "sequelize": "sequelize",
    "sql": "plain_sql",
}
# Files no extractor can claim are skipped before they are even opened.
CANDIDATE_SUFFIXES = frozenset({".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".prisma"})
# TypeScript declaration files: types only, never a migration (tsc writes one beside each compiled migration, and
# Medusa 1.x ships dist/migrations with both: each .d.ts was a migration with no down).
_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


_loaded: dict[str, ModuleType | None] = {}


def extractor(orm: str) -> ModuleType | None:
    if orm in _loaded:
        return _loaded[orm]
    name = MODULES.get(orm)
    if name is None:
        return None
    try:
        module = importlib.import_module(f"migrate_guard.extract.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"migrate_guard.extract.{name}":
            module = None  # format not implemented yet
        else:
            raise
    _loaded[orm] = module
    return module


def classify(path: Path, head: str, preferred: str | None = None) -> ModuleType | None:
    """The extractor that claims this file: the project's own ORM first, then every format in order."""
    suffix = path.suffix.lower()
    if path.name.lower().endswith(_DECLARATION_SUFFIXES):
        return None
    order = [preferred] if preferred else []
    order += [orm for orm in MODULES if orm != preferred]
    for orm in order:
        module = extractor(orm)
        if module is not None and suffix in module.EXTENSIONS and module.claims(path, head):
            return module
    return None
