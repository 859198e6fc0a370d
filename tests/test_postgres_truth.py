"""The rules' claims, checked against a real PostgreSQL 15.

What migrate-guard calls "no rewrite" must keep the table's file (relfilenode) and what it calls a rewrite must
change it; what it reports as failing must fail; the safe alternatives its docs recommend must run.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from conftest import rule_ids, run_cli

pytestmark = pytest.mark.usefixtures("postgres")


def _fresh_db(postgres, name: str) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
    return name


def _relfilenode(postgres, db: str, table: str) -> str:
    return postgres.value(f"SELECT relfilenode FROM pg_class WHERE relname = '{table}';", dbname=db)


def _verdict(tree, create: str, change: str) -> str:
    """Severity migrate-guard gives `change` when `create` ran in an earlier migration."""
    root = tree({"m/000001_a.up.sql": create, "m/000001_a.down.sql": "SELECT 1;\n",
                 "m/000002_b.up.sql": change, "m/000002_b.down.sql": "SELECT 1;\n"})
    findings = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=root).json()["findings"]
    relevant = [f for f in findings if f["rule"] in ("column-type-change", "volatile-default")]
    return relevant[0]["severity"] if relevant else "none"


TYPE_CASES = [
    ("varchar(10)", "text"),
    ("varchar(10)", "varchar(20)"),
    ("varchar(20)", "varchar"),
    ("numeric(10, 2)", "numeric(12, 2)"),
    ("numeric(10, 2)", "numeric"),
    ("varchar(20)", "varchar(10)"),
    ("integer", "bigint"),
    ("text", "varchar(50)"),
    ("numeric(10, 2)", "numeric(10, 4)"),
]


@pytest.mark.parametrize("old,new", TYPE_CASES)
def test_type_change_verdict_matches_whether_postgres_rewrites(postgres, tree, old: str, new: str) -> None:
    db = _fresh_db(postgres, "types")
    create = f"CREATE TABLE t (id int, c {old});\n"
    change = f"ALTER TABLE t ALTER COLUMN c TYPE {new};\n"
    postgres.psql(create + "INSERT INTO t (id, c) SELECT g, '1' FROM generate_series(1, 100) g;", dbname=db)
    before = _relfilenode(postgres, db, "t")
    postgres.psql(change, dbname=db)
    rewritten = _relfilenode(postgres, db, "t") != before
    verdict = _verdict(tree, create, change)
    assert verdict == ("error" if rewritten else "info"), (old, new, rewritten, verdict)


@pytest.mark.parametrize("default,expected", [("0", "none"), ("'free'", "none"), ("now()", "none"),
                                              ("gen_random_uuid()::text", "warning"),
                                              ("clock_timestamp()::text", "warning"),
                                              ("random()::text", "warning")])
def test_add_column_default_verdict_matches_whether_postgres_rewrites(postgres, tree, default: str,
                                                                      expected: str) -> None:
    db = _fresh_db(postgres, "defaults")
    create = "CREATE TABLE t (id int);\n"
    change = f"ALTER TABLE t ADD COLUMN c text DEFAULT {default};\n"
    postgres.psql(create + "INSERT INTO t SELECT g FROM generate_series(1, 100) g;", dbname=db)
    before = _relfilenode(postgres, db, "t")
    postgres.psql(change, dbname=db)
    rewritten = _relfilenode(postgres, db, "t") != before
    assert rewritten == (expected == "warning")
    assert _verdict(tree, create, change) == expected


SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, age int, legacy_name text, email_verified boolean);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, amount int, created_at timestamptz DEFAULT now());
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE legacy_events (id bigint);
CREATE TABLE sessions (id bigint, expires_at timestamptz);
CREATE TABLE audit_log (id bigint, created_at timestamptz);
INSERT INTO users SELECT g, 'u' || g || '@x.io', 'n', 30, 'l', true FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, g, 10 FROM generate_series(1, 50) g;
"""




def _example(doc: str, title: str) -> str:
    match = re.search(rf"^{title}:\n((?:    .*\n|\n)+)", doc, re.MULTILINE)
    return textwrap.dedent(match.group(1)).strip() if match else ""


@pytest.mark.parametrize("rule", rule_ids())
def test_recommended_sql_runs_on_postgres(postgres, rule: str) -> None:
    doc = run_cli("explain", rule).out
    scope = re.search(r"\(([a-z, ]+) only\)", doc.splitlines()[0])
    if scope and "postgres" not in scope.group(1).split(", "):
        pytest.skip("a rule of another database: its advice is not Postgres SQL")
    good = _example(doc, "Good")
    if not good or not re.search(r"^\s*(CREATE|ALTER|DELETE|UPDATE|INSERT)\b", good, re.IGNORECASE | re.MULTILINE):
        pytest.skip("the good example is advice, not SQL")
    db = _fresh_db(postgres, "advice")
    postgres.psql(SCHEMA, dbname=db)
    postgres.psql(good, dbname=db)  # psql autocommits each statement, as the advice intends


def test_postgres_rejects_not_valid_for_unique_so_we_never_advise_it(postgres) -> None:
    db = _fresh_db(postgres, "unique_check")
    postgres.psql(SCHEMA, dbname=db)
    result = postgres.psql("ALTER TABLE users ADD CONSTRAINT u UNIQUE (email) NOT VALID;", dbname=db, check=False)
    assert result.returncode != 0 and "NOT VALID" in result.stderr
    advice = run_cli("explain", "add-unique-constraint").out
    assert "USING INDEX" in advice and not re.search(r"UNIQUE[^\n]*NOT VALID;", advice)


