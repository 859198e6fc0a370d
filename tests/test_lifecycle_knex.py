"""End to end with a real Node tool: Knex on SQLite (better-sqlite3@12; 13 crashes on Node 20), installed from npm
into a temporary project by the test itself."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from migrate_guard.lifecycle.environment import ENV_VARIABLES
from conftest import FIXTURES, run_cli

USERS_MIGRATION = """exports.up = function (knex) {
  return knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email').notNullable();
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('users');
};
"""

DROP_EMAIL = """exports.up = function (knex) {
  return knex.schema.alterTable('users', (t) => {
    t.dropColumn('email');
  });
};

exports.down = function (knex) {
  return knex.schema.alterTable('users', (t) => {
    t.string('email');
  });
};
"""


@pytest.fixture(scope="module")
def installed_node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `npm install` per test module (better-sqlite3 compiles from source here: about two minutes)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm/node are not installed: the Knex end-to-end test needs them")
    folder = tmp_path_factory.mktemp("knex_install")
    shutil.copy(FIXTURES / "lifecycle" / "knex_app" / "package.json", folder / "package.json")
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"npm install failed:\n{proc.stdout}\n{proc.stderr}"
    return folder / "node_modules"


@pytest.fixture
def knex_app(tmp_path: Path, installed_node_modules: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in (*ENV_VARIABLES, "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    root = tmp_path / "api"
    shutil.copytree(FIXTURES / "lifecycle" / "knex_app", root)
    (root / "node_modules").symlink_to(installed_node_modules, target_is_directory=True)
    return root


def tables(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_knex_create_check_run_status_rollback_status(knex_app: Path) -> None:
    db = knex_app / "dev.sqlite3"
    name = "create users; $(id)"
    created = run_cli("create", name, cwd=knex_app)
    assert created.code == 0, created.out + created.err
    files = list((knex_app / "migrations").iterdir())
    assert len(files) == 1 and files[0].name.endswith(f"_{name}.js")  # one literal argument, no shell
    assert "Created Migration:" in created.out  # knex's own output
    assert "Migration Created" in created.out and "ORM:  knex" in created.out
    assert f"File: migrations/{files[0].name}" in created.out
    # knex's template has an empty up and down: a skeleton, not a migration without a way back
    assert "The file is an empty skeleton to fill in" in created.out and "No usable down migration" not in created.out
    assert f"check it with: migrate-guard check 'migrations/{files[0].name}'" in created.out
    assert "Ready to apply" not in created.out

    files[0].write_text(USERS_MIGRATION, encoding="utf-8")
    checked = run_cli("check", cwd=knex_app)
    assert checked.code == 0, checked.out

    ran = run_cli("run", cwd=knex_app)
    assert ran.code == 0, ran.out + ran.err
    assert "Batch 1 run: 1 migrations" in ran.out
    assert "Migration Applied" in ran.out and "Applied: 1 migration(s)" in ran.out
    assert "     + Created table: users" in ran.out
    assert "users" in tables(db)

    status = run_cli("status", cwd=knex_app)
    assert status.code == 0
    assert "Applied (1):" in status.out and f"1. {files[0].name}" in status.out

    rolled = run_cli("rollback", "--allow-destructive", cwd=knex_app)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "- Dropped table: users" in rolled.out
    assert "migrate:down" in rolled.out
    assert "users" not in tables(db)

    after = run_cli("status", cwd=knex_app)
    assert "Applied (0):" in after.out and "Pending (1):" in after.out


def test_knex_destructive_pending_migration_is_refused(knex_app: Path) -> None:
    db = knex_app / "dev.sqlite3"
    (knex_app / "migrations").mkdir()
    (knex_app / "migrations" / "20240101000000_users.js").write_text(USERS_MIGRATION, encoding="utf-8")
    assert run_cli("run", cwd=knex_app).code == 0
    (knex_app / "migrations" / "20240102000000_drop_email.js").write_text(DROP_EMAIL, encoding="utf-8")
    refused = run_cli("run", cwd=knex_app)
    assert refused.code == 1
    assert "drop-column" in refused.out and "Back up first: sqlite3" in refused.out
    with sqlite3.connect(db) as connection:
        assert "email" in {row[1] for row in connection.execute("PRAGMA table_info(users)")}
        assert [row[0] for row in connection.execute("SELECT name FROM knex_migrations")] == ["20240101000000_users.js"]


def test_knex_status_on_a_new_project_has_no_side_effects(knex_app: Path) -> None:
    """After `knex init` there is no migrations folder: the native status would fail with ENOENT (and create the
    SQLite file and its knex_migrations tables). status says there are no migrations yet."""
    assert not (knex_app / "migrations").exists()
    status = run_cli("status", cwd=knex_app)
    assert status.code == 0, status.out + status.err
    assert "ORM:      knex" in status.out and "No migrations yet" in status.out
    assert "Pending (0):\n  (none)" in status.out
    assert not (knex_app / "dev.sqlite3").exists()


CONSTANT_FOLDER_KNEXFILE = """const path = require('path');
const MIGRATIONS = process.env.KNEX_MIGRATIONS || path.join(__dirname, '..', 'shared', 'changes');

module.exports = {
  client: 'better-sqlite3',
  connection: { filename: './dev.sqlite3' },
  useNullAsDefault: true,
  migrations: { directory: MIGRATIONS },
};
"""


def test_knex_pending_migration_in_a_folder_named_through_a_constant_is_refused(knex_app: Path) -> None:
    """The knexfile names its folder through a constant read from the environment, outside the project (a shared
    folder): migrate-guard cannot map knex's pending migration to a file, so it was never linted, and run refuses it (fail closed)
    until --allow-unreviewed."""
    (knex_app / "knexfile.js").write_text(CONSTANT_FOLDER_KNEXFILE, encoding="utf-8")
    shared = knex_app.parent / "shared" / "changes"
    shared.mkdir(parents=True)
    (shared / "20240101000000_users.js").write_text(USERS_MIGRATION, encoding="utf-8")
    refused = run_cli("run", cwd=knex_app)
    assert refused.code == 1, refused.out + refused.err
    assert "Not reviewed: 20240101000000_users.js" in refused.out and "--allow-unreviewed" in refused.err
    assert "users" not in tables(knex_app / "dev.sqlite3")
    allowed = run_cli("run", "--allow-unreviewed", cwd=knex_app)
    assert allowed.code == 0, allowed.out + allowed.err
    assert "users" in tables(knex_app / "dev.sqlite3")
