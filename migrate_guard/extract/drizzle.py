"""Drizzle Kit: `drizzle/0000_name.sql` with `--> statement-breakpoint`, `meta/_journal.json`; no down by design."""

from __future__ import annotations

import json
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, not_by_content, read_text, side_text
from .sql_file import Loaded, Section, build_migration

ORM = "drizzle"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order


def claims(path: Path, head: str) -> bool:
    return "--> statement-breakpoint" in head or (path.parent / "meta" / "_journal.json").is_file()


def migration_key(path: Path) -> str:
    return path.stem


def dialect_of(path: Path) -> str | None:
    try:
        journal = json.loads(side_text(path.parent / "meta" / "_journal.json"))
    except (OSError, ValueError):
        return None
    value = journal.get("dialect") if isinstance(journal, dict) else None
    from ..dialects import dialect_word

    return dialect_word(str(value)) if value else None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    path = unit.files[0]

    def load() -> Loaded:
        text = read_text(path)
        # drizzle-kit migrate applies all pending migrations in one transaction
        return Loaded([Section("up", text, 1, path)], "by_design", {path: text}, transactional=True)

    return build_migration(unit, path, load, only_state=only_state, downs=downs)
