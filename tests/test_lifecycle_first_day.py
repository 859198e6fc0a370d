"""The lifecycle from a project's first day (issue 12): brand-new projects made the way each tool's docs say are found
by `status` and `create`, `status` has no side effects, names are converted where the tool needs an identifier,
backup hints name the database the tool really migrates, and Drizzle's applied state comes from its own table."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import FIXTURES, run_cli, skip_module_unless_installed, write_tree
from migrate_guard.lifecycle.environment import ENV_VARIABLES

skip_module_unless_installed("alembic", "django")

CLEAN_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}
STANDIN = (FIXTURES / "lifecycle" / "standin.py").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def no_environment_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own environment must not make them production (or point them at another database)."""
    for variable in (*ENV_VARIABLES, "DATABASE_URL", "GOOSE_DBSTRING"):
        monkeypatch.delenv(variable, raising=False)


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# --- Django ---------------------------------------------------------------------------------------------------


@pytest.fixture
def new_django(tmp_path: Path) -> Path:
    """`django-admin startproject mysite .` + `manage.py startapp shop`, with shop installed: no migration yet."""
    root = tmp_path / "site"
    root.mkdir()
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", "."], cwd=root, check=True)
    subprocess.run([sys.executable, "manage.py", "startapp", "shop"], cwd=root, check=True)
    settings = root / "mysite" / "settings.py"
    text = settings.read_text()
    assert "'django.contrib.staticfiles'," in text
    settings.write_text(text.replace("'django.contrib.staticfiles',", "'django.contrib.staticfiles',\n    'shop',"))
    return root


def test_new_django_project_status_create_run(new_django: Path) -> None:
    db = new_django / "db.sqlite3"
    status = run_cli("status", cwd=new_django, env=CLEAN_ENV)
    assert status.code == 0, status.out + status.err
    assert "Migration Status\n----------------\nORM:      django" in status.out
    assert "Pending (0):\n  (none)" in status.out and "No migrations yet" in status.out
    assert not db.exists()  # status created no database

    (new_django / "shop" / "models.py").write_text(
        "from django.db import models\n\n\nclass Role(models.Model):\n    name = models.CharField(max_length=50)\n")
    created = run_cli("create", "add-user-roles", "--app", "shop", cwd=new_django, env=CLEAN_ENV)
    assert created.code == 0, created.out + created.err
    assert "Django needs a Python identifier for the name: using add_user_roles for 'add-user-roles'" in created.out
    assert "File: shop/migrations/0001_add_user_roles.py" in created.out
    assert "+ CREATE TABLE shop_role" in created.out
    db.unlink(missing_ok=True)  # makemigrations' own history check opened it: a first run on no database at all

    ran = run_cli("run", cwd=new_django, env=CLEAN_ENV)
    assert ran.code == 0, ran.out + ran.err
    assert "  1. shop.0001_add_user_roles" in ran.out  # pending, from the files: the database does not exist yet
    assert "shop_role" in tables(db) and "auth_user" in tables(db)
    assert "Applied: " in ran.out and "+ Created table: shop_role" in ran.out


def test_django_name_without_letters_is_a_usage_error(new_django: Path) -> None:
    result = run_cli("create", "!!!", "--app", "shop", cwd=new_django, env=CLEAN_ENV)
    assert result.code == 2 and "Python identifier" in result.err


# --- Alembic --------------------------------------------------------------------------------------------------


