"""TypeORM: claims by content, QueryRunner API -> IR, dialect from the DataSource, transactions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint_json, run_cli, write_tree
from migrate_guard import ir
from migrate_guard.extract import typeorm
from migrate_guard.extract.base import MigrationUnit


def extract(tmp_path: Path, body: str, down: str = "await queryRunner.query(`SELECT 1`);", extra: str = ""):
    path = tmp_path / "1700000000000-M.ts"
    path.write_text(textwrap.dedent(f"""\
        import {{ MigrationInterface, QueryRunner, Table, TableColumn, TableIndex, TableForeignKey }} from "typeorm";
        export class M1700000000000 implements MigrationInterface {{
            {extra}
            public async up(queryRunner: QueryRunner): Promise<void> {{
                {body}
            }}
            public async down(queryRunner: QueryRunner): Promise<void> {{
                {down}
            }}
        }}
    """), encoding="utf-8")
    return typeorm.extract(MigrationUnit(orm="typeorm", id=path.name, files=[path], dialect="postgres"))


def test_claims_typeorm_files_by_content_only() -> None:
    assert typeorm.claims(Path("x.ts"), 'import { MigrationInterface } from "typeorm";\nasync up(queryRunner)')
    assert typeorm.claims(Path("x.js"), 'const t = require("typeorm"); class A { async up(e) {} }')
    assert not typeorm.claims(Path("x.ts"), 'import { Entity } from "typeorm"; export class User {}')
    assert not typeorm.claims(Path("x.js"), "exports.up = (knex) => knex.schema.dropTable('a')")


def test_add_column_defaults_to_not_null_like_typeorm(tmp_path: Path) -> None:
    migration = extract(tmp_path, """await queryRunner.addColumn("users", new TableColumn({ name: "a", type: "varchar", length: "64" }));
                await queryRunner.addColumns("users", [new TableColumn({ name: "b", type: "int", isNullable: true }),
                    new TableColumn({ name: "c", type: "timestamptz", default: "now()" })]);""")
    adds = [op for op in migration.operations if isinstance(op, ir.AddColumn)]
    assert [(op.column.name, op.column.nullable, op.column.default is not None, str(op.column.type)) for op in adds] \
        == [("a", False, False, "varchar(64)"), ("b", True, False, "int"), ("c", False, True, "timestamptz")]
    assert adds[2].column.default.volatility == "stable"


def test_create_table_with_foreign_keys_and_indices(tmp_path: Path) -> None:
    migration = extract(tmp_path, """await queryRunner.createTable(new Table({
                    name: "posts",
                    columns: [{ name: "id", type: "int", isPrimary: true }, { name: "author_id", type: "int" }],
                    foreignKeys: [{ columnNames: ["author_id"], referencedTableName: "users",
                                    referencedColumnNames: ["id"], onDelete: "CASCADE" }],
                    indices: [{ name: "IDX_author", columnNames: ["author_id"] }],
                }), true);""")
    create, index = [op for op in migration.operations if op.kind in ("create_table", "create_index")]
    assert create.table == "posts" and create.if_not_exists and [c.name for c in create.columns] == ["id", "author_id"]
    fk = next(c for c in create.constraints if c.constraint_type == "foreign_key")
    assert fk.references.table == "users" and fk.references.on_delete == "CASCADE"
    assert index.columns == ("author_id",) and index.name == "IDX_author"


def test_change_column_with_old_column_knows_both_types(tmp_path: Path) -> None:
    migration = extract(tmp_path, """await queryRunner.changeColumn("users",
                    new TableColumn({ name: "name", type: "varchar", length: "50", isNullable: true }),
                    new TableColumn({ name: "full_name", type: "varchar", length: "100" }));""")
    kinds = [(op.kind, getattr(op, "column", None)) for op in migration.operations if op.direction == "up"]
    assert kinds == [("rename_column", "name"), ("alter_column_type", "full_name"), ("set_not_null", "full_name")]
    alter = migration.operations[1]
    assert str(alter.old_type) == "varchar(50)" and str(alter.new_type) == "varchar(100)"


def test_widening_varchar_is_reported_at_info(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/1700000000000-W.ts": textwrap.dedent("""\
        import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";
        export class W1700000000000 implements MigrationInterface {
            async up(queryRunner: QueryRunner) {
                await queryRunner.changeColumn("users", new TableColumn({ name: "n", type: "varchar", length: "50" }),
                    new TableColumn({ name: "n", type: "varchar", length: "100" }));
            }
            async down(queryRunner: QueryRunner) {
                await queryRunner.query(`ALTER TABLE users ALTER COLUMN n TYPE varchar(50)`);
            }
        }
    """)})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    [finding] = result.findings()
    assert (finding["rule"], finding["severity"], finding["line"]) == ("column-type-change", "info", 4)


def test_query_runner_renamed_and_manager_query(tmp_path: Path) -> None:
    path = tmp_path / "1700000000000-R.js"
    path.write_text(textwrap.dedent("""\
        const typeorm_1 = require("typeorm");
        class R { async up(qr) { await qr.manager.query('DROP TABLE "a"'); await qr.query("TRUNCATE b"); }
                  async down(qr) { await qr.query('CREATE TABLE "a" (id int)'); } }
        exports.R = R;
    """))
    migration = typeorm.extract(MigrationUnit(orm="typeorm", id=path.name, files=[path], dialect="postgres"))
    assert [op.kind for op in migration.operations if op.direction == "up"] == ["drop_table", "truncate"]
    assert migration.down == "present"


def test_transaction_false_on_the_class_means_not_transactional(tmp_path: Path) -> None:
    assert extract(tmp_path, "await queryRunner.query(`SELECT 1`);").transactional is True
    assert extract(tmp_path, "await queryRunner.query(`SELECT 1`);", extra="transaction = false;").transactional \
        is False


@pytest.mark.parametrize("config,dialect", [
    ('export default new DataSource({ type: "mysql", migrations: [] });', "mysql"),
    ("export const AppDataSource = new DataSource({ type: 'postgres' });", "postgres"),
    ("module.exports = { type: 'better-sqlite3' };", "sqlite"),
])
def test_dialect_from_the_data_source(tmp_path: Path, config: str, dialect: str) -> None:
    write_tree(tmp_path, {"src/data-source.ts": config, "src/migrations/1700000000000-A.ts": "x"})
    assert typeorm.dialect_of(tmp_path / "src" / "migrations" / "1700000000000-A.ts") == dialect


@pytest.mark.parametrize("output", ["es5", "es2017", "esbuild-min", "esbuild-esm"])
def test_compiled_output_fires_the_same_rules_as_its_typescript_source(output: str) -> None:
    """Real tsc/esbuild output (ES5 __awaiter/__generator and "".concat, minified !0/!1, ESM): same findings."""
    from collections import Counter

    from conftest import FIXTURES

    def rules(folder: Path, name: str) -> Counter[str]:
        result = run_cli("check", name, "--format", "json", "--fail-on", "never", cwd=folder)
        return Counter(f["rule"] for f in result.findings())

    source = rules(FIXTURES / "typeorm" / "ts", "1700000000000-AddPlan.ts")
    assert sum(source.values()) == 15
    compiled_folder = FIXTURES / "typeorm" / "tsc" / output
    [compiled] = [p.name for p in compiled_folder.iterdir()]
    assert rules(compiled_folder, compiled) == source


def test_a_class_whose_up_comes_after_long_helper_methods_is_still_a_migration(tmp_path: Path) -> None:
    # Flowise: tsc output of a class with 400 lines of helper methods before `async up(queryRunner)`; the file's first
    # 4 KB show neither `up` nor a migration marker
    helpers = "".join(f"    async step{i}(queryRunner) {{\n        await this.step{i + 1}(queryRunner);\n    }}\n"
                      for i in range(120))
    write_tree(tmp_path, {"src/migrations/1700000000000-Refactor.js": (
        '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
        "class Refactor1700000000000 {\n" + helpers +
        "    async up(queryRunner) {\n"
        "        await queryRunner.query(`ALTER TABLE \"workspace\" DROP COLUMN \"legacy\"`);\n"
        "    }\n    async down() { }\n}\nexports.Refactor1700000000000 = Refactor1700000000000;\n")})
    rules = {f["rule"] for f in lint_json("src/migrations", "--no-cache", cwd=tmp_path)}
    assert {"drop-column", "missing-down-migration"} <= rules


_N8N = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
class Cleanup1712044305787 {
    async up({ runQuery, escape, schemaBuilder: { dropColumns, addColumns, createIndex, addNotNull, column } }) {
        await dropColumns('credentials_entity', ['nodesAccess']);
        await addColumns('workflow_entity', [column('meta').json, column('versionId').varchar(36).notNull]);
        await createIndex('execution_entity', ['waitTill', 'id']);
        await addNotNull('user', 'email');
        await runQuery(`DELETE FROM ${escape.tableName('webhook_entity')}`);
    }
}
exports.Cleanup1712044305787 = Cleanup1712044305787;
"""


