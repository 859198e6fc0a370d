"""Migrations found from their own content, wherever they are: a TypeORM, Knex, Sequelize, Django or Alembic migration
says what it is in its first bytes (extract/registry.format_of), so no config file has to point at its folder.

Cheap by construction: only files in folders named for migrations (`*migration*`, `*migrate*`, `versions`, or a folder
just below one: `database/migrations/mysql`) or named like migrations (`20240101120000_x.js`, `1700000000000-X.ts`)
are opened, and only their heads; folders a config-driven project already claims are not read at all.

A folder of files shaped like migrations (they export `up` and `down`) whose tool cannot be told from their content,
nor from a runner beside them (umzug, knex.migrate), is reported back as unclaimed: `check` says so.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..extract.base import read_head
from ..extract.js.text import strip_js_comments
from ..model import Project
from . import js_stacks
from .common import js_dependencies, list_dir, make_project, read_small

_JS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
_CODE = (*_JS, ".py")
_DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")
_FOLDER_WORDS = re.compile(r"migrat|^versions$", re.IGNORECASE)
# A file not named like a migration counts only in a folder named for migrations (`migrations/`, `versions/`), never
# in one merely below such a folder or named `migrate/` (helpers live there).
_MIGRATIONS_FOLDER = re.compile(r"migration|^versions$", re.IGNORECASE)
# A version or timestamp first: knex/sequelize 20240101120000_x, TypeORM 1700000000000-X, Django 0001_x, 001-x.
_MIGRATION_NAME = re.compile(r"^(?:V|v)?\d{3,}[-_.][\w.-]|^\d{4}-\d{2}-\d{2}")
_MAX_HEADS = 24  # heads read per folder at most
_ENOUGH = 3  # files agreeing on their format settle the folder
_JS_ORMS = ("typeorm", "knex", "sequelize")


@dataclass(slots=True)
class UnclaimedFolder:
    """A folder of files shaped like migrations that no project claims: their tool is unknown."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    resembles: str | None = None  # the format their loose markers suggest, for the message
    hint: str | None = None  # how to have them checked, when the general advice does not fit


def is_candidate(path: Path) -> bool:
    """Is this file's head worth reading to find migrations (by its folder's name or its own)?"""
    name = path.name
    if not name.endswith(_CODE) or name.endswith(_DECLARATIONS):
        return False
    parent = path.parent
    return (_FOLDER_WORDS.search(parent.name) is not None or _FOLDER_WORDS.search(parent.parent.name) is not None
            or _MIGRATION_NAME.match(name) is not None)


def content_projects(candidates: dict[Path, list[str]], taken: set[Path], projects: list[Project],
                     stop: Path) -> tuple[list[Project], list[UnclaimedFolder]]:
    """Projects for the candidate folders no project claims, each folder its own project (per-database folders and
    umzug groups are separate chains), and the folders whose tool cannot be told."""
    from ..extract.registry import classify, format_of, looks_like_migration

    found: list[Project] = []
    unclaimed: list[UnclaimedFolder] = []
    for folder in sorted(candidates):
        if _claimed(folder, taken):
            continue
        formats: dict[str, int] = {}
        shaped: list[Path] = []
        guesses: dict[str, int] = {}
        for name in _ordered(candidates[folder])[:_MAX_HEADS]:
            path = folder / name
            head = read_head(path)
            named = _MIGRATION_NAME.match(name) is not None
            orm = format_of(path, head) if named or _MIGRATIONS_FOLDER.search(folder.name) else None
            if orm is not None:
                formats[orm] = formats.get(orm, 0) + 1
                if formats[orm] >= _ENOUGH:
                    break
            elif named and looks_like_migration(path, head):
                shaped.append(path)
                module = classify(path, head)
                if module is not None and module.ORM in _JS_ORMS + ("django", "alembic"):
                    guesses[module.ORM] = guesses.get(module.ORM, 0) + 1
        orm = max(formats, key=lambda k: formats[k]) if formats else None
        if orm is None and shaped:
            guess = max(guesses, key=lambda k: guesses[k]) if guesses else None
            orm = _from_runner(folder, stop) or _declared(guess, folder, stop)
            if orm is None:
                unclaimed.append(UnclaimedFolder(folder, shaped, guess))
                continue
        if orm is not None:
            found.append(_project(orm, folder, projects, stop))
    return found + _settled_by_siblings(unclaimed, found, projects, stop), unclaimed


def _settled_by_siblings(unclaimed: list[UnclaimedFolder], found: list[Project], projects: list[Project],
                         stop: Path) -> list[Project]:
    """An ambiguous folder among sibling folders that are all migrations of one tool is that tool's too (Ghost's
    knex-migrator `versions/5.17/`, whose files only take `up(connection)`, beside `versions/5.16/` taking knex)."""
    from ..extract.base import display_path

    by_parent: dict[str, set[str]] = {}
    for project in found:
        for folder in project.migrations:
            by_parent.setdefault(posixpath.dirname(folder), set()).add(project.orm)
    settled = []
    for item in list(unclaimed):
        orms = by_parent.get(posixpath.dirname(display_path(item.folder)), set())
        if len(orms) == 1:
            settled.append(_project(next(iter(orms)), item.folder, projects, stop))
            unclaimed.remove(item)
    return settled


def _ordered(names: list[str]) -> list[str]:
    """Names that look like migrations first (an index.ts or helper beside them says nothing)."""
    return sorted(names, key=lambda n: (_MIGRATION_NAME.match(n) is None, n))