@pytest.fixture
def new_alembic(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    subprocess.run([sys.executable, "-m", "alembic", "init", "alembic"], cwd=root, check=True, capture_output=True)
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", "sqlite:///app.db"))
    return root


def test_new_alembic_project_create_falls_back_to_a_plain_revision(new_alembic: Path) -> None:
    status = run_cli("status", cwd=new_alembic, env=CLEAN_ENV)
    assert status.code == 0, status.out + status.err
    assert "No migrations yet" in status.out
    assert not (new_alembic / "app.db").exists()

    created = run_cli("create", "add users", cwd=new_alembic, env=CLEAN_ENV)
    assert created.code == 0, created.out + created.err
    assert "env.py sets no target_metadata" in created.out and "alembic revision -m" in created.out
    assert "--autogenerate" not in created.out
    files = list((new_alembic / "alembic" / "versions").glob("*.py"))
    assert len(files) == 1
    assert "The file is an empty skeleton to fill in" in created.out
    assert f"migrate-guard check alembic/versions/{files[0].name}" in created.out
    assert "Safety check" not in created.out


def test_backup_hint_names_the_database_alembic_migrates_not_database_url(new_alembic: Path) -> None:
    """DATABASE_URL names another (production-looking) host; alembic.ini names the SQLite file env.py uses."""
    other = "postgresql://admin:hunter2@reports.example.com:5432/reports"
    write_tree(new_alembic, {"alembic/versions/a1_users.py": (
        'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "a1"\ndown_revision = None\n\n\n'
        'def upgrade():\n    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))\n\n\n'
        'def downgrade():\n    op.drop_table("users")\n')})
    assert run_cli("run", cwd=new_alembic, env=CLEAN_ENV).code == 0
    env = {**CLEAN_ENV, "DATABASE_URL": other}
    refused = run_cli("rollback", cwd=new_alembic, env=env)
    assert refused.code == 1, refused.out + refused.err
    assert "Back up first: sqlite3 app.db" in refused.out and "(database from alembic.ini sqlalchemy.url)" in refused.out
    assert "DATABASE_URL is set (postgresql://admin:***@reports.example.com:5432/reports), but alembic reads " \
           "alembic.ini sqlalchemy.url" in refused.out
    assert "pg_dump" not in refused.out and "hunter2" not in refused.out + refused.err
    assert "Environment: production" not in refused.out  # the database alembic migrates is a local file
    assert "users" in tables(new_alembic / "app.db")


# --- tools that cannot run here: stand-ins ----------------------------------------------------------------------


def _standin(root: Path, tool: str, rules: list[dict], node: bool = True) -> dict[str, str]:
    bin_dir = root / "node_modules" / ".bin" if node else root.parent / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / tool
    exe.write_text(f"#!{sys.executable}\n{STANDIN}", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    script = root.parent / "script.json"
    script.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    return {**CLEAN_ENV, "STANDIN_LOG": str(root.parent / "log.jsonl"), "STANDIN_SCRIPT": str(script),
            "STANDIN_STATE": str(root.parent / "state"), "PATH": f"{root.parent / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def _argvs(root: Path) -> list[list[str]]:
    log = root.parent / "log.jsonl"
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()] if log.exists() else []


def test_new_dbmate_project_is_found_and_a_first_run_creates_the_database(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"package.json": '{"devDependencies": {"dbmate": "^2"}}\n'})
    (root / "db" / "migrations").mkdir(parents=True)
    migration = "-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE users;\n"
    env = _standin(root, "dbmate", [
        {"match": ["new"], "write": {"db/migrations/20240101000000_add_users.sql": migration}},
        {"match": ["status"], "state": "start", "stderr": 'Error: pq: database "app" does not exist\n', "exit": 1},
        {"match": ["status"], "state": "applied", "stdout": "[X] 20240101000000_add_users.sql\n\nApplied: 1\n"},
        {"match": ["up"], "stdout": "Creating: app\nApplying: 20240101000000_add_users.sql\n", "next_state": "applied"},
    ])
    env["DATABASE_URL"] = "postgres://app@localhost:5432/app?sslmode=disable"
    status = run_cli("status", cwd=root, env=env)
    assert status.code == 0, status.out + status.err
    assert "ORM:      dbmate" in status.out and "No migrations yet" in status.out
    created = run_cli("create", "add users", cwd=root, env=env)
    assert created.code == 0, created.out + created.err
    ran = run_cli("run", cwd=root, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "the database does not exist yet: `dbmate up` creates it" in ran.out
    assert ["--migrations-dir", "db/migrations", "up"] in _argvs(root)
    assert "Applied: 1 migration(s)" in ran.out


def test_new_typeorm_project_uses_the_default_data_source(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "api", {
        "package.json": '{"dependencies": {"typeorm": "^0.3"}}\n',
        "src/data-source.ts": 'import { DataSource } from "typeorm"\n\nexport const AppDataSource = new DataSource({\n'
                              '  type: "sqlite",\n  database: "database.sqlite",\n  migrations: [],\n})\n'})
    env = _standin(root, "typeorm", [{"match": ["migration:show"], "stdout": ""}])
    status = run_cli("status", cwd=root, env=env)
    assert status.code == 0, status.out + status.err
    assert _argvs(root) == [["migration:show", "-d", "src/data-source.ts"]]
    assert "No migrations yet" in status.out


def test_declared_node_tool_without_node_modules_is_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"package.json": '{"devDependencies": {"prisma": "^6"}}\n',
                                         "prisma/schema.prisma": 'datasource db {\n  provider = "sqlite"\n'
                                                                 '  url = "file:./dev.db"\n}\n'})
    result = run_cli("status", cwd=root, env=CLEAN_ENV)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "prisma is declared in package.json but not installed" in result.err
    assert "npm install" in result.err


