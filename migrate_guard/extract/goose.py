"""goose SQL migrations: `-- +goose Up` / `-- +goose Down`, `StatementBegin/End`, `-- +goose NO TRANSACTION`."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, no_config_dialect, not_by_content, read_text
from .sql_file import Loaded, annotated_sections, build_migration, down_state_of

ORM = "goose"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order
dialect_of = no_config_dialect
_ANNOTATION = re.compile(r"^\s*--\s*\+goose\s+(\w+)(?:\s+(\w+))?", re.IGNORECASE)
_NO_TRANSACTION = re.compile(r"^[^\S\n]*--\s*\+goose\s+NO\s+TRANSACTION\b", re.IGNORECASE | re.MULTILINE)


def claims(path: Path, head: str) -> bool:
    return "+goose" in head and re.search(r"--\s*\+goose\s+up\b", head, re.IGNORECASE) is not None


def migration_key(path: Path) -> str:
    return path.stem


def context_text(unit: MigrationUnit) -> str:
    """The text every operation of the migration comes from (pipeline/state_needs.py)."""
    return read_text(unit.files[0])


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), its down sections are not parsed
    (sql_file: build_migration)."""
    path = unit.files[0]

    def load() -> Loaded:
        text = read_text(path)
        sections = annotated_sections(path, text, _ANNOTATION,
                                      lambda m: {"up": "up", "down": "down"}.get(m.group(1).lower()))  # type: ignore[arg-type,return-value]
        # goose runs each migration in a transaction unless the file opts out
        return Loaded(sections, down_state_of(sections), {path: text},
                      transactional=_NO_TRANSACTION.search(text) is None)

    return build_migration(unit, path, load, only_state=only_state, downs=downs)
