"""Which database each migration runs on, from the best evidence, and what that evidence was.

Evidence, strongest first:
1. the command line (`--dialect`);
2. config: a per-path entry of `[tool.migrate-guard.dialects]` (the longest matching path), then `dialect`;
3. a dialect infix in the file name (`20200101_add_users.mysql.up.sql`, the pop/fizz style);
4. the nearest folder named for a database (`migrations/mysql/`, `db/sqlite3/`, `cockroachdb/`);
5. the ORM's own configuration (TypeORM `type`, knex `client`, Sequelize `dialect`, Django `ENGINE`, Prisma
   `provider`, Drizzle `dialect`, the Alembic URL), env examples, compose files, and last the SQL itself (detect/);
otherwise Postgres, said to be assumed. Every unit of a run is resolved here, once; the engine reads
`migration.dialect` only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from ..config import Config
from ..dialects import canonical
from ..extract.base import display_path
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

    def for_file(self, path: os.PathLike[str] | str, project: Project | None,
                 module: ModuleType | None = None) -> DialectChoice:
        shown = display_path(path)  # type: ignore[arg-type]
        folder = os.path.dirname(shown)
        candidates = self._explicit(shown)
        infix = file_name_dialect(os.path.basename(shown))
        if infix is not None:
            candidates.append((infix, "file name"))
        key = (folder, id(project), getattr(module, "ORM", ""))
        if key not in self._folders:
            self._folders[key] = self._folder_evidence(folder, project, module, shown)
        return _choose(candidates + self._folders[key])

    def for_folder(self, folder: str, project: Project | None) -> DialectChoice:
        shown = display_path(folder) if folder else "."  # type: ignore[arg-type]
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

    def _folder_evidence(self, folder: str, project: Project | None, module: ModuleType | None,
                         sample: str | None) -> list[tuple[str, str]]:
        candidates: list[tuple[str, str]] = []
        named = folder_named_for(folder)
        if named is not None:
            candidates.append((named[0], f"folder name {named[1]!r}"))
        if project is not None and project.dialect:
            candidates.append((project.dialect, project.dialect_evidence or f"{project.orm} configuration"))
        elif project is not None and project.orm == "knex":
            found = knex_client_in_json_config(project.root)
            if found is not None:
                candidates.append(found)
        elif project is not None and project.orm == "sequelize":
            found = sequelize_dialect_in_js_config(project.root)
            if found is not None:
                candidates.append(found)
        dialect_of = getattr(module, "dialect_of", None)
        if dialect_of is not None and sample is not None:
            from pathlib import Path

            own = dialect_of(Path(sample))
            if own:
                candidates.append((own, f"{module.ORM} configuration"))  # type: ignore[union-attr]
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
            shown = display_path(os.path.join(config.root, key))  # type: ignore[arg-type]
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


def folder_named_for(folder: str) -> tuple[str, str] | None:
    """The database named by the nearest of a folder's last few components (`migrations/mysql`, `db/sqlite3/up`),
    with that component."""
    parts = [p for p in folder.replace("\\", "/").split("/") if p and p not in (".", "..")]
    for part in reversed(parts[-_FOLDER_LEVELS:]):
        dialect = canonical(part)
        if dialect is not None:
            return dialect, part
    return None


# Apps that build their knex config at run time keep the client in JSON config per environment (Ghost:
# core/shared/config/env/config.production.json {"database": {"client": "mysql"}}); production counts first.
_JSON_CONFIGS = ("config.production.json", "production.json", "config.json", "database.json", "default.json")


@lru_cache(maxsize=64)
def knex_client_in_json_config(root: str) -> tuple[str, str] | None:
    """(dialect, evidence) from a `"client"` in the app's JSON config files, a few folders below root."""
    from pathlib import Path

    from .common import dialect_word, read_json

    found: dict[str, tuple[str, str]] = {}
    for folder in _config_folders(Path(root)):
        for name in _JSON_CONFIGS:
            data = read_json(folder / name) if name not in found else None
            if not isinstance(data, dict):
                continue
            section = data.get("database") if isinstance(data.get("database"), dict) else data
            dialect = dialect_word(section.get("client")) if isinstance(section.get("client"), str) else None
            if dialect is not None:
                shown = display_path(folder / name)  # type: ignore[arg-type]
                found[name] = (dialect, f"knex client in {shown}")
    return next((found[name] for name in _JSON_CONFIGS if name in found), None)


_NOT_CONFIG = frozenset({"node_modules", ".git", "dist", "build", "migrations", "test", "tests", "__tests__"})


def _config_folders(root: os.PathLike[str], depth: int = 4) -> list:
    """Folders up to `depth` below root that hold one of the JSON config names (`env/` included: here it is where
    the environments' configs live, not a virtualenv)."""
    from pathlib import Path

    from .common import list_dir

    result, stack = [], [(Path(root), 0)]
    while stack:
        folder, level = stack.pop()
        names = list_dir(folder)
        if "pyvenv.cfg" in names:
            continue
        if any(n in _JSON_CONFIGS for n in names):
            result.append(folder)
        if level < depth:
            stack.extend((folder / n, level + 1) for n in names
                         if n not in _NOT_CONFIG and not n.startswith(".") and (folder / n).is_dir())
    return result


# A Sequelize config written as code under a name of its own (fbcnms: sequelizeConfig.js, `dialect: MYSQL_DIALECT`
# with `const MYSQL_DIALECT = process.env.MYSQL_DIALECT || 'mysql'`; test environments on sqlite)
_SEQUELIZE_CONFIG = re.compile(r"(?i)^(?:.*sequelize.*|database|db|config)\.(?:c?js|mjs|ts)$")
_DIALECT_VALUE = re.compile(r"""\bdialect\s*:\s*(?:(['"`])(\w+)\1|([A-Za-z_$][\w$]*)\b)""")


@lru_cache(maxsize=64)
def sequelize_dialect_in_js_config(root: str) -> tuple[str, str] | None:
    """(dialect, evidence) from `dialect:` in a JS config beside the project (root, config/, src/config/); a name is
    followed to its `const NAME = ... 'mysql'`. Several databases: the server one counts over SQLite (tests)."""
    from pathlib import Path

    from .common import dialect_word, list_dir, read_small

    for folder in (Path(root), Path(root) / "config", Path(root) / "src" / "config", Path(root) / "src"):
        for name in list_dir(folder):
            if not _SEQUELIZE_CONFIG.match(name):
                continue
            text = read_small(folder / name) or ""
            named: list[str] = []
            for match in _DIALECT_VALUE.finditer(text):
                value = match.group(2)
                if value is None and match.group(3):
                    const = re.search(r"(?:const|let|var)\s+" + re.escape(match.group(3))
                                      + r"""\s*=[^;\n]*?['"`](\w+)['"`]""", text)
                    value = const.group(1) if const else None
                dialect = dialect_word(value) if value else None
                if dialect is not None and dialect not in named:
                    named.append(dialect)
            if named:
                chosen = next((d for d in named if d != "sqlite"), named[0])
                shown = display_path(folder / name)  # type: ignore[arg-type]
                extra = f" (also {', '.join(d for d in named if d != chosen)})" if len(named) > 1 else ""
                return chosen, f"Sequelize dialect in {shown}{extra}"
    return None

