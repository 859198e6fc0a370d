"""Rules are validated when loaded: a typo in a rule file is an error naming the file and the problem, never a rule that
silently never fires. And the list of facts the validator accepts is exactly what the engine produces."""

from __future__ import annotations

import pytest

from conftest import FIXTURES

from migrate_guard.engine.rules import load_rules
from migrate_guard.engine.validate import problems

ORMS = frozenset({"django", "alembic", "knex", "typeorm", "sequelize", "prisma", "drizzle", "goose", "dbmate",
                  "golang-migrate", "flyway"})

GOOD = {"id": "x", "severity": "warning", "summary": "s", "dialects": ["postgres"],
        "match": [{"kind": "create_index", "when": {"concurrent": False, "table_is_new": False},
                   "message": "Index {name} on {table}", "hint": "h", "hints": {"goose": "g"}}]}


def _with(**changes) -> dict:
    entry = {**GOOD, "match": [{**GOOD["match"][0], **changes}]}
    return entry


def test_every_shipped_rule_is_valid() -> None:
    load_rules.cache_clear()
    assert len(load_rules()) >= 40  # loading validates each one (a ConfigError otherwise)


@pytest.mark.parametrize("entry,problem", [
    (_with(when={"concurent": False}), "'concurent', which is neither a fact nor a field"),
    (_with(kind="create_indx"), "unknown operation kind 'create_indx'"),
    (_with(when={"table_is_new": {"equals": False}}), "unknown operator 'equals'"),
    (_with(message="Index {nmae}"), "names {nmae}"),
    (_with(hints={"rails": "x"}), "'rails', which is not an ORM id"),
    ({**GOOD, "dialects": ["postgresql"]}, "unknown dialect 'postgresql'"),
    (_with(when={"column.default.volatilty": "volatile"}, kind="add_column"), "'column.default.volatilty'"),
])
def test_a_typo_in_a_rule_is_reported(entry: dict, problem: str) -> None:
    found = problems(entry, ORMS)
    assert any(problem in p for p in found), found


def test_field_paths_through_the_ir_are_accepted() -> None:
    entry = _with(kind="add_column", when={"column.default.volatility": "volatile", "column.nullable": False},
                  message="{table}.{column} {column_type}")
    assert problems(entry, ORMS) == []
    assert problems(_with(kind="truncate", when={}, message="{table}"), ORMS) == []  # Truncate.table: a property


def test_a_broken_rule_file_stops_the_run_with_one_line(tree, monkeypatch) -> None:
    import shutil

    from conftest import run_cli
    from migrate_guard.engine import rules as rules_module

    copied = tree({"m.sql": "DROP TABLE t;\n"}) / "rules"
    shutil.copytree(rules_module.rules_dir(), copied)
    text = (copied / "non-concurrent-index.toml").read_text().replace("concurrent = false", "concurent = false")
    (copied / "non-concurrent-index.toml").write_text(text)
    monkeypatch.setattr(rules_module, "rules_dir", lambda: copied)
    rules_module.load_rules.cache_clear()
    try:
        with pytest.raises(Exception) as error:
            rules_module.load_rules()
        assert "non-concurrent-index.toml" in str(error.value) and "concurent" in str(error.value)
    finally:
        rules_module.load_rules.cache_clear()
    assert run_cli("rules").code == 0  # the shipped rules, untouched


def test_the_engine_produces_only_declared_facts(monkeypatch) -> None:
    """Run the engine over the rule fixtures in-process and collect every fact key it computes."""
    import os

    from migrate_guard.pipeline.options import Options
    from migrate_guard.pipeline.run import run_check
    from migrate_guard.config import load_config
    from migrate_guard.engine import facts as facts_module

    seen: set[str] = set()
    original = facts_module.MigrationFacts.per_operation

    def recording(self, ops):
        for op, op_facts in original(self, ops):
            seen.update(op_facts)
            yield op, op_facts

    monkeypatch.setattr(facts_module.MigrationFacts, "per_operation", recording)
    for folder in (FIXTURES / "rules", FIXTURES / "dialects", FIXTURES / "demo"):
        monkeypatch.chdir(folder)
        run_check(load_config(), Options(paths=["."] if folder.name == "rules" else [], use_cache=False))
    assert seen - facts_module.FACTS == set()
    assert {"lock_mode", "table_is_new", "dialect", "from_sql"} <= seen
    assert os.getcwd()
