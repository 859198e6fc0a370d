"""Sequelize: claims, QueryInterface -> IR, umzug context, sequelize.query, config dialect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import write_tree
from migrate_guard.extract import sequelize
from migrate_guard.extract.base import MigrationUnit


def extract(tmp_path: Path, up: str, down: str = "await queryInterface.dropTable('x');",
            name: str = "20240101-m.js"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        'use strict';
        module.exports = {{
          async up(queryInterface, Sequelize) {{
            {up}
          }},
          async down(queryInterface, Sequelize) {{
            {down}
          }},
        }};
    """), encoding="utf-8")
    return sequelize.extract(MigrationUnit(orm="sequelize", id=path.name, files=[path], dialect="postgres"))


def up_ops(migration):
    return [op for op in migration.operations if op.direction == "up"]


def test_claims() -> None:
    assert sequelize.claims(Path("a.js"), "module.exports = { async up (queryInterface, Sequelize) {} }")
    assert sequelize.claims(Path("a.ts"), "export const up: Migration = async ({ context: queryInterface }) => {}")
    assert not sequelize.claims(Path("models/user.js"), "module.exports = (sequelize, DataTypes) => { }")


def test_create_table_columns_and_references(tmp_path: Path) -> None:
    migration = extract(tmp_path, """await queryInterface.createTable('posts', {
              id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
              title: { type: Sequelize.STRING(120), allowNull: false },
              authorId: { type: Sequelize.INTEGER, references: { model: { tableName: 'users' }, key: 'id' },
                          onDelete: 'CASCADE' },
              body: Sequelize.TEXT,
            });""")
    [create] = up_ops(migration)
    assert [(c.name, str(c.type), c.nullable) for c in create.columns] == [
        ("id", "int", False), ("title", "varchar(120)", False), ("authorId", "int", True), ("body", "text", True)]
    fk = next(c for c in create.constraints if c.constraint_type == "foreign_key")
    assert (fk.references.table, fk.references.columns, fk.references.on_delete) == ("users", ("id",), "CASCADE")
    assert fk.location.line == 7  # the attribute's own line (line 1 is "use strict")


@pytest.mark.parametrize("call,concurrent,columns", [
    ("queryInterface.addIndex('users', ['email'])", False, ("email",)),
    ("queryInterface.addIndex('users', ['email'], { concurrently: true })", True, ("email",)),
    ("queryInterface.addIndex('users', { fields: ['a', { name: 'b', order: 'DESC' }], concurrently: true })",
     True, ("a", "b")),
])
def test_add_index(tmp_path: Path, call: str, concurrent: bool, columns: tuple[str, ...]) -> None:
    [op] = up_ops(extract(tmp_path, f"await {call};"))
    assert (op.kind, op.concurrent, op.columns) == ("create_index", concurrent, columns)


@pytest.mark.parametrize("where,has_where", [("null", False), ("{}", False), ("undefined", False),
                                             ("{ id: 1 }", True), ("where", True)])
def test_bulk_delete_where(tmp_path: Path, where: str, has_where: bool) -> None:
    [op] = up_ops(extract(tmp_path, f"await queryInterface.bulkDelete('t', {where}, {{}});"))
    assert (op.kind, op.has_where) == ("delete", has_where)


def test_bulk_delete_without_where_argument(tmp_path: Path) -> None:
    [op] = up_ops(extract(tmp_path, "await queryInterface.bulkDelete('t');"))
    assert op.has_where is False


def test_add_constraint_v6_and_v4_signatures(tmp_path: Path) -> None:
    migration = extract(tmp_path, """await queryInterface.addConstraint('posts', { fields: ['authorId'], type: 'foreign key',
              name: 'posts_author_fk', references: { table: 'users', field: 'id' }, onDelete: 'cascade' });
            await queryInterface.addConstraint('posts', ['slug'], { type: 'unique', name: 'posts_slug_uk' });""")
    fk, unique = up_ops(migration)
    assert (fk.constraint_type, fk.columns, fk.references.table, fk.name) == (
        "foreign_key", ("authorId",), "users", "posts_author_fk")
    assert (unique.constraint_type, unique.columns) == ("unique", ("slug",))


