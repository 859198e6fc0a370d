"""extract(unit, only_state=True), a migration read only for the schema state of later ones: for every format and
every fixture project, the state its migrations leave is the one their whole reading leaves (the contract of
extract/base.py Format.extract), under both SQL parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from migrate_guard.config import load_config
from migrate_guard.pipeline.discover import discover
from migrate_guard.pipeline.options import Options
from migrate_guard.pipeline.plan import plan_files
from migrate_guard.pipeline.pool import extract_unit
from migrate_guard.schema import SchemaState

PROJECTS = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())


@pytest.mark.parametrize("parser", ["auto", "sqlglot"])
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_reading_for_the_state_alone_leaves_the_same_state(project: Path, parser: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", parser)
    monkeypatch.chdir(project)
    config = load_config(None, Path("."))
    found = discover(config, [])
    plan = plan_files(found.files, config, Options(), found.projects, None)
    for units in plan.groups.values():
        whole, alone = SchemaState(), SchemaState()
        for unit in units:
            whole.replay(extract_unit(unit, downs=False))
            alone.replay(extract_unit(unit, context=True, downs=False))
            assert alone == whole, unit.files
