"""Configuration files, per-rule settings, inline suppressions and down migrations."""

from __future__ import annotations

from conftest import run_cli

DROPS = "DROP TABLE a;\nALTER TABLE b RENAME COLUMN x TO y;\n"


def test_pyproject_config_changes_severity_and_disables(tree) -> None:
    root = tree({"pyproject.toml": '[project]\nname = "x"\n\n[tool.migrate-guard]\nfail_on = "warning"\n'
                                   '[tool.migrate-guard.rules.drop-table]\nseverity = "warning"\n'
                                   '[tool.migrate-guard.rules.rename-column]\nenabled = false\n',
                 "sub/m.sql": DROPS})
    result = run_cli("check", "m.sql", "--format", "json", cwd=root / "sub")  # config found walking up
    assert [(f["rule"], f["severity"]) for f in result.findings()] == [("drop-table", "warning")]
    assert result.code == 1  # fail_on = warning


def test_dotfile_config_and_cli_fail_on_wins(tree) -> None:
    root = tree({".migrate-guard.toml": 'fail_on = "info"\n', "m.sql": "ALTER TABLE b RENAME COLUMN x TO y;\n"})
    assert run_cli("check", "m.sql", cwd=root).code == 1
    assert run_cli("check", "m.sql", "--fail-on", "error", cwd=root).code == 0


def test_bad_config_is_exit_2_naming_the_key(tree) -> None:
    cases = {
        'colour = "red"\n': "unknown configuration key 'colour'",
        'postgres_version = "14"\n': "'postgres_version' must be an integer",
        'lint_down = 1\n': "'lint_down' must be true or false",
        '[rules.no-such-rule]\nseverity = "info"\n': "unknown rule id 'no-such-rule'",
        '[rules.drop-table]\nseverity = "fatal"\n': "rules.drop-table.severity",
        '[rules.drop-table]\nlevel = "info"\n': "rules.drop-table.level",
        'dialect = "db2"\n': "'dialect' must be one of",
        'exclude = "x"\n': "'exclude' must be a list",
        "this is = = not toml\n": "not valid TOML",
    }
    for content, message in cases.items():
        root = tree({".migrate-guard.toml": content, "m.sql": "SELECT 1;\n"})
        result = run_cli("check", "m.sql", cwd=root)
        assert result.code == 2, content
        assert message in result.err, (content, result.err)
        assert len(result.err.strip().splitlines()) == 1


def test_explicit_config_flag(tree) -> None:
    root = tree({"conf/mg.toml": '[rules.drop-table]\nenabled = false\n', "m.sql": "DROP TABLE a;\n"})
    assert run_cli("check", "m.sql", "--config", "conf/mg.toml", cwd=root).code == 0
    assert run_cli("check", "m.sql", "--config", "nope.toml", cwd=root).code == 2


def test_exclude_globs(tree) -> None:
    root = tree({".migrate-guard.toml": 'exclude = ["legacy/*"]\n', "legacy/old.sql": "DROP TABLE a;\n",
                 "new/m.sql": "SELECT 1;\n"})
    assert run_cli("check", ".", cwd=root).code == 0


def test_inline_ignore_on_line_and_above(tree) -> None:
    root = tree({"m.sql": "DROP TABLE a; -- migrate-guard: ignore drop-table\n"
                          "-- migrate-guard: ignore drop-table, truncate -- backed up in #12\n"
                          "-- another comment line\n"
                          "DROP TABLE b;\n"
                          "\n"
                          "-- migrate-guard: ignore truncate\n"
                          "\n"
                          "DROP TABLE c;\n"
                          "/* migrate-guard: ignore drop-column */ ALTER TABLE d DROP COLUMN e;\n"})
    findings = run_cli("check", "m.sql", "--format", "json", cwd=root).findings()
    assert [(f["rule"], f["line"]) for f in findings] == [("drop-table", 8)]


def test_ignore_only_silences_the_named_rule(tree) -> None:
    root = tree({"m.sql": "ALTER TABLE t DROP COLUMN a, ADD COLUMN b int NOT NULL; -- migrate-guard: ignore drop-column\n"})
    assert run_cli("check", "m.sql", "--format", "json", cwd=root).rules() == ["not-null-without-default"]


def test_ignore_file(tree) -> None:
    root = tree({"all.sql": "-- migrate-guard: ignore-file\nDROP TABLE a;\nTRUNCATE b;\n",
                 "some.sql": "DROP TABLE a;\n-- migrate-guard: ignore-file truncate\nTRUNCATE b;\n"})
    findings = run_cli("check", ".", "--format", "json", cwd=root).findings()
    assert [(f["path"], f["rule"]) for f in findings] == [("some.sql", "drop-table")]


def test_bare_and_unknown_ignores_are_reported(tree) -> None:
    root = tree({"m.sql": "DROP TABLE a; -- migrate-guard: ignore\nDROP TABLE b; -- migrate-guard: ignore drop-tabel\n"})
    findings = run_cli("check", "m.sql", "--format", "json", cwd=root).findings()
    assert [(f["rule"], f["line"], f["severity"]) for f in findings] == [
        ("bare-ignore", 1, "error"), ("drop-table", 1, "error"),
        ("drop-table", 2, "error"), ("unknown-rule-in-ignore", 2, "warning")]


def test_directive_inside_a_string_is_not_a_comment(tree) -> None:
    root = tree({"m.sql": "INSERT INTO notes VALUES ('migrate-guard: ignore drop-table');\nDROP TABLE a;\n"})
    assert run_cli("check", "m.sql", "--format", "json", cwd=root).rules() == ["drop-table"]


DOWN_TREE = {
    "m/000001_x.up.sql": "CREATE TABLE x (id int);\n",
    "m/000001_x.down.sql": "DROP TABLE x;\n",
    "g/20240101_y.sql": "-- +goose Up\nALTER TABLE y ADD COLUMN z int;\n\n-- +goose Down\nALTER TABLE y DROP COLUMN z;\n",
}


def test_down_migrations_are_not_linted_by_default(tree) -> None:
    root = tree(DOWN_TREE)
    assert run_cli("check", ".", "--format", "json", cwd=root).findings() == []


def test_lint_down_reports_down_statements(tree) -> None:
    root = tree({**DOWN_TREE, ".migrate-guard.toml": "lint_down = true\n"})
    findings = run_cli("check", ".", "--format", "json", cwd=root).findings()
    assert [(f["path"], f["line"], f["rule"]) for f in findings] == [
        ("g/20240101_y.sql", 5, "drop-column"), ("m/000001_x.down.sql", 1, "drop-table")]
