"""Sequelize migrations (`module.exports = { async up(queryInterface, Sequelize) {...} }`, umzug's
`up({ context: queryInterface })`), TS or JS: the QueryInterface API and `sequelize.query(sql)`.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, in_name_order
from .js.shape import parameter_names, parameter_types, up_parameters

ORM = "sequelize"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
_MARKERS = re.compile(r"queryInterface|QueryInterface|\bSequelize\b|\bsequelize\b|DataTypes|"
                      r"\.(?:addColumn|removeColumn|bulkInsert|bulkDelete|changeColumn)\(")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("config/config.json", "config/config.js", "config/database.js", "config/database.json",
                 "src/config/config.json", "src/config/config.js", "db/config.json", ".sequelizerc")
_DIALECT_PATTERN = r"""["']?dialect["']?\s*:\s*["'`]([a-z]+)"""


# the words one of _MARKERS' alternatives holds: a search tries every position of a head none of them is in
_MARKER_WORDS = ("queryInterface", "QueryInterface", "Sequelize", "sequelize", "DataTypes", ".addColumn(",
                 ".removeColumn(", ".bulkInsert(", ".bulkDelete(", ".changeColumn(")


def claims(path: Path, head: str) -> bool:
    return any(word in head for word in _MARKER_WORDS) and bool(_MARKERS.search(head)) and bool(_UP.search(head))


# QueryInterface methods no other tool's migration calls on its parameter (TypeORM's queryRunner is told apart first).
_QUERY_INTERFACE = (r"\.\s*(?:addColumn|removeColumn|changeColumn|renameColumn|createTable|dropTable|addIndex|"
                    r"removeIndex|addConstraint|removeConstraint|bulkInsert|bulkDelete|bulkUpdate|describeTable|"
                    r"sequelize\s*\.\s*query)\s*\(")


# NocoBase's migrations (@nocobase/server's Migration class, over Sequelize: `this.db.sequelize`, `this.queryInterface`)
_NOCOBASE = re.compile(r"""@nocobase/[\w-]+["']""")
_EXTENDS_MIGRATION = re.compile(r"\bextends\s+(?:[\w$]+\.)?Migration\b")


def owns(head: str) -> bool:
    """Certainly a Sequelize migration, wherever it is: `up(queryInterface, Sequelize)`, umzug's
    `up({ context: queryInterface })`, `up`'s parameter used through the QueryInterface API (`context.addColumn`), or
    a NocoBase migration (a class extending its Migration, whose `up()` takes nothing)."""
    params = up_parameters(head)
    if params is None:
        return False
    if params == "" and _NOCOBASE.search(head) is not None and _EXTENDS_MIGRATION.search(head) is not None:
        return True
    names = parameter_names(params)
    if not names or not names[0]:
        return False
    if names[0] in ("queryInterface", "qi") or names[1:2] in (["Sequelize"], ["DataTypes"]) or (
            "QueryInterface" in parameter_types(params)):
        return True
    return names[0] + "." in head and (  # (a search tries every position)
        re.search(r"(?<![\w$.])" + re.escape(names[0]) + _QUERY_INTERFACE, head) is not None)


def migration_key(path: Path) -> str:
    return path.name


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _DIALECT_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them; its down state and location are still read."""
    from .js.migration import extract_js
    from .js.restated import down_changes_up, old_definitions_from_down
    from .sequelize_body import interpret

    # sequelize-cli runs migrations outside a transaction
    migration = extract_js(unit, ORM, interpret, down_needed=down_changes_up, downs=downs)
    old_definitions_from_down(migration)
    return migration
