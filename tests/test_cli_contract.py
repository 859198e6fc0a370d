"""The public contract of `check`: exit codes, JSON shape, ordering, paths, bad input."""

from __future__ import annotations


from conftest import FIXTURES, run_cli

DANGEROUS = "ALTER TABLE users ADD COLUMN note text;\nDROP TABLE legacy_events;\n"


def test_json_matches_the_contract_exactly(tree) -> None:
    root = tree({"migrations/000002_drop_legacy.up.sql": "SET lock_timeout = '5s';\nDROP TABLE legacy_events;\n",
                 "migrations/000002_drop_legacy.down.sql": "CREATE TABLE legacy_events (id int);\n"})
    result = run_cli("check", "migrations", "--format", "json", cwd=root)
    assert result.code == 1
    doc = result.json()
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "migrate-guard", "version": "0.1.0"}
    assert doc["summary"] == {"files": 2, "error": 1, "warning": 0, "info": 0}
    assert doc["findings"] == [{
        "rule": "drop-table", "severity": "error", "path": "migrations/000002_drop_legacy.up.sql",
        "line": 2, "column": 1, "end_line": 2,
        "message": "Dropping table legacy_events deletes its data and breaks code that still reads it.",
        "hint": "Stop reading and writing the table in a release first, back it up, then drop it in a later migration.",
        "orm": "golang-migrate", "migration": "000002_drop_legacy"}]


def test_findings_sorted_by_path_line_rule(tree) -> None:
    root = tree({"b.sql": "DROP TABLE b;\nTRUNCATE c;\n",
                 "a.sql": "ALTER TABLE t DROP COLUMN x, ADD COLUMN y int NOT NULL;\nDELETE FROM t;\n"})
    findings = run_cli("check", ".", "--format", "json", cwd=root).json()["findings"]
    keys = [(f["path"], f["line"], f["rule"]) for f in findings]
    assert keys == sorted(keys)
    assert keys == [("a.sql", 1, "drop-column"), ("a.sql", 1, "lock-timeout-missing"),
                    ("a.sql", 1, "not-null-without-default"), ("a.sql", 2, "unbounded-delete"),
                    ("b.sql", 1, "drop-table"), ("b.sql", 1, "lock-timeout-missing"), ("b.sql", 2, "truncate")]


def test_paths_are_relative_to_the_current_folder(tree) -> None:
    root = tree({"db/migrations/001.sql": "DROP TABLE x;\n"})
    (root / "db" / "sub").mkdir()
    findings = run_cli("check", "../migrations", "--format", "json", cwd=root / "db" / "sub").json()["findings"]
    assert findings[0]["path"] == "../migrations/001.sql"
    findings = run_cli("check", str(root / "db"), "--format", "json", cwd=root).json()["findings"]
    assert findings[0]["path"] == "db/migrations/001.sql"


def test_exit_codes_and_fail_on(tree) -> None:
    root = tree({"warn.sql": "ALTER TABLE users RENAME COLUMN a TO b;\n", "ok.sql": "CREATE TABLE t (id int);\n"})
    assert run_cli("check", "ok.sql", cwd=root).code == 0
    assert run_cli("check", "warn.sql", cwd=root).code == 0
    assert run_cli("check", "warn.sql", "--fail-on", "warning", cwd=root).code == 1
    assert run_cli("check", "warn.sql", "--fail-on", "info", cwd=root).code == 1
    root2 = tree({"err.sql": "DROP TABLE t;\n"})
    assert run_cli("check", "err.sql", "--fail-on", "never", cwd=root2).code == 0


def test_usage_errors_are_one_line_and_exit_2(tree) -> None:
    root = tree({"a.sql": "SELECT 1;\n"})
    for args in (["check", "--bogus"], ["check", "missing.sql"], ["check", "--fail-on", "sometimes"],
                 ["explain", "no-such-rule"], ["check", "--format", "xml"], ["frobnicate"]):
        result = run_cli(*args, cwd=root)
        assert result.code == 2, args
        assert len(result.err.strip().splitlines()) == 1, (args, result.err)
        assert result.err.startswith("migrate-guard: error:")
    assert "does not exist: missing.sql" in run_cli("check", "missing.sql", cwd=root).err


