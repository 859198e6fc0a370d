"""Migrations found from their own content, wherever they are (fixtures/layouts/): one sub-project per real-world
layout that config-file detection missed, each with its dangerous operations marked `expect: RULE`.

Both directions for every layout: `detect` lists exactly its projects and `check` (no paths) gives exactly its markers;
the decoys (an animation module exporting up/down, migration helpers, a runner script, MongoDB migrations) give no
project and no finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, expect_markers, run_cli, write_tree

LAYOUTS = FIXTURES / "layouts"

# sub-project -> its projects as (orm, root, migration folders), paths relative to the sub-project
PROJECTS: dict[str, set[tuple[str, str, tuple[str, ...]]]] = {
    # knex.migrate.latest({ directory: path.join(__dirname, '..', 'db', 'knex_migrations') }), no knexfile
    "knex-from-code": {("knex", ".", ("db/knex_migrations",))},
    # config/knexfile.js: directory: path.join(__dirname, '..', 'schema', 'changes')
    "knexfile-path-join": {("knex", "config", ("schema/changes",))},
    # only a .sequelizerc.example, paths built with path.resolve
    "sequelizerc-example": {("sequelize", ".", ("src/db/schema",))},
    "sequelizerc-js": {("sequelize", ".", ("database/changes",))},
    # DataSource migrations: [`${__dirname}/../schema/*{.ts,.js}`]
    "typeorm-template-glob": {("typeorm", ".", ("src/schema",))},
    # DataSource migrations: engine === 'mysql' ? mysqlMigrations : postgresMigrations (index.ts arrays per database)
    "typeorm-imported-arrays": {("typeorm", ".", ("db-schema/mysql",)), ("typeorm", ".", ("db-schema/postgres",))},
    # umzug groups run by lib/migrate.js (abtnode): one chain per folder
    "umzug-groups": {("sequelize", ".", ("lib/migrations/blocklet",)), ("sequelize", ".", ("lib/migrations/server",))},
    "lib-migrations": {("sequelize", ".", ("lib/migrations",))},
    "database-per-dialect": {("knex", ".", ("database/migrations/postgres",)),
                             ("knex", ".", ("database/migrations/sqlite",))},
    # schema.prisma and no migrations yet: the schema is still checked
    "prisma-schema-only": {("prisma", ".", ("prisma/migrations",))},
    # Django MIGRATION_MODULES: a migrations package not named migrations, no manage.py
    "django-migration-modules": {("django", ".", ("shop/db_migrations",))},
    # Alembic revisions with no alembic.ini or env.py beside them
    "alembic-versions-only": {("alembic", "reports", ("reports/versions",))},
    # knex-migrator (Ghost): one chain over versions/<release>/ folders, applied release by release; up/down as named
    # functions passed to a wrapper, or a helper's result (`module.exports = dropTables([...])`, addTable with a
    # schema-form spec, createDropColumnMigration, ...); `.alter()` restating a column's NOT NULL and type is no change
    "knex-migrator-versions": {("knex", ".", ("core/server/data/migrations/versions",))},
    # config/knexfile.js: `const migrationsDirectory = '../migrations'`, client mysql (central-ledger); the package.json
    # guess at the root (no client) must not win
    "knexfile-constant-directory": {("knex", "config", ("migrations",))},
    # directory from the environment: unresolved, no phantom config/migrations; the folder found by content takes the
    # knexfile's client because the knexfile names it
    "knexfile-unresolved-directory": {("knex", ".", ("db/changes",))},
    # prisma/migrations/<ts>_noop/schema.prisma: a snapshot kept beside a data migration is not the schema, nor is the
    # copy `prisma generate` writes into lib/__generated__ (webstudio)
    "prisma-migration-snapshot": {("prisma", ".", ("prisma/migrations",))},
    # plain numbered SQL, up only (ORM id `sql`): Supabase CLI (Postgres by its layout), wrangler D1 (SQLite by
    # wrangler.toml d1_databases), procrastinate's version-numbered files (Postgres by their syntax)
    "supabase-cli": {("sql", ".", ("supabase/migrations",))},
    "wrangler-d1": {("sql", ".", ("worker/migrations",))},
    "versioned-sql-folder": {("sql", "jobs/sql", ("jobs/sql/migrations",))},
    # chroma: migrations/sysdb/00001-x.sqlite.sql and migrations/metadb/...: one chain per store, SQLite by file names
    "sql-store-folders": {("sql", "store/migrations", ("store/migrations/metadb",)),
                          ("sql", "store/migrations", ("store/migrations/sysdb",))},
    # graphile-worker: sql/000001.sql ... only zero-padded numbers, in a folder not named for migrations
    "numbered-sql-files": {("sql", ".", ("sql",))},
    # a published package holding only dist/ (package.json, no src/): dist/ is searched; beside src/ it is not
    "compiled-only": {("knex", ".", ("dist/migrations",))},
    "compiled-with-source": {("knex", ".", ("src/migrations",))},
    # build/ beside a src/ without migrations (actual-server's npm package): build/migrations is their only copy
    "compiled-beside-other-source": {("knex", ".", ("build/migrations",))},
    # db-migrate (ORM id `db-migrate`): `exports.up = function (db, cb) { db.runSql(...) }` and the schema API
    # (unleash-server), and the sql-file layout reading sqls/<name>-up.sql (sourceloop), one chain per database folder
    "db-migrate-callbacks": {("db-migrate", ".", ("migrations",))},
    "db-migrate-sql-files": {("db-migrate", ".", ("migrations/pg/migrations",))},
    "unclaimed": set(),
    "decoys": set(),
}


def _projects(cwd: Path) -> set[tuple[str, str, tuple[str, ...]]]:
    result = run_cli("detect", "--format", "json", cwd=cwd)
    assert result.code == 0, result.err
    return {(p["orm"], p["root"], tuple(p["migrations"])) for p in result.json()["projects"]}


def _findings(cwd: Path, *args: str) -> set[tuple[str, int, str]]:
    result = run_cli("check", *args, "--format", "json", "--fail-on", "never", "--no-cache", cwd=cwd)
    assert result.code == 0, result.err
    return {(f["path"], f["line"], f["rule"]) for f in result.findings()}


def test_every_layout_folder_is_listed() -> None:
    assert sorted(p.name for p in LAYOUTS.iterdir() if p.is_dir()) == sorted(PROJECTS)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_layout_is_detected_as_exactly_its_projects(name: str) -> None:
    assert _projects(LAYOUTS / name) == PROJECTS[name]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_check_without_paths_gives_exactly_the_layout_markers(name: str) -> None:
    folder = LAYOUTS / name
    wanted = expect_markers(folder)
    assert bool(wanted) == (name != "decoys"), f"{name}: only the decoys mark nothing"
    assert _findings(folder) == wanted


def test_monorepo_root_lists_every_project_and_every_marker() -> None:
    prefixed = {(orm, f"{name}/{root}".removesuffix("/."), tuple(f"{name}/{m}" for m in folders))
                for name, projects in PROJECTS.items() for orm, root, folders in projects}
    assert _projects(LAYOUTS) == prefixed
    assert _findings(LAYOUTS) == expect_markers(LAYOUTS)


def test_unclaimed_folder_is_one_warning_naming_it_and_only_without_paths() -> None:
    folder = LAYOUTS / "unclaimed"
    result = run_cli("check", "--format", "json", "--no-cache", cwd=folder)
    [finding] = result.findings()
    assert (finding["rule"], finding["severity"], finding["path"]) == (
        "unclaimed-migrations", "warning", "db/changes/20240101120000_drop_legacy.js")
    assert "db/changes/" in finding["message"] and "2 file(s)" in finding["message"]
    assert result.code == 0  # a warning: below the default fail level
    assert run_cli("check", "--fail-on", "warning", "--no-cache", cwd=folder).code == 1
    # files passed explicitly (pre-commit) are skipped silently, as the contract says for non-migrations
    assert _findings(folder, "db/changes/20240101120000_drop_legacy.js") == set()
    explained = run_cli("explain", "unclaimed-migrations")
    assert explained.code == 0 and "exclude" in explained.out


def test_a_frameworks_migration_classes_no_tool_runs_are_said(tmp_path: Path) -> None:
    # a framework's own `class X extends Migration { async up() { ... } }`, run by its own migrator, no down: no tool
    # claims them, so check says so instead of "No migrations to check" (NocoBase's are Sequelize's: sequelize/nocobase)
    migration = ("const { Migration } = require('@acme/platform');\n"
                 "class AddUnique extends Migration {\n  async up() {\n"
                 "    await this.db.sequelize.getQueryInterface().addConstraint('plugins', { type: 'unique' });\n"
                 "  }\n}\nmodule.exports = AddUnique;\n")
    write_tree(tmp_path, {f"lib/migrations/2023091219382{n}-step.js": migration for n in range(2)})
    [finding] = run_cli("check", "--format", "json", "--no-cache", cwd=tmp_path).findings()
    assert (finding["rule"], finding["path"]) == ("unclaimed-migrations", "lib/migrations/20230912193820-step.js")


def test_a_migrations_folder_of_unordered_sql_files_is_said_and_can_be_checked_by_path(tmp_path: Path) -> None:
    # uptime-kuma: db/old_migrations/patch-*.sql, applied in an order its code keeps; no tool's naming
    write_tree(tmp_path, {f"db/old_migrations/patch-{name}.sql": sql for name, sql in (
        ("2fa", "ALTER TABLE user ADD twofa_secret VARCHAR(64);\n"),
        ("maintenance", "DROP TABLE maintenance_timeslot;\n"),
        ("status-page", "CREATE TABLE status_page (id INTEGER PRIMARY KEY);\n"))})
    result = run_cli("check", "--format", "json", "--no-cache", cwd=tmp_path)
    [finding] = result.findings()
    assert (finding["rule"], finding["path"]) == ("unclaimed-migrations", "db/old_migrations/patch-2fa.sql")
    assert "migrate-guard check db/old_migrations" in finding["hint"]
    assert "drop-table" in run_cli("check", "db/old_migrations", "--format", "json", "--no-cache",
                                   "--fail-on", "never", cwd=tmp_path).rules()


@pytest.mark.parametrize("config", [
    'exclude = ["db/changes"]\n',
    '[rules.unclaimed-migrations]\nenabled = false\n',
])
def test_unclaimed_folder_can_be_excluded_or_the_rule_disabled(tmp_path: Path, config: str) -> None:
    write_tree(tmp_path, {
        ".migrate-guard.toml": config,
        "db/changes/20240101120000_x.js": "exports.up = async (db) => db.run('DROP TABLE a');\nexports.down = () => {};\n",
    })
    assert _findings(tmp_path) == set()


def test_unclaimed_severity_follows_config(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".migrate-guard.toml": '[rules.unclaimed-migrations]\nseverity = "error"\n',
        "db/changes/20240101120000_x.js": "exports.up = async (db) => db.run('DROP TABLE a');\nexports.down = () => {};\n",
    })
    result = run_cli("check", "--format", "json", "--no-cache", cwd=tmp_path)
    assert [f["severity"] for f in result.findings()] == ["error"] and result.code == 1


UMZUG_HELPER_ONLY = ("const { addColumnIfNotExists, removeColumnIfExists } = require('../migrate');\n\n"
                     "module.exports = {\n  up: async ({ context }) => {\n"
                     "    await addColumnIfNotExists(context, 'users', 'phone', { type: 'STRING' });\n  },\n"
                     "  down: async ({ context }) => {\n    await removeColumnIfExists(context, 'users', 'phone');\n"
                     "  },\n};\n")


@pytest.mark.parametrize("runner, orm", [
    ("const { Umzug, SequelizeStorage } = require('umzug');\nmodule.exports = (sequelize) => new Umzug({\n"
     "  migrations: { glob: 'migrations/*.js' },\n  context: sequelize.getQueryInterface(),\n"
     "  storage: new SequelizeStorage({ sequelize }),\n});\n", "sequelize"),
    ("const knex = require('./db');\nmodule.exports = () => knex.migrate.latest({ directory: __dirname + '/migrations' });\n",
     "knex"),
    (None, None),  # no runner, no dependency: the tool cannot be told
])
def test_runner_beside_ambiguous_migrations_names_their_tool(tmp_path: Path, runner: str | None,
                                                            orm: str | None) -> None:
    tree = {"lib/migrations/20240101000000-phone.js": UMZUG_HELPER_ONLY}
    if runner is not None:
        tree["lib/migrate.js"] = runner
    write_tree(tmp_path, tree)
    expected = {(orm, "lib", ("lib/migrations",))} if orm else set()
    assert _projects(tmp_path) == expected
    rules = {rule for _, _, rule in _findings(tmp_path)}
    assert rules == (set() if orm else {"unclaimed-migrations"})


def test_declared_dependency_settles_files_whose_markers_suggest_it(tmp_path: Path) -> None:
    # `up(db)` calling db.schema... is knex by its own content; `up(db)` with a knex comment only is not, unless the
    # package declares knex
    migration = ("// knex migration\nexports.up = async (db) => { await db.raw('DROP TABLE a'); };\n"
                 "exports.down = async () => {};\n")
    write_tree(tmp_path, {"migrations/20240101000000_a.js": migration})
    assert _projects(tmp_path) == set()
    write_tree(tmp_path, {"package.json": '{"dependencies": {"knex": "^3"}}'})
    assert _projects(tmp_path) == {("knex", ".", ("migrations",))}


@pytest.mark.parametrize("knexfile, folder", [
    ("module.exports = { client: 'pg', migrations: { directory: `${__dirname}/db/changes` } };\n", "db/changes"),
    ("module.exports = { client: 'pg', migrations: { directory: __dirname + '/db/changes' } };\n", "db/changes"),
    ("const path = require('path');\nmodule.exports = { client: 'pg', migrations: {\n"
     "  directory: path.resolve(__dirname, 'db', 'changes'), tableName: 'knex_migrations' } };\n", "db/changes"),
    ("module.exports = { client: 'pg', seeds: { directory: './seeds' },\n"
     "  migrations: { directory: ['./db/changes', './db/extra'] } };\n", "db/changes"),
])
def test_knexfile_directory_expressions(tmp_path: Path, monkeypatch, knexfile: str, folder: str) -> None:
    from migrate_guard.detect import detect_projects

    write_tree(tmp_path, {"knexfile.js": knexfile, "db/extra/.keep": "",
                          f"{folder}/a_drop.js": "exports.up = (knex) => knex.schema.dropTable('a');\n"})
    monkeypatch.chdir(tmp_path)
    [project] = detect_projects(Path("."))
    assert (project.orm, project.settings.get("knexfile"), project.dialect) == ("knex", "knexfile.js", "postgres")
    assert folder in project.migrations


@pytest.mark.parametrize("source, folder", [
    ("import { DataSource } from 'typeorm';\nimport path from 'path';\nexport default new DataSource({ type: 'mysql',\n"
     "  migrations: [path.join(__dirname, 'schema', '*.{ts,js}')] });\n", "src/schema"),
    ("import { DataSource } from 'typeorm';\nimport { Init1700000000000 } from './schema/1700000000000-Init';\n"
     "export const ds = new DataSource({ type: 'mysql', migrations: [Init1700000000000] });\n", "src/schema"),
    ("import { DataSource } from 'typeorm';\nimport { Init1700000000000 } from './schema/1700000000000-Init';\n"
     "const migrations = [Init1700000000000];\n"
     "export const ds = new DataSource({ type: 'mysql', migrations });\n", "src/schema"),  # shorthand property
    ("import { DataSource } from 'typeorm';\nimport { Init1700000000000 } from './schema/1700000000000-Init';\n"
     "const all = [Init1700000000000];\nexport const ds = new DataSource({ type: 'mysql', migrations: all });\n",
     "src/schema"),
])
def test_typeorm_data_source_forms(tmp_path: Path, monkeypatch, source: str, folder: str) -> None:
    from migrate_guard.detect import detect_projects

    write_tree(tmp_path, {
        "package.json": '{"dependencies": {"typeorm": "0.3.20"}}',
        "src/data-source.ts": source,
        # a folder named neither for migrations nor with migration-named files: only the data source can point at it
        "src/schema/1700000000000-Init.ts": (
            "import { MigrationInterface, QueryRunner } from 'typeorm';\n"
            "export class Init1700000000000 implements MigrationInterface {\n"
            "  async up(q: QueryRunner) { await q.query('DROP TABLE a'); }\n  async down() {}\n}\n"),
    })
    monkeypatch.chdir(tmp_path)
    [project] = [p for p in detect_projects(Path(".")) if p.settings.get("data_source")]
    assert (project.migrations, project.dialect) == ([folder], "mysql")


def test_prisma_schema_without_datasource_is_not_a_project(tmp_path: Path) -> None:
    write_tree(tmp_path, {"prisma/schema.prisma": "generator client {\n  provider = \"prisma-client-js\"\n}\n"})
    assert _projects(tmp_path) == set()


def test_detection_reads_heads_only_in_candidate_folders(tmp_path: Path, monkeypatch) -> None:
    """Cheap: 300 .ts files in src/ that export up/down are never opened; only the migrations folder's files are."""
    from migrate_guard.detect import content, detect_projects

    tree = {f"src/widgets/w{i}.ts": "export function up() {}\nexport function down() {}\n" for i in range(300)}
    tree["node_modules/pkg/migrations/20240101000000_x.js"] = "exports.up = (knex) => knex.schema.dropTable('a');\n"
    tree["db/migrations/20240101000000_x.js"] = "exports.up = (knex) => knex.schema.dropTable('a');\n"
    write_tree(tmp_path, tree)
    opened: list[Path] = []
    real = content.read_head

    def counting(path: Path) -> str:
        opened.append(path)
        return real(path)

    monkeypatch.setattr(content, "read_head", counting)
    monkeypatch.chdir(tmp_path)
    assert [(p.orm, p.migrations) for p in detect_projects(Path("."))] == [("knex", ["db/migrations"])]
    assert [p.as_posix() for p in opened] == ["db/migrations/20240101000000_x.js"]


