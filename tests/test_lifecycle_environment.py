"""Production detection, backup commands (never with a password), project selection errors."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from migrate_guard.lifecycle.environment import (backup_command, detect_environment, goose_connection, redact,
                                                 without_password)

PRODUCTION = ["prod", "production", "live"]


@pytest.mark.parametrize("environ, production", [
    ({"NODE_ENV": "production"}, True),
    ({"NODE_ENV": "Production"}, True),
    ({"APP_ENV": "prod"}, True),
    ({"RAILS_ENV": "live"}, True),
    ({"ENVIRONMENT": "production"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings.production"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings_prod"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings.dev"}, False),
    ({"DJANGO_SETTINGS_MODULE": "products.settings"}, False),  # "products" is not "prod"
    ({"NODE_ENV": "development"}, False),
    ({"NODE_ENV": "preproduction"}, False),
    ({}, False),
])
def test_production_is_detected_from_the_environment(environ: dict[str, str], production: bool) -> None:
    assert detect_environment(None, PRODUCTION, environ).production is production


def test_explicit_env_wins_and_the_list_is_configurable() -> None:
    assert detect_environment("production", PRODUCTION, {}).production
    assert not detect_environment("staging", PRODUCTION, {"NODE_ENV": "production"}).production
    assert detect_environment(None, ["staging"], {"APP_ENV": "staging"}).production
    assert not detect_environment(None, ["staging"], {"APP_ENV": "production"}).production


def test_postgres_backup_command_has_no_password() -> None:
    command = backup_command("postgresql://admin:hunter2@db.internal:6543/shop", Path("."))
    assert command is not None and "hunter2" not in command
    argv = shlex.split(command.split("  #")[0])
    assert argv[0] == "pg_dump"
    assert argv[argv.index("--host") + 1] == "db.internal" and argv[argv.index("--port") + 1] == "6543"
    assert argv[argv.index("--username") + 1] == "admin" and argv[-1] == "shop"
    assert "PGPASSWORD" in command


def test_mysql_backup_command_prompts_for_the_password() -> None:
    command = backup_command("mysql://root:hunter2@localhost:3306/app", Path("."))
    assert command is not None and "hunter2" not in command
    argv = shlex.split(command)
    assert argv[0] == "mysqldump" and "--password" in argv and argv[-1] == "app"


@pytest.mark.parametrize("url, path", [("sqlite:///app.db", "app.db"), ("sqlite:////var/data/app.db", "/var/data/app.db"),
                                       ("file:./dev.db", "./dev.db")])
def test_sqlite_backup_command(url: str, path: str) -> None:
    command = backup_command(url, Path("."))
    assert command is not None
    argv = shlex.split(command)
    assert argv[:2] == ["sqlite3", path] and argv[2].startswith(f'.backup "{path}.backup-')


def test_unknown_database_gives_no_command() -> None:
    assert backup_command(None, Path(".")) is None
    assert backup_command("sqlite:///:memory:", Path(".")) is None


def test_passwords_are_redacted_everywhere_we_print() -> None:
    assert redact("migrate -database postgres://u:p%40ss@h:5432/db up") == "migrate -database postgres://u:***@h:5432/db up"
    assert without_password("mysql://root:pw@h/db") == "mysql://root:***@h/db"
    assert redact("postgres://u@h/db") == "postgres://u@h/db"


def test_goose_connection_from_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOSE_DRIVER", raising=False)
    monkeypatch.delenv("GOOSE_DBSTRING", raising=False)
    assert goose_connection("postgres://u:p@h/db") == ["postgres", "postgres://u:p@h/db"]
    assert goose_connection("sqlite:///x.db") == ["sqlite3", "x.db"]
    assert goose_connection("mysql://u:p@h:3307/db") == ["mysql", "u:p@tcp(h:3307)/db"]
    monkeypatch.setenv("GOOSE_DRIVER", "postgres")
    monkeypatch.setenv("GOOSE_DBSTRING", "x")
    assert goose_connection("postgres://u:p@h/db") == []  # goose reads its own variables


GOOSE = "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n"
DBMATE = "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n"


def test_several_projects_must_be_chosen(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc_a/migrations/00001_init.sql": GOOSE,
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE})
    result = run_cli("status", cwd=tmp_path)
    assert result.code == 2
    assert "several migration projects" in result.err and "--project" in result.err
    assert "goose in svc_a" in result.err


def test_project_option_selects_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc_a/migrations/00001_init.sql": GOOSE,
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE})
    result = run_cli("status", "--project", "svc_a", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert result.code == 2
    assert "goose is not installed for the goose project" in result.err


def test_no_project_and_unsupported_orm_are_usage_errors(tmp_path: Path) -> None:
    empty = run_cli("run", cwd=tmp_path)
    assert empty.code == 2 and "no migration project found" in empty.err
    flyway = run_cli("run", "--orm", "flyway", cwd=tmp_path)
    assert flyway.code == 2 and "no lifecycle commands for 'flyway'" in flyway.err
    missing = run_cli("create", cwd=tmp_path)
    assert missing.code == 2


def test_run_from_inside_a_project_finds_it(tmp_path: Path) -> None:
    """From a project's migrations folder (or any folder below its root) in a repository, the project holding the
    current folder is the one acted on; outside any project the commands still ask for --project."""
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "svc_a/go.mod": "module svc_a\n",
                          "svc_a/migrations/00001_init.sql": GOOSE, "svc_a/cmd/server/main.go": "package main\n",
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE, "svc_b/db/seeds/a.txt": "x\n",
                          "docs/notes.md": "notes\n"})
    inside = run_cli("status", cwd=tmp_path / "svc_a" / "cmd" / "server", env={"PATH": "/usr/bin:/bin"})
    assert inside.code == 2 and "goose is not installed for the goose project" in inside.err
    beside = run_cli("status", cwd=tmp_path / "svc_b" / "db" / "seeds", env={"PATH": "/usr/bin:/bin"})
    assert beside.code == 2 and "dbmate is not installed" in beside.err
    outside = run_cli("status", cwd=tmp_path / "docs")
    assert outside.code == 2 and "no migration project found" in outside.err


# --- the database each tool really migrates (issue 12) -------------------------------------------------------

from migrate_guard.lifecycle.database import target_database  # noqa: E402


@pytest.mark.parametrize("orm, files, environ, url, source", [
    ("typeorm", {"src/data-source.ts": 'new DataSource({ type: "postgres", host: "db", port: 5433, '
                                       'username: "app", database: "shop" })'}, {},
     "postgresql://app@db:5433/shop", "data-source.ts connection options"),
    ("typeorm", {"src/data-source.ts": 'new DataSource({ type: "better-sqlite3", database: "data/app.sqlite" })'}, {},
     "sqlite:///data/app.sqlite", "data-source.ts database"),
    ("sequelize", {"config/config.json": '{"development": {"dialect": "mysql", "host": "127.0.0.1", '
                                         '"username": "root", "database": "shop_dev"}}'}, {},
     "mysql://root@127.0.0.1/shop_dev", "config.json development"),
    ("sequelize", {"config/config.json": '{"production": {"use_env_variable": "PROD_DB"}}'},
     {"NODE_ENV": "production", "PROD_DB": "postgres://u@prod-db.internal/shop"},
     "postgres://u@prod-db.internal/shop", "PROD_DB"),
    ("drizzle", {"drizzle.config.ts": 'export default { dialect: "sqlite", dbCredentials: { url: "./sqlite.db" } };'},
     {}, "sqlite:///./sqlite.db", "drizzle.config.ts dbCredentials.url"),
    ("drizzle", {"drizzle.config.ts": 'export default { dialect: "postgresql", dbCredentials: '
                                      '{ url: process.env.DATABASE_URL! } };'},
     {"DATABASE_URL": "postgres://u@localhost/app"}, "postgres://u@localhost/app", "DATABASE_URL"),
    ("dbmate", {".env": 'DATABASE_URL="postgres://u:pw@localhost:5432/app?sslmode=disable"\n'}, {},
     "postgres://u:pw@localhost:5432/app?sslmode=disable", ".env DATABASE_URL"),
    ("prisma", {"prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("PRISMA_URL")\n}\n',
                ".env": "PRISMA_URL=postgres://u@localhost/prisma\n"}, {},
     "postgres://u@localhost/prisma", ".env PRISMA_URL"),
    ("django", {"mysite/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', "
                                      "'NAME': 'shop', 'USER': 'app', 'HOST': 'db', 'PORT': '5432'}}"}, {},
     "postgresql://app@db:5432/shop", "settings.py DATABASES"),
])
def test_target_database_is_read_from_the_tools_own_config(tmp_path: Path, orm: str, files: dict[str, str],
                                                             environ: dict[str, str], url: str, source: str) -> None:
    write_tree(tmp_path, files)
    database = target_database(orm, tmp_path, None, environ)
    assert (database.url, database.source) == (url, source)
    assert backup_command(database.url, tmp_path) is not None  # a concrete command for every one of them


def test_database_url_that_the_tool_does_not_read_is_named_as_a_disagreement(tmp_path: Path) -> None:
    write_tree(tmp_path, {"knexfile.js": "module.exports = { client: 'sqlite3', connection: { filename: './dev.sqlite3' } };"})
    database = target_database("knex", tmp_path, None, {"DATABASE_URL": "postgres://u:secret@other/db"})
    assert database.url == "sqlite:///./dev.sqlite3"
    assert "DATABASE_URL is set (postgres://u:***@other/db), but knex reads knexfile.js connection.filename" in database.note
    assert "secret" not in database.note


@pytest.mark.parametrize("url, host, port, user, database", [
    ("mysql://user:pass@tcp(db.internal:3306)/shop", "db.internal", 3306, "user", "shop"),
    ("mysql://user:pass@unix(/var/run/mysqld.sock)/shop", "/var/run/mysqld.sock", None, "user", "shop"),
    ("postgres://u:p%40ss@[::1]:5432/app?sslmode=disable", "::1", 5432, "u", "app"),
    ("postgres://u@h:notaport/app", "h", None, "u", "app"),
])
def test_database_urls_in_every_documented_form_parse_without_raising(url: str, host: str, port: int | None,
                                                                      user: str, database: str) -> None:
    from migrate_guard.lifecycle.environment import parse_database_url

    address = parse_database_url(url)
    assert address is not None
    assert (address.host, address.port, address.user, address.database) == (host, port, user, database)


@pytest.mark.parametrize("text, shown", [
    ("-database mysql://user:pw1@tcp(h:3306)/db", "-database mysql://user:***@tcp(h:3306)/db"),
    ("goose mysql user:pw1@tcp(h:3306)/db up", "goose mysql user:***@tcp(h:3306)/db up"),
    ("host=h password=pw1 dbname=x", "host=h password=*** dbname=x"),
    ("jdbc:postgresql://h/db?user=u&password=pw1", "jdbc:postgresql://h/db?user=u&password=***"),
    ("sqlserver://sa:pw1@h:1433?database=x", "sqlserver://sa:***@h:1433?database=x"),
])
def test_every_password_form_is_redacted(text: str, shown: str) -> None:
    assert redact(text) == shown


@pytest.mark.parametrize("environ, reason", [
    ({"DJANGO_ENV": "production"}, "DJANGO_ENV=production"), ({"MIX_ENV": "prod"}, "MIX_ENV=prod"),
    ({"ASPNETCORE_ENVIRONMENT": "Production"}, "ASPNETCORE_ENVIRONMENT=Production"),
    ({"APP_ENV": "production "}, "APP_ENV=production"), ({"APP_ENV": "prd"}, "APP_ENV=prd"),
    ({"RAILS_ENV": "production-eu"}, "RAILS_ENV=production-eu"), ({"ENV": "PROD"}, "ENV=PROD"),
])
def test_production_values_across_ecosystems(environ: dict[str, str], reason: str) -> None:
    environment = detect_environment(None, PRODUCTION, environ)
    assert environment.production and environment.reason == reason


@pytest.mark.parametrize("url, production", [
    ("postgres://u@prod-db.internal/db", True), ("postgres://u@db.example.com/db", True),
    ("postgres://u@10.0.3.7/db", True), ("postgres://u@localhost/db", False), ("postgres://u@127.0.0.1/db", False),
    ("postgres://u@db:5432/db", False), ("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", False),
    ("sqlite:///prod.db", False), ("mysql://u:p@tcp(prod-mysql:3306)/db", True),
])
def test_production_from_the_database_host(url: str, production: bool) -> None:
    assert detect_environment(None, PRODUCTION, {}, database_url=url).production is production


ALEMBIC_AUTOGENERATED = '''from alembic import op
import sqlalchemy as sa

revision = "x1"
down_revision = None


def upgrade():
    op.create_table("roles", sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id"))
    op.add_column("users", sa.Column("role_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_users_role_id"), "users", ["role_id"], unique=False)
    op.create_foreign_key(None, "users", "roles", ["role_id"], ["id"])


def downgrade():
    op.drop_constraint(None, "users", type_="foreignkey")
    op.drop_index(op.f("ix_users_role_id"), table_name="users")
    op.drop_column("users", "role_id")
    op.drop_table("roles")
'''


def test_alembic_op_f_names_and_unnamed_foreign_keys_are_shown_in_words(tmp_path: Path) -> None:
    from migrate_guard.extract import alembic
    from migrate_guard.extract.base import MigrationUnit
    from migrate_guard.lifecycle.describe import applied_view, changes, reversed_view

    path = write_tree(tmp_path, {"x1.py": ALEMBIC_AUTOGENERATED}) / "x1.py"
    migration = alembic.extract(MigrationUnit("alembic", "x1", [path], "postgres"))
    assert "+ CREATE INDEX ix_users_role_id ON users (role_id)" in changes(migration)
    assert "+ ALTER TABLE users ADD FOREIGN KEY (role_id) REFERENCES roles" in changes(migration)
    assert applied_view(migration) == ["+ Created table: roles", "+ Added column: users.role_id",
                                       "+ Created index: ix_users_role_id",
                                       "+ Added foreign key: users(role_id) -> roles.id"]
    assert "- Dropped index: ix_users_role_id" in reversed_view(migration)
    assert not any("?" in line or "{" in line for line in changes(migration) + reversed_view(migration))


def test_dsn_redaction_is_linear_on_hostile_text() -> None:
    """The Go-DSN password pattern backtracked quadratically (`x=a:` * 16,000 took 25 s); guarded by an alarm."""
    import signal

    from migrate_guard.lifecycle.environment import redact

    def hang(*_: object) -> None:
        raise TimeoutError("redact() did not finish")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        for hostile in ("x=a:" * 16000, "x=a:/" * 16000 + "@tcp(", "a:" * 20000 + "@tcp("):
            redact(hostile)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert redact("-dsn='app:s3cr=t@tcp(db)/x'") == "-dsn='app:***@tcp(db)/x'"
    assert redact("mysql://u:p@tcp(h:3306)/db") == "mysql://u:***@tcp(h:3306)/db"


def test_changes_read_as_lifecycle_reports_promise() -> None:
    """LIFECYCLE-REPORTS.md: `+ CREATE TABLE "Role" (id, name, createdAt)` and
    `+ ALTER TABLE "User" ADD COLUMN "roleId" (FK -> Role.id)`."""
    from migrate_guard.extract.sql import Origin, extract_sql
    from migrate_guard.lifecycle.describe import forward

    sql = ('CREATE TABLE "Role" (id text PRIMARY KEY, name text NOT NULL, "createdAt" timestamp DEFAULT now());\n'
           'ALTER TABLE "User" ADD COLUMN "roleId" text REFERENCES "Role"(id);\n')
    lines = [forward(op) for op in extract_sql(sql, dialect="postgres", origin=Origin("m.sql"), migration="m")]
    assert lines[0] == "+ CREATE TABLE Role (id, name, createdAt)"
    assert lines[1] == "+ ALTER TABLE User ADD COLUMN roleId (FK -> Role.id)"


def test_a_fifo_named_like_django_settings_does_not_block(tmp_path) -> None:
    """The lifecycle reads settings.py for the database; a FIFO of that name is skipped, not opened (it would block)."""
    import os
    import signal

    from migrate_guard.lifecycle.environment import database_url_from_config

    (tmp_path / "shop").mkdir()
    os.mkfifo(tmp_path / "shop" / "settings.py")

    def hang(*_: object) -> None:
        raise TimeoutError("blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(5)
    try:
        assert database_url_from_config("django", tmp_path) is None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
