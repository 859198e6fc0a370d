"""`migrate-guard verify` through the projects' own tools (Knex, ...), installed from npm by the tests themselves into
temporary folders, on real SQLite and a real Postgres 15: the same fixtures' truth as the SQL formats."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

VERIFY = FIXTURES / "verify"


def _npm_install(folder: Path, package_json: Path) -> Path:
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("CI"):
            raise AssertionError("npm/node are needed")
        pytest.skip("npm/node are not installed")
    shutil.copy(package_json, folder / "package.json")
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"npm install failed:\n{proc.stdout}\n{proc.stderr}"
    return folder / "node_modules"


@pytest.fixture(scope="module")
def knex_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """knex, pg and better-sqlite3 (which compiles from source here: about two minutes), once per module."""
    return _npm_install(tmp_path_factory.mktemp("knex_install"), VERIFY / "knex" / "package.json")


@pytest.fixture
def scratch_tmp():
    folder = tempfile.mkdtemp(prefix="mg-test-verify-native-", dir="/tmp")
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _project(tmp_path: Path, fixture: str, node_modules: Path | None) -> Path:
    root = tmp_path / fixture
    shutil.copytree(VERIFY / fixture, root)
    if node_modules is not None:
        (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return root


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "node_modules" not in p.parts)


def _verify(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[dict]]:
    result = run_cli("verify", *args, "--format", "json", cwd=root, env={"DATABASE_URL": "", **(env or {})},
                     timeout=600)
    assert result.code in (0, 1), result.err
    return result.code, result.json()["findings"]


def _by(findings: list[dict], rule: str, migration: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule and f["migration"] == migration]


@pytest.fixture(scope="module")
def needs_postgres_binaries() -> None:
    from migrate_guard.verify.servers import server_binaries

    if server_binaries() is None:
        if os.environ.get("CI"):
            raise AssertionError("Postgres server binaries are needed")
        pytest.skip("no Postgres server binaries")


def test_knex_on_postgres_through_the_knex_cli(tmp_path: Path, knex_modules: Path, scratch_tmp: str,
                                               needs_postgres_binaries: None) -> None:
    root = _project(tmp_path, "knex", knex_modules)
    before = _files(root)
    code, findings = _verify(root, env={"TMPDIR": scratch_tmp})
    assert code == 1
    assert not _by(findings, "verify-round-trip", "20240101000000_create_users.js")
    [index] = _by(findings, "verify-round-trip", "20240102000000_add_email_index.js")
    assert "index users_email_idx survives the down" in index["message"]
    [dropped] = _by(findings, "verify-round-trip", "20240103000000_drop_legacy_ref.js")
    assert "down does not restore column users.legacy_ref" in dropped["message"]
    # the DDL observer: each statement knex sends is matched to its operation (two statements, two operations)
    [index_lock] = _by(findings, "non-concurrent-index", "20240102000000_add_email_index.js")
    assert index_lock["line"] == 5 and index_lock["message"].endswith("(verified: SHARE on users)")
    # one operation, several statements (knex drops the default and NOT NULL, then changes the type): one evidence
    [change] = _by(findings, "column-type-change", "20240104000000_zip_to_integer.js")
    assert change["message"].endswith("(verified: ACCESS EXCLUSIVE on users; table users rewritten)")
    assert change["line"] == 4
    assert not [f for f in findings if f["rule"] == "verify-unpredicted-lock"]  # knex_migrations* are not watched
    assert not _by(findings, "verify-round-trip", "20240104000000_zip_to_integer.js")
    [rows] = _by(findings, "verify-fails-on-rows", "20240105000000_add_region.js")
    assert 'column "region" of relation "users" contains null values' in rows["message"]
    assert rows["message"].startswith('`alter table "users" add column "region" text not null` fails')
    assert rows["line"] == 4
    assert _files(root) == before  # verify's knexfile and database live outside the project
    assert os.listdir(scratch_tmp) == []
    text = run_cli("verify", cwd=root, env={"DATABASE_URL": ""}, timeout=600).out
    assert "  ✗ 20240104000000_zip_to_integer.js (up, down, up: schema equal; ACCESS EXCLUSIVE on users (rewritten))" \
        in text
    assert "  - locks read after each DDL statement knex sends (an event trigger)" in text


def test_knex_without_a_superuser_reads_rewrites_but_not_locks(tmp_path: Path, knex_modules: Path, postgres) -> None:
    """The DDL observer is an event trigger, which only a superuser may create: on a server given by URL with an
    ordinary role, verify says the locks are not observed and still sees the rewrite (relfilenode)."""
    postgres.psql("DROP DATABASE IF EXISTS mg_plain_empty; DROP ROLE IF EXISTS mg_plain; "
                  "CREATE ROLE mg_plain LOGIN CREATEDB; CREATE DATABASE mg_plain_empty OWNER mg_plain;")
    url = f"postgresql://mg_plain@/mg_plain_empty?host={postgres.host}&port={postgres.port}"
    root = _project(tmp_path, "knex", knex_modules)
    result = run_cli("verify", "--database", url, "--format", "json", cwd=root, timeout=600)
    findings = result.json()["findings"]
    [change] = _by(findings, "column-type-change", "20240104000000_zip_to_integer.js")
    assert change["message"].endswith("(verified: table users rewritten)")
    assert not _by(findings, "non-concurrent-index", "20240102000000_add_email_index.js")  # no lock evidence for it
    text = run_cli("verify", "--database", url, cwd=root, timeout=600).out
    assert "  - locks per statement not observed: knex sends the statements itself and verify could not install " \
           "its DDL observer (an event trigger needs a superuser)" in text
    assert "  ✗ 20240104000000_zip_to_integer.js (up, down, up: schema equal; users rewritten)" in text
    assert postgres.value("SELECT count(*) FROM pg_database WHERE datname LIKE 'mg_verify_%'") == "0"


def test_knex_on_sqlite(tmp_path: Path, knex_modules: Path, scratch_tmp: str) -> None:
    root = _project(tmp_path, "knex", knex_modules)
    code, findings = _verify(root, "--dialect", "sqlite", env={"TMPDIR": scratch_tmp})
    assert code == 1
    assert not _by(findings, "verify-round-trip", "20240101000000_create_users.js")
    assert "index users_email_idx survives the down" in _by(
        findings, "verify-round-trip", "20240102000000_add_email_index.js")[0]["message"]
    assert "down does not restore column users.legacy_ref" in _by(
        findings, "verify-round-trip", "20240103000000_drop_legacy_ref.js")[0]["message"]
    assert not _by(findings, "verify-round-trip", "20240104000000_zip_to_integer.js")  # knex copies the table
    [rows] = _by(findings, "verify-fails-on-rows", "20240105000000_add_region.js")
    assert "Cannot add a NOT NULL column with default value NULL" in rows["message"]
    assert os.listdir(scratch_tmp) == []


def test_knex_typescript_migrations(tmp_path: Path, knex_modules: Path, scratch_tmp: str) -> None:
    """TypeScript migrations: verify's knexfile is then a knexfile.ts, which makes the knex CLI register ts-node."""
    from conftest import write_tree

    root = write_tree(tmp_path / "ts", {
        "knexfile.ts": 'import type { Knex } from "knex";\n'
                       'const config: Knex.Config = { client: "better-sqlite3", migrations: { extension: "ts" } };\n'
                       "export default config;\n",
        "migrations/20240101000000_users.ts":
            'import type { Knex } from "knex";\n\nexport async function up(knex: Knex): Promise<void> {\n'
            '  await knex.schema.createTable("users", (t) => { t.increments("id"); t.string("email"); });\n}\n\n'
            'export async function down(knex: Knex): Promise<void> {\n  await knex.schema.dropTable("users");\n}\n',
        "migrations/20240102000000_email_index.ts":
            'import type { Knex } from "knex";\n\nexport async function up(knex: Knex): Promise<void> {\n'
            '  await knex.schema.alterTable("users", (t) => { t.index(["email"], "users_email_idx"); });\n}\n\n'
            'export async function down(knex: Knex): Promise<void> {\n  await knex.raw("SELECT 1");\n}\n',
    })
    (root / "node_modules").symlink_to(knex_modules, target_is_directory=True)
    code, findings = _verify(root, env={"TMPDIR": scratch_tmp})
    assert code == 1
    assert [(f["rule"], f["migration"]) for f in findings if f["rule"].startswith("verify-")] == [
        ("verify-round-trip", "20240102000000_email_index.ts")]
    assert "index users_email_idx survives the down" in findings[-1]["message"]
    assert os.listdir(scratch_tmp) == []


