"""SQL migration formats: their up/down models, transactions, dialects and positions."""

from __future__ import annotations

from conftest import AMBIENT_RULES, run_cli, write_tree


def findings(root, *args: str) -> list[tuple[str, int, str]]:
    doc = run_cli("check", *(args or (".",)), "--format", "json", "--fail-on", "never", cwd=root).json()
    return [(f["path"], f["line"], f["rule"]) for f in doc["findings"] if f["rule"] not in AMBIENT_RULES]


def test_goose_statement_blocks_and_sections(tree) -> None:
    root = tree({"db/20240101_fn.sql": """-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$
BEGIN
  DELETE FROM audit; -- inside a function body: not run by the migration
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
DROP TABLE old_things;

-- +goose Down
DROP FUNCTION f();
"""})
    assert findings(root) == [("db/20240101_fn.sql", 10, "drop-table")]


def test_goose_without_down_section_and_no_transaction(tree) -> None:
    root = tree({"db/20240101_a.sql": "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
                 "db/20240102_b.sql": "-- +goose Up\nCREATE INDEX CONCURRENTLY j ON t (b);\n-- +goose Down\n"})
    assert findings(root) == [
        ("db/20240101_a.sql", 1, "missing-down-migration"),
        ("db/20240102_b.sql", 1, "missing-down-migration"),
        ("db/20240102_b.sql", 2, "concurrent-index-in-transaction")]


def test_dbmate_sections_and_transaction_option(tree) -> None:
    root = tree({"db/migrations/20240101_a.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n"
                                                 "-- migrate:down\nDROP INDEX CONCURRENTLY i;\n",
                 "db/migrations/20240102_b.sql": "-- migrate:up\nCREATE INDEX CONCURRENTLY j ON t (b);\n\n"
                                                 "-- migrate:down\nDROP INDEX CONCURRENTLY j;\n"})
    assert findings(root) == [("db/migrations/20240102_b.sql", 2, "concurrent-index-in-transaction")]


def test_flyway_versioned_undo_and_repeatable(tree) -> None:
    root = tree({"sql/V1__init.sql": "CREATE TABLE t (id int);\n",
                 "sql/U1__init.sql": "DROP TABLE t;\n",
                 "sql/V1.1__more.sql": "ALTER TABLE t ADD COLUMN a int NOT NULL;\n",
                 "sql/R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1;\n",
                 "sql/V2__drop.sql": "DROP TABLE t;\n",
                 "sql/U2__drop.sql": "-- nothing yet\n"})
    # versioned migrations have no downs by design: only an undo file that was written but does nothing is reported
    assert findings(root) == [("sql/U2__drop.sql", 1, "missing-down-migration"),
                              ("sql/V1.1__more.sql", 1, "not-null-without-default"),
                              ("sql/V2__drop.sql", 1, "drop-table")]


def test_prisma_dialect_from_migration_lock(tree) -> None:
    mysql = "ALTER TABLE `User` ADD COLUMN `age` INTEGER NOT NULL;\nCREATE INDEX `User_age_idx` ON `User`(`age`);\n"
    root = tree({"prisma/migrations/migration_lock.toml": 'provider = "mysql"\n',
                 "prisma/migrations/20240101000000_a/migration.sql": mysql})
    # MySQL backticks parse (a postgres parse would fail), and postgres-only rules stay silent
    assert findings(root) == [("prisma/migrations/20240101000000_a/migration.sql", 1, "not-null-without-default")]


def test_drizzle_dialect_from_journal_and_breakpoints(tree) -> None:
    root = tree({"drizzle/meta/_journal.json": '{"dialect": "sqlite", "entries": []}',
                 "drizzle/0001_x.sql": "ALTER TABLE `users` ADD `age` integer NOT NULL;--> statement-breakpoint\n"
                                       "CREATE INDEX `users_age_idx` ON `users` (`age`);\n"})
    assert findings(root) == [("drizzle/0001_x.sql", 1, "not-null-without-default")]


def test_dialect_flag_overrides(tree) -> None:
    # MODIFY restates the column: its NOT NULL is a change only when the column is known to be nullable
    root = tree({"m.sql": "ALTER TABLE t MODIFY COLUMN a varchar(20) NOT NULL;\n"})
    assert findings(root, "m.sql", "--dialect", "mysql") == [("m.sql", 1, "column-type-change")]
    root = tree({"m/000001_t.up.sql": "CREATE TABLE t (a varchar(10));\n", "m/000001_t.down.sql": "DROP TABLE t;\n",
                 "m/000002_a.up.sql": "ALTER TABLE t MODIFY COLUMN a varchar(20) NOT NULL;\n",
                 "m/000002_a.down.sql": "ALTER TABLE t MODIFY COLUMN a varchar(10) NULL;\n"})
    assert findings(root, "m/000002_a.up.sql", "--dialect", "mysql") == [
        ("m/000002_a.up.sql", 1, "column-type-change"), ("m/000002_a.up.sql", 1, "set-not-null")]


