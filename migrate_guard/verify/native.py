"""Knex, Sequelize and TypeORM projects: each migration run by the project's own CLI against the throwaway database.

verify writes the tool's configuration (a knexfile, a Sequelize config, a TypeORM data source) in a temporary folder
of its own, never in the project, and links the project's node_modules beside it, so the tool and its database
driver are the project's own. One tool run per step (the up, or the down, of one migration); between steps verify
seeds and snapshots the database as for the SQL formats. Running the tool runs the project's migration code, as
`migrate-guard run` does.

The tool sends the statements itself, so on Postgres their locks are read by the DDL observer verify installs in the
throwaway database (database.observe_ddl: an event trigger, superuser only); without it only the tables a step
rewrote are seen (their relfilenode before and after the step).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from ..extract.base import MigrationUnit, display_path
from ..location import Location
from ..model import Migration, Project
from .apply import CannotApply, Script
from .database import Applied, Effect, Scratch, SqliteDatabase
from .postgres import Observed, PostgresDatabase
from .statements import Statement

if TYPE_CHECKING:
    from collections.abc import Sequence

Database = Union[SqliteDatabase, PostgresDatabase]
_TIMEOUT = 600
# What the report says for every project of these tools, once.
LOCKS_NOT_OBSERVED = ("locks per statement not observed: {tool} sends the statements itself and verify could not install "
                      "its DDL observer (an event trigger needs a superuser); rows, round trip and rewritten tables "
                      "are checked")
LOCKS_OF_DDL = ("locks read after each DDL statement {tool} sends (an event trigger); TRUNCATE, LOCK TABLE and row "
                "changes are not seen")


@dataclass(slots=True)
class NativeStep:
    """One migration as its tool names it, and the runner that applies it (apply.NativeMigration)."""

    runner: NativeRunner
    name: str  # knex and Sequelize: the file name
    index: int  # its place in the project's history, oldest first
    location: Location  # where a failure is reported: the migration's first operation
    places: list[Location]  # the up's operations, in order

    @property
    def evidence_at(self) -> Location | None:
        """The one operation's place, when the up has only one."""
        return self.places[0] if len(self.places) == 1 else None

    def apply(self, database: Database, direction: str) -> Applied:
        return self.runner.apply(database, self, direction)


