"""`migrate-guard verify` on real SQLite and a real Postgres 15: fixtures whose truth is known (fixtures/verify/),
the formats' transaction models, lock modes against the documentation, --database URL, and cleanup on SIGINT."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_cli, write_tree

VERIFY = FIXTURES / "verify"


def _findings(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, list[dict]]:
    result = run_cli("verify", *args, "--format", "json", cwd=cwd, env=env, timeout=300)
    assert result.code in (0, 1), result.err
    return result.code, result.json()["findings"]


def _by(findings: list[dict], rule: str, migration: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule and f["migration"] == migration]


@pytest.fixture
def scratch_tmp():
    """A temporary folder of this test's own for verify's TMPDIR (others may run verify at the same time), that the
    unprivileged server user can enter."""
    folder = tempfile.mkdtemp(prefix="mg-test-verify-", dir="/tmp")
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _leftovers(folder: str) -> list[str]:
    return sorted(os.listdir(folder))


def _servers(folder: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if folder in line]


@pytest.fixture(scope="module")
def needs_postgres_binaries() -> None:
    from migrate_guard.verify.servers import server_binaries

    if server_binaries() is None:
        if os.environ.get("CI"):
            raise AssertionError("Postgres server binaries are needed")
        pytest.skip("no Postgres server binaries")


def test_postgres_fixture_truth(needs_postgres_binaries: None, scratch_tmp: str) -> None:
    code, findings = _findings("postgres", cwd=VERIFY, env={"TMPDIR": scratch_tmp})
    assert code == 1
    # a down that forgets the index its up created
    [trip] = _by(findings, "verify-round-trip", "000002_add_email_index")
    assert "index users_email_idx survives the down" in trip["message"]
    assert trip["path"] == "postgres/migrations/000002_add_email_index.down.sql"
    # the CREATE INDEX takes SHARE: evidence on check's own finding, at its statement
    [index] = _by(findings, "non-concurrent-index", "000002_add_email_index")
    assert index["line"] == 3 and index["message"].endswith("(verified: SHARE on users)")
    # a down that does not re-add the dropped column
    [dropped] = _by(findings, "verify-round-trip", "000003_drop_legacy_ref")
    assert "down does not restore column users.legacy_ref" in dropped["message"]
    # varchar -> integer: ACCESS EXCLUSIVE and a rewrite, and a down that is exact
    [change] = _by(findings, "column-type-change", "000004_zip_to_integer")
    assert "(verified: ACCESS EXCLUSIVE on users; table users rewritten)" in change["message"]
    assert not _by(findings, "verify-round-trip", "000004_zip_to_integer")
    assert not _by(findings, "verify-round-trip", "000001_create_users")
    # NOT NULL without a default on a table with rows: the database's own message
    [rows] = _by(findings, "verify-fails-on-rows", "000005_add_region")
    assert 'column "region" of relation "users" contains null values' in rows["message"]
    assert rows["severity"] == "error" and rows["line"] == 2
    assert _leftovers(scratch_tmp) == [] and not _servers(scratch_tmp)


def test_text_report_groups_by_migration(needs_postgres_binaries: None) -> None:
    result = run_cli("verify", "postgres", cwd=VERIFY, timeout=300)
    assert result.code == 1
    lines = result.out.splitlines()
    assert "  ✓ 000001_create_users (up, down, up: schema equal)" in lines
    assert "  ✗ 000004_zip_to_integer (up, down, up: schema equal; ACCESS EXCLUSIVE on users (rewritten))" in lines
    assert "  ✗ 000005_add_region (up)" in lines


def test_clean_goose_project_passes_all_three_checks(needs_postgres_binaries: None) -> None:
    code, findings = _findings("clean", cwd=VERIFY)
    assert (code, findings) == (0, [])
    result = run_cli("verify", "clean", cwd=VERIFY, timeout=300)
    assert "  ✓ 20240103000000_order_status_index (up, down, up: schema equal)" in result.out  # NO TRANSACTION


def test_rows_zero_makes_the_not_null_column_pass(needs_postgres_binaries: None) -> None:
    _, findings = _findings("postgres", "--rows", "0", cwd=VERIFY)
    assert not [f for f in findings if f["rule"] in ("verify-fails-on-rows", "verify-migration-fails")]


def test_sqlite_fixture_truth() -> None:
    code, findings = _findings("sqlite", "--dialect", "sqlite", cwd=VERIFY)
    assert code == 1
    assert "index users_email_idx survives the down" in _by(findings, "verify-round-trip",
                                                              "000002_add_email_index")[0]["message"]
    assert "down does not restore column users.legacy_ref" in _by(findings, "verify-round-trip",
                                                                    "000003_drop_legacy_ref")[0]["message"]
    [rows] = _by(findings, "verify-fails-on-rows", "000004_copy_nicknames")
    assert "NOT NULL constraint failed: handles.name" in rows["message"] and rows["line"] == 3
    assert not _by(findings, "verify-round-trip", "000001_create_users")


@pytest.mark.parametrize("header, fails", [("-- migrate:up transaction:false", False), ("-- migrate:up", True)])
def test_dbmate_transaction_model(tmp_path: Path, header: str, fails: bool, needs_postgres_binaries: None) -> None:
    write_tree(tmp_path, {
        "db/migrations/20240101000000_items.sql": "-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY, sku text);\n"
                                                  "-- migrate:down\nDROP TABLE items;\n",
        "db/migrations/20240102000000_sku_index.sql": f"{header}\nCREATE INDEX CONCURRENTLY items_sku ON items (sku);\n"
                                                      "-- migrate:down\nDROP INDEX items_sku;\n",
    })
    _, findings = _findings(cwd=tmp_path)
    failures = _by(findings, "verify-migration-fails", "20240102000000_sku_index")
    assert bool(failures) is fails
    if fails:
        assert "cannot run inside a transaction block" in failures[0]["message"]


def test_unpredicted_lock_is_a_finding(tmp_path: Path, needs_postgres_binaries: None) -> None:
    write_tree(tmp_path, {
        "migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
        "migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
        "migrations/000002_trigger.up.sql":
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
            "CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();\n",
        "migrations/000002_trigger.down.sql": "DROP TRIGGER orders_touch ON orders;\nDROP FUNCTION touch();\n",
    })
    _, findings = _findings(cwd=tmp_path)
    [lock] = _by(findings, "verify-unpredicted-lock", "000002_trigger")
    assert lock["line"] == 2 and "SHARE ROW EXCLUSIVE on orders" in lock["message"]
    assert not _by(findings, "verify-round-trip", "000002_trigger")


# Table-level lock modes from the PostgreSQL 15 documentation (13.3.1 "Table-Level Locks", and the Notes of
# ALTER TABLE, CREATE INDEX, CREATE TRIGGER, REINDEX, COMMENT, CREATE STATISTICS), on table t.
DOCUMENTED = [
    ("SELECT * FROM t", "AccessShareLock"),
    ("SELECT * FROM t FOR UPDATE", "RowShareLock"),
    ("INSERT INTO t (id) VALUES (100)", "RowExclusiveLock"),
    ("UPDATE t SET note = 'x'", "RowExclusiveLock"),
    ("DELETE FROM t WHERE id = 1", "RowExclusiveLock"),
    ("ANALYZE t", "ShareUpdateExclusiveLock"),
    ("COMMENT ON TABLE t IS 'x'", "ShareUpdateExclusiveLock"),
    ("CREATE STATISTICS t_stats ON id, note FROM t", "ShareUpdateExclusiveLock"),
    ("ALTER TABLE t ALTER COLUMN note SET STATISTICS 500", "ShareUpdateExclusiveLock"),
    ("ALTER TABLE t SET (fillfactor = 70)", "ShareUpdateExclusiveLock"),
    ("ALTER TABLE t VALIDATE CONSTRAINT t_positive", "ShareUpdateExclusiveLock"),
    ("CREATE INDEX t_note ON t (note)", "ShareLock"),
    ("REINDEX TABLE t", "ShareLock"),
    ("CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()", "ShareRowExclusiveLock"),
    ("ALTER TABLE t DISABLE TRIGGER ALL", "ShareRowExclusiveLock"),
    ("ALTER TABLE c ADD CONSTRAINT c_t FOREIGN KEY (t_id) REFERENCES t (id)", "ShareRowExclusiveLock"),
    ("LOCK TABLE t IN EXCLUSIVE MODE", "ExclusiveLock"),
    ("ALTER TABLE t ADD COLUMN extra int", "AccessExclusiveLock"),
    ("ALTER TABLE t ALTER COLUMN note TYPE varchar(20)", "AccessExclusiveLock"),
    ("ALTER TABLE t ALTER COLUMN note SET DEFAULT 'n'", "AccessExclusiveLock"),
    ("ALTER TABLE t RENAME COLUMN note TO remark", "AccessExclusiveLock"),
    ("ALTER TABLE t ADD CONSTRAINT t_small CHECK (id < 1000) NOT VALID", "AccessExclusiveLock"),
    ("DROP INDEX t_existing", "AccessExclusiveLock"),
    ("TRUNCATE t", "AccessExclusiveLock"),
    ("DROP TABLE c", "AccessExclusiveLock"),
]
_SETUP = """
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE t (id int PRIMARY KEY, note text);
ALTER TABLE t ADD CONSTRAINT t_positive CHECK (id > 0) NOT VALID;
CREATE INDEX t_existing ON t (id, note);
CREATE TABLE c (id int PRIMARY KEY, t_id int);
INSERT INTO t VALUES (1, 'a'), (2, 'b');
"""


def test_lock_modes_match_the_documentation(postgres) -> None:
    from migrate_guard.location import Location
    from migrate_guard.verify.apply import Statement
    from migrate_guard.verify.database import Scratch
    from migrate_guard.verify.postgres import PostgresServer

    scratch = Scratch()
    server = PostgresServer(f"postgresql://{postgres.user}@/postgres?host={postgres.host}&port={postgres.port}",
                            None, "psql", scratch)
    try:
        base = server.create_database("mg_verify_locks_base")
        result = base.run(_SETUP)
        assert result.returncode == 0, result.stderr
        seen = {}
        for number, (sql, _) in enumerate(DOCUMENTED):
            copy = base.clone(f"c{number}")
            table = "c" if " c " in f" {sql} " or sql.endswith(" c") else "t"
            applied = copy.apply([Statement(sql, Location("x.sql", 1, 1, 1))], transactional=False)
            assert applied.ok, (sql, applied.error)
            seen[sql] = applied.effects[0].locks.get(table)
            copy.drop()
        assert seen == {sql: mode for sql, mode in DOCUMENTED}
        assert len({sql.split()[0] + " " + sql.split()[1] for sql, _ in DOCUMENTED}) >= 15
    finally:
        scratch.close()
    assert postgres.value("SELECT count(*) FROM pg_database WHERE datname LIKE 'mg_verify_locks%'") == "0"


def test_rewrite_is_seen_by_relfilenode(postgres) -> None:
    from migrate_guard.location import Location
    from migrate_guard.verify.apply import Statement
    from migrate_guard.verify.database import Scratch
    from migrate_guard.verify.postgres import PostgresServer

    scratch = Scratch()
    server = PostgresServer(f"postgresql://{postgres.user}@/postgres?host={postgres.host}&port={postgres.port}",
                            None, "psql", scratch)
    try:
        database = server.create_database("mg_verify_rewrite")
        assert database.run(_SETUP).returncode == 0
        statements = [Statement(sql, Location("x.sql", n, 1, n)) for n, sql in enumerate(
            ["ALTER TABLE t ALTER COLUMN note TYPE varchar(20)", "ALTER TABLE t ALTER COLUMN note TYPE varchar(40)",
                 "ALTER TABLE t ALTER COLUMN id TYPE bigint",
             "ALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT false"], start=1)]
        applied = database.apply(statements, transactional=True)
        # a longer varchar and (from Postgres 11) a constant default change no data file
        assert [e.rewritten for e in applied.effects] == [["t"], [], ["t"], []]
    finally:
        scratch.close()


def _url(postgres, dbname: str) -> str:
    return f"postgresql://{postgres.user}@/{dbname}?host={postgres.host}&port={postgres.port}"


def test_database_url_gets_a_temporary_database_dropped_afterwards(postgres) -> None:
    postgres.psql("DROP DATABASE IF EXISTS mg_empty; CREATE DATABASE mg_empty;")
    code, findings = _findings("clean", "--database", _url(postgres, "mg_empty"), cwd=VERIFY)
    assert (code, findings) == (0, [])
    assert postgres.value("SELECT count(*) FROM pg_database WHERE datname LIKE 'mg_verify_%'") == "0"
    assert postgres.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", dbname="mg_empty") == "0"


def test_database_url_with_tables_is_refused(postgres) -> None:
    postgres.psql("DROP DATABASE IF EXISTS mg_busy; CREATE DATABASE mg_busy;")
    postgres.psql("CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1);", dbname="mg_busy")
    result = run_cli("verify", "clean", "--database", _url(postgres, "mg_busy"), cwd=VERIFY)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "has 1 table(s)" in result.err
    assert postgres.value("SELECT count(*) FROM keep_me", dbname="mg_busy") == "1"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_killed_run_leaves_no_server_database_or_file(tmp_path: Path, signum: int, scratch_tmp: str,
                                                        needs_postgres_binaries: None) -> None:
    write_tree(tmp_path, {
        "migrations/000001_slow.up.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n",
        "migrations/000001_slow.down.sql": "DROP TABLE slow;\n",
    })
    proc = subprocess.Popen([sys.executable, "-m", "migrate_guard", "verify"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": scratch_tmp})
    deadline = time.time() + 60
    while time.time() < deadline and not _servers(scratch_tmp):
        time.sleep(0.2)
    assert _servers(scratch_tmp), "the scratch server never started"
    time.sleep(1.5)  # inside the migration's pg_sleep
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert _leftovers(scratch_tmp) == []
    assert not _servers(scratch_tmp)


def test_not_supported_projects_say_so() -> None:
    result = run_cli("verify", "apps/admin", cwd=FIXTURES / "demo")  # a TypeORM project without its node_modules
    assert result.code == 0
    assert "not verified: typeorm is not installed for this project (no node_modules/.bin/typeorm-ts-node-commonjs" \
        in result.out


def test_mysql_project_is_not_verified_in_one_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/000001_a.up.sql": "CREATE TABLE a (id int);\n",
                          "migrations/000001_a.down.sql": "DROP TABLE a;\n"})
    result = run_cli("verify", "--dialect", "mysql", cwd=tmp_path)
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines()[:2] == [". (golang-migrate, MySQL)",
                                           "  - not verified: verify supports SQLite and Postgres, not MySQL"]
    _, findings = _findings("--dialect", "mysql", cwd=tmp_path)
    assert [(f["rule"], f["severity"]) for f in findings if f["rule"].startswith("verify-")] == [
        ("verify-not-supported", "info")]
    # --database with a MySQL URL: a usage error, one line, exit 2, and nothing is connected to
    result = run_cli("verify", "--database", "mysql://root@127.0.0.1:1/app", cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == ["migrate-guard: error: verify does not support MySQL yet: only SQLite "
                                               "and Postgres"]


def test_demo_report(needs_postgres_binaries: None) -> None:
    result = run_cli("verify", cwd=FIXTURES / "demo", timeout=300)
    assert result.code == 1
    assert "services/billing/db (golang-migrate, Postgres)" in result.out
    assert "  ✓ 000001_create_invoices (up, down, up: schema equal)" in result.out
    # goose: a StatementBegin/End function body runs whole; CONCURRENTLY inside goose's transaction fails as in goose
    assert "  ✓ 20240101120000_products (up, down, up: schema equal)" in result.out
    assert "CREATE INDEX CONCURRENTLY cannot run inside a transaction block" in result.out
    # the demo's Django project names settings (config.settings) it does not ship
    assert "not verified: Django's sqlmigrate failed: ModuleNotFoundError: No module named 'config'" in result.out


def test_help_says_it_runs_the_project_code() -> None:
    result = run_cli("verify", "--help")
    assert result.code == 0
    assert "All of this runs the project's code" in " ".join(result.out.split())


def test_usage_errors() -> None:
    assert run_cli("verify", "--rows", "-1").code == 2
    result = run_cli("verify", "clean", "--database", "mysql://root@localhost/x", cwd=VERIFY)
    assert result.code == 2 and "does not support MySQL" in result.err
    assert run_cli("verify", "no/such/folder").code == 2


def test_verify_findings_are_ignored_and_configured_like_any_other(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/000001_a.up.sql": "CREATE TABLE a (id integer);\n",
                          "migrations/000001_a.down.sql": "SELECT 1;\n"})
    _, findings = _findings("--dialect", "sqlite", cwd=tmp_path)
    assert [f["rule"] for f in findings] == ["verify-round-trip"]
    assert "table a survives the down" in findings[0]["message"]
    (tmp_path / "migrations/000001_a.down.sql").write_text(
        "-- migrate-guard: ignore verify-round-trip -- kept on purpose\nSELECT 1;\n")
    assert _findings("--dialect", "sqlite", cwd=tmp_path) == (0, [])
    (tmp_path / "migrations/000001_a.down.sql").write_text("SELECT 1;\n")
    (tmp_path / ".migrate-guard.toml").write_text('[rules.verify-round-trip]\nseverity = "warning"\n')
    code, findings = _findings("--dialect", "sqlite", cwd=tmp_path)
    assert code == 0 and [f["severity"] for f in findings] == ["warning"]


def test_alembic_offline_sql_on_postgres(needs_postgres_binaries: None) -> None:
    code, findings = _findings("alembic", cwd=VERIFY)
    assert code == 1
    assert not _by(findings, "verify-round-trip", "a001_create_accounts")
    [trip] = _by(findings, "verify-round-trip", "a002_email_index")
    assert "index accounts_email_idx survives the down" in trip["message"]
    # each SQL statement is placed at its op.* call, so the evidence lands on check's finding for that call
    [index] = _by(findings, "non-concurrent-index", "a002_email_index")
    assert index["line"] == 11 and index["message"].endswith("(verified: SHARE on accounts)")
    [dropped] = _by(findings, "verify-round-trip", "a003_drop_legacy_ref")
    assert "down does not restore column accounts.legacy_ref" in dropped["message"]
    [change] = _by(findings, "column-type-change", "a004_zip_to_integer")
    assert change["line"] == 12
    assert change["message"].endswith("(verified: ACCESS EXCLUSIVE on accounts; table accounts rewritten)")
    assert not _by(findings, "verify-round-trip", "a004_zip_to_integer")
    [rows] = _by(findings, "verify-fails-on-rows", "a005_region")
    assert rows["line"] == 10 and "contains null values" in rows["message"]


def test_alembic_on_sqlite() -> None:
    _, findings = _findings("alembic", "--dialect", "sqlite", cwd=VERIFY)
    assert "index accounts_email_idx survives the down" in _by(findings, "verify-round-trip",
                                                                 "a002_email_index")[0]["message"]
    assert not _by(findings, "verify-round-trip", "a001_create_accounts")
    assert "down does not restore column accounts.legacy_ref" in _by(findings, "verify-round-trip",
                                                                       "a003_drop_legacy_ref")[0]["message"]
    # a004 changes the type on Postgres only: on SQLite it gives no SQL, which is no reason not to verify the rest
    assert not [f for f in findings if f["migration"] == "a004_zip_to_integer" and f["rule"].startswith("verify-")]
    [rows] = _by(findings, "verify-fails-on-rows", "a005_region")
    assert "Cannot add a NOT NULL column with default value NULL" in rows["message"]


def test_goose_fixture_truth_on_postgres(needs_postgres_binaries: None) -> None:
    code, findings = _findings("goose/postgres", cwd=VERIFY)
    assert code == 1
    assert not _by(findings, "verify-round-trip", "00001_create_users")
    [trip] = _by(findings, "verify-round-trip", "00002_add_email_index")
    assert "index users_email_idx survives the down" in trip["message"] and trip["line"] == 6  # its -- +goose Down
    [index] = _by(findings, "non-concurrent-index", "00002_add_email_index")
    assert index["line"] == 4 and index["message"].endswith("(verified: SHARE on users)")
    assert "down does not restore column users.legacy_ref" in _by(findings, "verify-round-trip",
                                                                    "00003_drop_legacy_ref")[0]["message"]
    [change] = _by(findings, "column-type-change", "00004_zip_to_integer")
    assert "(verified: ACCESS EXCLUSIVE on users; table users rewritten)" in change["message"]
    assert not _by(findings, "verify-round-trip", "00004_zip_to_integer")
    [rows] = _by(findings, "verify-fails-on-rows", "00005_add_region")
    assert 'column "region" of relation "users" contains null values' in rows["message"] and rows["line"] == 3


def test_goose_fixture_truth_on_sqlite() -> None:
    code, findings = _findings("goose/sqlite", cwd=VERIFY)
    assert code == 1
    assert not _by(findings, "verify-round-trip", "00001_create_users")
    assert "index users_email_idx survives the down" in _by(findings, "verify-round-trip",
                                                              "00002_add_email_index")[0]["message"]
    assert "down does not restore column users.legacy_ref" in _by(findings, "verify-round-trip",
                                                                    "00003_drop_legacy_ref")[0]["message"]
    [rows] = _by(findings, "verify-fails-on-rows", "00004_copy_nicknames")
    assert "NOT NULL constraint failed: handles.name" in rows["message"] and rows["line"] == 4


def test_alembic_env_without_offline_mode_is_not_verified() -> None:
    result = run_cli("verify", "services/ledger", cwd=FIXTURES / "demo")
    assert result.code == 0
    assert "not verified: alembic upgrade --sql gave no SQL" in result.out
    assert "0 migrations verified" in result.out


def test_django_sqlmigrate_on_sqlite(scratch_tmp: str) -> None:
    code, findings = _findings("django", cwd=VERIFY, env={"TMPDIR": scratch_tmp})
    assert code == 1
    assert not _by(findings, "verify-round-trip", "shop.0001_initial")
    [trip] = _by(findings, "verify-round-trip", "shop.0002_customer_region")
    assert "index shop_customer_email_idx survives the down" in trip["message"]
    assert "down does not restore column shop_customer.legacy_ref" in _by(
        findings, "verify-round-trip", "shop.0003_drop_legacy_ref")[0]["message"]
    # Django rebuilds a SQLite table to change a column's type, and loses the index RunSQL made behind its back
    assert "down does not restore index shop_customer_email_idx" in _by(
        findings, "verify-round-trip", "shop.0004_zip_to_integer")[0]["message"]
    [rows] = _by(findings, "verify-fails-on-rows", "shop.0005_customer_country")
    assert "NOT NULL constraint failed: new__shop_customer.country" in rows["message"]
    assert _leftovers(scratch_tmp) == []  # the settings override folder and the database file are gone too


def test_django_on_postgres(needs_postgres_binaries: None, scratch_tmp: str) -> None:
    code, findings = _findings("django", "--dialect", "postgres", cwd=VERIFY, env={"TMPDIR": scratch_tmp})
    assert code == 1
    assert not _by(findings, "verify-round-trip", "shop.0001_initial")
    [trip] = _by(findings, "verify-round-trip", "shop.0002_customer_region")
    assert "index shop_customer_email_idx survives the down" in trip["message"]
    # sqlmigrate's SQL is applied statement by statement: the RunSQL index's SHARE is read (no rule predicts an
    # index made in RunSQL: that is what verify-unpredicted-lock is for)
    [index] = [f for f in _by(findings, "verify-unpredicted-lock", "shop.0002_customer_region")
               if "CREATE INDEX" in f["message"]]
    assert "took SHARE on shop_customer" in index["message"] and index["line"] == 9
    [dropped] = _by(findings, "verify-round-trip", "shop.0003_drop_legacy_ref")
    assert "down does not restore column shop_customer.legacy_ref" in dropped["message"]
    [change] = _by(findings, "column-type-change", "shop.0004_zip_to_integer")
    assert change["message"].endswith("(verified: ACCESS EXCLUSIVE on shop_customer; table shop_customer rewritten)")
    assert not _by(findings, "verify-round-trip", "shop.0004_zip_to_integer")
    [rows] = _by(findings, "verify-fails-on-rows", "shop.0005_customer_country")
    assert 'column "country" of relation "shop_customer" contains null values' in rows["message"]
    assert rows["line"] == 8
    assert _leftovers(scratch_tmp) == [] and not _servers(scratch_tmp)


def test_django_on_postgres_without_a_driver_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from migrate_guard.verify.apply import CannotApply
    from migrate_guard.verify.django import _databases

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(CannotApply, match="Django on Postgres needs Django's Postgres driver"):
        _databases("postgres", {"database": "x", "host": "/tmp", "port": 5432, "user": "postgres"})


def test_seeded_rows_fit_types_references_and_constraints(tmp_path: Path, needs_postgres_binaries: None) -> None:
    write_tree(tmp_path, {
        "migrations/000001_schema.up.sql":
            "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
            "CREATE TABLE parent (id uuid PRIMARY KEY, code char(2) NOT NULL UNIQUE, born date NOT NULL,\n"
            "    doc jsonb NOT NULL, feeling mood NOT NULL, ok boolean NOT NULL, at timestamptz NOT NULL);\n"
            "CREATE TABLE child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            "    parent_id uuid NOT NULL REFERENCES parent (id), amount numeric(6, 2) NOT NULL);\n"
            "CREATE TABLE strict (code text NOT NULL CHECK (code ~ '^[A-Z]{3}$'));\n",
        "migrations/000001_schema.down.sql": "DROP TABLE strict, child, parent;\nDROP TYPE mood;\n",
        "migrations/000002_count.up.sql":
            "DO $$ BEGIN IF (SELECT count(*) FROM child JOIN parent ON parent.id = child.parent_id) < 3 THEN\n"
            "  RAISE EXCEPTION 'seeded children: %', (SELECT count(*) FROM child); END IF; END $$;\n",
        "migrations/000002_count.down.sql": "SELECT 1;\n",
    })
    _, findings = _findings(cwd=tmp_path)
    assert not _by(findings, "verify-migration-fails", "000002_count")
    [strict] = _by(findings, "verify-not-seeded", "000002_count")
    assert "strict" in strict["message"] and strict["severity"] == "info"
