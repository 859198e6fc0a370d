"""Running the native tool (its output always reaches the user) and reading its status output."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import UsageError
from .environment import show_command, sqlite_path
from .project import Context, django_app_folders


@dataclass(slots=True)
class Completed:
    code: int
    output: str  # stdout and stderr as they came (only when captured)


def announce(argv: list[str], cwd: Path) -> None:
    print(f"$ {show_command(argv)}", flush=True)


def stream(argv: list[str], cwd: Path) -> int:
    """Run with the terminal as is: the tool's output goes straight to the user."""
    announce(argv, cwd)
    sys.stdout.flush()
    try:
        return subprocess.run(argv, cwd=cwd).returncode
    except FileNotFoundError:
        raise UsageError(f"cannot run {argv[0]}: not found") from None
    except PermissionError:
        raise UsageError(f"cannot run {argv[0]}: not executable") from None


def tee(argv: list[str], cwd: Path, quiet: bool = False) -> Completed:
    """Run, echoing stdout and stderr as they arrive (unless quiet), and keep the text to read the state from."""
    if not quiet:
        announce(argv, cwd)
    try:
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, errors="replace", bufsize=1)
    except FileNotFoundError:
        raise UsageError(f"cannot run {argv[0]}: not found") from None
    except PermissionError:
        raise UsageError(f"cannot run {argv[0]}: not executable") from None
    chunks: list[str] = []
    lock = threading.Lock()

    def pump(source: IO[str], target: IO[str]) -> None:
        for line in source:
            with lock:
                chunks.append(line)
                if not quiet:
                    target.write(line)
                    target.flush()

    threads = [threading.Thread(target=pump, args=(process.stdout, sys.stdout)),
               threading.Thread(target=pump, args=(process.stderr, sys.stderr))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Completed(process.wait(), "".join(chunks))


@dataclass(slots=True)
class NativeMigration:
    id: str  # as the native tool names it
    applied: bool
    files: list[Path] = field(default_factory=list)
    applied_at: str | None = None


@dataclass(slots=True)
class NativeState:
    migrations: list[NativeMigration]
    known: bool = True  # False: the tool cannot tell which migrations are applied
    note: str = ""

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
    outputs: list[str] = []
    tolerated = 0
    for argv in context.tool.argv("status"):
        result = tee(argv, context.tool.cwd, quiet=quiet)
        no_version_yet = orm == "golang-migrate" and result.code == 1 and "no migration" in result.output
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


# --- per tool ------------------------------------------------------------------------------------------------


def _files_named(context: Context, names: list[str]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {name: [] for name in names}
    for folder in context.migration_dirs():
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                found[name].append(candidate)
    return found


def _alembic_chain(context: Context) -> list[tuple[str, Path]]:
    """(revision, file) from base to head, read from the version files."""
    revision_re = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.M)
    down_re = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(None|['\"]([^'\"]+)['\"])", re.M)
    parents: dict[str, str | None] = {}
    files: dict[str, Path] = {}
    for folder in context.migration_dirs():
        for path in sorted(folder.glob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            revision = revision_re.search(text)
            if not revision:
                continue
            down = down_re.search(text)
            parents[revision.group(1)] = down.group(2) if down and down.group(2) else None
            files[revision.group(1)] = path
    children: dict[str | None, list[str]] = {}
    for revision, parent in parents.items():
        children.setdefault(parent, []).append(revision)
    chain: list[tuple[str, Path]] = []
    frontier = sorted(children.get(None, []))
    while frontier:
        revision = frontier.pop(0)
        chain.append((revision, files[revision]))
        frontier.extend(sorted(children.get(revision, [])))
    return chain


def _alembic(context: Context, outputs: list[str]) -> NativeState:
    chain = _alembic_chain(context)
    known = {revision for revision, _ in chain}
    current = {match.group(1) for match in re.finditer(r"^([0-9A-Za-z_]+)(?: \(head\))?(?: \(effective head\))?\s*$",
                                                          outputs[0], re.M) if match.group(1) in known}
    applied_until = max((i for i, (revision, _) in enumerate(chain) if revision in current), default=-1)
    return NativeState([NativeMigration(revision, i <= applied_until, [path]) for i, (revision, path) in enumerate(chain)])


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
    completed, pending, section = [], [], None
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
    """drizzle-kit has no status command: the journal lists migrations; SQLite's __drizzle_migrations says
    which are applied (other databases: unknown)."""
    entries: list[tuple[str, int, Path]] = []
    for folder in context.migration_dirs():
        journal = folder / "meta" / "_journal.json"
        if journal.is_file():
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
            except ValueError:
                raise UsageError(f"{journal}: not valid JSON") from None
            for entry in data.get("entries", []):
                entries.append((entry["tag"], int(entry.get("when", 0)), folder / f"{entry['tag']}.sql"))
    url = context.args.database_url or os.environ.get("DATABASE_URL")
    path = sqlite_path(url) if url else None
    if path and Path(path).is_file():
        with sqlite3.connect(path) as connection:
            try:
                applied = {row[0] for row in connection.execute("SELECT created_at FROM __drizzle_migrations")}
            except sqlite3.Error:
                applied = set()
        return NativeState([NativeMigration(tag, when in applied, [file]) for tag, when, file in entries])
    return NativeState([NativeMigration(tag, False, [file]) for tag, _, file in entries], known=False,
                       note="drizzle-kit cannot report which migrations are applied: every migration was linted")


_READERS = {
    "alembic": _alembic, "django": _django, "knex": _knex, "sequelize": _sequelize, "typeorm": _typeorm,
    "prisma": _prisma, "golang-migrate": _golang_migrate, "goose": _goose, "dbmate": _dbmate,
}
