"""Flyway: versioned `V1__name.sql` (`V1.2__x.sql`), undo `U1__name.sql`, repeatable `R__name.sql`."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order, no_config_dialect, not_by_content, read_text
from .sql_file import Loaded, Section, build_migration, has_statements

ORM = "flyway"
EXTENSIONS = (".sql",)
owns = not_by_content
order_units = in_name_order
dialect_of = no_config_dialect
_NAME = re.compile(r"^([VUR])([0-9][0-9._]*)?__(.+)\.sql$")


def claims(path: Path, head: str) -> bool:
    match = _NAME.match(path.name)
    return match is not None and (match.group(1) == "R" or match.group(2) is not None)


def migration_key(path: Path) -> str:
    match = _NAME.match(path.name)
    if match is None:
        return path.stem
    if match.group(1) == "R":
        return f"R__{match.group(3)}"
    return f"V{match.group(2)}"


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), its down sections are not parsed
    (sql_file: build_migration)."""
    versioned = next((f for f in unit.files if f.name[0] in "VR"), None)
    undo = next((f for f in unit.files if f.name.startswith("U")), None)
    if versioned is None and undo is not None:
        candidates = sorted(undo.parent.glob("V" + undo.name[1:].split("__")[0] + "__*.sql"))
        versioned = candidates[0] if candidates else None
    if undo is None and versioned is not None and versioned.name.startswith("V"):
        candidates = sorted(versioned.parent.glob("U" + versioned.name[1:].split("__")[0] + "__*.sql"))
        undo = candidates[0] if candidates else None
    main = versioned or undo
    assert main is not None

    def load() -> Loaded:
        sections, texts = [], {}
        for path, direction in ((versioned, "up"), (undo, "down")):
            if path is not None:
                texts[path] = text = read_text(path)
                sections.append(Section(direction, text, 1, path))  # type: ignore[arg-type]
        if undo is None:
            # versioned migrations have no downs by design (undo files are an opt-in of Flyway Teams); repeatable
            # ones are re-run, never undone
            state = "by_design"
        else:  # an undo file was written: it has to undo something
            state = "present" if has_statements(texts[undo]) else "empty"
        # Flyway wraps each migration in a transaction on Postgres (and SQLite)
        return Loaded(sections, state, texts, transactional=unit.dialect != "mysql",  # type: ignore[arg-type]
                      down_file=undo)

    return build_migration(unit, main, load, only_state=only_state, downs=downs)