class NativeRunner:
    """Runs one tool's CLI for one project against whichever throwaway database a step is given."""

    tool = ""

    def __init__(self, project: Project, files: list[Path], scratch: Scratch) -> None:
        self.project = project
        self.files = files  # the migration files, oldest first
        self.folder = Path(tempfile.mkdtemp(prefix=f"mg-verify-{self.tool}-"))
        scratch.add(lambda: _remove(self.folder))
        self.node_modules = self._node_modules()
        (self.folder / "node_modules").symlink_to(self.node_modules, target_is_directory=True)
        self.configs = 0
        self.observing = False  # the throwaway Postgres database has verify's DDL observer (database.observe_ddl)

    def _node_modules(self) -> Path:
        from ..lifecycle.tools import find_upwards

        binary = find_upwards(Path(self.project.root), os.path.join("node_modules", ".bin", self.executable()))
        if binary is None:
            raise CannotApply(f"{self.tool} is not installed for this project (no node_modules/.bin/"
                              f"{self.executable()} in or above {self.project.root}): run `npm install` first")
        return binary.parent.parent.resolve()

    def executable(self) -> str:
        return self.tool

    def typescript(self) -> bool:
        return any(path.suffix in (".ts", ".mts", ".cts") for path in self.files)

    def environment(self) -> dict[str, str]:
        """For TypeScript migrations (run through ts-node): compiled as in the project, with its tsconfig.json,
        without type checking (that is tsc's job); without a tsconfig, as CommonJS, which the CLIs load."""
        if not self.typescript():
            return {}
        from ..lifecycle.tools import find_upwards

        tsconfig = find_upwards(Path(self.project.root), "tsconfig.json")
        env = {"TS_NODE_TRANSPILE_ONLY": "true"}
        if tsconfig is not None:
            env["TS_NODE_PROJECT"] = str(tsconfig.resolve())
        else:
            env["TS_NODE_COMPILER_OPTIONS"] = '{"module": "commonjs", "moduleResolution": "node"}'
        return env

    def command(self, database: Database, step: NativeStep, direction: str) -> list[str]:
        raise NotImplementedError

    def probe_command(self, database: Database) -> list[str]:
        raise NotImplementedError

    def _write(self, name: str, text: str) -> Path:
        self.configs += 1
        path = self.folder / f"{self.configs}-{name}"
        path.write_text(text, encoding="utf-8")
        return path

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "NODE_OPTIONS")}
        env.update(self.environment())
        # what the tool leaves in its temporary folder (typescript's v8-compile-cache) goes with verify's own folder
        temporary = self.folder / "tmp"
        temporary.mkdir(exist_ok=True)
        env.update(TMPDIR=str(temporary), TEMP=str(temporary), TMP=str(temporary))
        try:
            return subprocess.run(argv, cwd=self.folder, env={**env, "NO_COLOR": "1", "FORCE_COLOR": "0"},
                                  capture_output=True, text=True, timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise CannotApply(f"{self.tool} took more than {_TIMEOUT}s for one step") from None
        except OSError as error:
            raise CannotApply(f"{self.tool} could not be started: {error}") from None

    def probe(self, database: Database) -> None:
        """One run before the first migration: a tool that cannot reach the database (no driver installed, say)
        makes the project not verified, rather than a failure of its first migration."""
        result = self._run(self.probe_command(database))
        if result.returncode != 0:
            raise CannotApply(f"{self.tool} could not use the throwaway database: {tool_error(result)[0]}")

    def apply(self, database: Database, step: NativeStep, direction: str) -> Applied:
        location = step.location
        observer = database if isinstance(database, PostgresDatabase) and self.observing else None
        if observer is not None:
            observer.watch()
        before = database.relation_files() if isinstance(database, PostgresDatabase) else {}
        command = self.command(database, step, direction)
        result = self._run(command)
        applied = Applied()
        label = Statement(f"{self.tool} {direction} {step.name}", location)
        if result.returncode != 0:
            applied.error, sql = tool_error(result)
            applied.failed = Statement(sql or label.sql, location)
            return applied
        unknown = Location(location.path, 0, 0, 0)  # no finding's place: evidence attaches to nothing
        if observer is not None:
            seen = observer.observed()
            places = step.places if direction == "up" and len(step.places) == len(seen) else None
            for number, entry in enumerate(seen):
                place = places[number] if places else step.evidence_at
                last = applied.effects[-1] if applied.effects else None
                if place is not None and last is not None and last.statement.location == place:
                    _merge(last, entry)  # one operation, several statements (knex's column type change): one effect
                    continue
                applied.effects.append(Effect(Statement(entry.query, place or unknown), dict(entry.locks),
                                              list(entry.rewritten), report_at=None if place else location))
        if isinstance(database, PostgresDatabase):
            # what no DDL command accounts for (a TRUNCATE, say): evidence only where the up has one operation
            after = database.relation_files()
            seen_rewritten = {name for effect in applied.effects for name in effect.rewritten}
            rest = [name for name, node in before.items() if name in after and after[name] != node
                    and name not in seen_rewritten]
            if rest or observer is None:
                applied.effects.append(Effect(Statement(label.sql, step.evidence_at or unknown), rewritten=rest,
                                              observed=False))
        else:
            applied.effects.append(Effect(label, observed=False))
        return applied


def _merge(effect: Effect, entry: Observed) -> None:
    from .locks import STRENGTH

    for table, mode in entry.locks.items():
        if STRENGTH.get(mode, 0) > STRENGTH.get(effect.locks.get(table, ""), 0):
            effect.locks[table] = mode
    effect.rewritten += [table for table in entry.rewritten if table not in effect.rewritten]


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tool_error(result: subprocess.CompletedProcess[str]) -> tuple[str, str | None]:
    """The database's own message from the tool's output (else its last meaningful line), and the failing SQL
    when the tool prints it (knex: `migration failed with error: alter table ... - <message>`)."""
    lines = [line.strip() for part in (result.stderr, result.stdout) for line in _ANSI.sub("", part).splitlines()
             if line.strip()]
    # TypeORM prints `query failed: <sql>` before the error
    failed = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("query failed:")), None)
    for line in lines:
        if line.startswith("error TS"):  # ts-node could not compile a TypeScript migration
            return line, None
        for marker in ("migration failed with error:", "ERROR:", "Error:", "error:"):
            if marker in line and line.split(marker, 1)[1].strip():
                message = line.split(marker, 1)[1].strip()
                if " - " in message:
                    sql, message = message.rsplit(" - ", 1)
                    return message.strip(), sql.strip()
                return message, failed
    useful = [line for line in lines if not line.startswith(("at ", "Using environment", "Working directory",
                                                             "Sequelize CLI", "Loaded configuration"))]
    return (useful[-1] if useful else f"{lines[-1] if lines else 'no output'} (exit {result.returncode})"), None


