"""A run that reads no down operations (no cache, lint_down off: pipeline/pool.py) extracts TS/JS migrations with
their format's extract(unit, downs=False), which leaves the down unread except where what its reading gives is used."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from conftest import lint_json, write_tree
from migrate_guard import ir
from migrate_guard.extract import db_migrate, knex, sequelize, typeorm
from migrate_guard.extract.base import MigrationUnit
from migrate_guard.extract.js.migration import _SAFE_DEPTH
from migrate_guard.extract.js.source import Source, deeper_than

_TYPEORM = """\
import {{ MigrationInterface, QueryRunner }} from "typeorm";
export class M1700000000000 implements MigrationInterface {{
    public async up(queryRunner: QueryRunner): Promise<void> {{
        await queryRunner.query(`ALTER TABLE "a" ADD COLUMN "b" integer`);
    }}
    public async down(queryRunner: QueryRunner): Promise<void> {{
        await queryRunner.query({down});
    }}
}}
"""


def _typeorm(tmp_path: Path, down: str, dialect: str = "postgres", unread: bool = True) -> list[ir.Operation]:
    path = tmp_path / "1700000000000-M.ts"
    path.write_text(_TYPEORM.format(down=down), encoding="utf-8")
    unit = MigrationUnit(orm="typeorm", id=path.name, files=[path], dialect=dialect)
    return typeorm.extract(unit, downs=not unread).operations


def test_extract_reads_the_down_and_without_downs_leaves_it_unread(tmp_path: Path) -> None:
    assert [op.direction for op in _typeorm(tmp_path, "`DROP TABLE a`", unread=False)] == ["up", "down"]
    assert [op.direction for op in _typeorm(tmp_path, "`DROP TABLE a`")] == ["up"]


@pytest.mark.parametrize(("module", "name", "text"), [
    (knex, "20240101_a.js", "exports.up = (knex) => knex.schema.dropTable('a');\n"
                            "exports.down = (knex) => knex.schema.createTable('a', (t) => { t.increments(); });\n"),
    (sequelize, "20240101-a.js", "module.exports = {\n  up: (q) => q.dropTable('a'),\n"
                                 "  down: (q) => q.createTable('a', {}),\n};\n"),
])
def test_extract_without_downs_keeps_the_down_state_and_location(tmp_path: Path, module, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    unit = MigrationUnit(orm=module.ORM, id=name, files=[path], dialect="postgres")
    full, up = module.extract(unit), module.extract(unit, downs=False)
    assert [repr(op) for op in full.operations if op.direction == "up"] == [repr(op) for op in up.operations]
    assert any(op.direction == "down" for op in full.operations)
    assert (up.down, up.down_location, up.sources, up.transactional) == \
        (full.down, full.down_location, full.sources, full.transactional)


def test_a_partly_checked_database_reads_downs_its_note_counts(tmp_path: Path) -> None:
    assert [op.direction for op in _typeorm(tmp_path, "`DROP TABLE a`", dialect="mssql")] == ["up", "down"]


def test_a_down_too_deep_to_read_is_read_and_reported_as_before(tmp_path: Path) -> None:
    for unread in (False, True):
        ops = _typeorm(tmp_path, "f(" * 2000 + "`x`" + ")" * 2000, unread=unread)
        errors = [op.message for op in ops if isinstance(op, ir.ParseError)]
        assert len(errors) == 1 and errors[0].endswith("1700000000000-M.ts: expressions nested too deeply to read")


@pytest.mark.parametrize("construct", [
    lambda n: "f(" * n + "`x`" + ")" * n,  # nested calls
    lambda n: "[" * n + "`x`" + "]" * n,
    lambda n: "{a: " * n + "`x`" + "}" * n,
    lambda n: "(" * n + "`x`" + ")" * n,
    lambda n: "`${" * n + "1" + "}`" * n,  # template substitutions
    lambda n: "a ? " * n + "`x`" + " : b" * n,
])
def test_a_down_at_the_safe_depth_reads_without_overflowing_from_a_deep_stack(tmp_path: Path, construct) -> None:
    """What skipping a down relies on: a file no deeper than _SAFE_DEPTH never overflows the stack while read."""
    levels = next(n for n in range(1, _SAFE_DEPTH) if _deeper(tmp_path, construct(n + 1)))
    text = construct(levels)
    path = tmp_path / "1700000000000-M.ts"
    path.write_text(_TYPEORM.format(down=text), encoding="utf-8")
    assert not deeper_than(Source(path, path.name, path.read_text()).root, _SAFE_DEPTH)

    def from_depth(frames: int) -> list[ir.Operation]:
        return from_depth(frames - 1) if frames else _typeorm(tmp_path, text, unread=False)

    headroom = sys.getrecursionlimit() // 3  # a caller's stack (pytest, the CLI, the pipeline) is below this
    ops = from_depth(headroom)
    assert not any(isinstance(op, ir.ParseError) for op in ops), [op.message for op in ops]  # type: ignore[attr-defined]


def _deeper(tmp_path: Path, down: str) -> bool:
    path = tmp_path / "probe.ts"
    path.write_text(_TYPEORM.format(down=down), encoding="utf-8")
    return deeper_than(Source(path, path.name, path.read_text()).root, _SAFE_DEPTH)


def test_a_knex_down_restating_an_altered_column_is_read(tmp_path: Path) -> None:
    path = tmp_path / "20240102_email.js"
    path.write_text("exports.up = (knex) => knex.schema.alterTable('users', (t) => {\n"
                    "  t.string('email', 320).alter();\n"
                    "});\n"
                    "exports.down = (knex) => knex.schema.alterTable('users', (t) => {\n"
                    "  t.string('email', 100).alter();\n"
                    "});\n", encoding="utf-8")
    migration = knex.extract(MigrationUnit(orm="knex", id=path.name, files=[path], dialect="postgres"), downs=False)
    up = [op for op in migration.operations if isinstance(op, ir.AlterColumnType) and op.direction == "up"]
    assert [str(op.old_type_in_down) for op in up] == ["varchar(100)"]


def test_a_knex_helper_export_with_only_a_down_is_read(tmp_path: Path) -> None:
    path = tmp_path / "2022-10-10-drop.js"
    path.write_text(textwrap.dedent("""\
        const {createDropColumnMigration} = require('../../utils');
        module.exports = createDropColumnMigration('posts', 'author_id', {type: 'string', nullable: true});
        module.exports.down = async () => {};
    """), encoding="utf-8")
    migration = knex.extract(MigrationUnit(orm="knex", id=path.name, files=[path], dialect="postgres"), downs=False)
    assert [op.kind for op in migration.operations] == ["drop_column"]


def test_findings_are_the_same_with_and_without_lint_down_for_the_up(tmp_path: Path) -> None:
    write_tree(tmp_path, {"knexfile.js": "module.exports = { client: 'pg' };",
                          "migrations/20240101_a.js": "exports.up = (knex) => knex.schema.createTable('a', (t) => {"
                                                      " t.increments(); t.string('b'); });\n"
                                                      "exports.down = (knex) => knex.schema.dropTable('a');\n",
                          "migrations/20240102_b.js": "exports.up = (knex) => knex.schema.alterTable('a', (t) => {"
                                                      " t.dropColumn('b'); });\n"
                                                      "exports.down = (knex) => knex.schema.alterTable('a', (t) => {"
                                                      " t.string('b'); });\n"})
    quiet = lint_json("--no-cache", cwd=tmp_path)
    (tmp_path / ".migrate-guard.toml").write_text("lint_down = true\n")
    loud = lint_json("--no-cache", cwd=tmp_path)
    assert [f for f in loud if f["rule"] != "drop-table"] == quiet
    assert [f["rule"] for f in loud if f["rule"] == "drop-table"] == ["drop-table"]


def test_a_db_migrate_down_reading_its_sql_file_is_read(tmp_path: Path) -> None:
    script = tmp_path / "20240101000000-a.js"
    script.write_text(textwrap.dedent("""\
        exports.up = function (db) { return readSql('up').then((data) => db.runSql(data)); };
        exports.down = function (db) { return readSql('down').then((data) => db.runSql(data)); };
    """), encoding="utf-8")
    (tmp_path / "sqls").mkdir()
    up, down = tmp_path / "sqls" / "20240101000000-a-up.sql", tmp_path / "sqls" / "20240101000000-a-down.sql"
    up.write_text("ALTER TABLE a ADD COLUMN b int;\n", encoding="utf-8")
    down.write_text("ALTER TABLE a DROP COLUMN b;\n", encoding="utf-8")
    unit = MigrationUnit(orm="db-migrate", id="20240101000000-a", files=[script, up, down], dialect="postgres")
    migration = db_migrate.extract(unit, downs=False)
    assert [Path(shown).name for shown in migration.sources] == [script.name, up.name, down.name]
