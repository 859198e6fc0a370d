"""Each SQL format's up and down statements and transaction model, read with the extractors' own pieces.

The extractor gives the Migration (transaction model, down state, and the operations `check` judges); the statements
to run come from the same sections the extractor reads, split with the same tokenizer, so a statement's location is
the location of the findings `check` reports for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..extract.base import MigrationUnit, display_path, read_text
from ..extract.sql_file import Section, annotated_sections, has_statements
from ..location import Location
from ..model import Migration
from .database import Applied
from .statements import BOOKKEEPING, Statement, is_control

# Formats whose migrations are SQL that migrate-guard applies itself.
SQL_FORMATS = frozenset({"golang-migrate", "goose", "dbmate", "flyway", "sql", "prisma", "drizzle"})



class CannotApply(Exception):
    """This project's migrations cannot be turned into SQL (the tool failed): the project is not verified."""


_GOOSE_BLOCK = re.compile(r"^\s*--\s*\+goose\s+Statement(Begin|End)\b", re.IGNORECASE)
_DRIZZLE_BREAK = "--> statement-breakpoint"


class NativeMigration(Protocol):
    """A migration its own tool applies (Knex, Sequelize, TypeORM): one direction on one throwaway database."""

    def apply(self, database: Any, direction: str) -> Applied: ...


@dataclass(slots=True)
class Script:
    """One migration ready to apply: its statements in each direction and how its tool runs them."""

    migration: Migration
    up: list[Statement]
    down: list[Statement] | None  # None: the migration has no down (by design, or none was written)
    down_location: Location | None
    transactional: bool  # the tool wraps the whole migration in one transaction
    native: NativeMigration | None = None  # applied by the project's own tool (native.py), not statement by statement

    @property
    def id(self) -> str:
        return self.migration.id


def script_for(unit: MigrationUnit, migration: Migration) -> Script:
    sections = _sections(unit)
    up = [s for section in sections if section.direction == "up" for s in statements_of(section, unit.dialect)]
    downs = [section for section in sections if section.direction == "down"]
    down = None
    down_location = None
    if downs and any(has_statements(section.text) for section in downs):
        down = [s for section in downs for s in statements_of(section, unit.dialect)]
    if downs:
        first = downs[0]
        down_location = Location(display_path(first.path), max(first.start_line - (unit.orm in ("goose", "dbmate")), 1),
                                 1, max(first.start_line - (unit.orm in ("goose", "dbmate")), 1))
    return Script(migration, up, down, down_location, migration.transactional)


def _sections(unit: MigrationUnit) -> list[Section]:
    files = [path for path in unit.files if path.suffix.lower() == ".sql"]
    if unit.orm in ("goose", "dbmate"):
        from ..extract import dbmate, goose

        path = files[0]
        if unit.orm == "goose":
            return annotated_sections(path, read_text(path), goose._ANNOTATION,
                                      lambda m: {"up": "up", "down": "down"}.get(m.group(1).lower()))  # type: ignore[arg-type,return-value]
        return annotated_sections(path, read_text(path), dbmate._ANNOTATION, lambda m: m.group(1).lower())  # type: ignore[arg-type,return-value]
    if unit.orm == "golang-migrate":
        ups = [p for p in files if p.name.endswith(".up.sql")]
        downs = [p for p in files if p.name.endswith(".down.sql")]
        if not downs and ups:
            sibling = ups[0].with_name(ups[0].name[: -len(".up.sql")] + ".down.sql")
            downs = [sibling] if sibling.is_file() else []
        return [*(Section("up", read_text(p), 1, p) for p in ups), *(Section("down", read_text(p), 1, p) for p in downs)]
    if unit.orm == "flyway":
        undo = [p for p in files if p.name.startswith("U")]
        return [*(Section("up", read_text(p), 1, p) for p in files if p not in undo),
                *(Section("down", read_text(p), 1, p) for p in undo)]
    return [Section("up", read_text(p), 1, p) for p in files]  # plain SQL, Prisma, Drizzle: up only


def statements_of(section: Section, dialect: str) -> list[Statement]:
    """The section's statements: goose's StatementBegin/End blocks whole, the rest split by the SQL tokenizer."""
    statements: list[Statement] = []
    lines = section.text.split("\n")
    chunk_start, block_start = 0, None
    for number, line in enumerate(lines):
        match = _GOOSE_BLOCK.match(line)
        if not match:
            continue
        if match.group(1).lower() == "begin":
            statements.extend(_split("\n".join(lines[chunk_start:number]), section, chunk_start, dialect))
            block_start = number + 1
        elif block_start is not None:
            block = "\n".join(lines[block_start:number])
            if has_statements(block):
                statements.append(_statement(block, 0, len(block) - 1, section, block_start))
            block_start, chunk_start = None, number + 1
    statements.extend(_split("\n".join(lines[chunk_start:]), section, chunk_start, dialect))
    return statements


def _split(text: str, section: Section, first_line: int, dialect: str) -> list[Statement]:
    if not has_statements(text):
        return []
    import sqlglot

    from ..dialects import grammar
    from ..extract.sql.split import split_statements

    reader = sqlglot.Dialect.get_or_raise(grammar(dialect) or "postgres")
    pieces = []
    for part_start, part in _drizzle_parts(text):
        for statement in split_statements(part, reader):
            pieces.append(_statement(text, part_start + statement.start, part_start + statement.end, section,
                                     first_line))
    return pieces


def _drizzle_parts(text: str) -> list[tuple[int, str]]:
    """Drizzle separates statements with `--> statement-breakpoint`; elsewhere the whole text is one part."""
    if _DRIZZLE_BREAK not in text:
        return [(0, text)]
    parts, at = [], 0
    for piece in text.split(_DRIZZLE_BREAK):
        parts.append((at, piece))
        at += len(piece) + len(_DRIZZLE_BREAK)
    return parts


def _statement(text: str, start: int, end: int, section: Section, first_line: int) -> Statement:
    sql = text[start:end + 1]
    lead = len(sql) - len(sql.lstrip())
    line = section.start_line + first_line + text.count("\n", 0, start + lead)
    return Statement(sql.strip(), Location(display_path(section.path), line, 1, line + sql.strip().count("\n")))


def generated_statements(sql: str, path: Path, database: str) -> list[Statement]:
    """The offline SQL's statements without the tool's own bookkeeping (Alembic's offline mode creates
    alembic_version in every run from base, which a second up after a down would trip over), each at the revision file's first line."""
    shown = display_path(path)
    statements = [s for s in statements_of(Section("up", sql, 1, path), database)
                  if not any(name in s.sql for name in BOOKKEEPING)]
    for statement in statements:
        statement.location = Location(shown, 1, 1, 1)
    return statements


def place_at_operations(statements: list[Statement], migration: Migration, direction: str) -> None:
    """When the SQL has one statement per operation the extractor read (the usual case), each statement takes its
    operation's place in the Python file, so verify's evidence lands on check's finding for that call."""
    places: list[Location] = []
    for op in migration.operations:
        if op.direction == direction and op.kind not in ("migration_info", "transaction") and (
                not places or places[-1] != op.location):
            places.append(op.location)
    work = [s for s in statements if not is_control(s)]
    if len(places) == len(work):
        for statement, place in zip(work, places):
            statement.location = place
