"""What every part of verify shares: one statement to run, what kind of statement it is, quoting, and the tools'
bookkeeping tables. It imports nothing else of verify, so apply, database, snapshot and seed all build on it without
importing one another in a circle."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..location import Location

# The migration tools' own bookkeeping tables: written by every step, never part of the schema compared or seeded,
# never emptied. verify's generated configs for the native tools keep these default names.
BOOKKEEPING = frozenset({"alembic_version", "knex_migrations", "knex_migrations_lock", "SequelizeMeta",
                         "typeorm_migrations"})


@dataclass(slots=True)
class Statement:
    """One statement to run, and where it starts in its file."""

    sql: str
    location: Location

    @property
    def first_line(self) -> str:
        return " ".join(self.sql.split())[:80]


_CONTROL = re.compile(r"^(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK)\b", re.IGNORECASE)
_OUTSIDE_TRANSACTION = re.compile(r"\bCONCURRENTLY\b|^\s*(VACUUM|ALTER\s+SYSTEM|CREATE\s+DATABASE|DROP\s+DATABASE)\b",
                                  re.IGNORECASE)


def is_control(statement: Statement) -> bool:
    from ..extract.sql_text import without_comments

    return _CONTROL.match(without_comments(statement.sql).strip()) is not None


def runs_outside_transaction(statement: Statement) -> bool:
    from ..extract.sql_text import without_comments

    return _OUTSIDE_TRANSACTION.search(without_comments(statement.sql)) is not None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_name(name: str) -> str:
    """A table name as tables() gives it (schema.table outside public), quoted."""
    return ".".join(quote_ident(part) for part in name.split(".", 1))