def test_sequelize_query_through_aliases(tmp_path: Path) -> None:
    migration = extract(tmp_path, """const { sequelize } = queryInterface;
            const qi = queryInterface;
            await sequelize.query('DROP TABLE a');
            await qi.sequelize.query(`TRUNCATE b`);
            await qi.removeColumn('c', 'd');""")
    assert [op.kind for op in up_ops(migration)] == ["drop_table", "truncate", "drop_column"]


def test_skeleton_down_is_empty(tmp_path: Path) -> None:
    migration = extract(tmp_path, "await queryInterface.addColumn('t', 'c', Sequelize.TEXT);",
                        down="/** Add reverting commands here. */")
    assert migration.down == "empty"
    assert migration.transactional is False


@pytest.mark.parametrize("files,dialect", [
    ({"config/config.json": '{"development": {"dialect": "mysql"}}'}, "mysql"),
    ({"config/config.json": '{"production": {"dialect": "postgres"}, "test": {"dialect": "sqlite"}}'}, "postgres"),
    ({}, None),
])
def test_dialect_from_config(tmp_path: Path, files: dict[str, str], dialect: str | None) -> None:
    write_tree(tmp_path, {**files, "package.json": "{}", "migrations/20240101-a.js": "x"})
    assert sequelize.dialect_of(tmp_path / "migrations" / "20240101-a.js") == dialect


def test_umzug_context_as_the_sequelize_instance(tmp_path: Path) -> None:
    path = tmp_path / "2024.01.01T00.00.00.a.ts"
    path.write_text(textwrap.dedent("""\
        import type { MigrationFn } from "umzug";
        import { DataTypes, Sequelize } from "sequelize";
        export const up: MigrationFn<Sequelize> = async ({ context: sequelize }) => {
          await sequelize.getQueryInterface().addColumn("users", "plan", { type: DataTypes.STRING, allowNull: false });
          const qi = sequelize.getQueryInterface();
          await qi.removeColumn("users", "age");
          await sequelize.query("DROP TABLE legacy");
        };
        export const down: MigrationFn<Sequelize> = async ({ context: sequelize }) => {
          await sequelize.getQueryInterface().removeColumn("users", "plan");
        };
    """))
    migration = sequelize.extract(MigrationUnit(orm="sequelize", id=path.name, files=[path], dialect="postgres"))
    assert [(op.kind, op.location.line) for op in up_ops(migration)] == [
        ("add_column", 4), ("drop_column", 6), ("drop_table", 7)]
    assert migration.down == "present"


@pytest.mark.parametrize("default,has_default", [
    ("Sequelize.NOW", False), ("DataTypes.UUIDV4", False), ("() => 'x'", False),
    ("Sequelize.fn('now')", True), ("Sequelize.literal('CURRENT_TIMESTAMP')", True), ("'free'", True), ("0", True)])
def test_client_side_defaults_are_not_database_defaults(tmp_path: Path, default: str, has_default: bool) -> None:
    [op] = up_ops(extract(tmp_path, f"await queryInterface.addColumn('users', 'c', "
                                    f"{{ type: Sequelize.DATE, allowNull: false, defaultValue: {default} }});"))
    assert (op.column.default is not None) is has_default


# --- the project's own helpers ------------------------------------------------------------------------------------

_HELPERS_MODULE = """\
const removeColumnIfExists = async (context, table, column, options) => {
  const schema = await context.describeTable(table);
  if (!schema[column]) {
    return;
  }
  await context.removeColumn(table, column, options);
};
exports.removeColumnIfExists = removeColumnIfExists;
async function resetTable(context, table) {
  await context.bulkDelete(table, null);
  await dropLater(context, table);
}
async function dropLater(context, table) {
  await context.dropTable(table);
}
module.exports.resetTable = resetTable;
"""


def _helper_project(tmp_path: Path, migration: str) -> list[tuple[str, str, int]]:
    write_tree(tmp_path, {"lib/migrate.js": _HELPERS_MODULE, "lib/migrations/20240101-m.js": migration})
    path = tmp_path / "lib/migrations/20240101-m.js"
    unit = MigrationUnit(orm="sequelize", id=path.name, files=[path], dialect="postgres")
    return [(op.kind, getattr(op, "table", ""), op.location.line) for op in up_ops(sequelize.extract(unit))]


def test_helper_imported_as_compiled_ts_alias_is_read_with_the_callers_arguments(tmp_path: Path) -> None:
    ops = _helper_project(tmp_path, textwrap.dedent("""\
        "use strict";
        const migrate_1 = require("../migrate");
        const up = async ({ context }) => {
            await (0, migrate_1.removeColumnIfExists)(context, 'notifications', 'updatedAt');
        };
        exports.up = up;
    """))
    assert ops == [("drop_column", "notifications", 4)]


