"""Every TypeORM/Knex/Sequelize/Prisma fixture project, linted for real: findings are exactly the `expect:` markers.

Unlike the per-rule fixtures, this compares ALL findings of a folder (every rule) with every marker in its files, so
a mapped call that fires twice, on the wrong line or under the wrong rule fails, and safe variants must stay silent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, TEXT_SUFFIXES, expect_markers, lint_json

FOLDERS = ["typeorm/ts", "typeorm/compiled", "typeorm/mysql", "knex/cjs", "knex/esm", "knex/ts", "knex/mysql", "knex/directus",
           "sequelize/cjs", "sequelize/esm", "sequelize/umzug", "sequelize/sqlite", "sequelize/nocobase", "prisma/app"]


def expected(folder: Path) -> set[tuple[str, int, str]]:
    return expect_markers(folder)


def findings(folder: Path, *paths: str) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["rule"]) for f in lint_json(*paths, cwd=folder)}


@pytest.mark.parametrize("name", FOLDERS)
def test_fixture_folder_findings_are_exactly_the_markers(name: str) -> None:
    folder = FIXTURES / name
    wanted = expected(folder)
    assert wanted, f"{name} marks nothing"
    assert findings(folder, ".") == wanted


@pytest.mark.parametrize("name", ["knex/mysql", "sequelize/sqlite", "sequelize/nocobase", "prisma/app", "typeorm/mysql"])
def test_project_detection_run_without_paths_gives_the_same_findings(name: str) -> None:
    folder = FIXTURES / name
    assert findings(folder) == expected(folder)


def test_each_file_alone_gives_its_own_markers() -> None:
    """pre-commit passes single files: each fixture file on its own still fires exactly at its markers."""
    for name in ("typeorm/compiled", "knex/esm", "sequelize/umzug"):
        folder = FIXTURES / name
        for path in sorted(folder.iterdir()):
            if path.suffix in TEXT_SUFFIXES:
                wanted = {item for item in expected(folder) if item[0] == path.name}
                assert findings(folder, path.name) == wanted, path
