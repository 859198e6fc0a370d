"""knex-migrator's layout: migrations in `versions/<version>/`, applied version by version. What a version folder is
named like, for the Knex format (its migration keys) and for detection (finding the `versions` folder)."""

from __future__ import annotations

import re

_VERSION = re.compile(r"\d+(?:\.\d+)*")


def is_version_folder(name: str) -> bool:
    return _VERSION.fullmatch(name) is not None
