"""Every rule against its fixtures: bad entries fire exactly at the lines marked `expect: RULE`, with the severity and
message recorded in the rule's findings.json; good entries stay silent.

Layout: fixtures/rules/<rule-id>/{bad,good}/<entry>, where <entry> is a migration file or a small project folder, and
fixtures/rules/<rule-id>/findings.json. Every rule of rules/*.toml needs both; adding a rule or a format needs fixtures
here, no Python. The entries run in this process through the CLI's own entry point (run_in_process), with the JSON
reporter: config, detection, extraction and the engine as `migrate-guard check` runs them. After a deliberate change
of a message or severity, rewrite the findings.json files with MIGRATE_GUARD_UPDATE_FIXTURES=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import FIXTURES, RULES_DIR, expect_markers, rule_ids, run_cli, run_in_process

RULES = FIXTURES / "rules"
RECORDED = "findings.json"
UPDATE = os.environ.get("MIGRATE_GUARD_UPDATE_FIXTURES") == "1"
# Rules `check PATH` does not report, and how their entries run instead (each entry of theirs is a folder):
CHECK_WITHOUT_PATHS = frozenset({"unclaimed-migrations"})  # `check` in the entry folder: detection's own finding
VERIFY = "verify-"  # rules of `migrate-guard verify ENTRY`: real migrations on a throwaway database, so e2e
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_.]*\}")


def _entries(kind: str) -> list[tuple[str, Path]]:
    found = []
    for rule_dir in sorted(p for p in RULES.iterdir() if p.is_dir()):
        folder = rule_dir / kind
        if folder.is_dir():
            found += [(rule_dir.name, entry) for entry in sorted(folder.iterdir())
                      if not entry.name.startswith(".") and entry.name != "README.md"]
    return found


def _cases(kind: str) -> list:
    return [pytest.param(rule, entry, id=f"{rule}-{entry.name}",
                         marks=[pytest.mark.e2e] if rule.startswith(VERIFY) else [])
            for rule, entry in _entries(kind)]


def _base(rule: str, entry: Path) -> Path:
    """The folder the entry runs in, which the findings' paths are relative to."""
    return entry if rule in CHECK_WITHOUT_PATHS else entry.parent


def _findings(rule: str, entry: Path) -> list[dict]:
    if rule in CHECK_WITHOUT_PATHS:
        args = ["check"]
    else:
        args = ["verify" if rule.startswith(VERIFY) else "check", entry.name]
    result = run_in_process(*args, "--format", "json", "--fail-on", "never", cwd=_base(rule, entry))
    assert result.code == 0, result.err
    return [f for f in result.json()["findings"] if f["rule"] == rule]


@lru_cache(maxsize=None)
def _rule_file(rule: str) -> dict:
    for path in RULES_DIR.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("rule", [data]):
            if entry.get("id") == rule:
                return entry
    raise AssertionError(f"no rule {rule} in rules/")


def _said_by_the_rule(rule: str, finding: dict) -> bool:
    """The finding's severity and message are those of one of the rule's [[match]] clauses, every placeholder filled
    (a rule without clauses, whose findings code makes, has one severity)."""
    data = _rule_file(rule)
    if PLACEHOLDER.search(finding["message"]):
        return False
    clauses = data.get("match", [])
    if not clauses:
        return finding["severity"] == data["severity"]
    for clause in clauses:
        template = "".join(".+?" if PLACEHOLDER.fullmatch(part) else re.escape(part)
                           for part in re.split(f"({PLACEHOLDER.pattern})", clause["message"]))
        if (finding["severity"] == clause.get("severity", data["severity"])
                and re.fullmatch(template, finding["message"], re.DOTALL)):
            return True
    return False


def _recorded(rule: str) -> dict[str, list[dict]]:
    path = RULES / rule / RECORDED
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _record(rule: str, key: str, findings: list[dict]) -> None:
    recorded = {**_recorded(rule), key: findings}
    text = json.dumps(dict(sorted(recorded.items())), indent=1, ensure_ascii=False)
    (RULES / rule / RECORDED).write_text(text + "\n", encoding="utf-8")


def test_every_rule_has_a_bad_and_a_good_fixture() -> None:
    missing = [f"{rule}/{kind}" for rule in rule_ids() for kind in ("bad", "good")
               if not any(rule == r for r, _ in _entries(kind))]
    assert not missing, f"rules without fixtures under fixtures/rules/: {', '.join(missing)}"


def test_fixture_folders_and_recorded_findings_name_real_rules_and_entries() -> None:
    known = set(rule_ids())
    assert {p.name for p in RULES.iterdir() if p.is_dir()} <= known
    for rule in known:
        bad = {f"bad/{entry.name}" for r, entry in _entries("bad") if r == rule}
        assert set(_recorded(rule)) == bad, f"fixtures/rules/{rule}/{RECORDED} and its bad entries differ"


def test_the_cli_lists_exactly_the_rules_of_the_rule_files() -> None:
    """rule_ids() reads the files' id lines; the CLI (a real process) lists the rules the engine loaded."""
    assert sorted(r["id"] for r in run_cli("rules", "--format", "json").json()) == rule_ids()


@pytest.mark.parametrize("rule,entry", _cases("bad"))
def test_bad_fixture_fires_exactly_where_marked(rule: str, entry: Path) -> None:
    marked = {(path, line) for path, line, r in expect_markers(entry, _base(rule, entry)) if r == rule}
    assert marked, f"{entry} marks no line with 'expect: {rule}'"
    findings = _findings(rule, entry)
    assert {(f["path"], f["line"]) for f in findings} == marked
    assert [f for f in findings if not _said_by_the_rule(rule, f)] == [], f"not a message of rules/{rule}"
    said = sorted(({"path": f["path"], "line": f["line"], "severity": f["severity"], "message": f["message"]}
                   for f in findings), key=lambda f: (f["path"], f["line"], f["message"]))
    key = f"bad/{entry.name}"
    if UPDATE:
        _record(rule, key, said)
    assert said == _recorded(rule).get(key), (f"severity or message differs from fixtures/rules/{rule}/{RECORDED} "
                                             "(a deliberate change or a new entry: MIGRATE_GUARD_UPDATE_FIXTURES=1)")


@pytest.mark.parametrize("rule,entry", _cases("good"))
def test_good_fixture_is_silent(rule: str, entry: Path) -> None:
    assert _findings(rule, entry) == []


def test_check_cli_in_a_real_process_matches_the_in_process_run() -> None:
    """The in-process runner stands for the CLI: the same findings from `python -m migrate_guard` on one entry of
    each kind (a file, a project folder)."""
    for rule, name in [("drop-column", "drop_column.sql"), ("drop-column", "django_remove_field")]:
        entry = RULES / rule / "bad" / name
        args = ("check", entry.name, "--format", "json", "--fail-on", "never", "--no-cache")
        real = run_cli(*args, cwd=entry.parent)
        assert real.code == 0 and real.json() == run_in_process(*args, cwd=entry.parent).json()
