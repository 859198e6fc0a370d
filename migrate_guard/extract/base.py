"""What every extractor module provides, and the shared pieces they use.

An extractor module (one per migration format: goose.py, django.py, knex.py, ...) is a `Format` (below): it defines
every member. A format that needs no hook of its own takes this module's default (`order_units = in_name_order`,
`dialect_of = no_config_dialect`, `owns = not_by_content`). tests/test_format_contract.py checks every module of
extract/registry.py against it.

Extractor modules must import heavy parsers (sqlglot, libcst, tree-sitter) inside functions, never at module level:
start-up cost is paid only when a file of that format is linted.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import UsageError
from ..location import Location
from ..model import Migration, Project
from ..paths import display_path, real_file, real_path

__all__ = ["display_path", "real_file", "real_path"]  # kept here too: every format imports them from base

HEAD_BYTES = 4096
# The JavaScript/TypeScript module suffixes the JS formats (TypeORM, Knex, Sequelize, db-migrate) read, in the order
# a module name is completed with one.
JS_SUFFIXES = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")


class Format(Protocol):
    """What the pipeline and detection use of a migration format (an extractor module)."""

    ORM: str  # the contract's ORM id (the registry key)
    EXTENSIONS: tuple[str, ...]  # file suffixes it may claim (".sql", ".py", ...)

    def claims(self, path: Path, head: str) -> bool:
        """Is this file one of its migrations? Cheap: its name and first bytes, trusting the project around it."""

    def migration_key(self, path: Path) -> str:
        """Files with the same key are one migration (up + down files)."""

    def extract(self, unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
        """The migration's operations. Without `downs` (a run that reads no down operation: no cache, no lint_down,
        no caller keeping the migrations), a format may leave its down's operations unread; the down state must
        still be read, and a down whose reading can change a finding (a partly checked database's unread-statement
        count) must still be read. A format without downs ignores the flag. With `only_state` (a migration read
        only for the schema state of later ones, nothing cached: pipeline/pool.py), a format may leave out what the
        state does not replay (the SQL formats: statements of kinds that cannot change it); the state it leaves
        must be the same. A format that cannot tell ignores the flag."""

    def owns(self, head: str) -> bool:
        """Certainly this format, wherever the file is (the formats of registry.CONTENT_FORMATS)."""

    def order_units(self, units: list[MigrationUnit]) -> list[MigrationUnit]:
        """The units in applied order (Alembic's revision chain, Django's graph)."""

    def dialect_of(self, path: Path) -> str | None:
        """The database its own config names (Prisma's provider, a knexfile's client), or None."""


def in_name_order(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """order_units of the formats whose file names sort in applied order (the plan has sorted them already)."""
    return units


def no_config_dialect(path: Path) -> str | None:
    """dialect_of of the formats with no config of their own that names the database."""
    return None


def not_by_content(head: str) -> bool:
    """owns of the formats told apart by their names and folders, not by their content alone."""
    return False


@dataclass(slots=True)
class MigrationUnit:
    """The files of one migration, ready to extract."""

    orm: str
    id: str
    files: list[Path]  # absolute or relative to the current folder
    dialect: str  # resolved: config, project, the format's own files, or postgres
    project: Project | None = None
    settings: dict[str, str] = field(default_factory=dict)

    def display(self, path: Path) -> str:
        return display_path(path)


class NotText(Exception):
    """The file is binary, not UTF-8 or too large to parse: reported as a parse-error finding."""


# Python and JS/TS migrations are parsed into syntax trees (tens of bytes of memory per byte of source): above this
# size one is reported unread instead (a parse-error) rather than costing gigabytes. SQL has no limit: its data
# statements are not tokenized, the rest is read piece by piece.
MAX_PARSED_BYTES = 4 << 20
PARSED_SUFFIXES = frozenset({".py", *JS_SUFFIXES})


def read_text(path: Path) -> str:
    limited = path.suffix.lower() in PARSED_SUFFIXES
    try:
        data = _read_regular(path, MAX_PARSED_BYTES + 1 if limited else -1)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UsageError(f"cannot read {display_path(path)}: {reason}") from None
    if data is None:
        raise NotText("not a regular file (a FIFO, socket or device), not a migration")
    if limited and len(data) > MAX_PARSED_BYTES:
        raise NotText(f"larger than {MAX_PARSED_BYTES >> 20} MB, the limit for Python and JS/TS migrations, so not "
                      "parsed: nothing in it was checked (generated data? move it to a .sql file or split it)")
    if b"\x00" in data[:8192]:
        raise NotText("binary file (contains NUL bytes), not a migration")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotText(f"not UTF-8 text (byte {error.start}: {data[error.start:error.start + 1]!r})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_head(path: Path) -> str:
    try:
        data = _read_regular(path, HEAD_BYTES)
    except (OSError, ValueError):
        return ""
    return data.decode("utf-8", errors="replace") if data is not None else ""


MAX_SIDE_BYTES = 4 << 20  # a file read beside a migration (apps.py, a journal, a schema) is never larger


def side_text(path: Path) -> str:
    """A file an extractor reads beside its migration (apps.py, Drizzle's journal, a Prisma schema), as text with
    bad bytes replaced. OSError when it is missing, unreadable or not a regular file (a FIFO would block)."""
    data = _read_regular(path, MAX_SIDE_BYTES)
    if data is None:
        raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    return data.decode("utf-8", errors="replace")


def _nonblocking(name: str, flags: int) -> int:
    return os.open(name, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))


def _read_regular(path: Path, limit: int = -1) -> bytes | None:
    """The file's bytes (up to limit), or None when it is not a regular file: opened without blocking, so a FIFO or
    a device (a link to /dev/zero) named like a migration is never waited on or read without end. Through open(),
    which the cache's recording_reads watches (what an extraction read is part of its cache entry)."""
    with open(path, "rb", opener=_nonblocking) as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None
        if 0 <= status.st_size < limit:
            # read(limit) allocates `limit` bytes first (75 us for a 4 MB limit, against 20 for a 2 KB file)
            data = handle.read(status.st_size + 1)
            return data if len(data) <= status.st_size else data + handle.read(limit - len(data))
        return handle.read(limit)


def unreadable_migration(unit: MigrationUnit, path: Path, reason: str) -> Migration:
    """A migration whose file cannot be read as text: one parse-error, nothing else."""
    shown = display_path(path)
    from ..ir import ParseError

    error = ParseError(location=Location(shown, 1, 1, 1), migration=unit.id, message=f"cannot lint {shown}: {reason}")
    return Migration(id=unit.id, orm=unit.orm, dialect=unit.dialect, path=shown, operations=[error],
                     down="by_design")
