"""Every rule against its fixtures: bad entries fire exactly at the lines marked `expect: RULE`, good entries stay silent.

Layout: fixtures/rules/<rule-id>/{bad,good}/<entry>, where <entry> is a migration file or a small project folder.
Adding a rule or a format needs fixtures here, no Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, expect_markers, lint_json

RULES = FIXTURES / "rules"
def _entries(kind: str) -> list[tuple[str, Path]]:
    found = []
    for rule_dir in sorted(p for p in RULES.iterdir() if p.is_dir()):
        folder = rule_dir / kind
        if folder.is_dir():
            found += [(rule_dir.name, entry) for entry in sorted(folder.iterdir())
                      if not entry.name.startswith(".") and entry.name != "README.md"]
    return found


def _expected_lines(rule: str, entry: Path) -> set[tuple[str, int]]:
    return {(path, line) for path, line, marked in expect_markers(entry, entry.parent) if marked == rule}


def _findings(rule: str, entry: Path) -> set[tuple[str, int]]:
    return {(f["path"], f["line"]) for f in lint_json(entry.name, cwd=entry.parent, ambient=True) if f["rule"] == rule}


def test_every_contract_rule_has_fixtures() -> None:
    contract_rules = ["drop-table", "drop-column", "column-type-change", "truncate", "unbounded-delete",
                      "unbounded-update", "not-null-without-default", "foreign-key-without-index",
                      "missing-down-migration", "non-concurrent-index", "rename-column", "rename-table", "parse-error"]
    for rule in contract_rules:
        assert list((RULES / rule / "bad").iterdir()), f"{rule} has no bad fixture"
        assert list((RULES / rule / "good").iterdir()), f"{rule} has no good fixture"


@pytest.mark.parametrize("rule,entry", _entries("bad"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_bad_fixture_fires_exactly_where_marked(rule: str, entry: Path) -> None:
    expected = _expected_lines(rule, entry)
    assert expected, f"{entry} marks no line with 'expect: {rule}'"
    assert _findings(rule, entry) == expected


@pytest.mark.parametrize("rule,entry", _entries("good"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_good_fixture_is_silent(rule: str, entry: Path) -> None:
    assert _findings(rule, entry) == set()