def test_n8n_context_runquery_and_schema_builder_are_read(tmp_path: Path) -> None:
    # n8n (@n8n/db): no QueryRunner in sight, the migration destructures runQuery and the schemaBuilder DSL
    write_tree(tmp_path, {"src/migrations/1712044305787-Cleanup.js": _N8N})
    found = {(f["line"], f["rule"]) for f in lint_json("src/migrations", "--no-cache", cwd=tmp_path)}
    assert found == {(1, "missing-down-migration"), (5, "drop-column"), (6, "not-null-without-default"), (6, "json-column"),
                     (7, "non-concurrent-index"), (8, "set-not-null"), (9, "unbounded-delete")}


_N8N_WHOLE_CONTEXT = """\
"use strict";
const TABLE = 'ai_preference';
class AddSource1789479099132 {
    async up(context) {
        const { schemaBuilder } = context;
        await schemaBuilder.addColumns(TABLE, [schemaBuilder.column('source').varchar(16)]);
        await this.backfill(context);
        await schemaBuilder.addNotNull(TABLE, 'source');
        await context.schemaBuilder.dropColumns(TABLE, ['legacy']);
    }
    async backfill({ escape, runQuery }) {
        const table = escape.tableName(TABLE);
        await runQuery(`UPDATE ${table} SET source = 'ui'`);
    }
    async down({ schemaBuilder }) {
        await schemaBuilder.dropColumns(TABLE, ['source']);
    }
}
exports.AddSource1789479099132 = AddSource1789479099132;
"""


