"""The pre-commit fast path: `check FILE...` where no file can be a migration exits 0 before anything is imported.

pre-commit passes every staged file that matches the hook's pattern; when none of them could be a migration, paying
for argparse and the parsers would make every commit slower for nothing.
"""

from __future__ import annotations

import os

_SUFFIXES = (".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".prisma")


def nothing_to_check(argv: list[str]) -> bool:
    """True when the run can end with exit 0 now. The config is still validated when there is one (a bad key is
    exit 2 whatever the files are): load_config raises ConfigError."""
    if len(argv) < 2 or argv[0] != "check":
        return False
    for arg in argv[1:]:
        if arg.startswith("-") or arg.lower().endswith(_SUFFIXES) or not os.path.isfile(arg):
            return False  # flags, candidates, folders and missing paths take the normal route
    if _has_config(os.getcwd()):
        from ..config import load_config

        load_config()
    return True


def _has_config(start: str) -> bool:
    """Is there a config file load_config would read, above or in the current folder? Checked with os alone: most
    repositories have none, and then the config module (and tomllib) are never imported."""
    folder = start
    while True:
        if os.path.isfile(os.path.join(folder, ".migrate-guard.toml")):
            return True
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject):
            try:  # the rule of config.mentions_us, without importing the config module
                with open(pyproject, "rb") as handle:
                    if b"migrate-guard" in handle.read():
                        return True
            except OSError:
                return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
