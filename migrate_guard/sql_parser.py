"""Which parser reads Postgres SQL: libpg_query through pglast (the optional `[pg]` extra) or sqlglot. Plain data
and a find_spec: config and the cache key read it without importing either parser.

`sql_parser` in config ("auto", "sqlglot", "native"); the MIGRATE_GUARD_SQL_PARSER environment variable, when
set, wins over it. Process-wide: check sets it once from the config, and forked workers inherit it.
"""

from __future__ import annotations

import os
from functools import lru_cache

CHOICES = ("auto", "sqlglot", "native")
ENVIRONMENT = "MIGRATE_GUARD_SQL_PARSER"

_configured = "auto"


class NativeParserMissing(Exception):
    """sql_parser = "native" without pglast installed."""


def configure(choice: str) -> None:
    global _configured
    _configured = choice


def requested() -> str:
    """The choice in force: the environment's, else the config's."""
    value = os.environ.get(ENVIRONMENT, "").strip().lower()
    return value if value in CHOICES else _configured


@lru_cache(maxsize=1)
def pglast_available() -> bool:
    from importlib.util import find_spec

    return find_spec("pglast") is not None


def native_parser_used() -> bool:
    """True when Postgres SQL goes through libpg_query. Raises NativeParserMissing for "native" without pglast."""
    choice = requested()
    if choice == "sqlglot":
        return False
    if not pglast_available():
        if choice == "native":
            raise NativeParserMissing("sql_parser = \"native\" needs the [pg] extra: pip install 'migrate-guard[pg]'")
        return False
    return True


def parser_name() -> str:
    """"native" or "sqlglot", for the cache key (a missing pglast under "native" keys as sqlglot: it fails anyway)."""
    try:
        return "native" if native_parser_used() else "sqlglot"
    except NativeParserMissing:
        return "sqlglot"
