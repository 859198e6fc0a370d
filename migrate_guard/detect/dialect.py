"""Which database each migration runs on, from the best evidence, and what that evidence was.

Evidence, strongest first:
1. the command line (`--dialect`);
2. config: a per-path entry of `[tool.migrate-guard.dialects]` (the longest matching path), then `dialect`;
3. a dialect infix in the file name (`20200101_add_users.mysql.up.sql`, the pop/fizz style);
4. the nearest folder named for a database (`migrations/mysql/`, `db/sqlite3/`, `cockroachdb/`);
5. the ORM's own configuration (TypeORM `type`, knex `client`, Sequelize `dialect`, Django `ENGINE`, Prisma
   `provider`, Drizzle `dialect`, the Alembic URL), env examples, compose files, and last the SQL itself (detect/);
6. a database as the file name's last word (`023_add_index_mysql.py`, dagster's revisions side by side);
otherwise Postgres, said to be assumed. Every unit of a run is resolved here, once; the engine reads
`migration.dialect` only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import Config
from ..dialects import canonical
from ..extract.base import Format, display_path
from ..model import Project

DEFAULT = "postgres"
ASSUMED = "assumed: no evidence"
_FOLDER_LEVELS = 6  # how many folders above a file may name its database


@dataclass(frozen=True, slots=True)
class DialectChoice:
    """The database chosen for a migration (or folder), why, and any weaker evidence that disagreed."""

    dialect: str
    evidence: str
    conflicts: tuple[str, ...] = ()  # "postgres (knexfile client)", weaker evidence naming another database

    def describe(self) -> str:
        text = f"{self.dialect} ({self.evidence})"
        if self.conflicts:
            text += "; conflicts with " + ", ".join(self.conflicts)
        return text


class DialectResolver:
    """Resolves dialects for one run: folder-level evidence is worked out once per folder."""

    def __init__(self, command_line: str | None, config: Config) -> None:
        self.command_line = command_line
        self.config = config
        self._overrides = self._config_overrides(config)
        self._folders: dict[tuple[str, int, str], list[tuple[str, str]]] = {}
        self._choices: dict[tuple[str, int, str, str | None, str | None, tuple[str, str] | None], DialectChoice] = {}

    def for_file(self, path: os.PathLike[str] | str, project: Project | None,
                 module: Format | None = None) -> DialectChoice:
        shown = display_path(path)
        folder = os.path.dirname(shown)
        name = os.path.basename(shown)
        infix, suffix = file_name_dialect(name), file_name_ending_dialect(name)
        key = (folder, id(project), getattr(module, "ORM", ""))
        # Thousands of files share a folder: one choice per folder, infix, ending and config entry.
        choice_key = (*key, infix, suffix, self._override_for(shown) if self._overrides else None)
        choice = self._choices.get(choice_key)
        if choice is not None:
            return choice
        candidates = self._explicit(shown)
        if infix is not None:
            candidates.append((infix, "file name"))
        if key not in self._folders:
            self._folders[key] = self._folder_evidence(folder, project, module, shown)
        candidates += self._folders[key]
        if not candidates and suffix is not None:  # the weakest evidence: only where there is no other
            candidates.append((suffix, "file name ending"))
        choice = self._choices[choice_key] = _choose(candidates)
        return choice

    def for_folder(self, folder: str, project: Project | None) -> DialectChoice:
        shown = display_path(folder) if folder else "."
        return _choose(self._explicit(shown) + self._folder_evidence(shown, project, None, None))

    def _explicit(self, shown: str) -> list[tuple[str, str]]:
        candidates: list[tuple[str, str]] = []
        if self.command_line:
            candidates.append((self.command_line, "command line"))
        override = self._override_for(shown)
        if override is not None:
            candidates.append(override)
        if self.config.dialect:
            candidates.append((self.config.dialect, "config dialect"))
        return candidates

    def _folder_evidence(self, folder: str, project: Project | None, module: Format | None,
                         sample: str | None) -> list[tuple[str, str]]:
        candidates: list[tuple[str, str]] = []
        named = folder_named_for(folder)
        if named is not None:
            candidates.append((named[0], f"folder name {named[1]!r}"))
        if project is not None and project.dialect:
            candidates.append((project.dialect, project.dialect_evidence or f"{project.orm} configuration"))
        if module is not None and sample is not None:
            from pathlib import Path

            own = module.dialect_of(Path(sample))
            if own:
                candidates.append((own, f"{module.ORM} configuration"))
        return candidates

    def _override_for(self, shown: str) -> tuple[str, str] | None:
        best: tuple[int, str, str] | None = None
        for prefix, (dialect, key) in self._overrides.items():
            if prefix == "." or shown == prefix or shown.startswith(prefix + "/"):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), dialect, key)
        return (best[1], f"config dialects[{best[2]!r}]") if best else None

    @staticmethod
    def _config_overrides(config: Config) -> dict[str, tuple[str, str]]:
        """Config paths are relative to the config file; findings' paths to the current folder."""
        overrides: dict[str, tuple[str, str]] = {}
        for key, dialect in config.dialects.items():
            shown = display_path(os.path.join(config.root, key))
            overrides[shown.rstrip("/") or "."] = (dialect, key)
        return overrides


def _choose(candidates: list[tuple[str, str]]) -> DialectChoice:
    if not candidates:
        return DialectChoice(DEFAULT, ASSUMED)
    dialect, evidence = candidates[0]
    conflicts = tuple(dict.fromkeys(f"{other} ({why})" for other, why in candidates[1:] if other != dialect))
    return DialectChoice(dialect, evidence, conflicts)


def file_name_dialect(name: str) -> str | None:
    """`20200101_add_users.mysql.up.sql` / `V3__x.postgres.sql` -> mysql / postgres: a dotted part between the
    name and the extension (and up/down) that names a database."""
    parts = name.split(".")
    for part in parts[1:-1]:
        dialect = canonical(part)
        if dialect is not None:
            return dialect
    return None


def file_name_ending_dialect(name: str) -> str | None:
    """`023_add_event_type_idx_mysql.py` -> mysql: the last word of the name (dagster keeps each database's revisions
    side by side, named so). Weaker than all other evidence: a project's configuration names its database better."""
    stem = name.split(".")[0]
    return canonical(stem.rpartition("_")[2]) if "_" in stem else None


def folder_named_for(folder: str) -> tuple[str, str] | None:
    """The database named by the nearest of a folder's last few components (`migrations/mysql`, `db/sqlite3/up`),
    with that component."""
    parts = [p for p in folder.replace("\\", "/").split("/") if p and p not in (".", "..")]
    for part in reversed(parts[-_FOLDER_LEVELS:]):
        dialect = canonical(part)
        if dialect is not None:
            return dialect, part
    return None

