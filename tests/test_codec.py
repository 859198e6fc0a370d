"""codec.py, the cache's and the workers' code-free format: what it writes reads back equal, for migrations of every
format in the fixtures and for dataclasses of any number of fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO
from migrate_guard import codec
from migrate_guard.config import load_config
from migrate_guard.pipeline.discover import discover
from migrate_guard.pipeline.options import Options
from migrate_guard.pipeline.plan import plan_files
from migrate_guard.pipeline.pool import extract_unit


@dataclass
class _NoField:
    pass


@dataclass
class _OneField:
    value: object


@dataclass(frozen=True, slots=True)
class _Frozen:
    a: int
    b: tuple[str, ...]


_NoField.__module__ = _OneField.__module__ = _Frozen.__module__ = "migrate_guard.tests_codec"


@pytest.mark.parametrize("value", [_NoField(), _OneField(None), _OneField([_OneField("x"), {"k": (1, 2.5)}]),
                                   _Frozen(3, ("a", "b")), [1, "two", None, b"3", {4}, frozenset({5})]])
def test_values_read_back_equal(value: object) -> None:
    import sys
    import types

    module = sys.modules.setdefault("migrate_guard.tests_codec", types.ModuleType("migrate_guard.tests_codec"))
    for cls in (_NoField, _OneField, _Frozen):
        setattr(module, cls.__name__, cls)
    assert codec.loads(codec.dumps(value)) == value


def test_every_fixture_migration_reads_back_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = REPO / "fixtures"
    count = 0
    for project in sorted(p for p in fixtures.iterdir() if p.is_dir() and p.name != "rules"):
        monkeypatch.chdir(project)
        config = load_config(None, Path("."))
        found = discover(config, [])
        plan = plan_files(found.files, config, Options(), found.projects, None)
        for unit in (u for units in plan.groups.values() for u in units):
            migration = extract_unit(unit)
            assert repr(codec.loads(codec.dumps(migration))) == repr(migration), unit.files
            count += 1
    assert count > 100
