"""TypeORM migrations (`export class X implements MigrationInterface { async up(queryRunner) ... }`), TS or compiled
JS: `queryRunner.query(sql)` through the SQL pipeline, and the QueryRunner API (dropTable, addColumn, createIndex, ...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order

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
    from .js.shape import parameter_names, parameter_types, up_parameters

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


def extract(unit: MigrationUnit, downs: bool = True) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them (js/migration.py extract_js)."""
    from .js.migration import extract_js

    return extract_js(unit, ORM, _interpret, _transactional, downs=downs)


def _transactional(source: Any) -> bool:
    # migrationsTransactionMode "all" (the default) wraps migrations in a transaction unless the class opts out.
    return "transaction" not in source.text or not re.search(r"\btransaction\s*[:=]\s*false\b", source.text)


def _interpret(context: Any, entry: Any) -> None:
    from .js.structure import first_param_names

    dsl: dict[str, str] = {}
    if entry is not None:
        from .n8n_dsl import context_names

        dsl = context_names(context, entry)  # n8n: async up({ runQuery, schemaBuilder: { dropColumns } })
    names = first_param_names(entry) if entry is not None else set()
    _read_body(context, entry.body if entry is not None else context.source.root, names or {"queryRunner"}, dsl, ())


_MAX_METHOD_DEPTH = 3


def _read_body(context: Any, body: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    """The QueryRunner (and n8n context) calls of a body, and of the class's own methods it calls with them
    (`await this.modifyTable(queryRunner)`: the method's body, its parameters standing for what was passed)."""
    from .js.structure import aliases, chain_tops, flatten
    from .typeorm_calls import query_runner_call

    source = context.source
    if dsl:
        from .n8n_dsl import read

        read(context, body, dsl)
    names = aliases(source, body, names)
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        if chain.root in names:
            query_runner_call(context, chain)
        elif chain.root == "this" and len(following) < _MAX_METHOD_DEPTH:
            _method_call(context, chain, names, dsl, following)


def _method_call(context: Any, chain: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    from .js.local_helpers import own_method
    from .js.structure import function_param_names
    from .n8n_dsl import CONTEXT, function_names

    link = chain.links[0] if chain.links else None
    if link is None or not link.name or link.args is None or link.name in following:
        return
    method = own_method(context.source, chain.top, link.name)
    body = method.child_by_field_name("body") if method is not None else None
    if method is None or body is None:
        return
    text = context.source.text_of
    passed = [text(a) if a.type == "identifier" else None for a in link.args]
    params = function_param_names(context.source, method)
    method_names = {p for p, a in zip(params, passed) if p and a in names}
    method_dsl = {p: dsl[a] for p, a in zip(params, passed) if p and a in dsl}
    if any(a is not None and dsl.get(a) == CONTEXT for a in passed):  # this.backfill(context): read as up is
        method_dsl.update(function_names(context, method, body))
    if method_names or method_dsl:
        _read_body(context, body, method_names or {"\0"}, method_dsl, (*following, link.name))


