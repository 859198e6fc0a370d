"""knex-migrator's layout: migrations in `versions/<version>/`, applied version by version. What a version folder is
named like, for the Knex format (its migration keys) and for detection (finding the `versions` folder); and the
helpers whose result a migration may export (knex_helpers.py reads them), told from a file's first bytes without
loading a parser."""

from __future__ import annotations

import re

_VERSION = re.compile(r"\d+(?:\.\d+)*")


def is_version_folder(name: str) -> bool:
    return _VERSION.fullmatch(name) is not None


# Wrappers read through, helpers that stand for schema operations, and data helpers with nothing to judge (a permission
# or setting row added or removed by key).
WRAPPERS = frozenset({"createTransactionalMigration", "createNonTransactionalMigration", "createIrreversibleMigration",
                      "combineTransactionalMigrations", "combineNonTransactionalMigrations"})
SCHEMA_HELPERS = frozenset({"dropTables", "addTable", "recreateTable", "createAddColumnMigration",
                            "createDropColumnMigration", "createRenameColumnMigration", "createSetNullableMigration",
                            "createDropNullableMigration", "createAddIndexMigration"})
DATA_HELPERS = frozenset({"addPermission", "removePermission", "addPermissionToRole", "removePermissionFromRole",
                          "addPermissionWithRoles", "createRemovePermissionMigration", "addSetting", "removeSetting",
                          "createFinalMigration"})
_NAMES = "|".join(sorted(SCHEMA_HELPERS | WRAPPERS | DATA_HELPERS))
_EXPORTED_CALL = re.compile(r"(?:module\.exports|exports\.default)\s*=\s*(?:[\w$]+\.)?(?:" + _NAMES + r")\s*\("
                            r"|export\s+default\s+(?:[\w$]+\.)?(?:" + _NAMES + r")\s*\(")


def built_by_helper(head: str) -> bool:
    """The module exports the result of a known migration helper (cheap: the file's first bytes)."""
    return _EXPORTED_CALL.search(head) is not None
