"""Each ORM's native migration commands, as data, and how to find the tool that runs them.

Commands are argument lists. Placeholders such as `{name}` fill whole arguments (or part of one, like
`{dir}/{name}`) with the user's text as it is: nothing is ever handed to a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import UsageError

ToolKind = Literal["node", "python-module", "python-script", "binary"]
Action = Literal["create", "create_skeleton", "run", "run_production", "rollback", "plan", "status", "drift"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    orm: str
    kind: ToolKind
    executable: str  # node bin / Python module / script file / binary name
    install: str  # how to install it, for the "missing tool" error
    commands: dict[str, tuple[tuple[str, ...], ...]]  # action -> one or more commands (arguments after the tool)
    no_rollback: str | None = None  # why there is no native rollback, and what to do instead
    # Conventional migration folder(s), used only when detection found no project and --orm/--project were given.
    default_migrations: tuple[str, ...] = ()
    node_package: str | None = None  # npm package that provides a node bin
    status_ok_codes: tuple[int, ...] = (0,)  # some tools exit 1 from status when migrations are pending


_GO_URL = ("-path", "{dir}", "-database", "{database_url}")
_GOOSE = ("-dir", "{dir}", "{goose_connection}")
_DBMATE = ("--migrations-dir", "{dir}")

TOOLS: dict[str, ToolSpec] = {
    "prisma": ToolSpec(
        "prisma", "node", "prisma", "npm install --save-dev prisma",
        {
            "create": (("migrate", "dev", "--name", "{name}", "--create-only", "{schema_args}"),),
            "run": (("migrate", "dev", "{schema_args}"),),
            "run_production": (("migrate", "deploy", "{schema_args}"),),
            "status": (("migrate", "status", "{schema_args}"),),
            "drift": (("migrate", "diff", "--from-schema-datasource", "{schema}", "--to-schema-datamodel",
                       "{schema}", "--exit-code"),),
        },
        no_rollback=("Prisma Migrate has no down migrations. To undo a migration, write a new migration that "
                     "reverses it (`migrate-guard create revert_NAME`), or, in development only, reset the "
                     "database with `prisma migrate reset` (it deletes all data)."),
        default_migrations=("prisma/migrations",), node_package="prisma", status_ok_codes=(0, 1)),
    "drizzle": ToolSpec(
        "drizzle", "node", "drizzle-kit", "npm install --save-dev drizzle-kit",
        {
            "create": (("generate", "--name", "{name}", "{config_args}"),),
            "run": (("migrate", "{config_args}"),),
            "run_production": (("migrate", "{config_args}"),),
        },
        no_rollback=("drizzle-kit has no rollback command. To undo a migration, change the schema back and "
                     "generate a new migration (`migrate-guard create revert_NAME`), then apply it."),
        default_migrations=("drizzle",), node_package="drizzle-kit"),
    "typeorm": ToolSpec(
        "typeorm", "node", "typeorm", "npm install --save-dev typeorm",
        {
            "create": (("migration:generate", "{dir}/{name}", "-d", "{datasource}"),),
            "run": (("migration:run", "-d", "{datasource}"),),
            "run_production": (("migration:run", "-d", "{datasource}"),),
            "rollback": (("migration:revert", "-d", "{datasource}"),),
            "status": (("migration:show", "-d", "{datasource}"),),
        },
        default_migrations=("src/migrations", "migrations"), node_package="typeorm", status_ok_codes=(0, 1)),
    "sequelize": ToolSpec(
        "sequelize", "node", "sequelize-cli", "npm install --save-dev sequelize-cli",
        {
            "create": (("migration:generate", "--name", "{name}"),),
            "run": (("db:migrate",),),
            "run_production": (("db:migrate",),),
            "rollback": (("db:migrate:undo",),),
            "status": (("db:migrate:status",),),
        },
        default_migrations=("migrations",), node_package="sequelize-cli"),
    "knex": ToolSpec(
        "knex", "node", "knex", "npm install --save-dev knex",
        {
            "create": (("migrate:make", "{name}", "{knexfile_args}"),),
            "run": (("migrate:latest", "{knexfile_args}"),),
            "run_production": (("migrate:latest", "{knexfile_args}"),),
            # migrate:down undoes exactly the last migration (migrate:rollback undoes a whole batch), so the
            # migration we read and show first is the one that is reverted.
            "rollback": (("migrate:down", "{knexfile_args}"),),
            "status": (("migrate:status", "{knexfile_args}"),),
        },
        default_migrations=("migrations",), node_package="knex"),
    "django": ToolSpec(
        "django", "python-script", "manage.py", "pip install django (and run from the folder holding manage.py)",
        {
            "create": (("makemigrations", "{app_args}", "--name", "{name}"),),
            "run": (("migrate",),),
            "run_production": (("migrate",),),
            "rollback": (("migrate", "{app}", "{previous}"),),
            "plan": (("migrate", "{app}", "{previous}", "--plan"),),  # what the rollback reverts, dependants included
            "status": (("showmigrations", "--list", "--verbosity", "2"),),
            "drift": (("makemigrations", "--check", "--dry-run"),),
        },
        default_migrations=("*/migrations",)),
    "alembic": ToolSpec(
        "alembic", "python-module", "alembic", "pip install alembic",
        {
            "create": (("{config_args}", "revision", "--autogenerate", "-m", "{name}"),),
            "create_skeleton": (("{config_args}", "revision", "-m", "{name}"),),  # env.py has no target_metadata
            "run": (("{config_args}", "upgrade", "head"),),
            "run_production": (("{config_args}", "upgrade", "head"),),
            "rollback": (("{config_args}", "downgrade", "{alembic_target}"),),
            "status": (("{config_args}", "current"), ("{config_args}", "history")),
            "drift": (("{config_args}", "check"),),
        },
        default_migrations=("alembic/versions", "migrations/versions")),
    "golang-migrate": ToolSpec(
        "golang-migrate", "binary", "migrate",
        "install golang-migrate: https://github.com/golang-migrate/migrate/tree/master/cmd/migrate",
        {
            "create": (("create", "-ext", "sql", "-dir", "{dir}", "-seq", "{name}"),),
            "run": (_GO_URL + ("up",),),
            "run_production": (_GO_URL + ("up",),),
            "rollback": (_GO_URL + ("down", "1"),),
            "status": (_GO_URL + ("version",),),
        },
        default_migrations=("migrations", "db/migrations")),
    "goose": ToolSpec(
        "goose", "binary", "goose", "go install github.com/pressly/goose/v3/cmd/goose@latest",
        {
            "create": (("-dir", "{dir}", "create", "{name}", "sql"),),
            "run": (_GOOSE + ("up",),),
            "run_production": (_GOOSE + ("up",),),
            "rollback": (_GOOSE + ("down",),),
            "status": (_GOOSE + ("status",),),
        },
        default_migrations=("migrations", "db/migrations")),
    "dbmate": ToolSpec(
        "dbmate", "binary", "dbmate", "npm install --save-dev dbmate (or see https://github.com/amacneil/dbmate)",
        {
            "create": (_DBMATE + ("new", "{name}"),),
            "run": (_DBMATE + ("up",),),
            "run_production": (_DBMATE + ("up",),),
            "rollback": (_DBMATE + ("rollback",),),
            "status": (_DBMATE + ("status",),),
        },
        default_migrations=("db/migrations",), node_package="dbmate"),
}


@dataclass(slots=True)
class Tool:
    """A resolved tool: the argv prefix that starts it and the folder it runs in."""

    spec: ToolSpec
    prefix: list[str]
    cwd: Path
    values: dict[str, list[str]] = field(default_factory=dict)  # placeholder -> arguments

    def argv(self, action: str) -> list[list[str]]:
        templates = self.spec.commands.get(action)
        if not templates:
            raise UsageError(f"{self.spec.executable} has no native '{action}' command")
        return [self.prefix + fill(template, self.values) for template in templates]

    def has(self, action: str) -> bool:
        return bool(self.spec.commands.get(action))


def fill(template: tuple[str, ...], values: dict[str, list[str]]) -> list[str]:
    """Expand placeholders. A placeholder alone in an argument may expand to zero or several arguments."""
    result: list[str] = []
    for arg in template:
        if arg.startswith("{") and arg.endswith("}") and arg.count("{") == 1:
            key = arg[1:-1]
            if key not in values:
                raise UsageError(_MISSING.get(key, f"missing value for {key}"))
            result.extend(values[key])
            continue
        text = arg
        for key, value in values.items():
            token = "{" + key + "}"
            if token in text:
                text = text.replace(token, value[0] if value else "")
        result.append(text)
    return result


_MISSING = {
    "datasource": "TypeORM needs its data source file: pass --datasource FILE (e.g. src/data-source.ts)",
    "database_url": "this tool needs the database URL: pass --database-url URL or set DATABASE_URL",
    "schema": "no schema.prisma found: run from the Prisma project or pass --project ROOT",
    "name": "a migration NAME is required",
}


def spec_for(orm: str) -> ToolSpec:
    spec = TOOLS.get(orm)
    if spec is None:
        raise UsageError(f"no lifecycle commands for '{orm}' projects (supported: {', '.join(sorted(TOOLS))})")
    return spec


def find_upwards(start: Path, name: str, stop: Path | None = None) -> Path | None:
    """`name` in start or the nearest folder above it (not above `stop` when given)."""
    start = start.resolve()
    stop_at = stop.resolve() if stop else None
    for folder in (start, *start.parents):
        candidate = folder / name
        if candidate.exists():
            return candidate
        if stop_at is not None and folder == stop_at:
            break
    return None


def resolve_prefix(spec: ToolSpec, cwd: Path, bin_override: str | None = None) -> list[str]:
    """The argv that starts the tool: never a shell, always the project's own copy first."""
    executable = bin_override or spec.executable
    if spec.kind == "python-module":
        return [sys.executable, "-m", executable]
    if spec.kind == "python-script":
        script = cwd / executable
        if not script.is_file():
            raise UsageError(f"{executable} not found in {cwd}: run migrate-guard from the Django project "
                             f"or pass --project ROOT")
        return [sys.executable, executable]
    if spec.kind == "node" or spec.node_package:
        local = find_upwards(cwd, os.path.join("node_modules", ".bin", executable))
        if local is not None and os.access(local, os.X_OK):
            return [str(local)]
    on_path = shutil.which(executable)
    if on_path:
        return [on_path]
    if spec.kind == "node" and spec.node_package and _declared(cwd, spec.node_package):
        if (find_upwards(cwd, "node_modules") or find_upwards(cwd, ".pnp.cjs")) and shutil.which("npx"):
            # Declared but not in node_modules/.bin (Yarn Plug'n'Play, workspaces): npx finds it, never downloads.
            return ["npx", "--no-install", executable]
        raise UsageError(f"{executable} is declared in package.json but not installed (no node_modules) for the "
                         f"{spec.orm} project in {cwd}: run `npm install` (or `{spec.install}`)")
    raise UsageError(f"{executable} is not installed for the {spec.orm} project in {cwd}: {spec.install}")


def _declared(cwd: Path, package: str) -> bool:
    manifest = find_upwards(cwd, "package.json")
    if manifest is None:
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(package in (data.get(key) or {}) for key in ("dependencies", "devDependencies"))