def test_knex_not_installed_is_not_verified(tmp_path: Path, scratch_tmp: str) -> None:
    root = _project(tmp_path, "knex", None)
    result = run_cli("verify", cwd=root, env={"TMPDIR": scratch_tmp})
    assert result.code == 0 and "Traceback" not in result.err
    assert "not verified: knex is not installed for this project (no node_modules/.bin/knex" in result.out
    _, findings = _verify(root, env={"TMPDIR": scratch_tmp})
    assert [f["rule"] for f in findings if f["rule"].startswith("verify-")] == ["verify-not-supported"]
    assert os.listdir(scratch_tmp) == []


@pytest.fixture(scope="module")
def sequelize_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _npm_install(tmp_path_factory.mktemp("sequelize_install"), VERIFY / "sequelize" / "package.json")


@pytest.fixture(scope="module")
def typeorm_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _npm_install(tmp_path_factory.mktemp("typeorm_install"), VERIFY / "typeorm" / "package.json")


# The same five migrations in each tool's form (fixtures/verify/<tool>/), oldest first.
_SEQUELIZE = ["20240101000000-create-users.js", "20240102000000-add-email-index.js",
              "20240103000000-drop-legacy-ref.js", "20240104000000-zip-to-integer.js", "20240105000000-add-region.js"]
