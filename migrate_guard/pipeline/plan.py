"""Step 2: files -> migration units (the files of one migration, with its format and dialect), grouped per project
(or folder) and put in the order they apply."""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..extract.base import HEAD_BYTES, JS_SUFFIXES, Format, MigrationUnit, display_path
from ..extract.registry import classify
from ..model import Finding, Project
from .discover import project_of
from .options import Options

_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in _NUMBERS.split(text)]


@dataclass(slots=True)
class Plan:
    """Migrations to lint, grouped by project (or folder), each group oldest first."""

    groups: dict[str, list[MigrationUnit]] = field(default_factory=dict)
    modules: dict[str, Format] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    # Folders of migration-shaped files no project claims (a path-less run only): one finding each, never silence.
    unclaimed: list[Finding] = field(default_factory=list)


_SNIFFED = frozenset({".sql", ".py", *JS_SUFFIXES})  # claims look at their heads
_KEEP_BYTES = 1 << 20  # files up to this size are digested for the cache key when `digests` is given


def plan_files(files: list[Path], config: Config, options: Options, projects: list[Project] | None = None,
               digests: dict[str, str] | None = None) -> Plan:
    """Group the files into migration units per project, oldest first. With `digests`, the files sniffed are read
    whole and their SHA-256 kept there (by absolute path) for the cache key, instead of being read a second time
    (their bytes are not kept: 20,000 migrations are 24 MB)."""
    from ..detect.dialect import DialectResolver

    plan = Plan(projects=projects or [])
    dialects = DialectResolver(options.dialect, config)
    names = group_names(plan.projects)
    units: dict[tuple[str, str, str], MigrationUnit] = {}
    owner: dict[str, Project | None] = {}  # per folder
    cwd = os.getcwd()
    for path in files:
        folder = os.path.dirname(display_path(path))
        if folder not in owner:
            owner[folder] = project_of(path, plan.projects)
        project = owner[folder]
        head = _sniff(path, digests, cwd) if path.suffix.lower() in _SNIFFED else ""
        module = classify(path, head, project.orm if project else None)
        if module is None:
            continue
        group = names[id(project)] if project else display_path(path.parent)
        key = (group, module.ORM, module.migration_key(path))
        unit = units.get(key)
        if unit is None:
            dialect = dialects.for_file(path, project, module).dialect
            unit = units[key] = MigrationUnit(orm=module.ORM, id=key[2], files=[], dialect=dialect, project=project,
                                              settings=dict(project.settings) if project else {})
            plan.modules[module.ORM] = module
        unit.files.append(path)
    for (group, _, _), unit in sorted(units.items(), key=lambda item: (item[0][0], natural_key(item[0][2]))):
        unit.files.sort(key=Path.as_posix)  # the same migration reads the same whichever way its files came in
        plan.groups.setdefault(group, []).append(unit)
    for group, group_units in plan.groups.items():
        # Formats whose names do not sort in applied order (Alembic revisions, Django's cross-app graph) say it.
        if all(u.orm == group_units[0].orm for u in group_units):
            plan.groups[group] = plan.modules[group_units[0].orm].order_units(group_units)
    return plan


def group_names(projects: list[Project]) -> dict[int, str]:
    """The name each project's migrations are grouped (and reported) under: its root, or its migration folders when
    another project has the same root (two golang-migrate folders under one go.mod must never merge: their
    000001 migrations are different migrations)."""
    roots = Counter(project.root for project in projects)
    return {id(project): project.root if roots[project.root] == 1 else ", ".join(project.migrations)
            for project in projects}


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def _sniff(path: Path, digests: dict[str, str] | None, cwd: str) -> str:
    """The file's head (read_head's), through descriptors (a buffered file object costs as much as the read); with
    `digests`, the whole file is read once for its digest too. Planning runs before any extraction, so no read here
    needs recording (cache_reads)."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):
        return ""
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return ""  # a FIFO or a device named like a migration is never waited on
        if digests is None or status.st_size > _KEEP_BYTES:
            return os.read(descriptor, HEAD_BYTES).decode("utf-8", errors="replace")
        data = os.read(descriptor, status.st_size + 1)
        if len(data) > status.st_size:  # grown since: read to its end, as a digest of the file must
            data = b"".join(_rest(descriptor, data))
    except OSError:
        return ""
    finally:
        os.close(descriptor)
    import hashlib  # here: a run without the cache never loads it (OpenSSL's start-up)

    absolute = os.path.normpath(os.path.join(cwd, path))  # os.path.abspath(), without a getcwd() each
    digests[absolute] = hashlib.sha256(data).hexdigest()
    return data[:HEAD_BYTES].decode("utf-8", errors="replace")


def _rest(descriptor: int, first: bytes) -> Iterator[bytes]:
    chunk = first
    while chunk:
        yield chunk
        chunk = os.read(descriptor, 1 << 16)