def _sqlite_driver(node_modules: Path, choices: Sequence[str]) -> str | None:
    return next((name for name in choices if (node_modules / name / "package.json").is_file()), None)


def _folders(files: list[Path]) -> list[str]:
    out: list[str] = []
    for path in files:
        folder = str(path.parent.resolve())
        if folder not in out:
            out.append(folder)
    return out


# --- Knex ------------------------------------------------------------------------------------------------------


class KnexRunner(NativeRunner):
    """`knex --knexfile <verify's own> migrate:up NAME` / `migrate:down NAME`."""

    tool = "knex"

    def _knexfile(self, database: Database) -> Path:
        if isinstance(database, PostgresDatabase):
            config: dict[str, object] = {"client": "pg", "connection": database.parameters()}
        else:
            driver = _sqlite_driver(self.node_modules, ("better-sqlite3", "sqlite3"))
            if driver is None:
                raise CannotApply("knex on SQLite needs better-sqlite3 or sqlite3 in the project's node_modules")
            config = {"client": driver, "connection": {"filename": str(database.path)}, "useNullAsDefault": True}
        config["migrations"] = {"directory": _folders(self.files), "tableName": "knex_migrations",
                                "loadExtensions": sorted({path.suffix for path in self.files})}
        # a knexfile.ts makes the knex CLI register ts-node, which TypeScript migrations need
        return self._write("knexfile.ts" if self.typescript() else "knexfile.js",
                           "module.exports = " + json.dumps(config, indent=1) + ";\n")

    def probe_command(self, database: Database) -> list[str]:
        return [str(self.node_modules / ".bin" / "knex"), "--knexfile", str(self._knexfile(database)), "migrate:list"]

    def command(self, database: Database, step: NativeStep, direction: str) -> list[str]:
        return [str(self.node_modules / ".bin" / "knex"), "--knexfile", str(self._knexfile(database)),
                f"migrate:{direction}", step.name]


# --- Sequelize -------------------------------------------------------------------------------------------------


class SequelizeRunner(NativeRunner):
    """`sequelize-cli db:migrate --to NAME` / `db:migrate:undo --name NAME`, with a config of verify's own, run in
    verify's folder (so the project's .sequelizerc, which would name its own config, is not read)."""

    tool = "sequelize"

    def executable(self) -> str:
        return "sequelize-cli"

    def _arguments(self, database: Database) -> list[str]:
        folders = _folders(self.files)
        if len(folders) != 1:
            raise CannotApply("sequelize-cli takes one migrations folder; this project's migrations are in "
                              f"{len(folders)}")
        if isinstance(database, PostgresDatabase):
            parameters = database.parameters()
            config: dict[str, object] = {"dialect": "postgres", "host": parameters["host"],
                                         "port": parameters["port"], "username": parameters["user"],
                                         "password": parameters.get("password"), "database": parameters["database"]}
        else:
            if _sqlite_driver(self.node_modules, ("sqlite3",)) is None:
                raise CannotApply("Sequelize on SQLite needs the sqlite3 package in the project's node_modules")
            config = {"dialect": "sqlite", "storage": str(database.path)}
        config.update(logging=False, migrationStorageTableName="SequelizeMeta")
        path = self._write("config.json", json.dumps({"verify": config}, indent=1))
        return ["--config", str(path), "--env", "verify", "--migrations-path", folders[0]]

    def probe_command(self, database: Database) -> list[str]:
        return [str(self.node_modules / ".bin" / "sequelize-cli"), "db:migrate:status", *self._arguments(database)]

    def command(self, database: Database, step: NativeStep, direction: str) -> list[str]:
        action = ["db:migrate", "--to", step.name] if direction == "up" else ["db:migrate:undo", "--name", step.name]
        return [str(self.node_modules / ".bin" / "sequelize-cli"), *action, *self._arguments(database)]