def test_empty_name_is_a_usage_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"knexfile.js": "module.exports = {client: 'sqlite3'};\n",
                                         "package.json": '{"dependencies": {"knex": "^3"}}\n'})
    result = run_cli("create", "", cwd=root, env=CLEAN_ENV)
    assert result.code == 2 and "must not be empty" in result.err


DRIZZLE_JOURNAL = json.dumps({"version": "7", "dialect": "postgresql", "entries": [
    {"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_init", "breakpoints": True},
    {"idx": 1, "version": "7", "when": 1700000000001, "tag": "0001_drop_legacy", "breakpoints": True},
    {"idx": 2, "version": "7", "when": 1700000000002, "tag": "0002_add_age", "breakpoints": True}]})


def _drizzle_project(tmp_path: Path, credentials: str, dialect: str) -> Path:
    return write_tree(tmp_path / "web", {
        "package.json": '{"devDependencies": {"drizzle-kit": "^0.30"}}\n',
        "drizzle.config.ts": f'export default {{ dialect: "{dialect}", schema: "./src/schema.ts", out: "./drizzle",\n'
                             f'  dbCredentials: {{ {credentials} }} }};\n',
        "drizzle/0000_init.sql": "CREATE TABLE users (id integer PRIMARY KEY, nickname text);\nCREATE TABLE legacy (id int);\n",
        "drizzle/0001_drop_legacy.sql": "DROP TABLE legacy;\n",
        "drizzle/0002_add_age.sql": "ALTER TABLE users ADD COLUMN age integer;\n",
        "drizzle/meta/_journal.json": DRIZZLE_JOURNAL})


