"""Shared pieces of the detectors: reading project files cheaply and safely, bounded folder search."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..extract.base import display_path
from ..model import Project
from ..walk import skips_folder

MAX_CONFIG_BYTES = 512 * 1024  # a config file larger than this is not a config file

def read_small(path: Path) -> str | None:
    """A small text file's content, or None (missing, too big, unreadable)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):  # ValueError: a NUL in a path read from a config file
        return None


@lru_cache(maxsize=256)
def _json_cached(path: str, mtime: float) -> Any:
    text = read_small(Path(path))
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def read_json(path: Path) -> Any:
    try:
        mtime = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    return _json_cached(str(path), mtime)


def package_json(folder: Path) -> dict[str, Any] | None:
    data = read_json(folder / "package.json")
    return data if isinstance(data, dict) else None


def js_dependencies(folder: Path) -> set[str]:
    """Names in package.json dependencies/devDependencies/peerDependencies/optionalDependencies."""
    data = package_json(folder)
    if data is None:
        return set()
    names: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        section = data.get(key)
        if isinstance(section, dict):
            names.update(str(name) for name in section)
    return names


def list_dir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (OSError, ValueError):
        return []


def find_dirs(root: Path, accept: Any, max_depth: int = 4) -> Iterator[Path]:
    """Folders under root (root included) for which accept(folder, names) is true: a bounded, pruned search."""
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        names = list_dir(folder)
        if folder != root and "pyvenv.cfg" in names:
            continue
        if accept(folder, names):
            yield folder
        if depth >= max_depth:
            continue
        children = [folder / n for n in names if not skips_folder(folder, n)]
        stack.extend((child, depth + 1) for child in reversed(children) if child.is_dir())


def inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# Where each ORM's detector reads the database from, for `detect`'s evidence column.
ORM_DIALECT_EVIDENCE = {
    "typeorm": "TypeORM data source", "knex": "knexfile client", "sequelize": "Sequelize config",
    "django": "Django DATABASES ENGINE", "prisma": "Prisma datasource provider", "drizzle": "Drizzle config",
    "alembic": "Alembic database URL", "golang-migrate": "project files", "goose": "project files",
    "dbmate": "project files", "flyway": "Flyway URL",
}


def make_project(orm: str, root: Path, migrations: list[Path], dialect: str | None,
                 settings: dict[str, Path | str] | None = None, evidence: str | None = None) -> Project:
    shown: dict[str, str] = {}
    for key, value in (settings or {}).items():
        if "\0" not in str(value):  # a path no system accepts (a NUL in a config file): as if not given
            shown[key] = display_path(value) if isinstance(value, Path) else value
    folders = sorted(dict.fromkeys(display_path(m) for m in migrations if "\0" not in str(m)))
    if dialect is not None and evidence is None:
        evidence = ORM_DIALECT_EVIDENCE.get(orm, f"{orm} configuration")
    return Project(orm=orm, root=display_path(root) or ".", migrations=folders, dialect=dialect, settings=shown,
                   dialect_evidence=evidence if dialect is not None else None)


def js_string_option(text: str, key: str) -> str | None:
    """`key: 'value'` / `"key": "value"` / `key = 'value'` in a JS/TS/JSON config (first occurrence); a default after
    a variable counts (`dialect: process.env.DB_DIALECT || 'mysql'`, `MYSQL_DIALECT ?? 'mysql'`)."""
    match = re.search(r"""["']?\b""" + re.escape(key) + r"""\b["']?\s*[:=]\s*"""
                      r"""(?:[\w$.]+(?:\[['"]\w+['"]\])?\s*(?:\|\||\?\?)\s*)?(['"`])([^'"`\n]*)\1""", text)
    return match.group(2) if match else None


def is_folder(path: Path) -> bool:
    """is_dir() for a location read from a config file: a name too long for the file system (ENAMETOOLONG) or one
    holding a NUL names no folder, where is_dir() would raise."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def is_a_file(path: Path) -> bool:
    """is_file() with the same care as is_folder()."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def glob_base(pattern: str) -> str:
    """The literal folder part of a glob (`src/migrations/*.ts` -> `src/migrations`)."""
    parts: list[str] = []
    for part in pattern.replace("\\", "/").split("/"):
        if any(ch in part for ch in "*?[{"):
            break
        parts.append(part)
    if parts and "." in parts[-1] and len(parts) == len(pattern.replace("\\", "/").split("/")):
        parts = parts[:-1]  # a single file
    return "/".join(parts)
