"""Every format in extract/registry.py is an extract/base.py `Format`: all of its members (no hook is looked up with
getattr), their parameters, the suffix lists derived from it, and start-up kept light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from conftest import REPO
from migrate_guard.commands import fast
from migrate_guard.extract import base, registry
from migrate_guard.extract.base import Format

MEMBERS = {"claims": ["path", "head"], "migration_key": ["path"], "extract": ["unit", "downs", "only_state"], "owns": ["head"],
           "order_units": ["units"], "dialect_of": ["path"]}
HEAVY = ("sqlglot", "tree_sitter", "libcst", "pglast")


def parameters(function: object) -> list[str]:
    assert callable(function)
    return list(inspect.signature(function).parameters)


@pytest.mark.parametrize("orm", list(registry.MODULES))
def test_format_module_has_the_members_of_the_contract(orm: str) -> None:
    module = registry.extractor(orm)
    assert module is not None, f"{orm}: extract/{registry.MODULES[orm]}.py is missing"
    assert module.ORM == orm
    assert module.EXTENSIONS and all(s.startswith(".") and s == s.lower() for s in module.EXTENSIONS)
    assert registry.SUFFIXES[orm] == frozenset(module.EXTENSIONS), f"{orm}: registry.SUFFIXES is out of date"
    for name, expected in MEMBERS.items():
        assert parameters(getattr(module, name)) == expected, f"{orm}.{name}"
    if orm in registry.CONTENT_FORMATS:
        assert module.owns is not base.not_by_content, f"{orm} is found by content but owns(head) says never"


def test_the_test_knows_every_member_of_the_protocol() -> None:
    declared = {name for name in vars(Format) if not name.startswith("_")} | set(Format.__annotations__)
    assert declared == set(MEMBERS) | {"ORM", "EXTENSIONS"}


def test_candidate_suffixes_are_those_the_formats_claim() -> None:
    claimed = {suffix for orm in registry.MODULES for suffix in registry.extractor(orm).EXTENSIONS}  # type: ignore[union-attr]
    assert registry.CANDIDATE_SUFFIXES == claimed
    assert set(fast._SUFFIXES) == claimed  # the pre-commit fast path's copy (it imports nothing to stay fast)


def test_no_format_module_imports_a_parser_at_start_up() -> None:
    modules = ", ".join(f"migrate_guard.extract.{name}" for name in registry.MODULES.values())
    code = f"import sys, {modules}; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
