"""golang-migrate: `000001_name.up.sql` with an optional `000001_name.down.sql`."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, no_config_dialect, not_by_content, read_text
from .sql_file import Loaded, Section, build_migration, has_statements

ORM = "golang-migrate"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order
dialect_of = no_config_dialect
_NAME = re.compile(r"^(\d+)_(.+)\.(up|down)\.sql$")


def claims(path: Path, head: str) -> bool:
    return _NAME.match(path.name) is not None


def migration_key(path: Path) -> str:
    match = _NAME.match(path.name)
    return f"{match.group(1)}_{match.group(2)}" if match else path.stem


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), its down file is read but not parsed
    (sql_file: build_migration). `only_state` (read for the schema state of later migrations alone): its up file's
    operations that may change the state; the down file is read (so an unreadable one still makes the migration
    unreadable) but not parsed."""
    return _extract(unit, with_down=not only_state, downs=downs)


def context_text(unit: MigrationUnit) -> str:
    """The text whose statements extract(only_state=True) reads for the schema state (its up file's; "" without one).
    Raises NotText as reading it does."""
    up, _ = _files(unit)
    return read_text(up) if up is not None else ""


def _files(unit: MigrationUnit) -> tuple[Path | None, Path | None]:
    up = next((f for f in unit.files if f.name.endswith(".up.sql")), None)
    down = next((f for f in unit.files if f.name.endswith(".down.sql")), None)
    if up is None and down is not None:  # only the down file was passed: look for its up file beside it
        sibling = down.with_name(down.name[: -len(".down.sql")] + ".up.sql")
        up = sibling if sibling.is_file() else None
    if down is None and up is not None:
        sibling = up.with_name(up.name[: -len(".up.sql")] + ".down.sql")
        down = sibling if sibling.is_file() else None
    return up, down


def _extract(unit: MigrationUnit, with_down: bool, downs: bool = True) -> Migration:
    up, down = _files(unit)
    main = up or down
    assert main is not None

    def load() -> Loaded:
        sections, texts = [], {}
        for path, direction in ((up, "up"), (down, "down")):
            if path is not None:
                texts[path] = text = read_text(path)
                if direction == "up" or with_down or up is None:
                    sections.append(Section(direction, text, 1, path))  # type: ignore[arg-type]
        if down is None:
            state = "missing"
        else:
            state = "present" if has_statements(texts[down]) else "empty"
        return Loaded(sections, state, texts, down_file=down)  # type: ignore[arg-type]

    return build_migration(unit, main, load, only_state=not with_down, downs=downs)