MARKED_FILES = sorted({(name, path) for name in PROJECTS if name not in ("unclaimed", "decoys")
                       for path, _, _ in expect_markers(LAYOUTS / name)})


@pytest.mark.parametrize("name, path", MARKED_FILES)
def test_each_file_passed_alone_gives_its_own_markers(name: str, path: str) -> None:
    """pre-commit passes single files: a file of a content-found project is read as part of that project too."""
    folder = LAYOUTS / name
    wanted = {item for item in expect_markers(folder) if item[0] == path}
    assert _findings(folder, path) == wanted


def test_a_file_only_its_folder_tells_the_tool_of_is_linted_alone_too() -> None:
    # genesis.js calls a helper only (`safeAddIndex(context, ...)`): umzug-shaped, claimed because its folder is a
    # Sequelize project by its other files' content, and the helper's addIndex (lib/migrate.js) is read
    result = run_cli("check", "lib/migrations/server/20230422000000-genesis.js", "--format", "json", "--no-cache",
                     cwd=LAYOUTS / "umzug-groups")
    assert result.json()["summary"]["files"] == 1
    assert [(f["rule"], f["line"]) for f in result.findings()] == [("non-concurrent-index", 4)]


def test_compiled_typeorm_output_is_typeorm_by_its_content() -> None:
    # tsc ES5 (`X.prototype.up = function (queryRunner)`), ES2017, esbuild CJS/ESM and minified (`async up(a)`, only
    # `require("typeorm")` and the generated `name = "AddPlan1700000000000"` left): no DataSource anywhere
    folder = FIXTURES / "typeorm" / "tsc"
    assert _projects(folder) == {("typeorm", ".", (build,)) for build in ("es2017", "es5", "esbuild-esm", "esbuild-min")}


