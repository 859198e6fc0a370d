"""TypeORM migrations (`export class X implements MigrationInterface { async up(queryRunner) ... }`), TS or compiled
JS: `queryRunner.query(sql)` through the SQL pipeline, and the QueryRunner API (dropTable, addColumn, createIndex, ...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order
from .js.shape import parameter_names, parameter_types, up_parameters

ORM = "typeorm"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
# n8n's migrations take a context object instead: async up({ runQuery, schemaBuilder: { dropColumns } }), or
# async up(context) { const { schemaBuilder } = context; }
_MARKERS = re.compile(r"MigrationInterface|QueryRunner|queryRunner|[\"']typeorm[\"']"
                      r"|\bup\s*\(\s*\{[^)]{0,400}\b(?:runQuery|schemaBuilder)\b"
                      r"|\{[^{}]{0,200}\b(?:runQuery|schemaBuilder)\b[^{}]{0,200}\}\s*=\s*[\w$]+\s*;")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("ormconfig.*", "*data-source*.ts", "*data-source*.js", "*datasource*.ts", "*datasource*.js",
                 "src/*data-source*.ts", "src/*data-source*.js", "src/config/*.ts", ".env")
_TYPE_PATTERN = r"""(?:\btype\s*[:=]\s*["'`]|"type"\s*:\s*"|TYPEORM_CONNECTION\s*=\s*)([a-z0-9-]+)"""


# the words one of _MARKERS' alternatives holds: a search tries every position of a head none of them is in
_MARKER_WORDS = ("MigrationInterface", "QueryRunner", "queryRunner", "typeorm", "runQuery", "schemaBuilder")


def claims(path: Path, head: str) -> bool:
    return any(word in head for word in _MARKER_WORDS) and bool(_MARKERS.search(head)) and bool(_UP.search(head))


def owns(head: str) -> bool:
    """Certainly a TypeORM migration, wherever it is: the class implements MigrationInterface, or `up` takes a
    QueryRunner (compiled JS keeps `up(queryRunner)`)."""
    if "MigrationInterface" in head and re.search(r"\bimplements\s+MigrationInterface\b", head):
        return True
    params = up_parameters(head)
    if params is None:
        return False
    # Compiled or minified (`async up(a)`): the class still requires typeorm, or keeps the generated
    # `name = "AddPlan1700000000000"`.
    return ("QueryRunner" in parameter_types(params) or parameter_names(params)[:1] == ["queryRunner"]
            or ("typeorm" in head and _IMPORTS_TYPEORM.search(head) is not None)
            or ("name" in head and _GENERATED_NAME.search(head) is not None))


_IMPORTS_TYPEORM = re.compile(r"""require\(\s*["']typeorm["']\s*\)|\bfrom\s*["']typeorm["']""")
_GENERATED_NAME = re.compile(r"""\bname\s*=\s*["'`][A-Za-z_]\w*\d{13}["'`]""")


def migration_key(path: Path) -> str:
    return path.name


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _TYPE_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them (js/migration.py extract_js)."""
    from .js.migration import extract_js
    from .typeorm_body import interpret

    return extract_js(unit, ORM, interpret, _transactional, downs=downs)


def _transactional(source: Any) -> bool:
    # migrationsTransactionMode "all" (the default) wraps migrations in a transaction unless the class opts out.
    return "transaction" not in source.text or not re.search(r"\btransaction\s*[:=]\s*false\b", source.text)