def test_text_report_groups_per_file_with_hint_and_summary(tree) -> None:
    root = tree({"m/001.sql": "SELECT 1;\nDROP TABLE a;\n", "m/002.sql": "TRUNCATE b;\n"})
    result = run_cli("check", "m", cwd=root)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "m/001.sql"
    assert lines[1].startswith("  2:1 error [drop-table] Dropping table a")
    assert [line.strip() for line in lines[2:6]] == ["|", "2 | DROP TABLE a;", "| ^^^^^^^^^^^^^", "|"]
    assert lines[6].strip().startswith("= hint: ")
    assert "m/002.sql\n" in result.out and "  1:1 error [truncate]" in result.out
    assert lines[-1] == "2 files checked: 2 errors, 2 warnings, 0 info."  # each migration's lock-timeout-missing
    assert "\x1b[" not in result.out  # no colour when not a TTY


def test_no_migrations_is_clean(tree) -> None:
    root = tree({"README.md": "hello\n"})
    result = run_cli("check", cwd=root)
    assert result.code == 0
    assert "No migrations to check" in result.out


def test_non_migration_files_are_skipped_silently(tree) -> None:
    root = tree({"README.md": "DROP TABLE x;\n", "app/main.go": "package main\n", "logo.png": b"\x89PNG\x00\x01"})
    result = run_cli("check", "README.md", "app/main.go", "logo.png", cwd=root)
    assert (result.code, result.out, result.err) == (0, "", "")


def test_binary_non_utf8_and_empty_files_never_crash(tree) -> None:
    root = tree({"bin.sql": b"\x00\x01\x02DROP TABLE x;", "latin1.sql": "DROP TABLE caf\xe9;".encode("latin-1"),
                 "empty.sql": "", "blank.sql": "\n\n  \n-- only a comment\n"})
    result = run_cli("check", ".", "--format", "json", "--fail-on", "never", cwd=root)
    assert result.code == 0
    by_path = {f["path"]: f for f in result.json()["findings"]}
    assert set(by_path) == {"bin.sql", "latin1.sql"}
    assert by_path["bin.sql"]["rule"] == "parse-error" and "binary" in by_path["bin.sql"]["message"]
    assert by_path["latin1.sql"]["rule"] == "parse-error" and "UTF-8" in by_path["latin1.sql"]["message"]


def test_parse_error_points_at_its_line_and_the_rest_is_linted(tree) -> None:
    root = tree({"m.sql": "CREATE TABLE a (id int);\n\nALTER TABL users ADD x int;\nSELEC 1;\n"
                          "ALTER TABLE users\n  DROP COLUMN email;\n"})
    findings = run_cli("check", "m.sql", "--format", "json", cwd=root).json()["findings"]
    assert [(f["rule"], f["line"], f["end_line"]) for f in findings] == [
        ("parse-error", 3, 3), ("parse-error", 4, 4), ("drop-column", 5, 6), ("lock-timeout-missing", 5, 6)]


def test_unreadable_file_is_a_usage_error(tree) -> None:
    import os

    if os.geteuid() == 0:
        return  # root reads everything; nothing to test
    root = tree({"m.sql": "DROP TABLE x;\n"})
    (root / "m.sql").chmod(0)
    result = run_cli("check", "m.sql", cwd=root)
    assert result.code == 2 and "cannot read m.sql" in result.err


def test_python_dash_m_is_the_same_program() -> None:
    result = run_cli("--version")
    assert result.code == 0 and result.out.strip() == "migrate-guard 0.1.0"


def test_demo_fixture_finds_the_planted_problems() -> None:
    result = run_cli("check", "--format", "json", cwd=FIXTURES / "demo")
    assert result.code == 1
    rules = set(result.rules())
    assert {"drop-column", "column-type-change", "not-null-without-default", "unbounded-delete",
            "concurrent-index-in-transaction", "rename-column", "foreign-key-without-index"} <= rules
    orms = {f["orm"] for f in result.json()["findings"]}
    assert orms == {"golang-migrate", "goose", "prisma", "django", "alembic", "knex", "typeorm"}
    detected = run_cli("detect", "--format", "json", cwd=FIXTURES / "demo").json()["projects"]
    assert sorted(p["orm"] for p in detected) == sorted(
        ["golang-migrate", "goose", "prisma", "drizzle", "django", "alembic", "knex", "typeorm"])


def test_rules_and_explain_cover_every_rule() -> None:
    listing = run_cli("rules")
    assert listing.code == 0
    ids = [line.split()[0] for line in listing.out.splitlines()]
    assert "drop-table" in ids and ids == sorted(ids)
    for rule in ids:
        doc = run_cli("explain", rule)
        assert doc.code == 0
        for heading in ("Why it is risky:", "What to do instead:", "Bad:", "Good:"):
            assert heading in doc.out, (rule, heading)


def test_readme_documents_every_rule() -> None:
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ids = [line.split()[0] for line in run_cli("rules").out.splitlines()]
    assert [rule for rule in ids if f"| `{rule}` |" not in readme] == []