def test_helper_imported_by_name_is_read_one_level_only(tmp_path: Path) -> None:
    # resetTable's bulkDelete is read; the dropTable inside its own helper dropLater is not followed
    ops = _helper_project(tmp_path, textwrap.dedent("""\
        const { resetTable } = require('../migrate');
        module.exports = {
          async up(queryInterface) {
            await resetTable(queryInterface, 'sessions');
          },
        };
    """))
    assert ops == [("delete", "sessions", 4)]


def test_helper_in_the_same_file_and_a_call_not_given_the_interface(tmp_path: Path) -> None:
    ops = _helper_project(tmp_path, textwrap.dedent("""\
        async function dropIt(qi, name) {
          await qi.dropTable(name);
        }
        function log(name) { console.log(name); }
        module.exports = {
          async up(queryInterface) {
            await dropIt(queryInterface, 'legacy');
            log('legacy');
          },
        };
    """))
    assert ops == [("drop_table", "legacy", 7)]


def test_helper_outside_the_project_is_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"outside/migrate.js": _HELPERS_MODULE})
    project = tmp_path / "app"
    migration = textwrap.dedent("""\
        const { resetTable } = require('../../../outside/migrate');
        module.exports = { async up(queryInterface) { await resetTable(queryInterface, 'sessions'); } };
    """)
    write_tree(project, {"db/migrations/20240101-m.js": migration})
    path = project / "db/migrations/20240101-m.js"
    from migrate_guard.model import Project

    unit = MigrationUnit(orm="sequelize", id=path.name, files=[path], dialect="postgres",
                         project=Project(orm="sequelize", root=str(project), migrations=[str(path.parent)]))
    assert up_ops(sequelize.extract(unit)) == []


def test_the_migration_objects_own_methods_are_read_with_the_interface(tmp_path: Path) -> None:
    # farm-orchestrator: up() calls `this.createSessionsTable(queryInterface, Sequelize)`, whose body calls a helper
    # of the file; a method not given the interface, and one calling itself, add nothing
    ops = _helper_project(tmp_path, textwrap.dedent("""\
        async function createTableIfNotExists(qi, name, definition) {
          if (!(await qi.tableExists(name))) await qi.createTable(name, definition);
        }
        module.exports = {
          async up(queryInterface, Sequelize) {
            await this.createSessions(queryInterface, Sequelize);
            await this.log('x');
            await this.loop(queryInterface);
          },
          async createSessions(qi, S) {
            await createTableIfNotExists(qi, 'sessions', { id: { type: S.UUID, primaryKey: true } });
            await qi.dropTable('legacy');
          },
          log(text) { return text; },
          async loop(qi) { await this.loop(qi); },
        };
    """))
    assert ops == [("create_table", "sessions", 11), ("drop_table", "legacy", 12)]


def test_change_column_with_references_adds_the_foreign_key_again(tmp_path: Path) -> None:
    migration = extract(tmp_path, "await queryInterface.changeColumn('sessions', 'node_id', "
                                  "{ type: Sequelize.UUID, allowNull: true, references: { model: 'nodes', key: 'id' } });")
    fks = [op for op in up_ops(migration) if op.kind == "add_constraint"]
    assert [(fk.table, fk.columns, fk.references.table) for fk in fks] == [("sessions", ("node_id",), "nodes")]


@pytest.mark.parametrize("head,owned", [
    # NocoBase: a class extending its Migration, up() without parameters (fixtures/sequelize/nocobase)
    ("import { Migration } from '@nocobase/server';\nexport default class extends Migration {\n  async up() {}\n}", True),
    ('var import_server = require("@nocobase/server");\nclass M extends import_server.Migration {\n'
     '  async up() {}\n}\nmodule.exports = M;', True),
    # another framework's Migration class, or a NocoBase file that is no migration: not Sequelize's
    ("import { Migration } from './framework';\nexport default class extends Migration {\n  async up() {}\n}", False),
    ("import { Plugin } from '@nocobase/server';\nexport default class extends Plugin {\n  async up() {}\n}", False),
])
def test_a_nocobase_migration_is_owned_by_its_class(head: str, owned: bool) -> None:
    assert sequelize.owns(head) is owned