_TYPEORM = ["1704067200000-CreateUsers.ts", "1704153600000-AddEmailIndex.ts", "1704240000000-DropLegacyRef.ts",
            "1704326400000-ZipToInteger.ts", "1704412800000-AddRegion.ts"]


def _assert_truth(findings: list[dict], ids: list[str]) -> None:
    clean, index, dropped, zip_change, region = ids
    assert not _by(findings, "verify-round-trip", clean)
    assert "index users_email_idx survives the down" in _by(findings, "verify-round-trip", index)[0]["message"]
    assert "down does not restore column users.legacy_ref" in _by(findings, "verify-round-trip",
                                                                    dropped)[0]["message"]
    assert _by(findings, "non-concurrent-index", index)[0]["message"].endswith("(verified: SHARE on users)")
    [change] = _by(findings, "column-type-change", zip_change)
    assert change["message"].endswith("(verified: ACCESS EXCLUSIVE on users; table users rewritten)")
    assert not _by(findings, "verify-round-trip", zip_change)
    [rows] = _by(findings, "verify-fails-on-rows", region)
    assert 'column "region" of relation "users" contains null values' in rows["message"]


def test_sequelize_on_postgres_through_sequelize_cli(tmp_path: Path, sequelize_modules: Path, scratch_tmp: str,
                                                     needs_postgres_binaries: None) -> None:
    root = _project(tmp_path, "sequelize", sequelize_modules)
    (root / ".sequelizerc").write_text("throw new Error('verify must not read the project .sequelizerc');\n")
    before = _files(root)
    code, findings = _verify(root, env={"TMPDIR": scratch_tmp})
    assert code == 1
    _assert_truth(findings, _SEQUELIZE)
    assert _files(root) == before and os.listdir(scratch_tmp) == []


def test_typeorm_typescript_migrations_on_postgres(tmp_path: Path, typeorm_modules: Path, scratch_tmp: str,
                                                   needs_postgres_binaries: None) -> None:
    root = _project(tmp_path, "typeorm", typeorm_modules)
    before = _files(root)
    code, findings = _verify(root, env={"TMPDIR": scratch_tmp})
    assert code == 1
    _assert_truth(findings, _TYPEORM)
    [rows] = _by(findings, "verify-fails-on-rows", _TYPEORM[-1])
    assert rows["message"].startswith('`ALTER TABLE "users" ADD "region" text NOT NULL` fails')  # TypeORM's own log
    assert _files(root) == before and os.listdir(scratch_tmp) == []


def test_sequelize_on_sqlite_without_its_driver_is_not_verified(tmp_path: Path, sequelize_modules: Path,
                                                                scratch_tmp: str) -> None:
    root = _project(tmp_path, "sequelize", sequelize_modules)
    result = run_cli("verify", "--dialect", "sqlite", cwd=root, env={"TMPDIR": scratch_tmp}, timeout=300)
    assert result.code == 0
    assert "not verified: Sequelize on SQLite needs the sqlite3 package in the project's node_modules" in result.out
    assert os.listdir(scratch_tmp) == []


def test_sigint_while_knex_runs_leaves_no_server_tool_database_or_file(tmp_path: Path, knex_modules: Path,
                                                                       scratch_tmp: str,
                                                                       needs_postgres_binaries: None) -> None:
    import signal
    import sys
    import time

    from conftest import REPO, write_tree

    root = write_tree(tmp_path / "slow", {
        "knexfile.js": "module.exports = { client: 'pg', migrations: { directory: './migrations' } };\n",
        "migrations/20240101000000_slow.js": "exports.up = (knex) => knex.raw('SELECT pg_sleep(60)');\n"
                                             "exports.down = (knex) => knex.raw('SELECT 1');\n",
    })
    (root / "node_modules").symlink_to(knex_modules, target_is_directory=True)
    proc = subprocess.Popen([sys.executable, "-m", "migrate_guard", "verify"], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": scratch_tmp})

    def running(word: str) -> bool:
        out = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout  # whole lines
        return any(scratch_tmp in line and word in line for line in out.splitlines())

    deadline = time.time() + 120
    while time.time() < deadline and not running("migrate:up"):  # the knex CLI, inside the migration's pg_sleep
        time.sleep(0.2)
    assert running("migrate:up"), "knex never started"
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err
    assert os.listdir(scratch_tmp) == []
    assert not running("")  # no server, no knex process
