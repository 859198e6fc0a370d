"""Which extractor reads which file. Modules are imported on first use, so start-up stays light."""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import cast

from .base import HEAD_BYTES, JS_SUFFIXES, Format, side_text

# Order matters when sniffing a file without a project: specific formats before generic ones.
MODULES: dict[str, str] = {
    "prisma": "prisma",
    "prisma-schema": "prisma_schema",
    "drizzle": "drizzle",
    "golang-migrate": "golang_migrate",
    "goose": "goose",
    "dbmate": "dbmate",
    "flyway": "flyway",
    "django": "django",
    "alembic": "alembic",
    "db-migrate": "db_migrate",  # before knex/sequelize: its schema API shares their method names
    "typeorm": "typeorm",
    "knex": "knex",
    "sequelize": "sequelize",
    "sql": "plain_sql",
}
# Each format's EXTENSIONS, written out so that no extractor module is imported to know it (a SQL file never loads
# the Python or JS readers); tests/test_format_contract.py checks them against the modules.
_JS = frozenset(JS_SUFFIXES)
SUFFIXES: dict[str, frozenset[str]] = {
    "prisma": frozenset({".sql"}), "prisma-schema": frozenset({".prisma"}), "drizzle": frozenset({".sql"}),
    "golang-migrate": frozenset({".sql"}), "goose": frozenset({".sql"}), "dbmate": frozenset({".sql"}),
    "flyway": frozenset({".sql"}), "django": frozenset({".py"}), "alembic": frozenset({".py"}),
    "db-migrate": frozenset({".js", ".cjs", ".mjs", ".ts", ".sql"}), "typeorm": _JS, "knex": _JS, "sequelize": _JS,
    "sql": frozenset({".sql"}),
}
# Files no extractor can claim are skipped before they are even opened: the union of every format's EXTENSIONS.
CANDIDATE_SUFFIXES = frozenset().union(*SUFFIXES.values())
# TypeScript declaration files: types only, never a migration (tsc writes one beside each compiled migration, and
# Medusa 1.x ships dist/migrations with both: each .d.ts was a migration with no down).
_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


_loaded: dict[str, Format | None] = {}


def extractor(orm: str) -> Format | None:
    if orm in _loaded:
        return _loaded[orm]
    name = MODULES.get(orm)
    if name is None:
        return None
    module: Format | None
    try:
        module = cast(Format, importlib.import_module(f"migrate_guard.extract.{name}"))
    except ModuleNotFoundError as error:
        if error.name == f"migrate_guard.extract.{name}":
            module = None  # format not implemented yet
        else:
            raise
    _loaded[orm] = module
    return module


def classify(path: Path, head: str, preferred: str | None = None) -> Format | None:
    """The extractor that claims this file: the project's own ORM first, then every format in order. A JS/TS file
    none claims by its head is looked at again whole: its `up` may come after helper methods (a compiled class)."""
    found = _classify(path, head, preferred)
    if found is None and path.suffix.lower() in JS_SUFFIXES:
        longer = _longer_head(path, head)
        if longer:
            found = _classify(path, longer, preferred)
    return found


def _classify(path: Path, head: str, preferred: str | None) -> Format | None:
    name = path.name.lower()
    suffix = os.path.splitext(name)[1]
    if name.endswith(_DECLARATION_SUFFIXES):
        return None
    if preferred and suffix in _CONTENT_SUFFIXES:  # a file that says it is another tool's migration is that tool's,
        certain = format_of(path, head)  # in any project's folder
        preferred = certain or preferred
    order = _ORDERS.get(preferred)
    if order is None:
        order = _ORDERS[preferred] = ([preferred] if preferred else []) + [orm for orm in MODULES if orm != preferred]
    for orm in order:
        if suffix not in SUFFIXES.get(orm, ()):
            continue
        module = extractor(orm)
        if module is not None and suffix in module.EXTENSIONS and module.claims(path, head):
            if orm in _SHAPED_FORMATS and not _defines_up(head) and not _built_by_helper(orm, head):
                continue  # `up(knex)` only in a comment: an index listing the migrations (Strapi), not one
            return module
    module = extractor(preferred) if preferred in _SHAPED_FORMATS else None
    if module is not None and suffix in module.EXTENSIONS and looks_like_migration(path, head):
        return module  # in the project's migration folder, shaped like its migrations (umzug files calling helpers)
    return None


