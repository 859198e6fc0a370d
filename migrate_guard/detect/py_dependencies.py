"""The database a Python project's dependencies name: a driver (psycopg2, PyMySQL, ...) or a library's extra
(`oslo.db[mysql]`, `SQLAlchemy[postgresql]`) in requirements*.txt, pyproject.toml or setup.cfg, or in the
`*.dist-info/METADATA` of the installed package (a wheel), in the project's folder or the folders above it."""

from __future__ import annotations

import re
from pathlib import Path

from ..dialects import dialect_word
from .common import list_dir, read_small

_MAX_LEVELS = 5
_DRIVERS = re.compile(r"^[^\S\n]*(?:Requires-Dist:\s*)?(psycopg2(?:-binary)?|psycopg|asyncpg|pymysql|mysqlclient|"
                      r"aiomysql|aiosqlite)\b", re.IGNORECASE | re.MULTILINE)
_EXTRAS = re.compile(r"^[^\S\n]*(?:Requires-Dist:\s*)?([A-Za-z][\w.-]*)\[([^\]\n]+)\]", re.MULTILINE)
_DRIVER_DATABASES = {"mysqlclient": "mysql", "aiomysql": "mysql", "aiosqlite": "sqlite"}


def dialect_from_dependencies(root: Path, stop: Path | None = None) -> tuple[str, str] | None:
    """(dialect, evidence) from the first dependency file naming a database, nearest folder first."""
    folder, below = root.resolve(), None
    stop = stop.resolve() if stop is not None else None
    for _ in range(_MAX_LEVELS):
        found = _in_folder(folder, below)
        if found is not None:
            return found
        if folder == stop or folder.parent == folder:
            break
        folder, below = folder.parent, folder.name
    return None


def _in_folder(folder: Path, package: str | None) -> tuple[str, str] | None:
    for name in list_dir(folder):
        if name.startswith("requirements") and name.endswith(".txt") or name in ("pyproject.toml", "setup.cfg"):
            found = _named(read_small(folder / name) or "")
        elif package is not None and name.endswith(".dist-info") and _distribution(name) == _normal(package):
            metadata = read_small(folder / name / "METADATA") or ""
            found = _named(_required(metadata))
            if found is None:
                optional = _named(_required(metadata, optional=True))
                found = (optional[0], f"{optional[1]}, optional and the only database driver") if optional else None
        else:
            continue
        if found is not None:
            return found[0], f"{name} names {found[1]}"
    return None


def _named(text: str) -> tuple[str, str] | None:
    """(dialect, what names it) when the dependencies name one database; None for none, or several (a library
    that supports each of them)."""
    text = text.replace('"', "\n").replace("'", "\n")
    named: dict[str, str] = {}
    for match in _DRIVERS.finditer(text):
        driver = match.group(1).lower()
        dialect = _DRIVER_DATABASES.get(driver) or dialect_word(driver.split("-")[0])
        if dialect is not None:
            named.setdefault(dialect, match.group(1))
    for extra in _EXTRAS.finditer(text):
        for word in extra.group(2).split(","):
            dialect = dialect_word(word.strip())
            if dialect is not None:
                named.setdefault(dialect, f"{extra.group(1)}[{word.strip()}]")
    return next(iter(named.items())) if len(named) == 1 else None


def _required(metadata: str, optional: bool = False) -> str:
    """The METADATA's Requires-Dist lines that are not optional, or (`optional`) those that are. Optional drivers
    name the database only when they name one: MLflow's `db` extra names PyMySQL, psycopg and pymssql (one backend
    among several), ZenML's `local` extra PyMySQL alone (its server runs on MySQL; SQLite needs no driver)."""
    return "\n".join(line for line in metadata.splitlines()
                     if line.startswith("Requires-Dist:") and optional == ("extra ==" in line or "extra==" in line))


def _distribution(dist_info: str) -> str:
    return _normal(dist_info[:-len(".dist-info")].split("-")[0])


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
