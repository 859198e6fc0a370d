"""The lock and transaction rules' claims, checked against a real PostgreSQL 15: the lock each statement kind takes
(engine/locks.py's table, read back from pg_locks inside the statement's transaction), that a backfill after an ALTER
in one transaction runs under the ALTER's lock, that a new enum value cannot be used in its own transaction, and that
long names are truncated."""

from __future__ import annotations

import pytest

from conftest import run_cli

pytestmark = pytest.mark.usefixtures("postgres")

SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text, age int, nick text DEFAULT 'x');
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
CREATE INDEX users_age_idx ON users (age);
ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0) NOT VALID;
INSERT INTO users VALUES (1, 'a@x.io', 3, 'n');
"""

# (statement, the lock migrate-guard says it takes on `users`), per Postgres's "Explicit Locking" and ALTER TABLE docs
LOCK_CASES = [
    ("ALTER TABLE users ADD COLUMN plan text", "AccessExclusiveLock"),
    ("ALTER TABLE users DROP COLUMN nick", "AccessExclusiveLock"),
    ("ALTER TABLE users ALTER COLUMN age TYPE bigint", "AccessExclusiveLock"),
    ("ALTER TABLE users ALTER COLUMN email SET NOT NULL", "AccessExclusiveLock"),
    ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL", "AccessExclusiveLock"),
    ("ALTER TABLE users ALTER COLUMN nick SET DEFAULT 'y'", "AccessExclusiveLock"),
    ("ALTER TABLE users RENAME COLUMN nick TO handle", "AccessExclusiveLock"),
    ("ALTER TABLE users RENAME TO people", "AccessExclusiveLock"),
    ("ALTER TABLE users DROP CONSTRAINT users_age_positive", "AccessExclusiveLock"),
    ("ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '')", "AccessExclusiveLock"),
    ("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)",
     "ShareRowExclusiveLock"),
    ("ALTER TABLE users VALIDATE CONSTRAINT users_age_positive", "ShareUpdateExclusiveLock"),
    ("TRUNCATE users CASCADE", "AccessExclusiveLock"),
    ("DROP TABLE users CASCADE", "AccessExclusiveLock"),
    ("CREATE INDEX users_email_idx ON users (email)", "ShareLock"),
    ("DROP INDEX users_age_idx", "AccessExclusiveLock"),
    ("VACUUM FULL users", "AccessExclusiveLock"),
    ("CLUSTER users USING users_pkey", "AccessExclusiveLock"),
    ("REINDEX TABLE users", "ShareLock"),
    ("UPDATE users SET age = 4", "RowExclusiveLock"),
    ("DELETE FROM users WHERE id = 2", "RowExclusiveLock"),
]
_MODES = {"ACCESS EXCLUSIVE": "AccessExclusiveLock", "SHARE ROW EXCLUSIVE": "ShareRowExclusiveLock",
          "SHARE UPDATE EXCLUSIVE": "ShareUpdateExclusiveLock", "SHARE": "ShareLock",
          "ROW EXCLUSIVE": "RowExclusiveLock"}


def _fresh_db(postgres, name: str) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
    postgres.psql(SCHEMA, dbname=name)
    return name


def _predicted_lock(statement: str) -> str | None:
    from migrate_guard.engine.locks import lock_mode
    from migrate_guard.extract.sql import Origin, extract_sql

    ops = [op for op in extract_sql(statement + ";", dialect="postgres", origin=Origin("m.sql"), migration="m")
           if op.kind not in ("raw", "setting", "transaction")]
    assert ops, statement
    mode = lock_mode(ops[0])
    return _MODES.get(mode) if mode else None


@pytest.mark.parametrize("statement,expected", LOCK_CASES, ids=[c[0][:40] for c in LOCK_CASES])
def test_lock_table_matches_what_postgres_takes(postgres, statement: str, expected: str) -> None:
    db = _fresh_db(postgres, "locks")
    if statement.startswith(("VACUUM", "CLUSTER", "REINDEX")):
        # These cannot run inside a transaction block (VACUUM) or release their lock at once: the documented mode
        # is checked against the static table only.
        assert _predicted_lock(statement) == expected
        return
    # the table's oid is read first: DROP TABLE removes it from pg_class, not its lock from pg_locks
    held = postgres.value(
        f"SELECT 'users'::regclass::oid AS rel \\gset\nBEGIN; {statement}; SELECT string_agg(mode, ',') FROM pg_locks "
        f"WHERE pid = pg_backend_pid() AND relation = :rel; ROLLBACK;", dbname=db)
    assert expected in held.split(","), held
    assert _predicted_lock(statement) == expected


def test_backfill_after_an_alter_runs_under_the_alters_lock(postgres, tree) -> None:
    db = _fresh_db(postgres, "backfill")
    held = postgres.value("BEGIN; ALTER TABLE users ADD COLUMN plan text; UPDATE users SET plan = 'free'; "
                          "SELECT string_agg(mode, ',') FROM pg_locks WHERE pid = pg_backend_pid() "
                          "AND relation = 'users'::regclass; ROLLBACK;", dbname=db)
    assert "AccessExclusiveLock" in held.split(",")
    root = tree({"m/000001_a.up.sql": SCHEMA, "m/000001_a.down.sql": "SELECT 1;\n",
                 "m/00002_b.sql": "-- +goose Up\nALTER TABLE users ADD COLUMN plan text;\n"
                                  "UPDATE users SET plan = 'free' WHERE plan IS NULL;\n-- +goose Down\nSELECT 1;\n"})
    rules = run_cli("check", "m/00002_b.sql", "--format", "json", cwd=root).rules()
    assert "backfill-in-ddl-transaction" in rules


def test_new_enum_value_cannot_be_used_in_its_own_transaction(postgres, tree) -> None:
    db = _fresh_db(postgres, "enums")
    postgres.psql("CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE people (m mood);", dbname=db)
    result = postgres.psql("BEGIN; ALTER TYPE mood ADD VALUE 'meh'; INSERT INTO people VALUES ('meh'); COMMIT;",
                           dbname=db, check=False)
    assert result.returncode != 0 and "unsafe use of new value" in result.stderr
    # alone in its transaction, then used later: fine, and not reported
    postgres.psql("ALTER TYPE mood ADD VALUE 'yay';", dbname=db)
    postgres.psql("INSERT INTO people VALUES ('yay');", dbname=db)
    root = tree({"m/00001_a.sql": "-- +goose Up\nCREATE TYPE mood AS ENUM ('ok');\nCREATE TABLE people (m mood);\n",
                 "m/00002_b.sql": "-- +goose Up\nALTER TYPE mood ADD VALUE 'meh';\nINSERT INTO people VALUES ('meh');\n",
                 "m/00003_c.sql": "-- +goose Up\n-- +goose NO TRANSACTION\nALTER TYPE mood ADD VALUE 'yay';\n"
                                  "INSERT INTO people VALUES ('yay');\n"})
    findings = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=root).json()["findings"]
    flagged = {f["path"] for f in findings if f["rule"] == "enum-value-in-transaction"}
    assert flagged == {"m/00002_b.sql"}


def test_long_names_are_truncated_to_63_bytes(postgres, tree) -> None:
    db = _fresh_db(postgres, "names")
    name = "index_on_customer_subscription_billing_period_and_created_at_timestamps"
    result = postgres.psql(f"CREATE INDEX {name} ON users (email);", dbname=db)
    assert postgres.value(f"SELECT relname FROM pg_class WHERE relname = '{name[:63]}';", dbname=db) == name[:63]
    assert "truncated" in result.stderr
    root = tree({"m/000001_a.up.sql": f"CREATE INDEX {name} ON users (email);\n", "m/000001_a.down.sql": "SELECT 1;\n"})
    assert "identifier-too-long" in run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=root).rules()


def test_json_has_no_equality_operator(postgres) -> None:
    db = _fresh_db(postgres, "json")
    postgres.psql("CREATE TABLE docs (j json, b jsonb); INSERT INTO docs VALUES ('{}', '{}');", dbname=db)
    result = postgres.psql("SELECT DISTINCT j FROM docs;", dbname=db, check=False)
    assert result.returncode != 0 and "could not identify an equality operator" in result.stderr
    postgres.psql("SELECT DISTINCT b FROM docs;", dbname=db)


def test_lock_timeout_makes_a_blocked_alter_fail_fast(postgres) -> None:
    """The advice works: with lock_timeout set, an ALTER behind a lock holder fails instead of queueing."""
    import subprocess
    import time

    db = _fresh_db(postgres, "timeouts")
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-h", postgres.host, "-p", str(postgres.port), "-U", postgres.user, "-d", db,
         "-c", "BEGIN; SELECT count(*) FROM users; SELECT pg_sleep(20); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        started = time.monotonic()
        result = postgres.psql("SET lock_timeout = '300ms'; ALTER TABLE users ADD COLUMN plan text;", dbname=db,
                               check=False)
        assert result.returncode != 0 and "lock timeout" in result.stderr
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


def test_a_drop_index_names_the_table_an_earlier_migration_made_the_index_on(tmp_path) -> None:
    """`DROP INDEX x` names no table; the lock finding names the one x was created on ("the index's table" only when
    no migration here created x)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text("CREATE TABLE profiles (id int, email text);\n"
                                          "CREATE INDEX profiles_email_idx ON profiles (email);\n")
    (folder / "0002_drop.sql").write_text("DROP INDEX profiles_email_idx;\n")
    (folder / "0003_drop.sql").write_text("DROP INDEX unknown_idx;\n")
    result = run_cli("check", "migrations", "--no-cache", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    locks = {f["path"]: f["message"] for f in result.json()["findings"] if f["rule"] == "lock-timeout-missing"}
    assert "ACCESS EXCLUSIVE on profiles " in locks["migrations/0002_drop.sql"]
    assert "the index's table" in locks["migrations/0003_drop.sql"]
