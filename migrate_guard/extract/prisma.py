"""Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`; no down migrations by design."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, not_by_content, read_text, side_text
from .sql_file import Loaded, Section, build_migration

ORM = "prisma"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order
_PROVIDERS = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite",
              "cockroachdb": "postgres"}


def claims(path: Path, head: str) -> bool:
    return path.name == "migration.sql" and (
        path.parent.parent.name == "migrations" or (path.parent.parent / "migration_lock.toml").is_file())


def migration_key(path: Path) -> str:
    return path.parent.name


def dialect_of(path: Path) -> str | None:
    """From migrations/migration_lock.toml (`provider = "postgresql"`), else the schema's datasource."""
    lock = path.parent.parent / "migration_lock.toml"
    for candidate in (lock, path.parent.parent.parent / "schema.prisma"):
        try:
            text = side_text(candidate)
        except OSError:
            continue
        match = re.search(r'provider\s*=\s*"(postgresql|postgres|mysql|sqlite|cockroachdb)"', text)
        if match:
            return _PROVIDERS[match.group(1)]
    return None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    path = unit.files[0]

    def load() -> Loaded:
        text = read_text(path)
        return Loaded([Section("up", text, 1, path)], "by_design", {path: text})

    return build_migration(unit, path, load, only_state=only_state, downs=downs)