def test_type_change_known_safe_from_history_is_info(tree) -> None:
    root = tree({"m/000001_a.up.sql": "CREATE TABLE p (bio varchar(100), price numeric(10, 2), n int);\n",
                 "m/000001_a.down.sql": "DROP TABLE p;\n",
                 "m/000002_b.up.sql": "ALTER TABLE p ALTER COLUMN bio TYPE text;\n"
                                      "ALTER TABLE p ALTER COLUMN price TYPE numeric(14, 2);\n"
                                      "ALTER TABLE p ALTER COLUMN n TYPE bigint;\n",
                 "m/000002_b.down.sql": "SELECT 1;\n"})
    doc = run_cli("check", "m", "--format", "json", cwd=root).json()
    got = [(f["line"], f["severity"], "no rewrite" in f["hint"] or "does not rewrite" in f["message"])
           for f in doc["findings"] if f["rule"] == "column-type-change"]
    assert got == [(1, "info", True), (2, "info", True), (3, "error", False)]


def test_do_block_positions_point_into_the_block(tree) -> None:
    root = tree({"m.sql": "SELECT 1;\nDO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'x') THEN\n"
                          "    ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n  END IF;\nEND $$;\n"})
    assert findings(root) == [("m.sql", 5, "check-not-valid")]


def test_mixed_alter_table_command_actions(tree) -> None:
    root = tree({"m.sql": "ALTER TABLE t\n  ADD CONSTRAINT u UNIQUE USING INDEX t_u,\n  DROP COLUMN old,\n  VALIDATE CONSTRAINT c;\n"})
    assert findings(root) == [("m.sql", 1, "drop-column")]


def test_hints_speak_the_tools_language(tree) -> None:
    sql = "CREATE INDEX CONCURRENTLY j ON t (b);\n"
    root = tree({"goose/20240102_b.sql": "-- +goose Up\n" + sql + "-- +goose Down\nDROP INDEX CONCURRENTLY j;\n",
                 "plain/x.sql": "BEGIN;\n" + sql + "COMMIT;\n"})
    hints = {f["path"]: f["hint"] for f in run_cli("check", ".", "--format", "json", cwd=root).findings()
             if f["rule"] == "concurrent-index-in-transaction"}
    assert "+goose NO TRANSACTION" in hints["goose/20240102_b.sql"]
    assert "BEGIN/COMMIT" in hints["plain/x.sql"] and "goose" not in hints["plain/x.sql"]


def test_two_projects_with_the_same_root_are_linted_apart(tree) -> None:
    """Two migration folders under one go.mod are two projects with one root: a migration of one must never be
    merged with the other's of the same number (which lost the second folder's findings)."""
    root = tree({
        "go.mod": "module shop\n",
        "db/app/000001_init.up.sql": "DROP TABLE carts;\n",
        "db/app/000001_init.down.sql": "SELECT 1;\n",
        "db/audit/000001_init.up.sql": "CREATE TABLE events (id bigint);\nDROP TABLE old_events;\n",
        "db/audit/000001_init.down.sql": "SELECT 1;\n",
    })
    expected = [("db/app/000001_init.up.sql", 1, "drop-table"), ("db/audit/000001_init.up.sql", 2, "drop-table")]
    assert findings(root) == expected
    assert findings(root, "db/app", "db/audit") == expected
    assert findings(root, "db/audit/000001_init.up.sql") == expected[1:]
    junit = run_cli("check", "--format", "junit", "--fail-on", "never", cwd=root).out
    assert junit.count("<testsuite ") == 2  # one suite per project


MYSQL_UP = ("CREATE TABLE `users` (\n  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n"
            ") ENGINE=InnoDB;\nALTER TABLE users ADD COLUMN nick varchar(20) NOT NULL;\n")


def detected_dialects(root) -> list[str]:
    """The DIALECT column of `detect`, "-" where nothing names the database (Postgres is then assumed)."""
    lines = run_cli("detect", cwd=root).out.splitlines()[1:]
    return ["-" if "(assumed" in line else line.split()[2] for line in lines]


