"""The pre-commit fast path: `check FILE...` where no file can be a migration exits 0 before anything is imported.

pre-commit passes every staged file that matches the hook's pattern; when none of them could be a migration, paying
for argparse and the parsers would make every commit slower for nothing.
"""

from __future__ import annotations

import os
import sys

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
    """Is there a config file load_config would read, above or in the current folder? Checked with os (and tomllib
    for a pyproject.toml that names migrate-guard) alone: most repositories have none, and then the config module
    (with dataclasses and inspect, three times the cost of Python's start-up) is never imported."""
    folder = start
    while True:
        if os.path.isfile(os.path.join(folder, ".migrate-guard.toml")):
            return True
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject) and _configures_us(pyproject):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _configures_us(pyproject: str) -> bool:
    """config.find_config's reading of a pyproject.toml: one that names migrate-guard (config.mentions_us) holds a
    [tool.migrate-guard] section, or reading it is a configuration error; either way load_config is called, which
    reports the error or validates the section. One that only names it elsewhere (a dependency) is passed over."""
    try:
        with open(pyproject, "rb") as handle:
            data = handle.read()
    except OSError:
        return True
    if b"migrate-guard" not in data:
        return False
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (ValueError, UnicodeDecodeError, RecursionError):  # TOMLDecodeError is a ValueError; load_config says
        return True
    return tool is not None and (not isinstance(tool, dict) or "migrate-guard" in tool)
