"""The bad-input battery (issue 17): every migration format fed empty, binary, non-UTF-8, CRLF, BOM, truncated,
comment-only, one-huge-line and unbalanced-quote files. No traceback, an exit code in {0, 1, 2}, a file that cannot
be read is a finding (never a silent pass), and CRLF or a BOM changes no finding. In-process, like the fuzz test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import write_tree
from test_fuzz import run_in_process

# format -> (the project's other files, the migration's path, a valid migration that drops table legacy)
FORMATS: dict[str, tuple[dict[str, str], str, str]] = {
    "golang-migrate": ({"migrations/1_a.down.sql": "CREATE TABLE legacy (id int);\n"}, "migrations/1_a.up.sql",
                       "-- drop it\nDROP TABLE legacy;\n"),
    "goose": ({}, "db/migrations/00001_a.sql",
              "-- +goose Up\nDROP TABLE legacy;\n-- +goose Down\nCREATE TABLE legacy (id int);\n"),
    "dbmate": ({}, "db/migrations/20240101000000_a.sql",
               "-- migrate:up\nDROP TABLE legacy;\n-- migrate:down\nCREATE TABLE legacy (id int);\n"),
    "flyway": ({"flyway.conf": "flyway.url=jdbc:postgresql://localhost/db\n"}, "sql/V1__a.sql", "DROP TABLE legacy;\n"),
    "prisma": ({"prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'},
               "prisma/migrations/20240101000000_a/migration.sql", "DROP TABLE \"legacy\";\n"),
    "django": ({"manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 's')\n",
                "shop/__init__.py": "", "shop/migrations/__init__.py": ""}, "shop/migrations/0002_drop.py",
               "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
               "    dependencies = [('shop', '0001_initial')]\n"
               "    operations = [migrations.DeleteModel(name='Legacy')]\n"),
    "alembic": ({"alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/env.py": ""},
                "alembic/versions/a1_drop.py",
                "from alembic import op\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n"
                "    op.drop_table('legacy')\n\n\ndef downgrade():\n    op.create_table('legacy')\n"),
    "knex": ({"package.json": '{"dependencies": {"knex": "3"}}', "knexfile.js": "module.exports = {client: 'pg'};\n"},
             "migrations/20240101000000_drop.js",
             "exports.up = async (knex) => {\n  await knex.schema.dropTable('legacy');\n};\n"
             "exports.down = async (knex) => {\n  await knex.schema.createTable('legacy', (t) => t.increments());\n};\n"),
    "typeorm": ({"package.json": '{"dependencies": {"typeorm": "0.3"}}'}, "src/migrations/1700000000000-Drop.ts",
                "import { MigrationInterface, QueryRunner } from 'typeorm';\n\n"
                "export class Drop1700000000000 implements MigrationInterface {\n"
                "  public async up(queryRunner: QueryRunner): Promise<void> {\n"
                "    await queryRunner.query(`DROP TABLE \"legacy\"`);\n  }\n"
                "  public async down(queryRunner: QueryRunner): Promise<void> {\n"
                "    await queryRunner.query(`CREATE TABLE \"legacy\" (id int)`);\n  }\n}\n"),
    "sequelize": ({"package.json": '{"dependencies": {"sequelize": "6", "sequelize-cli": "6"}}'},
                  "migrations/20240101000000-drop.js",
                  "module.exports = {\n  async up(queryInterface) {\n    await queryInterface.dropTable('legacy');\n  },\n"
                  "  async down(queryInterface, Sequelize) {\n"
                  "    await queryInterface.createTable('legacy', { id: Sequelize.INTEGER });\n  },\n};\n"),
}

UNREADABLE: dict[str, Callable[[str], bytes]] = {
    "binary": lambda valid: b"\x00\x01\x02" + valid.encode() + b"\x00" * 64,
    "non-utf8": lambda valid: valid.encode() + b"\n-- caf\xe9 \xff\xfe\n",
}
ODD: dict[str, Callable[[str], bytes]] = {
    "empty": lambda valid: b"",
    "truncated": lambda valid: valid.encode()[: len(valid) // 2],
    "comments-only": lambda valid: b"-- nothing\n# nothing\n// nothing\n/* nothing */\n",
    "huge-line": lambda valid: valid.encode() + b"-- " + b"x" * 300_000 + b"\n",
    "unbalanced-quote": lambda valid: valid.replace("legacy", "leg'acy", 1).encode(),
    "unbalanced-brackets": lambda valid: valid.encode() + b"\n((((([[[[{{{{\n",
    "nul-in-the-middle": lambda valid: valid.encode()[:9000] + b"\x00" + valid.encode()[9000:],
    "latin-1-declared": lambda valid: b"# -*- coding: latin-1 -*-\n" + valid.encode() + b"\n# caf\xe9\n",
}
SAME_FINDINGS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda valid: valid.replace("\n", "\r\n").encode(),
    "bom": lambda valid: b"\xef\xbb\xbf" + valid.encode(),
}


def check(root: Path, *argv: str) -> tuple[int, list[dict[str, object]]]:
    code, out, err, crash = run_in_process(["check", "--no-cache", "--jobs", "1", "--format", "json",
                                            "--fail-on", "never", *argv], root)
    assert crash is None, crash
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.strip().count("\n") == 0 and err.startswith("migrate-guard: error:"), err
        return code, []
    return code, json.loads(out)["findings"]


def project(tmp_path: Path, fmt: str, content: bytes) -> Path:
    others, path, _ = FORMATS[fmt]
    return write_tree(tmp_path, {**others, path: content})


def found(findings: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_valid_migration_is_a_drop(tmp_path: Path, fmt: str) -> None:
    others, path, valid = FORMATS[fmt]
    code, findings = check(project(tmp_path, fmt, valid.encode()))
    assert code == 0 and [f["path"] for f in findings if f["rule"] == "drop-table"] == [path]


@pytest.mark.parametrize("kind", UNREADABLE)
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unreadable_migration_is_a_finding(tmp_path: Path, fmt: str, kind: str) -> None:
    _, path, valid = FORMATS[fmt]
    code, findings = check(project(tmp_path, fmt, UNREADABLE[kind](valid)))
    assert code == 0
    assert [f["rule"] for f in findings if f["path"] == path] == ["parse-error"], findings


@pytest.mark.parametrize("kind", ODD)
@pytest.mark.parametrize("fmt", FORMATS)
def test_odd_content_never_crashes(tmp_path: Path, fmt: str, kind: str) -> None:
    _, _, valid = FORMATS[fmt]
    check(project(tmp_path, fmt, ODD[kind](valid)))
    check(tmp_path, FORMATS[fmt][1])  # the file passed explicitly, as pre-commit does


@pytest.mark.parametrize("kind", SAME_FINDINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_crlf_and_bom_change_no_finding(tmp_path: Path, fmt: str, kind: str) -> None:
    _, _, valid = FORMATS[fmt]
    _, plain = check(project(tmp_path / "plain", fmt, valid.encode()))
    _, odd = check(project(tmp_path / "odd", fmt, SAME_FINDINGS[kind](valid)))
    assert found(odd) == found(plain)


@pytest.mark.parametrize("argv", [["--format", "yaml"], ["--fail-on", "sometimes"], ["--jobs", "0"], ["--jobs", "x"],
                                  ["--dialect", "db2"], ["--bogus"], ["missing.sql"], ["--output"], ["--config", "none"],
                                  ["--changed-since", "no-such-ref"]])
def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    code, out, err, crash = run_in_process(["check", *argv], tmp_path)
    assert crash is None, crash
    assert code == 2 and err.strip() and "Traceback" not in err, (code, err)


@pytest.mark.parametrize("location", ["%(here)s/" + "(" * 300, "alembic/" + "x" * 300 + "/versions", "a\x00b"])
def test_alembic_locations_no_file_system_can_hold(tmp_path: Path, location: str) -> None:
    """Found by the fuzz test: a script_location longer than a file name may be raised OSError (File name too long)
    out of detection; a NUL raised ValueError."""
    write_tree(tmp_path, {"alembic.ini": f"[alembic]\nscript_location = {location}\nversion_locations = {location}\n",
                          "alembic/versions/a1_x.py": "revision = 'a1'\ndown_revision = None\n"})
    check(tmp_path)
    check(tmp_path, "alembic/versions/a1_x.py")


@pytest.mark.parametrize("option", ["'migrations-path': '{long}'", "'config': '{long}', 'migrations-path': 'm'"])
def test_sequelizerc_paths_no_file_system_can_hold(tmp_path: Path, option: str) -> None:
    """Found by the fuzz test: a .sequelizerc path longer than a file name may be raised OSError out of detection."""
    rc = "module.exports = {" + option.format(long="x" * 300) + "};\n"
    write_tree(tmp_path, {".sequelizerc": rc, "package.json": '{"dependencies": {"sequelize": "6"}}',
                          "m/20240101000000-a.js": "module.exports = {up() {}, down() {}};\n"})
    check(tmp_path)
    check(tmp_path, "m/20240101000000-a.js")
