"""Every TypeORM/Knex/Sequelize/Prisma fixture project, linted for real: findings are exactly the `expect:` markers.

Unlike the per-rule fixtures, this compares ALL findings of a folder (every rule) with every marker in its files, so
a mapped call that fires twice, on the wrong line or under the wrong rule fails, and safe variants must stay silent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

_EXPECT = re.compile(r"expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")
_SUFFIXES = {".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".prisma", ".sql"}
FOLDERS = ["typeorm/ts", "typeorm/compiled", "typeorm/mysql", "knex/cjs", "knex/esm", "knex/ts", "knex/mysql",
           "sequelize/cjs", "sequelize/esm", "sequelize/umzug", "sequelize/sqlite", "prisma/app"]


def expected(folder: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(folder.rglob("*")):
        if path.suffix not in _SUFFIXES or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in _EXPECT.finditer(line):
                for rule in match.group(1).split(","):
                    found.add((path.relative_to(folder).as_posix(), number, rule.strip()))
    return found


def findings(folder: Path, *paths: str) -> set[tuple[str, int, str]]:
    result = run_cli("check", *paths, "--format", "json", "--fail-on", "never", cwd=folder)
    assert result.code == 0, result.err
    return {(f["path"], f["line"], f["rule"]) for f in result.json()["findings"]}


@pytest.mark.parametrize("name", FOLDERS)
def test_fixture_folder_findings_are_exactly_the_markers(name: str) -> None:
    folder = FIXTURES / name
    wanted = expected(folder)
    assert wanted, f"{name} marks nothing"
    assert findings(folder, ".") == wanted


@pytest.mark.parametrize("name", ["knex/mysql", "sequelize/sqlite", "prisma/app", "typeorm/mysql"])
def test_project_detection_run_without_paths_gives_the_same_findings(name: str) -> None:
    folder = FIXTURES / name
    assert findings(folder) == expected(folder)


def test_each_file_alone_gives_its_own_markers() -> None:
    """pre-commit passes single files: each fixture file on its own still fires exactly at its markers."""
    for name in ("typeorm/compiled", "knex/esm", "sequelize/umzug"):
        folder = FIXTURES / name
        for path in sorted(folder.iterdir()):
            if path.suffix in _SUFFIXES:
                wanted = {item for item in expected(folder) if item[0] == path.name}
                assert findings(folder, path.name) == wanted, path
