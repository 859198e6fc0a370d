"""--select / --extend-select / --ignore with rule ids and tags, on top of config; did-you-mean for unknown ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

MIGRATION = ("CREATE TABLE events (id serial PRIMARY KEY, at timestamp);\n"
             "DROP TABLE legacy;\n"
             "ALTER TABLE users RENAME COLUMN name TO full_name;\n")


@pytest.fixture
def root(tree) -> Path:
    return tree({"db/001_change.sql": MIGRATION})


def _rules(root: Path, *args: str) -> set[str]:
    result = run_cli("check", "db", "--format", "json", "--fail-on", "never", *args, cwd=root)
    assert result.code == 0, result.err
    return {f["rule"] for f in result.json()["findings"]}


def test_default_selection(root: Path) -> None:
    assert _rules(root) == {"drop-table", "rename-column", "lock-timeout-missing"}


def test_select_by_id_and_by_tag(root: Path) -> None:
    assert _rules(root, "--select", "drop-table") == {"drop-table"}
    assert _rules(root, "--select", "destructive") == {"drop-table"}
    assert _rules(root, "--select", "compatibility,locking") == {"drop-table", "rename-column", "lock-timeout-missing"}
    assert _rules(root, "--select", "rename-column", "--select", "drop-table") == {"drop-table", "rename-column"}


def test_select_and_extend_select_switch_opt_in_rules_on(root: Path) -> None:
    assert _rules(root, "--select", "style") == {"prefer-identity", "prefer-timestamptz"}
    assert _rules(root, "--extend-select", "prefer-timestamptz") == \
        {"drop-table", "rename-column", "lock-timeout-missing", "prefer-timestamptz"}


def test_ignore_by_id_and_tag_wins(root: Path) -> None:
    assert _rules(root, "--ignore", "lock-timeout-missing") == {"drop-table", "rename-column"}
    assert _rules(root, "--ignore", "compatibility") == {"lock-timeout-missing"}
    assert _rules(root, "--select", "destructive,style", "--ignore", "prefer-identity") == \
        {"drop-table", "prefer-timestamptz"}


def test_command_line_is_on_top_of_config(root: Path) -> None:
    (root / ".migrate-guard.toml").write_text('[rules.rename-column]\nenabled = false\n'
                                             '[rules.prefer-timestamptz]\nenabled = true\n', encoding="utf-8")
    assert _rules(root) == {"drop-table", "lock-timeout-missing", "prefer-timestamptz"}
    assert _rules(root, "--ignore", "prefer-timestamptz") == {"drop-table", "lock-timeout-missing"}
    assert _rules(root, "--extend-select", "rename-column") == \
        {"drop-table", "lock-timeout-missing", "prefer-timestamptz", "rename-column"}


def test_selection_also_governs_findings_about_ignore_comments(tree) -> None:
    root = tree({"db/001.sql": "-- migrate-guard: ignore no-such-rule\nDROP TABLE legacy;\n"})
    assert "unknown-rule-in-ignore" in _rules(root)
    assert _rules(root, "--select", "drop-table") == {"drop-table"}


def test_selection_changes_what_the_cache_serves(root: Path) -> None:
    assert _rules(root, "--select", "drop-table") == {"drop-table"}
    assert _rules(root) == {"drop-table", "rename-column", "lock-timeout-missing"}
    assert _rules(root, "--select", "drop-table") == {"drop-table"}


@pytest.mark.parametrize(("args", "message"), [
    (["check", "db", "--select", "drop_column"],
     "migrate-guard: error: --select: unknown rule id or tag 'drop_column' (did you mean 'drop-column'?)"),
    (["check", "db", "--ignore", "destructve"],
     "migrate-guard: error: --ignore: unknown rule id or tag 'destructve' (did you mean 'destructive'?)"),
    (["check", "db", "--extend-select", "Drop-Table"],
     "migrate-guard: error: --extend-select: unknown rule id or tag 'Drop-Table' (did you mean 'drop-table'?)"),
    (["check", "db", "--select", "zzzz"], "migrate-guard: error: --select: unknown rule id or tag 'zzzz' (see"),
    (["explain", "drop_column"], "migrate-guard: error: unknown rule id 'drop_column' (did you mean 'drop-column'?)"),
    (["explain", "non-concurent-index"],
     "migrate-guard: error: unknown rule id 'non-concurent-index' (did you mean 'non-concurrent-index'?)"),
])
def test_unknown_ids_get_a_suggestion_one_line_exit_2(root: Path, args: list[str], message: str) -> None:
    result = run_cli(*args, cwd=root)
    assert result.code == 2
    assert len(result.err.splitlines()) == 1 and result.err.startswith(message), result.err
    assert result.out == ""


def test_every_rule_file_has_known_tags() -> None:
    from migrate_guard.engine.rules import TAGS, load_rules

    rules = load_rules()
    assert all(rule.tags and set(rule.tags) <= set(TAGS) for rule in rules.values())
    assert not set(TAGS) & set(rules)  # a tag never shadows a rule id
    assert {tag for rule in rules.values() for tag in rule.tags} == set(TAGS)


def test_unknown_rule_in_config_gets_a_suggestion(root: Path) -> None:
    (root / ".migrate-guard.toml").write_text('[rules.drop_table]\nseverity = "warning"\n', encoding="utf-8")
    result = run_cli("check", "db", cwd=root)
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert "unknown rule id 'drop_table' in [rules] (did you mean 'drop-table'?)" in result.err


def test_rules_and_explain_show_the_tags(tmp_path: Path) -> None:
    listed = {r["id"]: r["tags"] for r in json.loads(run_cli("rules", "--format", "json", cwd=tmp_path).out)}
    assert listed["drop-table"] == ["destructive", "compatibility"] and listed["prefer-bigint"] == ["style"]
    first = run_cli("explain", "drop-table", cwd=tmp_path).out.splitlines()[0]
    assert first == "drop-table  [default severity: error] [tags: destructive, compatibility]"