def test_dialect_from_the_sql_itself_when_nothing_else_says(tmp_path) -> None:
    """No config, env or driver names the database: MySQL-only SQL (backticks, ENGINE=, AUTO_INCREMENT) means
    MySQL, where a NOT NULL column without a default takes the type's implicit default and is not an error."""
    root = write_tree(tmp_path / "mysql", {"migrations/000001_init.up.sql": MYSQL_UP,
                                           "migrations/000001_init.down.sql": "DROP TABLE users;\n"})
    assert detected_dialects(root) == ["mysql"]
    assert findings(root) == []
    sqlite = write_tree(tmp_path / "sqlite", {"migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE t (id INTEGER "
                                                                          "PRIMARY KEY AUTOINCREMENT);\n"})
    assert detected_dialects(sqlite) == ["sqlite"]
    # Postgres-only syntax anywhere, or no marker at all: Postgres, the default.
    mixed = write_tree(tmp_path / "mixed", {
        "migrations/000001_init.up.sql": MYSQL_UP + "CREATE INDEX CONCURRENTLY i ON users (nick);\n",
        "migrations/000001_init.down.sql": "SELECT 1;\n"})
    assert detected_dialects(mixed) == ["-"]
    assert ("migrations/000001_init.up.sql", 5, "not-null-without-default") in findings(mixed)


def test_dialect_from_a_committed_env_example_or_a_compose_image(tmp_path) -> None:
    migrations = {"db/migrations/000001_nick.up.sql": "ALTER TABLE users ADD COLUMN nick varchar(20) NOT NULL;\n",
                  "db/migrations/000001_nick.down.sql": "SELECT 1;\n"}
    env = write_tree(tmp_path / "env", {**migrations, "Makefile": "all:\n",
                                        ".env.example": "DATABASE_URL=mysql://app:secret@localhost:3306/app\n"})
    assert detected_dialects(env) == ["mysql"]
    compose = write_tree(tmp_path / "compose", {
        **migrations, "docker-compose.yml": "services:\n  db:\n    image: mariadb:11\n  cache:\n    image: redis:7\n"})
    assert detected_dialects(compose) == ["mysql"]
    both = write_tree(tmp_path / "both", {
        **migrations, "compose.yaml": "services:\n  a:\n    image: postgres:16\n  b:\n    image: mysql:8\n"})
    assert detected_dialects(both) == ["-"]


def test_not_valid_advice_names_the_constraint(tree) -> None:
    """The hint says exactly what to run next: VALIDATE CONSTRAINT with the constraint's own name."""
    root = tree({"m.sql": "ALTER TABLE orders ADD CONSTRAINT orders_total_chk CHECK (total >= 0);\n"
                          "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
                          " REFERENCES users (id);\n"
                          "ALTER TABLE orders ADD CHECK (qty > 0);\n"})
    doc = run_cli("check", "m.sql", "--format", "json", "--fail-on", "never", cwd=root).json()
    hints = {(f["rule"], f["line"]): f["hint"] for f in doc["findings"]}
    assert "VALIDATE CONSTRAINT orders_total_chk" in hints[("check-not-valid", 1)]
    assert "VALIDATE CONSTRAINT orders_user_fk" in hints[("foreign-key-not-valid", 2)]
    assert "VALIDATE CONSTRAINT <its name>" in hints[("check-not-valid", 3)]


def test_judging_a_migration_leaves_the_project_state_to_the_replay(tmp_path) -> None:
    """Facts see the column types earlier statements of the same migration leave, but the project's schema state is
    changed once, by the replay: not by its down statements (lint_down) and not twice (a rename then a new column of
    the old name made b an int)."""
    root = write_tree(tmp_path, {
        "m/000001_a.up.sql": "CREATE TABLE t (id int, a varchar(10), c varchar(10));\n",
        "m/000001_a.down.sql": "DROP TABLE t;\n",
        "m/000002_b.up.sql": "ALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t ADD COLUMN a int;\n"
                             "ALTER TABLE t ALTER COLUMN c TYPE text;\nALTER TABLE t ALTER COLUMN c TYPE varchar(5);\n",
        "m/000002_b.down.sql": "SELECT 1;\n",
        "m/000003_c.up.sql": "ALTER TABLE t ALTER COLUMN b TYPE varchar(20);\n",
        "m/000003_c.down.sql": "SELECT 1;\n",
    })
    for config in ("", "lint_down = true\n"):
        (root / ".migrate-guard.toml").write_text(config)
        doc = run_cli("check", "m", "--format", "json", "--fail-on", "never", "--no-cache", cwd=root).json()
        changes = [(f["path"], f["line"], f["severity"], f["message"].split(" does")[0].split(" rewrites")[0])
                   for f in doc["findings"] if f["rule"] == "column-type-change"]
        assert changes == [("m/000002_b.up.sql", 3, "info", "Changing t.c from varchar(10) to text"),
                           ("m/000002_b.up.sql", 4, "error", "Changing the type of t.c from text to varchar(5)"),
                           ("m/000003_c.up.sql", 1, "info", "Changing t.b from varchar(10) to varchar(20)")], config
