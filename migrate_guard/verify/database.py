"""Throwaway databases: what applying a migration gives (Applied, Effect), the Scratch that removes everything a run
made, and the SQLite one (a temporary file). Postgres: postgres.py (a database on a server) and servers.py (where
the server comes from).

Everything made is registered with a Scratch as it is made and removed by Scratch.close(), which the command runs in
`finally` (also on Ctrl-C and SIGTERM): no server, database or file outlives a run.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..location import Location
from .statements import BOOKKEEPING, Statement, is_control, quote_ident


class VerifyFailure(Exception):
    """The throwaway database itself failed (not a migration): one line, exit 2."""


@dataclass
class Scratch:
    """What a run made, removed newest first whatever happens."""

    undo: list[Callable[[], None]] = field(default_factory=list)

    def add(self, action: Callable[[], None]) -> None:
        self.undo.append(action)

    def close(self) -> None:
        while self.undo:
            action = self.undo.pop()
            try:
                action()
            except Exception:  # cleanup goes on: the next resource must be removed too
                pass


@dataclass(slots=True)
class Effect:
    """What one statement did to the tables that existed before the migration (Postgres only)."""

    statement: Statement
    locks: dict[str, str] = field(default_factory=dict)  # table -> strongest lock mode newly held (pg_locks name)
    rewritten: list[str] = field(default_factory=list)  # tables whose relfilenode changed
    observed: bool = True  # False: run outside a transaction, its locks were gone before they could be read
    # A statement a native tool sent, whose place in the migration is not known (its location's line is 0):
    # findings about it go here, the migration's first operation.
    report_at: Location | None = None


@dataclass(slots=True)
class Applied:
    """The outcome of applying one direction of a migration."""

    effects: list[Effect] = field(default_factory=list)
    error: str | None = None  # the database's own message
    failed: Statement | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, scratch: Scratch) -> None:
        self.path = path
        self.scratch = scratch

    @classmethod
    def create(cls, scratch: Scratch) -> SqliteDatabase:
        folder = Path(tempfile.mkdtemp(prefix="mg-verify-sqlite-"))
        scratch.add(lambda: shutil.rmtree(folder, ignore_errors=True))
        return cls(folder / "main.db", scratch)

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None)

    def clone(self, name: str) -> SqliteDatabase:
        target = self.path.with_name(f"{name}.db")
        with self.connect() as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        self.scratch.add(lambda: target.unlink(missing_ok=True))
        return SqliteDatabase(target, self.scratch)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)

    def apply(self, statements: list[Statement], transactional: bool) -> Applied:
        applied = Applied()
        connection = self.connect()
        try:
            own_control = any(is_control(s) for s in statements)
            if transactional and not own_control:
                connection.execute("BEGIN")
            for statement in statements:
                try:
                    connection.execute(statement.sql)
                except (sqlite3.Error, sqlite3.Warning) as error:
                    applied.error, applied.failed = str(error), statement
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    return applied
                applied.effects.append(Effect(statement, observed=False))
            if connection.in_transaction:
                connection.execute("COMMIT")
            return applied
        finally:
            connection.close()

    def empty_tables(self) -> None:
        connection = self.connect()
        try:
            names = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            for name in names:
                if name not in BOOKKEEPING:  # the tool's record of what ran stays: a retry runs the same step
                    connection.execute(f"DELETE FROM {quote_ident(name)}")
        finally:
            connection.close()
