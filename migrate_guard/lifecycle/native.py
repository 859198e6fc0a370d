"""Reading the native tool's status output: which migrations are applied and which are pending."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..extract.base import side_text
from .environment import sqlite_path
from .process import tee
from .project import Context, django_app_folders


@dataclass(slots=True)
class NativeMigration:
    id: str  # as the native tool names it
    applied: bool
    files: list[Path] = field(default_factory=list)
    applied_at: str | None = None
    parents: list[str] = field(default_factory=list)  # Alembic: its down_revision(s)


@dataclass(slots=True)
class NativeState:
    migrations: list[NativeMigration]
    known: bool = True  # False: the tool cannot tell which migrations are applied
    note: str = ""
    current: list[str] = field(default_factory=list)  # Alembic: the revisions the database is at
    database_missing: bool = False  # the database does not exist yet (read from the files, not the tool)

    @property
    def applied(self) -> list[NativeMigration]:
        return [m for m in self.migrations if m.applied]

    @property
    def pending(self) -> list[NativeMigration]:
        return [m for m in self.migrations if not m.applied]


class StatusFailed(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def read_state(context: Context, quiet: bool = False) -> NativeState:
    """Applied and pending migrations, oldest first, from the native status command."""
    orm = context.project.orm
    if orm == "drizzle":
        return _drizzle_state(context)
    unborn = _unborn_state(context)
    if unborn is not None:
        return unborn
    outputs: list[str] = []
    tolerated = 0
    for argv in context.tool.argv("status"):
        result = tee(argv, context.tool.cwd, quiet=quiet)
        no_version_yet = orm == "golang-migrate" and result.code == 1 and "no migration" in result.output
        if orm == "dbmate" and result.code != 0 and _NO_DATABASE.search(result.output):
            return _all_pending(context, "the database does not exist yet: `dbmate up` creates it")
        if result.code not in context.spec.status_ok_codes and not no_version_yet:
            raise StatusFailed(result.code)
        if result.code != 0 and not no_version_yet:
            tolerated = result.code
        outputs.append(result.output)
    state = _READERS[orm](context, outputs)
    if tolerated and not state.pending:
        # Prisma and TypeORM exit 1 when migrations are pending; exit 1 with none listed is a real failure.
        raise StatusFailed(tolerated)
    return state


# A database that does not exist yet, as Postgres, MySQL and SQLite drivers say it.
_NO_DATABASE = re.compile(r"database \S+ does not exist|Unknown database|unable to open database file", re.I)


def _unborn_state(context: Context) -> NativeState | None:
    """Before the first migration, or before the database exists, the native status would fail (Knex: ENOENT on
    a missing folder) or create things (Django and Knex create the SQLite file and their tables): the migration
    files say the state instead, every one pending."""
    orm = context.project.orm
    if orm not in ("django", "knex", "alembic"):
        return None
    if orm == "knex":
        if _knex_folder_not_literal(context):
            return None  # the folder we know may not be the one knex reads: only knex can say what is pending
        if not any(folder.is_dir() for folder in context.migration_dirs()):
            return NativeState([], note="")
    from .database import target_database

    url = target_database(orm, context.tool.cwd, context.args.database_url, os.environ, context.project.settings).url
    path = sqlite_path(url) if url else None
    if not path or path == ":memory:" or (context.tool.cwd / path).exists():
        return None
    return _all_pending(context, f"the database file {path} does not exist yet: nothing is applied "
                                 f"(the native status was not run, so that it is not created)")


def _knex_folder_not_literal(context: Context) -> bool:
    knexfile = context.project.settings.get("knexfile")
    paths = [Path(knexfile)] if knexfile else [context.tool.cwd / f"knexfile.{ext}" for ext in ("js", "cjs", "mjs", "ts")]
    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            return bool(re.search(r"""\bdirectory\s*:(?!\s*['"`])""", text))
    return False


def _all_pending(context: Context, note: str) -> NativeState:
    orm = context.project.orm
    if orm == "alembic":
        migrations = [NativeMigration(revision, False, [path], parents=ups) for revision, path, ups in _alembic_chain(context)]
    elif orm == "django":
        migrations = [NativeMigration(f"{app}.{path.stem}", False, [path]) for app, folder in django_app_folders(context).items()
                      if folder.is_dir() for path in sorted(folder.glob("[0-9]*.py"))]
        note += "; the installed apps' migrations are applied too"
    elif orm in ("golang-migrate",):
        migrations = [NativeMigration(name, False, files) for _, name, files in _numbered_sql(context)]
    else:
        migrations = [NativeMigration(path.name, False, [path]) for folder in context.migration_dirs()
                      if folder.is_dir() for path in sorted(folder.iterdir())
                      if path.is_file() and path.suffix in (".sql", ".js", ".ts", ".cjs", ".mjs")]
    return NativeState(migrations, note=note, database_missing=True)


# --- per tool ------------------------------------------------------------------------------------------------


def _files_named(context: Context, names: list[str]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {name: [] for name in names}
    for folder in context.migration_dirs():
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                found[name].append(candidate)
    return found


def alembic_env_py(context: Context) -> str | None:
    """The text of the environment's env.py (beside the versions folder), or None when there is none."""
    for folder in context.migration_dirs():
        candidate = folder.parent / "env.py"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


_ALEMBIC_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.M)
# None, "a1", ("b1", "c1") or ["b1", "c1"] (a merge revision), possibly over several lines.
_ALEMBIC_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(None|['\"][^'\"]*['\"]|[(\[][^)\]]*[)\]])", re.M)


def _alembic_chain(context: Context) -> list[tuple[str, Path, list[str]]]:
    """(revision, file, parents) from base to head, each after all of its parents (merge revisions included)."""
    parents: dict[str, list[str]] = {}
    files: dict[str, Path] = {}
    for folder in context.migration_dirs():
        for path in sorted(folder.glob("*.py")):
            try:
                text = side_text(path)  # regular files only: a FIFO named like a revision would block
            except OSError:
                continue
            found = _ALEMBIC_REVISION.search(text)
            if not found:
                continue
            down = _ALEMBIC_DOWN.search(text)
            parents[found.group(1)] = re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)) if down else []
            files[found.group(1)] = path
    children: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for revision, ups in parents.items():
        known = [parent for parent in ups if parent in parents]
        waiting[revision] = len(known)
        for parent in known:
            children.setdefault(parent, []).append(revision)
    chain: list[tuple[str, Path, list[str]]] = []
    frontier = sorted(revision for revision, count in waiting.items() if count == 0)
    while frontier:
        revision = frontier.pop(0)
        chain.append((revision, files[revision], parents[revision]))
        for child in sorted(children.get(revision, [])):
            waiting[child] -= 1
            if waiting[child] == 0:
                frontier.append(child)
    return chain


# `alembic current`: "a1 (head)", "m1 (head) (mergepoint)", "a0 (branchpoint)", "x (effective head)".
_ALEMBIC_CURRENT = re.compile(r"^([0-9A-Za-z_]+)((?: \((?:head|effective head|mergepoint|branchpoint)\))*)\s*$", re.M)


def _alembic(context: Context, outputs: list[str]) -> NativeState:
    chain = _alembic_chain(context)
    parents = {revision: ups for revision, _, ups in chain}
    current = [match.group(1) for match in _ALEMBIC_CURRENT.finditer(outputs[0]) if match.group(1) in parents]
    applied: set[str] = set()
    stack = list(current)
    while stack:  # every ancestor of a current revision is applied
        revision = stack.pop()
        if revision not in applied:
            applied.add(revision)
            stack.extend(parent for parent in parents.get(revision, []) if parent in parents)
    return NativeState([NativeMigration(revision, revision in applied, [path], parents=ups)
                        for revision, path, ups in chain], current=current)


def _django(context: Context, outputs: list[str]) -> NativeState:
    folders = django_app_folders(context)
    migrations: list[NativeMigration] = []
    app = None
    for line in outputs[0].splitlines():
        entry = re.match(r"^\s+\[( |X|-)\]\s+(\S+)(?:\s+\(applied at (.+?)\))?", line)
        if entry and app:
            name = entry.group(2)
            folder = folders.get(app)
            files = [folder / f"{name}.py"] if folder and (folder / f"{name}.py").is_file() else []
            migrations.append(NativeMigration(f"{app}.{name}", entry.group(1) == "X", files, entry.group(3)))
        elif re.match(r"^[A-Za-z_][\w]*$", line.strip()) and not line.startswith(" "):
            app = line.strip()
    # Installed apps' migrations (django.contrib, third-party) are listed and applied too, but have no files of
    # the project's to lint.
    return NativeState(migrations)


def _knex(context: Context, outputs: list[str]) -> NativeState:
    completed: list[str] = []
    pending: list[str] = []
    section: list[str] | None = None
    for line in outputs[0].splitlines():
        text = line.strip()
        if re.match(r"^(Found \d+|No) Completed Migration", text):
            section = completed
        elif re.match(r"^(Found \d+|No) Pending Migration", text):
            section = pending
        elif text and section is not None:
            section.append(text)
    files = _files_named(context, completed + pending)
    return NativeState([NativeMigration(n, True, files[n]) for n in completed] +
                       [NativeMigration(n, False, files[n]) for n in pending])


def _sequelize(context: Context, outputs: list[str]) -> NativeState:
    entries = re.findall(r"^(up|down)\s+(\S+)\s*$", outputs[0], re.M)
    files = _files_named(context, [name for _, name in entries])
    return NativeState([NativeMigration(name, state == "up", files[name]) for state, name in entries])


def _typeorm(context: Context, outputs: list[str]) -> NativeState:
    entries = re.findall(r"^[^\S\n]*\[( |X)\]\s+(?:\d+\s+)?(\S+)\s*$", outputs[0], re.M)
    all_files = [p for folder in context.migration_dirs() for p in sorted(folder.rglob("*")) if p.is_file()]
    result = []
    for mark, name in entries:
        stamp = re.search(r"(\d{13})$", name)
        files = [p for p in all_files if (stamp and stamp.group(1) in p.name) or p.stem == name]
        result.append(NativeMigration(name, mark == "X", files))
    return NativeState(result)


def _prisma(context: Context, outputs: list[str]) -> NativeState:
    folders = [p for folder in context.migration_dirs() if folder.is_dir() for p in sorted(folder.iterdir())
               if (p / "migration.sql").is_file()]
    pending: set[str] = set()
    block = re.search(r"not yet been applied:\s*\n((?:[^\n]+\n?)+)", outputs[0])
    if block:
        pending = {line.strip() for line in block.group(1).splitlines() if line.strip()}
    return NativeState([NativeMigration(p.name, p.name not in pending, [p / "migration.sql"]) for p in folders])


def _numbered_sql(context: Context) -> list[tuple[int, str, list[Path]]]:
    groups: dict[int, tuple[str, list[Path]]] = {}
    for folder in context.migration_dirs():
        for path in sorted(folder.glob("*.sql")):
            match = re.match(r"^(\d+)_(.+?)(?:\.(up|down))?\.sql$", path.name)
            if match:
                version = int(match.group(1))
                name, files = groups.setdefault(version, (path.name.split(".")[0], []))
                files.append(path)
    return [(version, name, sorted(files, key=lambda p: ".down." in p.name))
            for version, (name, files) in sorted(groups.items())]


def _golang_migrate(context: Context, outputs: list[str]) -> NativeState:
    match = re.search(r"^(\d+)(?: \(dirty\))?\s*$", outputs[0], re.M)
    current = int(match.group(1)) if match else -1
    return NativeState([NativeMigration(name, version <= current, files)
                        for version, name, files in _numbered_sql(context)])


def _goose(context: Context, outputs: list[str]) -> NativeState:
    # Older goose prints through the log package: each line starts with "2024/01/02 15:04:05 ".
    text = re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", outputs[0], flags=re.M)
    entries = [(when.strip(), name) for when, name in
               re.findall(r"^[^\S\n]*(.+?)\s+--\s+(\S+\.(?:sql|go))\s*$", text, re.M)]
    files = _files_named(context, [name for _, name in entries])
    return NativeState([NativeMigration(name, when != "Pending", files[name], None if when == "Pending" else when)
                        for when, name in entries])


def _dbmate(context: Context, outputs: list[str]) -> NativeState:
    entries = re.findall(r"^[^\S\n]*\[( |X)\]\s+(\S+\.sql)\s*$", outputs[0], re.M)
    files = _files_named(context, [name for _, name in entries])
    return NativeState([NativeMigration(name, mark == "X", files[name]) for mark, name in entries])


def _drizzle_state(context: Context) -> NativeState:
    """drizzle-kit has no status command: the journal lists migrations, and its table __drizzle_migrations (one
    row per applied migration, created_at = the journal's `when`) says which are applied, on SQLite (read here)
    and Postgres (schema drizzle, read with psql). The URL is the one drizzle.config's dbCredentials names."""
    from .database import target_database

    entries: list[tuple[str, int, Path]] = []
    for folder in context.migration_dirs():
        journal = folder / "meta" / "_journal.json"
        if journal.is_file():
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
                entries += [(str(entry["tag"]), int(entry.get("when", 0)), folder / f"{entry['tag']}.sql")
                            for entry in data.get("entries", [])]
            except (ValueError, KeyError, TypeError, AttributeError):
                raise UsageError(f"{journal}: not a drizzle-kit journal") from None
    database = target_database("drizzle", context.tool.cwd, context.args.database_url, os.environ,
                               context.project.settings)
    applied = _drizzle_applied(database.url, context.tool.cwd) if database.url else None
    if applied is not None:
        return NativeState([NativeMigration(tag, when in applied, [file]) for tag, when, file in entries])
    where = f" in {database.source}" if database.url else ""
    return NativeState([NativeMigration(tag, False, [file]) for tag, _, file in entries], known=False,
                       note=f"the applied migrations could not be read from __drizzle_migrations{where}: "
                            f"every migration was linted")


def _drizzle_applied(url: str, cwd: Path) -> set[int] | None:
    """created_at of each applied migration; an empty set when the table does not exist yet; None: unknown."""
    path = sqlite_path(url)
    if path is not None:
        file = cwd / path
        if not file.is_file():
            return set()  # no database yet: nothing applied
        try:
            with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as connection:
                return {int(row[0]) for row in connection.execute("SELECT created_at FROM __drizzle_migrations")}
        except sqlite3.OperationalError as error:
            return set() if "no such table" in str(error) else None
        except (sqlite3.Error, ValueError, TypeError):
            return None
    from .environment import parse_database_url

    address = parse_database_url(url)
    if address is None or address.scheme not in ("postgres", "postgresql") or shutil.which("psql") is None:
        return None
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if address.password is not None:
        env["PGPASSWORD"] = address.password  # never on the command line
    argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", address.host or "localhost",
            "-p", str(address.port or 5432), "-U", address.user or "postgres", "-d", address.database or "postgres",
            "-c", "SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL",
            "-c", "SELECT created_at FROM drizzle.__drizzle_migrations"]
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.split()
    if lines and lines[0] == "f":  # connected; the table does not exist yet (the second query then fails)
        return set()
    if result.returncode != 0 or not lines:
        return set() if _NO_DATABASE.search(result.stderr) else None
    try:
        return {int(float(value)) for value in lines[1:]}
    except ValueError:
        return None


_READERS = {
    "alembic": _alembic, "django": _django, "knex": _knex, "sequelize": _sequelize, "typeorm": _typeorm,
    "prisma": _prisma, "golang-migrate": _golang_migrate, "goose": _goose, "dbmate": _dbmate,
}