def _claimed(folder: Path, taken: set[Path]) -> bool:
    real = Path(os.path.realpath(folder))
    return any(real == t or t in real.parents for t in taken)


def _package_root(folder: Path, stop: Path) -> Path | None:
    """The nearest folder at or above `folder`, not above `stop`, holding a package.json."""
    for current in [folder, *folder.parents]:
        if (current / "package.json").is_file() and not _module_type_marker(current):
            return current
        if current == stop or stop not in current.parents:
            return None
    return None


def _module_type_marker(folder: Path) -> bool:
    """`{"type": "commonjs"}` in a compiled folder (unleash's dist/migrations/package.json) sets Node's module type;
    it is no package."""
    from .common import package_json

    data = package_json(folder)
    return isinstance(data, dict) and bool(data) and set(data) <= {"type", "sideEffects"}


def _declared(guess: str | None, folder: Path, stop: Path) -> str | None:
    """A JS tool the files' own markers suggest, and that the package declares as a dependency."""
    if guess not in _JS_ORMS:
        return None
    root = _package_root(folder, stop)
    deps = js_dependencies(root) if root is not None else set()
    wanted = {"typeorm": {"typeorm"}, "knex": {"knex"}, "sequelize": {"sequelize", "sequelize-cli"}}[guess]
    return guess if deps & wanted else None


_UMZUG = re.compile(r"\bUmzug\b")
_RUNNER_SEQUELIZE = re.compile(r"getQueryInterface\s*\(|SequelizeStorage|\bsequelize\b")
_RUNNER_KNEX = re.compile(r"\.migrate\s*\.\s*(?:latest|up|down|rollback)\s*\(|KnexStorage|\bknex\b")
_MAX_RUNNER_FILES = 40


def _from_runner(folder: Path, stop: Path) -> str | None:
    """The tool a runner beside the migrations names: umzug given a Sequelize QueryInterface (abtnode's
    `new Umzug({ migrations: { glob: 'migrations/<group>/*.js' }, context: sequelize.getQueryInterface() })`), or
    knex.migrate.latest(). Only JS files in the two folders above the migrations are read, and only when the
    migrations themselves cannot tell."""
    for above in (folder.parent, folder.parent.parent):
        if above != stop and stop not in above.parents:
            break
        names = [n for n in list_dir(above) if n.endswith(_JS) and not n.endswith(_DECLARATIONS)]
        for name in names[:_MAX_RUNNER_FILES]:
            text = read_small(above / name)
            if not text or folder.name not in text and "migrations" not in text:
                continue
            text = strip_js_comments(text)
            if _UMZUG.search(text):
                if _RUNNER_SEQUELIZE.search(text):
                    return "sequelize"
                if _RUNNER_KNEX.search(text):
                    return "knex"
            elif re.search(r"\.migrate\s*\.\s*(?:latest|up)\s*\(", text):
                return "knex"
        if above == stop:
            break
    return None


_CONFIG_AT_RUN_TIME = {"knex": js_stacks.knex_client_in_json_config,
                       "sequelize": js_stacks.sequelize_dialect_in_js_config}


def _project(orm: str, folder: Path, projects: list[Project], stop: Path) -> Project:
    if orm == "django":
        from .python_stacks import apps_setting

        root = folder.parent.parent
        return make_project("django", root, [folder], None, {"apps": apps_setting([folder], root)})
    if orm == "alembic":
        root = folder.parent
        return make_project("alembic", root, [folder], None, {"script_location": root})
    root = _package_root(folder, stop) or folder.parent
    shown = make_project(orm, root, [folder], None).root
    # A config-driven project of the same tool at the same root (its config named another folder), or one whose
    # config inside this package names this folder, knows the dialect.
    sibling = next((p for p in projects if p.orm == orm and p.root == shown), None) or _naming_config(
        orm, folder, root, projects)
    dialect = sibling.dialect if sibling is not None else None
    evidence = sibling.dialect_evidence if sibling is not None else None
    if dialect is None and orm == "db-migrate":  # no config-driven stack reads database.json or its driver package
        from ..extract.db_migrate import dialect_of

        dialect = dialect_of(folder / "x.js") or dialect_of(root / "x.js")
        evidence = "db-migrate driver (database.json or package.json)"
    elif dialect is None and orm in _CONFIG_AT_RUN_TIME:  # the app builds its config in code; its data names the client
        dialect, evidence = _CONFIG_AT_RUN_TIME[orm](root) or (None, None)
    settings = {k: v for k, v in sibling.settings.items()} if sibling is not None else {}
    project = make_project(orm, root, [folder], dialect, evidence=evidence)
    project.settings = settings
    return project



_CONFIG_SETTINGS = ("knexfile", "config", "data_source")


def _naming_config(orm: str, folder: Path, root: Path, projects: list[Project]) -> Project | None:
    """A project of the same tool whose config file lies in this package and names this folder in a string
    (`'../migrations'`, `path.join(__dirname, 'db', 'migrations')`), though its path could not be resolved to it."""
    word = re.compile(r"""['"`/](?:\.{0,2}/)*""" + re.escape(folder.name) + r"""/?['"`]""")
    package = Path(os.path.abspath(root))
    for project in projects:
        if project.orm != orm:
            continue
        for key in _CONFIG_SETTINGS:
            config = project.settings.get(key)
            if not config or package not in Path(os.path.abspath(config)).parents:
                continue
            if word.search(strip_js_comments(read_small(Path(config)) or "")):
                return project
    return None
