"""SQL -> IR. Every extractor that finds SQL (SQL files, Django RunSQL, Alembic op.execute, TypeORM
queryRunner.query, knex.raw) calls extract_sql with an Origin that says where the SQL starts in its file.

Postgres SQL goes through libpg_query when the [pg] extra is installed (native.py); everything else, and each
statement that converter does not model, through sqlglot (sqlglot_reader.py). Neither is imported before it is
needed: a Postgres file the native converter reads whole never imports sqlglot.
"""

from __future__ import annotations

from typing import Any

from ... import ir
from ...dialects import GRAMMARS
from ...sql_parser import native_parser_used
from .positions import Origin

__all__ = ["Origin", "extract_sql", "SQLGLOT_DIALECTS"]

SQLGLOT_DIALECTS = GRAMMARS


def extract_sql(text: str, *, dialect: str, origin: Origin, migration: str, direction: ir.Direction = "up",
                in_routine: bool = False, only_state: bool = False) -> list[ir.Operation]:
    """All operations of a piece of SQL, in order. `in_routine`: the SQL is the body of a DO block (PL/pgSQL).
    `only_state`: read for the schema state alone (an earlier migration of those linted): the operations the state
    replays are all there, others may be left out."""
    if dialect == "postgres" and not in_routine and native_parser_used():
        try:
            from .native import extract_postgres
        except ImportError:  # pglast is there but broken (a wheel for another Python): sqlglot reads it all
            return _with_sqlglot(text, dialect, origin, migration, direction, in_routine)

        def fallback(piece: str, piece_origin: Origin) -> list[ir.Operation]:
            return _with_sqlglot(piece, dialect, piece_origin, migration, direction, False)

        ops = extract_postgres(text, origin=origin, migration=migration, direction=direction, fallback=fallback,
                               only_state=only_state)
        if ops is not None:
            return ops
    return _with_sqlglot(text, dialect, origin, migration, direction, in_routine)


def _with_sqlglot(text: str, dialect: str, origin: Origin, migration: str, direction: ir.Direction,
                  in_routine: bool) -> list[ir.Operation]:
    from .sqlglot_reader import extract_sql as with_sqlglot

    return with_sqlglot(text, dialect=dialect, origin=origin, migration=migration, direction=direction,
                        in_routine=in_routine)


def __getattr__(name: str) -> Any:
    """The sqlglot reader's helpers (`_dialect`, ...), imported on first use."""
    if name.startswith("__") or name == "sqlglot_reader":
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f"{__name__}.sqlglot_reader"), name)