_SHAPED_FORMATS = frozenset({"typeorm", "knex", "sequelize"})
_ORDERS: dict[str | None, list[str]] = {}  # the formats in the order a file is offered to them, per project ORM
_UP_OUTSIDE_A_DEFINITION = re.compile(r"(?:exports|prototype)\.up\s*=|(?<![\w$.])up\s*[,}]")


_LONGER_HEAD_BYTES = 256 * 1024


def _longer_head(path: Path, head: str) -> str:
    """More of a file whose head did not show its `up`, or "" when the head was the whole file."""
    if len(head.encode("utf-8", errors="replace")) < HEAD_BYTES - 4:
        return ""
    try:
        return side_text(path)[:_LONGER_HEAD_BYTES]
    except OSError:
        return ""


def _built_by_helper(orm: str, head: str) -> bool:
    """A knex-migrator migration that exports a helper's result (`module.exports = dropTables([...])`)."""
    from .knex_versions import built_by_helper

    return orm == "knex" and built_by_helper(head)


def _defines_up(head: str) -> bool:
    """The code itself (comments left out) defines or exports an `up`."""
    from .js.text import strip_js_comments
    from .js.shape import up_parameters

    code = strip_js_comments(head)
    return up_parameters(code) is not None or _UP_OUTSIDE_A_DEFINITION.search(code) is not None


# Formats whose migrations say what they are in their own first bytes (each module's owns(head)), strictest first:
# a TypeORM migration may mention knex, a Sequelize one never takes a QueryRunner.
CONTENT_FORMATS = ("typeorm", "db-migrate", "knex", "sequelize", "django", "alembic")
_JS_SUFFIXES = frozenset(JS_SUFFIXES)
_CONTENT_SUFFIXES = _JS_SUFFIXES | {".py"}  # format_of looks at no other file


def format_of(path: Path, head: str) -> str | None:
    """The ORM whose migration this file certainly is, from its content alone (no config, any folder), or None."""
    suffix = path.suffix.lower()
    if path.name.lower().endswith(_DECLARATION_SUFFIXES) or suffix not in _CONTENT_SUFFIXES:
        return None
    for orm in CONTENT_FORMATS:
        if suffix not in SUFFIXES[orm]:
            continue
        module = extractor(orm)
        if module is not None and suffix in module.EXTENSIONS and module.owns(head):
            return orm
    return None


_NOT_SQL = re.compile(r"\.collection\s*\(|\bmongodb\b|\bmongoose\b|migrate-mongo|\bdynamodb\b|\belasticsearch\b",
                      re.IGNORECASE)
_PY_SHAPE = re.compile(r"^def\s+upgrade\s*\(.*?^def\s+downgrade\s*\(|^class\s+Migration\s*\(", re.MULTILINE | re.DOTALL)


def looks_like_migration(path: Path, head: str) -> bool:
    """The shape of a migration (JS/TS exporting up and down, Python upgrade/downgrade or a Migration class) for a
    relational database, whatever the tool: what a folder of files no project claims is reported for."""
    suffix = path.suffix.lower()
    if path.name.lower().endswith(_DECLARATION_SUFFIXES) or _NOT_SQL.search(head):
        return False
    if suffix in _JS_SUFFIXES:
        from .js.text import strip_js_comments
        from .js.shape import looks_like_migration as js_shape

        return js_shape(strip_js_comments(head))
    return suffix == ".py" and _PY_SHAPE.search(head) is not None
