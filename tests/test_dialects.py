"""Each migration judged by the database it runs on: the dialect from the best evidence (command line, config per path,
file-name infix, folder name, the ORM's config, the SQL), shown by `detect`, and each database's own rules.

fixtures/dialects/ is a monorepo of the layouts real projects use. Every finding there is marked in its file with
`expect: RULE` and the test requires exactly those, so each case is checked both ways: the finding that must appear,
and the Postgres-only finding that must not (a MySQL CREATE INDEX is no non-concurrent-index).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import FIXTURES, expect_markers, lint_json, run_cli, write_tree

DIALECTS = FIXTURES / "dialects"
CASES = sorted(p.name for p in DIALECTS.iterdir() if p.is_dir())

def _postgres_only_rules() -> set[str]:
    from migrate_guard.engine.rules import load_rules

    return {rule.id for rule in load_rules().values() if rule.dialects == ("postgres",)}


POSTGRES_LOCK_RULES = _postgres_only_rules()


def findings(root: Path, *args: str) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["rule"]) for f in lint_json(*args, "--no-cache", cwd=root)}


@pytest.mark.parametrize("case", CASES)
def test_findings_are_exactly_the_marked_ones(case: str) -> None:
    root = DIALECTS / case
    assert findings(root) == expect_markers(root)


def test_no_postgres_lock_rule_on_other_databases() -> None:
    found = findings(DIALECTS / "per-database")
    elsewhere = {(path, rule) for path, _, rule in found if not path.startswith("migrations/postgres/")}
    assert POSTGRES_LOCK_RULES >= {"non-concurrent-index", "table-rewrite", "foreign-key-not-valid"}
    assert not {rule for _, rule in elsewhere} & POSTGRES_LOCK_RULES
    assert not any(rule == "set-not-null" for path, rule in elsewhere if "cockroachdb" in path)
    assert ("migrations/postgres/000002_email_index.up.sql", 1, "non-concurrent-index") in found
    assert not any(rule == "parse-error" for _, _, rule in found)


def test_detect_names_each_folders_database_and_evidence() -> None:
    projects = run_cli("detect", "--format", "json", cwd=DIALECTS / "per-database").json()["projects"]
    by_folder = {f["path"]: (f["dialect"], f["database"], f["evidence"]) for p in projects for f in p["folders"]}
    assert by_folder == {
        "migrations/postgres": ("postgres", "postgres", "folder name 'postgres'"),
        "migrations/mysql": ("mysql", "mysql", "folder name 'mysql'"),
        "migrations/sqlite3": ("sqlite", "sqlite", "folder name 'sqlite3'"),
        "migrations/cockroachdb": ("postgres", "cockroachdb", "folder name 'cockroachdb'"),
        "migrations/clickhouse": (None, "clickhouse", "folder name 'clickhouse'"),
    }
    # the contract's keys are all there, with the contract's values
    for project in projects:
        assert project["dialect"] in ("postgres", "mysql", "sqlite", None)
        assert {"orm", "root", "migrations", "dialect"} <= set(project)


def test_detect_says_when_evidence_conflicts_or_is_missing(tmp_path: Path) -> None:
    text = run_cli("detect", cwd=DIALECTS / "wrong-dialect").out
    assert "postgres (config dialect); conflicts with mysql (SQL syntax)" in text
    bare = write_tree(tmp_path, {"db/migrations/000001_x.up.sql": "CREATE TABLE t (id int);\n",
                                 "db/migrations/000001_x.down.sql": "DROP TABLE t;\n"})
    assert "postgres (assumed: no evidence)" in run_cli("detect", cwd=bare).out
    assert run_cli("detect", "--format", "json", cwd=bare).json()["projects"][0]["dialect"] is None


def test_command_line_beats_config_when_judging() -> None:
    """`--dialect postgres` with a config that says mysql for the folder: judged as Postgres (it used to lose)."""
    root = DIALECTS / "config-override"
    assert ("db/reporting/000002_idx.up.sql", 1, "non-concurrent-index") not in findings(root)
    assert ("db/reporting/000002_idx.up.sql", 1, "non-concurrent-index") in findings(root, "--dialect", "postgres")
    # and the same with an explicit file, as pre-commit runs it
    assert ("db/reporting/000002_idx.up.sql", 1, "non-concurrent-index") in findings(
        root, "db/reporting/000002_idx.up.sql", "--dialect", "postgres")


def test_config_dialect_applies_to_explicit_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".migrate-guard.toml": 'dialect = "mysql"\n',
                                 "m/000001_i.up.sql": "CREATE INDEX i ON t (a);\n", "m/000001_i.down.sql": "SELECT 1;\n"})
    assert findings(root, "m/000001_i.up.sql") == set()
    assert findings(root, "m/000001_i.up.sql", "--dialect", "pg") == {("m/000001_i.up.sql", 1, "non-concurrent-index")}


def test_wrong_dialect_parse_error_names_the_database_it_reads_as() -> None:
    result = lint_json("--no-cache", cwd=DIALECTS / "wrong-dialect")
    errors = [f["message"] for f in result if f["rule"] == "parse-error"]
    assert len(errors) == 1 and "it reads as MySQL" in errors[0] and "probably wrong" in errors[0]


def test_partly_checked_database_is_said_once_per_folder_and_never_a_wall_of_parse_errors(tmp_path: Path) -> None:
    statements = "".join(f"CREATE MEMORY TABLE t{i} (id INT) NOT PERSISTENT;\n" for i in range(30))
    root = write_tree(tmp_path, {f"db/migration/h2/V{n}__x.sql": statements for n in range(1, 4)})
    found = lint_json("--no-cache", cwd=root)
    assert [f["rule"] for f in found] == ["dialect-partly-checked"]
    assert found[0]["severity"] == "info" and "dialects" in found[0]["hint"]


@pytest.mark.parametrize("value", ["mssql", "sqlserver", "oracle"])
def test_config_names_any_known_database(tmp_path: Path, value: str) -> None:
    root = write_tree(tmp_path, {".migrate-guard.toml": f'dialect = "{value}"\n',
                                 "m/000001_x.up.sql": "DROP TABLE t;\n", "m/000001_x.down.sql": "SELECT 1;\n"})
    rules = sorted(rule for _, _, rule in findings(root))
    assert rules == ["dialect-partly-checked", "drop-table"]


def test_unknown_dialect_in_config_or_flag_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".migrate-guard.toml": '[dialects]\n"db" = "db2"\n', "x.sql": "SELECT 1;\n"})
    result = run_cli("check", "x.sql", cwd=root)
    assert result.code == 2 and "dialects.db" in result.err and len(result.err.strip().splitlines()) == 1
    result = run_cli("check", "x.sql", "--dialect", "db2", cwd=tmp_path)
    assert result.code == 2 and "invalid choice" in result.err


def test_mysql_modify_restating_not_null_is_not_set_not_null(tmp_path: Path) -> None:
    """MODIFY restates the whole column: NOT NULL on a column that already was NOT NULL changes nothing."""
    root = write_tree(tmp_path, {
        "migrations/mysql/000001_a.up.sql": "CREATE TABLE t (a varchar(10) NOT NULL, b varchar(10));\n",
        "migrations/mysql/000001_a.down.sql": "DROP TABLE t;\n",
        "migrations/mysql/000002_b.up.sql": "ALTER TABLE t MODIFY a varchar(10) NOT NULL;\nALTER TABLE t MODIFY b varchar(10) NOT NULL;\n",
        "migrations/mysql/000002_b.down.sql": "SELECT 1;\n"})
    assert {(line, rule) for _, line, rule in findings(root)} == {(2, "set-not-null")}


def test_where_that_is_always_true_is_no_where(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "m/000001_a.up.sql": "DELETE FROM t WHERE 1 = 1;\nDELETE FROM t WHERE TRUE;\nUPDATE t SET a = 1 WHERE 1;\n"
                             "DELETE FROM t WHERE id = 1;\nDELETE FROM t WHERE 0;\n",
        "m/000001_a.down.sql": "SELECT 1;\n"})
    assert sorted((line, rule) for _, line, rule in findings(root)) == [
        (1, "unbounded-delete"), (2, "unbounded-delete"), (3, "unbounded-update")]


SQLITE_SCHEMA = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT, age INTEGER);\n" \
                "CREATE INDEX users_email_idx ON users (email);\nINSERT INTO users (email, age) VALUES ('a', 1);\n"


@pytest.mark.parametrize("statement,rule", [
    ("ALTER TABLE users ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;", "sqlite-unsupported-alter"),
    ("ALTER TABLE users ADD COLUMN at TEXT DEFAULT (datetime('now'));", "sqlite-unsupported-alter"),
    ("ALTER TABLE users DROP COLUMN email;", "sqlite-unsupported-alter"),
    ("ALTER TABLE users ALTER COLUMN email TYPE text;", "sqlite-unsupported-alter"),
    ("ALTER TABLE users ADD COLUMN u TEXT UNIQUE;", "sqlite-unsupported-alter"),
    ("ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);", "sqlite-unsupported-alter"),
    ("ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;", "not-null-without-default"),
])
def test_what_sqlite_refuses_is_reported_and_really_fails(tmp_path: Path, statement: str, rule: str) -> None:
    database = sqlite3.connect(":memory:")
    database.executescript(SQLITE_SCHEMA)
    with pytest.raises(sqlite3.OperationalError):
        database.execute(statement)
    root = write_tree(tmp_path, {"migrations/sqlite/000001_a.up.sql": SQLITE_SCHEMA,
                                 "migrations/sqlite/000001_a.down.sql": "DROP TABLE users;\n",
                                 "migrations/sqlite/000002_b.up.sql": statement + "\n",
                                 "migrations/sqlite/000002_b.down.sql": "SELECT 1;\n"})
    assert rule in {r for path, _, r in findings(root) if path.endswith("000002_b.up.sql")}


@pytest.mark.parametrize("statement", [
    "ALTER TABLE users ADD COLUMN nick TEXT;",
    "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';",
    "ALTER TABLE users DROP COLUMN age;",
    "ALTER TABLE users RENAME COLUMN age TO years;",
    "CREATE INDEX users_age_idx ON users (age);",
])
def test_what_sqlite_accepts_gets_no_sqlite_finding(tmp_path: Path, statement: str) -> None:
    database = sqlite3.connect(":memory:")
    database.executescript(SQLITE_SCHEMA)
    database.execute(statement)  # runs on the real SQLite
    root = write_tree(tmp_path, {"migrations/sqlite/000001_a.up.sql": SQLITE_SCHEMA,
                                 "migrations/sqlite/000001_a.down.sql": "DROP TABLE users;\n",
                                 "migrations/sqlite/000002_b.up.sql": statement + "\n",
                                 "migrations/sqlite/000002_b.down.sql": "SELECT 1;\n"})
    rules = {r for path, _, r in findings(root) if path.endswith("000002_b.up.sql")}
    assert not rules & ({"sqlite-unsupported-alter", "not-null-without-default"} | POSTGRES_LOCK_RULES)


def test_file_name_and_folder_evidence() -> None:
    from migrate_guard.detect.dialect import file_name_dialect, folder_named_for

    assert file_name_dialect("20240101120000_add_users.mysql.up.sql") == "mysql"
    assert file_name_dialect("V3__x.postgres.sql") == "postgres"
    assert file_name_dialect("20240101120000_add_users.up.sql") is None
    assert file_name_dialect("0001_pg_trgm.py") is None
    assert folder_named_for("database/migrations/sqlite3") == ("sqlite", "sqlite3")
    assert folder_named_for("db/crdb/up") == ("cockroachdb", "crdb")
    assert folder_named_for("src/migrations") is None


@pytest.mark.parametrize("case,path,line", [
    ("django-env-engine", "orders/migrations/0002_code_index.py", 7),
    ("config-override", "db/reporting/000002_idx.up.sql", 1),
])
def test_the_same_index_is_a_postgres_lock_finding_only_on_postgres(case: str, path: str, line: int) -> None:
    """The dialect the ORM's config (or the folder) names keeps a MySQL index build out of Postgres's lock rule;
    the same migration judged as Postgres gets it. (Backtick-quoted SQL reads as MySQL whatever the flag says: it is
    judged as MySQL's, with a parse-error saying the dialect is probably wrong.)"""
    assert (path, line, "non-concurrent-index") not in findings(DIALECTS / case)
    assert (path, line, "non-concurrent-index") in findings(DIALECTS / case, "--dialect", "postgres")


def test_django_engine_switched_on_the_environment_names_both() -> None:
    projects = run_cli("detect", "--format", "json", cwd=DIALECTS / "django-env-engine").json()["projects"]
    assert projects[0]["database"] == "mysql"
    assert "switched on the environment between sqlite, mysql" in projects[0]["evidence"]


def test_a_config_default_after_a_variable_names_the_database() -> None:
    from migrate_guard.detect.common import js_string_option

    assert js_string_option("module.exports = { dialect: process.env.DB_DIALECT || 'mysql' }", "dialect") == "mysql"
    assert js_string_option("dialect: DIALECT ?? 'sqlite',", "dialect") == "sqlite"
    assert js_string_option("client: env['CLIENT'] || \"pg\"", "client") == "pg"
    assert js_string_option("dialect: getDialect(),", "dialect") is None


def test_knex_client_from_the_apps_production_json_config() -> None:
    """Ghost builds its knex config at run time; the client is in config/env/config.production.json (development says
    sqlite3): the production one names the database."""
    projects = run_cli("detect", "--format", "json", cwd=DIALECTS / "knex-json-config").json()["projects"]
    assert [(p["database"], p["evidence"]) for p in projects] == [
        ("mysql", "knex client in core/config/env/config.production.json")]


def test_sequelize_dialect_from_a_config_module_of_its_own_name() -> None:
    """fbcnms: sequelizeConfig.js says `dialect: MYSQL_DIALECT` (a const defaulting to 'mysql') for production and
    sqlite for tests: MySQL, so its JSON column and index are no Postgres findings."""
    projects = run_cli("detect", "--format", "json", cwd=DIALECTS / "sequelize-js-config").json()["projects"]
    assert [(p["database"], p["evidence"]) for p in projects] == [
        ("mysql", "Sequelize dialect in sequelizeConfig.js (also sqlite)")]
    assert ("migrations/20240201000000-add-tabs.js", 3, "json-column") in findings(
        DIALECTS / "sequelize-js-config", "--dialect", "postgres")