def test_concurrent_index_in_transaction_really_fails(postgres, tree) -> None:
    db = _fresh_db(postgres, "concurrent")
    postgres.psql(SCHEMA, dbname=db)
    bad = "BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;\n"
    result = postgres.psql(bad, dbname=db, check=False)
    assert "cannot run inside a transaction block" in result.stderr
    root = tree({"m.sql": bad})
    assert "concurrent-index-in-transaction" in run_cli("check", "m.sql", "--format", "json", cwd=root).rules()


def test_not_null_without_default_really_fails_on_a_table_with_rows(postgres, tree) -> None:
    db = _fresh_db(postgres, "not_null_check")
    postgres.psql(SCHEMA, dbname=db)
    bad = "ALTER TABLE users ADD COLUMN tier text NOT NULL;"
    result = postgres.psql(bad, dbname=db, check=False)
    assert "contains null values" in result.stderr
    good = "ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free';"
    postgres.psql(good, dbname=db)
    root = tree({"bad.sql": bad, "good.sql": good})
    assert run_cli("check", "bad.sql", "--format", "json", cwd=root).rules() == ["not-null-without-default"]
    assert run_cli("check", "good.sql", "--format", "json", cwd=root).rules() == []


REWRITE_CASES = [  # (statement, does Postgres rewrite the table?) on a table with rows and a primary key
    ("ALTER TABLE t ADD COLUMN s bigserial;", True),
    ("ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + b) STORED;", True),
    ("ALTER TABLE t ADD COLUMN i bigint GENERATED ALWAYS AS IDENTITY;", True),
    ("VACUUM FULL t;", True),
    ("CLUSTER t USING t_pkey;", True),
    ("ALTER TABLE t ADD COLUMN c int;", False),
    ("ALTER TABLE t ADD COLUMN d int DEFAULT 7;", False),
    ("VACUUM (ANALYZE) t;", False),
    ("REINDEX TABLE CONCURRENTLY t;", False),
]


@pytest.mark.parametrize("statement,rewrites", REWRITE_CASES)
def test_rewrite_verdict_matches_whether_postgres_rewrites(postgres, tree, statement: str, rewrites: bool) -> None:
    """A computed column added to a table with rows, VACUUM FULL and CLUSTER rewrite it (a new relfilenode): we
    report exactly those (volatile-default / table-rewrite); the rest keeps the table's file and is not reported."""
    db = _fresh_db(postgres, "rewrites")
    create = "CREATE TABLE t (id int PRIMARY KEY, a int, b int);\n"
    postgres.psql(create + "INSERT INTO t SELECT g, g, g FROM generate_series(1, 100) g;", dbname=db)
    before = _relfilenode(postgres, db, "t")
    postgres.psql(statement, dbname=db)
    assert (_relfilenode(postgres, db, "t") != before) == rewrites
    root = tree({"m/000001_a.up.sql": create, "m/000001_a.down.sql": "SELECT 1;\n",
                 "m/000002_b.up.sql": statement + "\n", "m/000002_b.down.sql": "SELECT 1;\n"})
    found = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=root).rules()
    assert bool({"volatile-default", "table-rewrite"} & set(found)) == rewrites, found


def test_set_logged_and_unlogged_rewrite(postgres, tree) -> None:
    db = _fresh_db(postgres, "logged")
    postgres.psql("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);", dbname=db)
    for statement in ("ALTER TABLE t SET UNLOGGED;", "ALTER TABLE t SET LOGGED;"):
        before = _relfilenode(postgres, db, "t")
        postgres.psql(statement, dbname=db)
        assert _relfilenode(postgres, db, "t") != before, statement
    root = tree({"m.sql": "ALTER TABLE t SET UNLOGGED;\nALTER TABLE t SET LOGGED;\n"})
    assert run_cli("check", "m.sql", "--format", "json", "--fail-on", "never", cwd=root).rules() == ["table-rewrite"] * 2


def test_dropping_an_index_before_its_table_takes_no_lock_the_drop_table_does_not(postgres, tree) -> None:
    """DROP INDEX (without CONCURRENTLY) takes ACCESS EXCLUSIVE on its table, exactly what the DROP TABLE after it in
    the same migration takes: no extra lock problem, so no non-concurrent-index (drop-table is still reported)."""
    db = _fresh_db(postgres, "drop_index_then_table")
    postgres.psql("CREATE TABLE t (id int, a int); CREATE INDEX t_a_idx ON t (a);", dbname=db)
    oid = postgres.value("SELECT 't'::regclass::oid;", dbname=db)

    def table_locks(statement: str) -> str:
        return postgres.value(f"BEGIN; {statement} SELECT string_agg(mode, ',' ORDER BY mode) FROM pg_locks "
                              f"WHERE relation = {oid} AND pid = pg_backend_pid(); ROLLBACK;", dbname=db)

    assert table_locks("DROP INDEX t_a_idx;") == table_locks("DROP TABLE t;") == "AccessExclusiveLock"
    root = tree({"m.sql": "DROP INDEX t_a_idx;\nDROP TABLE t;\n", "kept.sql": "DROP INDEX t_a_idx;\n"})

    def rules(path: str) -> list[str]:
        found = run_cli("check", path, "--format", "json", "--fail-on", "never", cwd=root).rules()
        return [r for r in found if r in ("drop-table", "non-concurrent-index")]

    assert rules("m.sql") == ["drop-table"]
    assert rules("kept.sql") == ["non-concurrent-index"]
