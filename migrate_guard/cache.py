"""A content-hash cache of extracted migrations, so an unchanged file is never parsed twice.

What is cached is what an extractor returns (the Migration, pickled), not findings: the engine still replays each
project's schema state and judges every run, so rule or config changes never serve stale findings, and the cheap
part (judging) stays out of the key while the expensive part (parsing) is skipped.

The key of a migration covers: the bytes and shown paths of its files, the files named in its settings (e.g.
schema.prisma), its ORM, id, dialect and project, the key of the migration before it in the same project (extraction
may depend on earlier migrations: Django replays its graph), the tool version, a fingerprint of the installed code
and of the rules, the config fields that could matter, and the Python version (pickles). Files an extractor read
beside the unit (a golang-migrate down file found next to the up file) are recorded with their hashes in the entry
and checked on every hit.

Entries live in `cache_dir` (config) or $XDG_CACHE_HOME/migrate-guard or ~/.cache/migrate-guard — never in the
repository. Writes go to a temporary file in the same folder and are renamed into place, so concurrent runs never
read a half-written entry; a corrupt or unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import tempfile
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

from . import __version__
from .config import Config
from .extract.base import MigrationUnit, display_path
from .model import Migration

FORMAT = "1"
# Config fields that cannot change what an extractor returns (and change often): left out of the key.
_CONFIG_IGNORED = frozenset({"baseline", "fail_on", "cache_dir", "source", "exclude", "large_tables",
                             "production_values"})


def cache_folder(config: Config) -> Path:
    if config.cache_dir:
        return (config.root / config.cache_dir).resolve()
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "migrate-guard"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes when any installed module changes (an editable install keeps its version while its code moves)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


_DIGITS = re.compile(r"\d+")


def _version_token(name: str) -> str:
    """The first number in a file name (the migration's version in most formats), or the whole name."""
    match = _DIGITS.search(name)
    return match.group() if match else name


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


class MigrationCache:
    def __init__(self, folder: Path, config: Config) -> None:
        from .engine.rules import rules_fingerprint

        self.folder = folder / f"v{FORMAT}"
        settings = sorted((f.name, repr(getattr(config, f.name))) for f in fields(config)
                          if f.name not in _CONFIG_IGNORED)
        context = (FORMAT, __version__, code_fingerprint(), rules_fingerprint(), sys.version_info[:2], settings)
        self.context = hashlib.sha256(repr(context).encode()).hexdigest()
        self._folders: dict[Path, dict[str, list[str]]] = {}

    def key(self, unit: MigrationUnit, previous: str) -> str:
        digest = hashlib.sha256()
        project = unit.project
        digest.update(repr((self.context, previous, unit.orm, unit.id, unit.dialect, sorted(unit.settings.items()),
                            (project.orm, project.root, project.migrations, project.dialect) if project else None))
                      .encode())
        for path in unit.files:
            digest.update(f"\0{display_path(path)}\0{_file_digest(path)}".encode())
            # A sibling of the same version may be read by the extractor (a down file beside the up file): its
            # appearance or disappearance must change the key; its content is checked through the entry's deps.
            digest.update(repr(self._siblings(path)).encode())
        for value in sorted(unit.settings.values()):
            candidate = Path(value)
            if candidate.is_file():
                digest.update(f"\0{value}\0{_file_digest(candidate)}".encode())
        return digest.hexdigest()

    def _siblings(self, path: Path) -> list[str]:
        folder = path.parent
        index = self._folders.get(folder)
        if index is None:
            index = self._folders[folder] = {}
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            for name in names:
                index.setdefault(_version_token(name), []).append(name)
        return index.get(_version_token(path.name), [])

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.pickle"

    def load(self, key: str) -> Migration | None:
        try:
            with self._path(key).open("rb") as handle:
                deps, payload = pickle.load(handle)
            if any(_file_digest(Path(path)) != digest for path, digest in deps.items()):
                return None
            migration = pickle.loads(payload)
        except Exception:  # a missing, truncated or foreign entry is a miss, never an error
            return None
        return migration if isinstance(migration, Migration) else None

    def store(self, key: str, unit: MigrationUnit, payload: bytes, migration: Migration) -> None:
        own = {display_path(path) for path in unit.files}
        deps = {path: _file_digest(Path(path)) for path in migration.sources if path not in own}
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump((deps, payload), handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full cache folder slows the next run down; it never fails this one