def test_drizzle_sqlite_applied_state_from_db_credentials(tmp_path: Path) -> None:
    """Only the pending migration is judged: the destructive one applied long ago needs no --allow-destructive."""
    root = _drizzle_project(tmp_path, 'url: "file:local.db"', "sqlite")
    with sqlite3.connect(root / "local.db") as connection:
        connection.execute("CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text, created_at numeric)")
        connection.executemany("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('x', ?)",
                               [(1700000000000,), (1700000000001,)])
    env = _standin(root, "drizzle-kit", [{"match": ["migrate"], "stdout": "applied\n"}])
    status = run_cli("status", cwd=root, env=env)
    assert "Applied (2):" in status.out and "Pending (1):\n  3. 0002_add_age" in status.out
    ran = run_cli("run", cwd=root, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "Pending migrations (1):\n  1. 0002_add_age" in ran.out and "drop-table" not in ran.out


def test_drizzle_postgres_applied_state_from_its_table(tmp_path: Path, postgres) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    database = f"drizzle_{os.getpid()}"
    postgres.psql(f"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database};")
    postgres.psql("CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                  "(id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);"
                  "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('a', 1700000000000), "
                  "('b', 1700000000001);", dbname=database)
    host = quote(postgres.host, safe="")  # a Unix socket folder, percent-encoded as libpq and node-postgres read it
    url = f"postgres://{postgres.user}@{host}:{postgres.port}/{database}"
    root = _drizzle_project(tmp_path, f'url: "{url}"', "postgresql")
    env = _standin(root, "drizzle-kit", [{"match": ["migrate"], "stdout": "applied\n"}])
    status = run_cli("status", cwd=root, env=env)
    assert status.code == 0, status.out + status.err
    assert "Applied (2):" in status.out and "Pending (1):\n  3. 0002_add_age" in status.out
    ran = run_cli("run", cwd=root, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "Pending migrations (1):" in ran.out and "drop-table" not in ran.out
    postgres.psql(f"DROP DATABASE {database};")


# --- the whole first-week sequence, through migrate-guard only, the database checked after each step ----------


def columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def test_alembic_sequence_from_a_new_project(tmp_path: Path) -> None:
    root = tmp_path / "billing"
    shutil.copytree(FIXTURES / "lifecycle" / "alembic_app", root)
    db = root / "app.db"
    status = run_cli("status", cwd=root, env=CLEAN_ENV)
    assert status.code == 0 and "No migrations yet" in status.out and not db.exists()

    created = run_cli("create", "add-users", cwd=root, env=CLEAN_ENV)
    assert created.code == 0, created.out + created.err
    assert "Migration Created\n-----------------\nFile: migrations/versions/" in created.out
    assert "ORM:  alembic\n\nChanges detected:\n  + CREATE TABLE users (" in created.out
    assert run_cli("run", cwd=root, env=CLEAN_ENV).code == 0
    assert columns(db, "users") == {"id", "email", "nickname"}

    models = root / "models.py"
    models.write_text(models.read_text().replace('    sa.Column("nickname", sa.String(50), nullable=True),\n', ""))
    dropping = run_cli("create", "drop nickname", cwd=root, env=CLEAN_ENV)
    assert dropping.code == 1  # an error-level finding: the exit code follows --fail-on
    assert "- ALTER TABLE users DROP COLUMN nickname" in dropping.out and "[FAIL]" in dropping.out

    refused = run_cli("run", cwd=root, env=CLEAN_ENV)
    assert refused.code == 1 and "--allow-destructive" in refused.err
    assert "Back up first: sqlite3 app.db" in refused.out
    assert "nickname" in columns(db, "users")

    allowed = run_cli("run", "--allow-destructive", cwd=root, env=CLEAN_ENV)
    assert allowed.code == 0, allowed.out + allowed.err
    assert "Applied: 1 migration(s)" in allowed.out and "- Dropped column: users.nickname" in allowed.out
    assert "nickname" not in columns(db, "users")

    status = run_cli("status", cwd=root, env=CLEAN_ENV)
    assert "Applied (2):" in status.out and "Pending (0):\n  (none)" in status.out
    assert "Schema drift: None detected" in status.out and "Last applied: " in status.out

    preview = run_cli("rollback", cwd=root, env=CLEAN_ENV)  # re-adding a column loses nothing: no gate
    assert preview.code == 0, preview.out + preview.err
    assert "Reversed operations:\n  + Added column: users.nickname" in preview.out
    assert "Current state: " in preview.out
    assert "nickname" in columns(db, "users")

    after = run_cli("status", cwd=root, env=CLEAN_ENV)
    assert "Applied (1):" in after.out and "Pending (1):" in after.out


def test_django_sequence_from_a_new_project(new_django: Path) -> None:
    db = new_django / "db.sqlite3"
    models = new_django / "shop" / "models.py"
    models.write_text("from django.db import models\n\n\nclass Product(models.Model):\n"
                      "    name = models.CharField(max_length=100)\n    note = models.TextField(null=True)\n")
    assert run_cli("create", "initial", "--app", "shop", cwd=new_django, env=CLEAN_ENV).code == 0
    assert run_cli("run", cwd=new_django, env=CLEAN_ENV).code == 0
    assert columns(db, "shop_product") == {"id", "name", "note"}

    models.write_text(models.read_text().replace("    note = models.TextField(null=True)\n", ""))
    assert run_cli("create", "drop-note", "--app", "shop", cwd=new_django, env=CLEAN_ENV).code == 1
    refused = run_cli("run", cwd=new_django, env=CLEAN_ENV)
    assert refused.code == 1 and "drop-column" in refused.out and "note" in columns(db, "shop_product")
    assert run_cli("run", "--allow-destructive", cwd=new_django, env=CLEAN_ENV).code == 0
    assert "note" not in columns(db, "shop_product")

    status = run_cli("status", cwd=new_django, env=CLEAN_ENV)
    assert "shop.0002_drop_note  (applied at" in status.out and "Schema drift: None detected" in status.out

    rolled = run_cli("rollback", cwd=new_django, env=CLEAN_ENV)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "Reverted: shop.0002_drop_note" in rolled.out and "Current state: shop.0001_initial" in rolled.out
    assert "note" in columns(db, "shop_product")
