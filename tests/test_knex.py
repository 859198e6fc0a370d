"""Knex: claims, column chains -> IR, query builder, transactions, knexfile dialect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint_json, run_cli, write_tree
from migrate_guard import ir
from migrate_guard.extract import knex
from migrate_guard.extract.base import MigrationUnit


def extract(tmp_path: Path, code: str, name: str = "20240101_m.js"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return knex.extract(MigrationUnit(orm="knex", id=path.name, files=[path], dialect="postgres"))


def up_ops(migration):
    return [op for op in migration.operations if op.direction == "up"]


def test_claims() -> None:
    assert knex.claims(Path("a.js"), "exports.up = function(knex) { return knex.schema.createTable('a') }")
    assert knex.claims(Path("a.ts"), "import { Knex } from 'knex';\nexport async function up(knex: Knex) {}")
    assert knex.claims(Path("a.js"), "exports.up=function(e){return e.schema.createTable('a',function(t){})}")
    assert not knex.claims(Path("knexfile.js"), "module.exports = { client: 'pg' }")
    assert not knex.claims(Path("a.js"), "module.exports = { up: (queryInterface) => queryInterface.dropTable('a') }")


def test_create_table_collects_columns_constraints_and_indexes_after_it(tmp_path: Path) -> None:
    migration = extract(tmp_path, """
        exports.up = (knex) => knex.schema.createTable("posts", (t) => {
          t.increments();
          t.string("title", 120).notNullable();
          t.integer("author_id").unsigned().references("id").inTable("users").onDelete("CASCADE");
          t.unique(["title"]);
          t.index("author_id", "posts_author_idx");
          t.timestamps(true, true);
        });
        exports.down = (knex) => knex.schema.dropTable("posts");
    """)
    create, index = up_ops(migration)
    assert isinstance(create, ir.CreateTable) and isinstance(index, ir.CreateIndex)
    assert [(c.name, str(c.type), c.nullable) for c in create.columns] == [
        ("id", "serial", False), ("title", "varchar(120)", False), ("author_id", "int", True),
        ("created_at", "timestamptz", False), ("updated_at", "timestamptz", False)]
    kinds = sorted((c.constraint_type, c.columns) for c in create.constraints)
    assert kinds == [("foreign_key", ("author_id",)), ("unique", ("title",))]
    fk = next(c for c in create.constraints if c.constraint_type == "foreign_key")
    assert fk.references.table == "users" and fk.references.on_delete == "CASCADE"
    assert index.name == "posts_author_idx" and index.columns == ("author_id",)


def test_alter_chain_becomes_type_nullability_and_default_ops(tmp_path: Path) -> None:
    migration = extract(tmp_path, """
        exports.up = (knex) => knex.schema.alterTable("users", (t) => {
          t.string("email", 320).notNullable().defaultTo("").alter();
          t.integer("age").nullable().alter();
          t.setNullable("bio");
          t.dropNullable("name");
        });
        exports.down = () => {};
    """)
    assert [(op.kind, op.column) for op in up_ops(migration)] == [
        ("alter_column_type", "email"), ("set_not_null", "email"), ("set_default", "email"),
        ("alter_column_type", "age"), ("drop_not_null", "age"), ("drop_not_null", "bio"), ("set_not_null", "name")]
    assert up_ops(migration)[0].old_type is None and str(up_ops(migration)[0].new_type) == "varchar(320)"


@pytest.mark.parametrize("chain,kind,has_where", [
    ("knex('t').del()", "delete", False),
    ("knex('t').where('id', 1).delete()", "delete", True),
    ("knex.from('t').whereIn('id', ids).del()", "delete", True),
    ("knex('t').update({ a: 1 })", "update", False),
    ("knex('t').update({ a: knex.raw('a + 1') }).whereNotNull('a')", "update", True),
    ("knex.table('t').truncate()", "truncate", None),
    ("knex.delete().from('t')", "delete", False),
])
def test_query_builder_data_changes(tmp_path: Path, chain: str, kind: str, has_where: bool | None) -> None:
    migration = extract(tmp_path, f"exports.up = async (knex) => {{ await {chain}; }};\nexports.down = () => {{}};")
    [op] = up_ops(migration)
    assert op.kind == kind
    assert op.table == "t"
    if has_where is not None:
        assert op.has_where is has_where


def test_raw_used_as_a_value_is_not_a_statement(tmp_path: Path) -> None:
    migration = extract(tmp_path, """
        exports.up = async (knex) => {
          await knex.schema.alterTable("t", (table) => {
            table.timestamp("at").defaultTo(knex.raw("now()"));
          });
          await Promise.all([knex.raw("DROP TABLE a"), knex.raw("DROP TABLE b")]);
        };
        exports.down = () => {};
    """)
    assert [op.kind for op in up_ops(migration)] == ["add_column", "drop_table", "drop_table"]
    assert up_ops(migration)[0].column.default.text == "now()"


def test_transaction_callback_parameter_is_followed(tmp_path: Path) -> None:
    migration = extract(tmp_path, """
        export async function up(db) {
          await db.transaction(async (trx) => {
            await trx.schema.dropTable("a");
            await trx("b").del();
          });
        }
        export async function down() {}
    """, "20240101_m.mjs")
    assert [op.kind for op in up_ops(migration)] == ["drop_table", "delete"]
    assert migration.down == "empty"


def test_config_transaction_false_is_not_transactional(tmp_path: Path) -> None:
    code = "exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY i ON t (c)');\nexports.down = () => {};\n"
    assert extract(tmp_path, code).transactional is True
    assert extract(tmp_path, code + "exports.config = { transaction: false };").transactional is False


def test_concurrent_index_needs_transaction_false(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "a/20240101_i.js": "exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY i ON t (c)');\n"
                           "exports.down = (knex) => knex.raw('DROP INDEX CONCURRENTLY i');\n",
        "b/20240101_i.js": "exports.config = { transaction: false };\n"
                           "exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY i ON t (c)');\n"
                           "exports.down = (knex) => knex.raw('DROP INDEX CONCURRENTLY i');\n"})
    in_tx = run_cli("check", "a", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    outside = run_cli("check", "b", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert "concurrent-index-in-transaction" in in_tx.rules()
    assert outside.rules() == []


@pytest.mark.parametrize("client,dialect", [("pg", "postgres"), ("mysql2", "mysql"), ("better-sqlite3", "sqlite")])
def test_dialect_from_the_knexfile(tmp_path: Path, client: str, dialect: str) -> None:
    write_tree(tmp_path, {"knexfile.js": f"module.exports = {{ client: '{client}' }};",
                          "migrations/20240101_a.js": "x"})
    assert knex.dialect_of(tmp_path / "migrations" / "20240101_a.js") == dialect


def test_raw_bindings_are_substituted_as_knex_does(tmp_path: Path) -> None:
    # Backstage catalog migrations: `?::uuid[]` values and `??` identifiers, which sqlglot cannot read as written
    write_tree(tmp_path, {"20240101_b.js": textwrap.dedent("""\
        exports.up = async function up(knex) {
          await knex.raw(
            `UPDATE locations
             SET ref = data.ref
             FROM unnest(?::uuid[], ?::text[]) AS data(id, ref)
             WHERE locations.id = data.id`,
            [ids, refs],
          );
          for (const table of tables) {
            await knex.raw(`ALTER TABLE ?? SET (autovacuum_vacuum_scale_factor = 0.01)`, [table]);
          }
          await knex.raw('DROP TABLE ?? /* why\\\\? */', ['legacy']);
          await knex.schema.raw("UPDATE ?? SET a = ?", ["users", 1]);
        };
        exports.down = async function down() {};
        """)})
    result = run_cli("check", ".", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    got = [(f["rule"], f["line"], f["column"], f["message"].split(" ")[:4]) for f in result.findings()]
    assert [g for g in got if g[0] == "parse-error"] == []
    assert ("drop-table", 12, 19, ["Dropping", "table", "legacy", "deletes"]) in got
    assert ("unbounded-update", 13, 26, ["UPDATE", "of", "users", "has"]) in got


_CREATE_USERS = """\
exports.up = (knex) => knex.schema.createTable('users', (t) => { t.increments(); t.string('email'); });
exports.down = (knex) => knex.schema.dropTable('users');
"""


@pytest.mark.parametrize(("history", "reported"), [
    # email was created nullable: the restated NOT NULL is a real change
    ({"migrations/20240101_users.js": _CREATE_USERS}, True),
    # no earlier migration tells: `.alter()` restates the column, NOT NULL may be what it already was
    ({}, False),
])
def test_alter_restating_not_null_is_a_change_only_when_the_column_was_nullable(
        tmp_path: Path, history: dict[str, str], reported: bool) -> None:
    write_tree(tmp_path, {"knexfile.js": "module.exports = { client: 'pg' };", **history,
                          "migrations/20240102_email.js": (
                              "exports.up = (knex) => knex.schema.alterTable('users', (t) => {\n"
                              "  t.string('email', 320).notNullable().alter();\n"
                              "});\n"
                              "exports.down = (knex) => knex.schema.alterTable('users', (t) => {\n"
                              "  t.string('email').nullable().alter();\n"
                              "});\n")})
    rules = {f["rule"] for f in lint_json("--no-cache", cwd=tmp_path) if f["path"].endswith("_email.js")}
    assert ("set-not-null" in rules) is reported


_PER_DATABASE = """\
exports.up = async function up(knex) {
  const client = knex.client.config.client;
  const isSqlite = client.includes('sqlite3');
  if (isSqlite) {
    await knex.schema.dropTable('relations');
    await knex.schema.createTable('relations', (table) => {
      table.string('source');
      table.index('source', 'relations_source_idx');
    });
  } else {
    await knex.schema.alterTable('relations', (table) => {
      table.index('source', 'relations_source_idx');
    });
  }
  if (client.includes('pg')) {
    await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS search_entity_idx');
  } else if (client.includes('mysql')) {
    await knex.raw('DROP INDEX search_entity_idx ON search');
  } else {
    await knex.raw('DROP INDEX IF EXISTS search_entity_idx');
  }
};
exports.config = { transaction: false };
exports.down = async function down() {};
"""


def test_database_branches_written_with_includes_and_flags(tmp_path: Path) -> None:
    # Postgres (the knexfile): the SQLite branch's table rebuild makes no table new for the Postgres branch, whose
    # index is reported; the last else (neither pg nor mysql) never runs on Postgres; the MySQL DROP INDEX is MySQL's
    write_tree(tmp_path, {"knexfile.js": "module.exports = { client: 'pg' };",
                          "migrations/20240101_branches.js": _PER_DATABASE})
    found = {(f["line"], f["rule"]) for f in lint_json("--no-cache", cwd=tmp_path)}
    assert found == {(5, "drop-table"), (12, "non-concurrent-index"), (24, "missing-down-migration")}


def test_every_knex_migrator_schema_helper_has_a_reader() -> None:
    # knex_versions tells a helper-built file from its first bytes (no parser loaded); knex_helpers reads each one
    from migrate_guard.extract import knex_helpers, knex_versions

    assert set(knex_helpers.HELPERS) == knex_versions.SCHEMA_HELPERS


_PREDICATE_BRANCHES = """\
exports.up = async function up(knex) {
  if (isPg(knex)) {
    await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS fe_gen_idx ON final_entities (generation)');
  } else if (!(await hasIndex(knex))) {
    await knex.schema.alterTable('final_entities', (table) => {
      table.index(['generation'], 'fe_gen_idx');
    });
  }
  if (knex.client.config.client === 'pg') {
    await knex.schema.alterTable('search', (table) => {
      table.index(['entity_id'], 'search_entity_idx');
    });
  } else {
    await knex.schema.alterTable('search', (table) => {
      table.foreign('entity_id').references('entity_id').inTable('final_entities');
    });
  }
};
exports.config = { transaction: false };
exports.down = async function down(knex) { await knex.raw('DROP INDEX fe_gen_idx'); };
"""


def test_else_of_a_postgres_test_never_runs_on_a_postgres_project(tmp_path: Path) -> None:
    # Backstage: `if (isPg(knex))` (the project's own predicate) and `client === 'pg'` ... `} else {`: the else
    # branches run on SQLite and MySQL only, so a Postgres project gets no Postgres lock findings for them
    write_tree(tmp_path, {"knexfile.js": "module.exports = { client: 'pg' };",
                          "migrations/20240101_predicates.js": _PREDICATE_BRANCHES})
    found = {(f["line"], f["rule"]) for f in lint_json("--no-cache", cwd=tmp_path)}
    assert found == {(11, "non-concurrent-index")}


@pytest.mark.parametrize("dialect,new_type", [
    ("postgres", "varchar"),  # isOneOfClients(['oracle', 'cockroachdb']) is false: 'string'
    ("cockroachdb", "text"),  # true: 'text'
])
def test_directus_change_to_type_picks_the_branch_for_the_projects_database(tmp_path: Path, dialect: str,
                                                                          new_type: str) -> None:
    path = tmp_path / "20240103A-x.js"
    path.write_text(textwrap.dedent("""
        import { getHelpers } from '../helpers/index.js';
        export async function up(knex) {
            const helper = getHelpers(knex).schema;
            const type = helper.isOneOfClients(['oracle', 'cockroachdb']) ? 'text' : 'string';
            await helper.changeToType('webhooks', 'url', type, { nullable: false, length: 64 });
            await getHelpers(knex).schema.changeNullable('webhooks', 'collections', false);
            await getHelpers(other).schema.changeNullable('webhooks', 'secret', false);
        }
    """), encoding="utf-8")
    migration = knex.extract(MigrationUnit(orm="knex", id=path.name, files=[path], dialect=dialect))
    changes = [(type(op).__name__, op.column) for op in up_ops(migration)]
    assert changes == [("AlterColumnType", "url"), ("SetNotNull", "url"), ("SetNotNull", "collections")]
    alter = up_ops(migration)[0]
    assert alter.new_type.name == new_type and alter.restated
    assert alter.new_type.params == ((64,) if new_type == "varchar" else ())
    assert up_ops(migration)[1].restated and not up_ops(migration)[2].restated


def test_index_and_unique_names_given_in_an_options_object(tmp_path: Path) -> None:
    """knex's object form names the index: `unique(columns, { indexName })`, `index(columns, { indexName })`,
    `primary(columns, { constraintName })` (Backstage's copilot plugin: its default name would be over 63 bytes)."""
    migration = extract(tmp_path, """
        exports.up = (knex) => knex.schema.alterTable("ide_completions_language_users", (t) => {
          t.unique(["day", "language", "type", "team_name"], { indexName: "uk_ide_comp_day_lang_type_team" });
          t.index(["day"], { indexName: "ix_day", indexType: "BRIN" });
          t.primary(["id"], { constraintName: "ide_pk" });
          t.unique(["team_name"], { deferrable: "deferred" });
        });
    """)
    assert [op.name for op in up_ops(migration)] == [
        "uk_ide_comp_day_lang_type_team", "ix_day", "ide_pk", "ide_completions_language_users_team_name_unique"]
