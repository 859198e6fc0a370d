"""Knex migrations (`exports.up = function (knex) {...}`, `export async function up(knex: Knex)`), TS or JS:
knex.schema builders and their column chains, knex.raw SQL, and query-builder data changes (del/update/truncate).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order
from .js.shape import parameter_names, parameter_types, up_parameters
from .knex_versions import built_by_helper, is_version_folder

ORM = "knex"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
_MARKERS = re.compile(r"\bknex\b|\bKnex\b|\.schema\s*\.\s*(?:createTable|alterTable|table|dropTable|raw|withSchema)\b")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("knexfile.*", "src/knexfile.*", "db/knexfile.*")
_CLIENT_PATTERN = r"""\bclient\s*:\s*["'`]([a-z0-9-]+)"""


def claims(path: Path, head: str) -> bool:
    if "queryInterface" in head:
        return False
    if ("knex" in head or "Knex" in head or ".schema" in head) and _MARKERS.search(head) and _UP.search(head):
        return True
    return _in_versions_folder(path) and built_by_helper(head)


def owns(head: str) -> bool:
    """Certainly a Knex migration, wherever it is: `up` takes `knex` (or a `Knex`), or builds with
    `<its parameter>.schema.createTable(...)`."""
    params = up_parameters(head)
    if params is None:
        return False
    names = parameter_names(params)
    if names[:1] == ["knex"] or "Knex" in parameter_types(params) or "Knex.Knex" in parameter_types(params):
        return True
    return bool(names and names[0] and names[0] + ".schema" in head  # (a search tries every position)
                and re.search(r"(?<![\w$.])" + re.escape(names[0]) + _SCHEMA_CALL, head))


_SCHEMA_CALL = r"\.schema\s*\.\s*(?:createTable|alterTable|table|dropTable|dropTableIfExists|renameTable|hasTable|raw)\b"


def migration_key(path: Path) -> str:
    # knex-migrator applies versions/<version>/<file> version by version: the version is part of the name
    return f"{path.parent.name}/{path.name}" if _in_versions_folder(path) else path.name


def _in_versions_folder(path: Path) -> bool:
    return path.parent.parent.name == "versions" and is_version_folder(path.parent.name)


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _CLIENT_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them; its down state and location are still read."""
    from .js.migration import extract_js
    from .js.restated import down_changes_up, old_definitions_from_down
    from .knex_body import interpret

    migration = extract_js(unit, ORM, interpret, _transactional, down_changes_up, downs=downs)
    old_definitions_from_down(migration)
    if migration.down == "missing" and any(op.kind != "parse_error" for op in migration.operations) and \
            _helper_built(migration):
        migration.down = "present"  # every knex-migrator helper brings its own down
    return migration


def _helper_built(migration: Migration) -> bool:
    return any(built_by_helper(text) for text in migration.sources.values())


def _transactional(source: Any) -> bool:
    # Knex wraps each migration in a transaction unless the file exports `config = { transaction: false }`.
    return "transaction" not in source.text or not re.search(r"\btransaction\s*:\s*false\b", source.text)
