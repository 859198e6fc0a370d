"""The databases migrate-guard knows, their names in the wild, and how well each is checked.

A migration's `dialect` is one of DATABASES. Each database is judged by its own behaviour: Postgres lock rules only on
Postgres, MySQL's online-DDL rules only on MySQL, and a database without a grammar here gets the destructive rules
only (see PARTIAL). This module is plain data: config validation and the fast path import it.
"""

from __future__ import annotations

import re

DATABASES = ("postgres", "mysql", "sqlite", "cockroachdb", "clickhouse", "mssql", "oracle", "h2")

# Databases judged only in part: their SQL is read with the nearest grammar, statements it cannot read are not
# reported one by one, and only the rules in PARTIAL_RULES apply. One info finding per folder says so.
PARTIAL = frozenset({"mssql", "oracle", "h2"})
PARTIAL_RULES = frozenset({"drop-table", "drop-column", "truncate", "unbounded-delete", "unbounded-update",
                           "drop-database", "drop-schema", "rename-table", "rename-column", "missing-down-migration"})

# The sqlglot grammar each database's SQL is read with (CockroachDB speaks Postgres' SQL; H2 has no grammar).
GRAMMARS: dict[str, str] = {"postgres": "postgres", "cockroachdb": "postgres", "mysql": "mysql", "sqlite": "sqlite",
                            "clickhouse": "clickhouse", "mssql": "tsql", "oracle": "oracle", "h2": ""}

# The contract's `dialect` in `detect --format json` (postgres, mysql, sqlite or null); `database` says which exactly.
CONTRACT_DIALECT: dict[str, str | None] = {"postgres": "postgres", "cockroachdb": "postgres", "mysql": "mysql",
                                           "sqlite": "sqlite"}

# Names a folder, a file-name infix, a driver, a URL scheme or an ORM setting uses for each database.
ALIASES: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "pg": "postgres", "pgsql": "postgres", "psql": "postgres",
    "mysql": "mysql", "mariadb": "mysql",
    "sqlite": "sqlite", "sqlite3": "sqlite",
    "cockroach": "cockroachdb", "cockroachdb": "cockroachdb", "crdb": "cockroachdb",
    "clickhouse": "clickhouse",
    "mssql": "mssql", "sqlserver": "mssql",
    "oracle": "oracle",
    "h2": "h2",
}


# How messages name each database.
DISPLAY_NAMES: dict[str, str] = {
    "postgres": "Postgres", "mysql": "MySQL", "sqlite": "SQLite", "cockroachdb": "CockroachDB",
    "clickhouse": "ClickHouse", "mssql": "SQL Server", "oracle": "Oracle", "h2": "H2",
}


def canonical(name: str | None) -> str | None:
    """`PostgreSQL` / `mariadb` / `sqlite3` / `crdb` -> postgres / mysql / sqlite / cockroachdb; None if unknown."""
    if not name:
        return None
    return ALIASES.get(name.strip().lower())


def grammar(database: str) -> str:
    """The sqlglot dialect to read this database's SQL with ("" = sqlglot's generic SQL)."""
    return GRAMMARS.get(database, "")


# Driver / URL scheme / client names -> the contract's dialects.
_DIALECT_WORDS: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "pg": "postgres", "psycopg": "postgres", "psycopg2": "postgres",
    "asyncpg": "postgres", "pgx": "postgres", "redshift": "postgres", "aurora-postgres": "postgres",
    "postgresql-psycopg": "postgres", "neon": "postgres", "vercel-postgres": "postgres", "pglite": "postgres",
    "cockroachdb": "cockroachdb", "cockroach": "cockroachdb", "crdb": "cockroachdb",
    "pg-native": "postgres", "timescaledb": "postgres", "postgis": "postgres",
    "mysql": "mysql", "mysql2": "mysql", "mariadb": "mysql", "pymysql": "mysql", "mysqldb": "mysql",
    "aurora-mysql": "mysql", "singlestore": "mysql", "tidb": "mysql",
    "sqlite": "sqlite", "sqlite3": "sqlite", "better-sqlite3": "sqlite", "better-sqlite": "sqlite",
    "turso": "sqlite", "libsql": "sqlite", "d1": "sqlite", "expo": "sqlite", "sqljs": "sqlite",
    "capacitor": "sqlite", "cordova": "sqlite", "nativescript": "sqlite", "react-native": "sqlite", "bun-sqlite": "sqlite",
    "clickhouse": "clickhouse", "clickhouse-driver": "clickhouse", "clickhouse_connect": "clickhouse",
    "mssql": "mssql", "sqlserver": "mssql", "tedious": "mssql", "pyodbc": "mssql", "pymssql": "mssql",
    "oracle": "oracle", "oracledb": "oracle", "cx_oracle": "oracle", "h2": "h2",
}


def dialect_word(word: str | None) -> str | None:
    """`postgresql+psycopg2` / `mysql2` / `sqlite3` / `better-sqlite3` -> postgres / mysql / sqlite."""
    if not word:
        return None
    word = word.strip().strip("'\"").lower()
    if word in _DIALECT_WORDS:
        return _DIALECT_WORDS[word]
    head = re.split(r"[+:/_.]", word, maxsplit=1)[0]
    return _DIALECT_WORDS.get(head)


def dialect_of_url(url: str | None) -> str | None:
    """A database URL (SQLAlchemy, JDBC, dbmate, Prisma) -> dialect."""
    if not url:
        return None
    url = url.strip().strip("'\"")
    if url.lower().startswith("jdbc:"):
        url = url[5:]
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return dialect_word(match.group(1)) if match else None
