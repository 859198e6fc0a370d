"""Shared by the SQL migration formats: a file cut into up/down sections, each run through the SQL pipeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..dialects import PARTIAL
from ..location import Location
from ..model import Migration
from .base import MigrationUnit, NotText, display_path, unreadable_migration

TYPE_CHECKING = False
if TYPE_CHECKING:  # the IR itself loads with the SQL pipeline, not when a file is only classified
    from ..ir import Direction, DownState, Operation


@dataclass(slots=True)
class Section:
    """One direction (up or down) of a SQL migration file, with where it starts."""

    direction: Direction
    text: str
    start_line: int  # 1-based line of the section's first character in its file
    path: Path


_BLANK = re.compile(r"\s*")


def has_statements(text: str) -> bool:
    """Anything but blanks and comments in `text` (an unterminated /* counts as a statement: it is not a comment).
    A scan, not one regular expression: a repeated (blanks | -- comment | /* comment */) group backtracks
    exponentially on a run of blank lines."""
    at = 0
    while True:
        at = _BLANK.match(text, at).end()  # type: ignore[union-attr]
        if at == len(text):
            return False
        if text.startswith("--", at):
            at = text.find("\n", at)
            if at < 0:
                return False
        elif text.startswith("/*", at):
            end = text.find("*/", at + 2)
            if end < 0:
                return True
            at = end + 2
        else:
            return True


def section_ops(unit: MigrationUnit, section: Section, only_state: bool = False) -> list[Operation]:
    from .sql import Origin, extract_sql

    origin = Origin(display_path(section.path), section.start_line, 1)
    return extract_sql(section.text, dialect=unit.dialect, origin=origin, migration=unit.id,
                       direction=section.direction, only_state=only_state)


@dataclass(slots=True)
class Loaded:
    """A SQL migration's files read and split into their sections."""

    sections: list[Section]
    down: DownState
    texts: dict[Path, str]  # every file read, whole (inline suppressions are per file)
    transactional: bool = False
    down_file: Path | None = None  # where a missing-down finding points when the down file exists but is empty


def build_migration(unit: MigrationUnit, main: Path, load: Callable[[], Loaded],
                    only_state: bool = False, downs: bool = True) -> Migration:
    """`only_state`: the migration is read for the schema state of later ones alone (extract/sql: extract_sql).
    Without `downs` (a run that reads no down operations: pipeline/pool.py extract_unit) the down sections are not
    parsed, unless there is no up section or the database is checked only in part (its unread statements, in either
    direction, are counted in a finding); the down state comes from the text either way."""
    try:
        loaded = load()
    except NotText as problem:
        return unreadable_migration(unit, main, str(problem))
    migration = Migration(id=unit.id, orm=unit.orm, dialect=unit.dialect, path=display_path(main), down=loaded.down,
                          transactional=loaded.transactional,
                          sources={display_path(p): text for p, text in loaded.texts.items()})
    if loaded.down_file is not None and loaded.down != "present":
        migration.down_location = Location(display_path(loaded.down_file), 1, 1, 1)
    sections = loaded.sections
    if not downs and unit.dialect not in PARTIAL and any(s.direction == "up" for s in sections):
        sections = [s for s in sections if s.direction == "up"]
    for section in sections:
        migration.operations.extend(section_ops(unit, section, only_state))
    return migration


def annotated_sections(path: Path, text: str, marker: re.Pattern[str],
                       direction_of: Callable[[re.Match[str]], Direction | None]) -> list[Section]:
    """Cut a file at annotation lines (`-- +goose Up`, `-- migrate:down`); text before the first one is ignored."""
    sections: list[Section] = []
    lines = text.split("\n")
    current: Direction | None = None
    start = 0
    for number, line in enumerate(lines):
        match = marker.match(line)
        if not match:
            continue
        direction = direction_of(match)
        if direction is None:
            continue
        if current is not None:
            sections.append(Section(current, "\n".join(lines[start:number]), start + 1, path))
        current, start = direction, number + 1
    if current is not None:
        sections.append(Section(current, "\n".join(lines[start:]), start + 1, path))
    return sections


def down_state_of(sections: list[Section]) -> DownState:
    downs = [s for s in sections if s.direction == "down"]
    if not downs:
        return "missing"
    return "present" if any(has_statements(s.text) for s in downs) else "empty"