def test_n8n_context_taken_whole_and_passed_to_a_method(tmp_path: Path) -> None:
    # n8n 1789479099132: `async up(context) { const { schemaBuilder } = context; ... this.backfill(context) }`
    write_tree(tmp_path, {"src/migrations/1789479099132-AddSource.js": _N8N_WHOLE_CONTEXT})
    found = {(f["line"], f["rule"]) for f in lint_json("src/migrations", "--no-cache", cwd=tmp_path)}
    assert {(8, "set-not-null"), (9, "drop-column"), (13, "unbounded-update")} <= found


_WITH_HELPER_METHODS = """\
"use strict";
class Refactor1737076223692 {
    async modifyTable(queryRunner) {
        await queryRunner.query(`ALTER TABLE "workspace" DROP COLUMN "legacy"`);
        await this.dropOld(queryRunner);
    }
    async dropOld(runner) {
        await runner.query(`DROP TABLE "workspace_old"`);
    }
    async log(message) {
        console.log(message);
    }
    async up(queryRunner) {
        await this.modifyTable(queryRunner);
        await this.log('done');
    }
    async down(queryRunner) {
        await queryRunner.query(`ALTER TABLE "workspace" ADD COLUMN "legacy" text`);
    }
}
exports.Refactor1737076223692 = Refactor1737076223692;
"""


def test_class_methods_called_with_the_query_runner_are_read(tmp_path: Path) -> None:
    # Flowise/n8n: up() calls this.modifyTable(queryRunner); the method's own statements (and one more level) count,
    # at their own lines
    write_tree(tmp_path, {"src/migrations/1737076223692-Refactor.js": _WITH_HELPER_METHODS})
    found = {(f["line"], f["rule"]) for f in lint_json("src/migrations", "--no-cache", cwd=tmp_path)}
    assert found == {(4, "drop-column"), (8, "drop-table")}


def test_a_template_part_of_a_table_name_is_shown_as_written(tmp_path: Path) -> None:
    # n8n: `ALTER TABLE ${tablePrefix}workflow_entity ...`: the name is read as __tablePrefix__workflow_entity (the SQL
    # parses), the message shows the template
    write_tree(tmp_path, {"src/migrations/1700000000000-Drop.js": (
        "class Drop1700000000000 {\n    async up({ queryRunner, tablePrefix }) {\n"
        "        await queryRunner.query(`ALTER TABLE ${tablePrefix}workflow_entity DROP COLUMN legacy`);\n"
        "    }\n}\nexports.Drop1700000000000 = Drop1700000000000;\n")})
    messages = [f["message"] for f in lint_json("src/migrations", "--no-cache", cwd=tmp_path) if f["rule"] == "drop-column"]
    assert messages == ["Dropping column ${tablePrefix}workflow_entity.legacy deletes its data and breaks code that "
                        "still reads or writes it."]