# --- TypeORM ---------------------------------------------------------------------------------------------------


class TypeormRunner(NativeRunner):
    """`typeorm migration:run -d <verify's data source>` / `migration:revert`, with a data source of verify's own
    that lists the project's migrations up to the one being applied, so `run` applies exactly that one and `revert`
    undoes it. TypeScript migrations go through typeorm-ts-node-commonjs (ts-node, without type checking)."""

    tool = "typeorm"

    def executable(self) -> str:
        return "typeorm-ts-node-commonjs" if self.typescript() else "typeorm"

    def _data_source(self, database: Database, count: int) -> Path:
        if isinstance(database, PostgresDatabase):
            parameters = database.parameters()
            options: dict[str, object] = {"type": "postgres", "host": parameters["host"], "port": parameters["port"],
                                          "username": parameters["user"], "password": parameters.get("password"),
                                          "database": parameters["database"]}
        else:
            driver = _sqlite_driver(self.node_modules, ("better-sqlite3", "sqlite3"))
            if driver is None:
                raise CannotApply("TypeORM on SQLite needs better-sqlite3 or sqlite3 in the project's node_modules")
            options = {"type": "better-sqlite3" if driver == "better-sqlite3" else "sqlite", "database": str(database.path)}
        options.update(migrations=[str(path.resolve()) for path in self.files[:count]],
                       migrationsTableName="typeorm_migrations", logging=False)
        return self._write("data-source.js", 'const { DataSource } = require("typeorm");\n'
                                             f"module.exports = new DataSource({json.dumps(options, indent=1)});\n")

    def _binary(self) -> str:
        return str(self.node_modules / ".bin" / self.executable())

    def probe_command(self, database: Database) -> list[str]:
        return [self._binary(), "migration:show", "-d", str(self._data_source(database, 0))]

    def command(self, database: Database, step: NativeStep, direction: str) -> list[str]:
        action = "migration:run" if direction == "up" else "migration:revert"
        return [self._binary(), action, "-d", str(self._data_source(database, step.index + 1))]


RUNNERS: dict[str, type[NativeRunner]] = {"knex": KnexRunner, "sequelize": SequelizeRunner, "typeorm": TypeormRunner}


def native_scripts(project: Project, units: list[MigrationUnit], migrations: list[Migration],
                   scratch: Scratch) -> tuple[NativeRunner, list[Script]]:
    runner_type = RUNNERS.get(project.orm)
    if runner_type is None:
        raise CannotApply(f"verify does not run {project.orm} migrations yet")
    files = [unit.files[0] for unit in units]
    runner = runner_type(project, files, scratch)
    scripts = []
    for index, (unit, migration) in enumerate(zip(units, migrations)):
        path = unit.files[0]
        where = Location(display_path(path), 1, 1, 1)
        places = list(dict.fromkeys(op.location for op in migration.operations if op.direction == "up"
                                    and op.kind not in ("migration_info", "transaction")))
        scripts.append(Script(migration, [], [] if migration.down == "present" else None,
                              migration.down_location or where, migration.transactional,
                              native=NativeStep(runner, path.name, index, places[0] if places else where, places)))
    return runner, scripts
