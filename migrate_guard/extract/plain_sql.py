"""Any other `.sql` file: linted as one up migration; it has no down model of its own."""

from __future__ import annotations

from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, no_config_dialect, not_by_content, read_text
from .sql_file import Loaded, Section, build_migration

ORM = "sql"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order
dialect_of = no_config_dialect


def claims(path: Path, head: str) -> bool:
    return path.suffix.lower() == ".sql"


def migration_key(path: Path) -> str:
    return path.stem


def context_text(unit: MigrationUnit) -> str:
    """The text every operation of the migration comes from (pipeline/state_needs.py)."""
    return read_text(unit.files[0])


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    path = unit.files[0]

    def load() -> Loaded:
        text = read_text(path)
        return Loaded([Section("up", text, 1, path)], "by_design", {path: text})

    return build_migration(unit, path, load, only_state=only_state, downs=downs)