def test_detect_text_names_the_unclaimed_folder() -> None:
    lines = run_cli("detect", cwd=LAYOUTS / "unclaimed").out.splitlines()
    assert lines[0] == "No migration projects found."
    assert lines[1].startswith("not claimed: db/changes/ holds 2 file(s)")
    assert run_cli("detect", cwd=LAYOUTS / "decoys").out.strip() == "No migration projects found."


def test_a_config_naming_a_folder_that_does_not_exist_is_no_project(tmp_path: Path, monkeypatch) -> None:
    """No phantom project for `check`/`detect`; the lifecycle still sees it (its first migration goes there)."""
    from migrate_guard.detect import detect_projects

    write_tree(tmp_path, {"package.json": '{"dependencies": {"knex": "^3"}}',
                          "config/knexfile.js": "module.exports = { client: 'mysql', migrations: "
                                                "{ directory: process.env.DIR || '../db/none' } };\n"})
    assert _projects(tmp_path) == set()
    monkeypatch.chdir(tmp_path)
    assert [(p.orm, p.migrations) for p in detect_projects(Path("."))] == [("knex", ["config/migrations"])]


@pytest.mark.parametrize("name, dialect, evidence", [
    ("supabase-cli", "postgres", "supabase CLI layout"),
    ("wrangler-d1", "sqlite", "wrangler.toml d1_databases"),
    ("versioned-sql-folder", "postgres", "SQL syntax"),
    ("numbered-sql-files", "postgres", "SQL syntax"),
    # the db-migrate-pg dependency; migrations/package.json only sets the module type and is no package root
    ("db-migrate-callbacks", "postgres", "db-migrate driver (database.json or package.json)"),
])
def test_content_and_plain_sql_folders_have_their_dialect(name: str, dialect: str, evidence: str) -> None:
    result = run_cli("detect", "--format", "json", cwd=LAYOUTS / name)
    [project] = result.json()["projects"]
    assert (project["dialect"], project["evidence"]) == (dialect, evidence)


def test_db_migrate_runs_each_migration_in_a_transaction(tmp_path: Path) -> None:
    """db-migrate wraps every migration in a transaction unless run with --non-transactional: a COMMIT inside ends it
    early (unleash), it is not a COMMIT with no transaction open."""
    write_tree(tmp_path, {"package.json": '{"dependencies": {"db-migrate": "0.11.14", "db-migrate-pg": "1.5.2"}}',
                          "migrations/20231103064746-change-type.js": (
                              "exports.up = function (db, cb) {\n  db.runSql(`\n"
                              "    ALTER TABLE schedule ALTER COLUMN status TYPE text USING status::text;\n"
                              "    COMMIT;\n  `, cb);\n};\nexports.down = function (db, cb) { db.runSql('SELECT 1', cb); };\n")})
    result = run_cli("check", "--format", "json", "--fail-on", "never", "--no-cache", cwd=tmp_path)
    messages = [f["message"] for f in result.json()["findings"] if f["rule"] == "transaction-nesting"]
    assert not any("no transaction open" in m for m in messages), messages
