"""`migrate-guard detect` and `check` without paths: every ORM of the contract found from its own files, via the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, write_tree

DETECT = FIXTURES / "detect"
CONTRACT_ORMS = {"prisma", "drizzle", "typeorm", "sequelize", "django", "alembic", "knex", "golang-migrate", "goose",
                 "dbmate", "flyway"}

# fixture folder -> (orm, migration folders, dialect); the root is always the fixture folder itself.
SINGLE = {
    "django": ("django", ["blog/migrations", "comments/migrations"], "postgres"),
    "django_pyproject": ("django", ["catalog/migrations"], "mysql"),
    "alembic": ("alembic", ["migrations/versions"], "mysql"),
    "alembic_pyproject": ("alembic", ["db/versions"], "postgres"),
    "prisma": ("prisma", ["prisma/migrations"], "postgres"),
    "drizzle": ("drizzle", ["db/migrations"], "postgres"),
    "typeorm": ("typeorm", ["src/migrations"], "mysql"),
    "sequelize": ("sequelize", ["db/migrations"], "postgres"),  # .sequelizerc paths; production config wins
    "knex": ("knex", ["db/migrations"], "postgres"),
    "golang-migrate": ("golang-migrate", ["db/migrations"], "postgres"),  # lib/pq in go.mod
    "goose": ("goose", ["migrations"], "mysql"),  # go-sql-driver/mysql in go.mod
    "dbmate": ("dbmate", ["db/migrations"], "sqlite"),  # DATABASE_URL in .env
    "flyway": ("flyway", ["sql"], "postgres"),  # flyway.url in flyway.conf
}


CONTRACT_KEYS = ("orm", "root", "migrations", "dialect")


def detect(cwd: Path) -> dict:
    """The contract's part of `detect --format json` (the evidence keys beside it are tested in test_dialects.py)."""
    result = run_cli("detect", "--format", "json", cwd=cwd)
    assert result.code == 0, result.err
    data = result.json()
    return {"projects": [{key: project[key] for key in CONTRACT_KEYS} for project in data["projects"]]}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_each_stack_is_detected_with_root_folders_and_dialect(name: str) -> None:
    orm, folders, dialect = SINGLE[name]
    data = detect(DETECT / name)
    assert data == {"projects": [{"orm": orm, "root": ".", "migrations": folders, "dialect": dialect}]}
    assert list(data["projects"][0]) == ["orm", "root", "migrations", "dialect"]  # the contract's shape, in order


def test_fixtures_cover_every_contract_orm() -> None:
    assert {orm for orm, _, _ in SINGLE.values()} == CONTRACT_ORMS


def test_monorepo_lists_every_project_and_never_searches_dependency_or_build_folders() -> None:
    data = detect(DETECT / "monorepo")
    assert data == {"projects": [
        {"orm": "prisma", "root": "apps/web", "migrations": ["apps/web/prisma/migrations"], "dialect": "postgres"},
        {"orm": "alembic", "root": "services/billing", "migrations": ["services/billing/migrations/versions"],
         "dialect": "postgres"},
        {"orm": "django", "root": "services/shop",
         "migrations": ["services/shop/blog/migrations", "services/shop/comments/migrations"], "dialect": "postgres"},
    ]}


def test_decoys_are_not_projects() -> None:
    # a Flask manage.py, a migrations/ folder of JSON files, a migrations/ folder of plain Python, a README
    assert detect(DETECT / "decoys") == {"projects": []}


def test_text_output_is_a_short_table() -> None:
    result = run_cli("detect", cwd=DETECT / "monorepo")
    lines = result.out.splitlines()
    assert result.code == 0
    assert lines[0].split() == ["ORM", "ROOT", "DIALECT", "MIGRATIONS"]
    # one row per migration folder, each with its dialect and the evidence for it
    assert [line.split()[0] for line in lines[1:]] == ["prisma", "alembic", "django", "django"]
    assert "postgres (Django DATABASES ENGINE)" in lines[-1] and lines[-1].endswith("services/shop/comments/migrations")
    assert run_cli("detect", cwd=DETECT / "decoys").out.strip() == "No migration projects found."


def test_check_without_paths_lints_every_detected_project() -> None:
    result = run_cli("check", "--format", "json", "--fail-on", "never", cwd=DETECT / "monorepo")
    assert result.code == 0, result.err
    data = result.json()
    # 2 Django + 1 Alembic + 1 Prisma migrations + schema.prisma; nothing from node_modules, .venv or build/
    assert data["summary"]["files"] == 5
    assert all("node_modules" not in f["path"] and ".venv" not in f["path"] for f in data["findings"])


def test_check_without_paths_finds_django_and_alembic_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "shop/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 's')\n",
        "shop/blog/migrations/__init__.py": "",
        "shop/blog/migrations/0001_initial.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))])]\n"),
        "shop/blog/migrations/0002_drop.py": (
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('blog', '0001_initial')]\n"
            "    operations = [migrations.DeleteModel(name='Post')]\n"),
        "billing/alembic.ini": "[alembic]\nscript_location = alembic\n",
        "billing/alembic/env.py": "",
        "billing/alembic/versions/aa11_drop.py": (
            "from alembic import op\n\nrevision = 'aa11'\ndown_revision = None\n\n\ndef upgrade():\n"
            "    op.drop_table('invoices')\n\n\ndef downgrade():\n    pass\n"),
    })
    result = run_cli("check", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    found = sorted((f["rule"], f["path"], f["line"], f["orm"]) for f in result.findings())
    assert found == [
        ("drop-table", "billing/alembic/versions/aa11_drop.py", 8, "alembic"),
        ("drop-table", "shop/blog/migrations/0002_drop.py", 6, "django"),
        ("missing-down-migration", "billing/alembic/versions/aa11_drop.py", 11, "alembic"),
    ]


def _django_mysql_or_postgres(root: Path, engine: str) -> Path:
    return write_tree(root, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
        "site/settings.py": f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.{engine}'}}}}\n",
        "app/migrations/__init__.py": "",
        "app/migrations/0001_initial.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True)),"
            " ('title', models.CharField(max_length=20))])]\n"),
        "app/migrations/0002_index.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [migrations.AddIndex(model_name='post', index=models.Index(fields=['title'], name='t'))]\n"),
    })


@pytest.mark.parametrize("engine,expected", [("postgresql", ["non-concurrent-index"]), ("mysql", [])])
def test_explicit_files_get_their_project_dialect(tmp_path: Path, engine: str, expected: list[str]) -> None:
    # pre-commit passes files: the project (and so the dialect) is found by walking up from them
    root = _django_mysql_or_postgres(tmp_path, engine)
    result = run_cli("check", "app/migrations/0002_index.py", "--format", "json", "--fail-on", "never", cwd=root)
    assert result.rules() == expected


@pytest.mark.parametrize("package", [
    {"scripts": {"migrate": "knex --knexfile ./config/knexfile.js migrate:latest"}},
    # Mojaloop: the flag kept in package.json's config, used as $npm_package_config_knex
    {"config": {"knex": "--knexfile ./config/knexfile.js"}, "scripts": {"migrate": "knex $npm_package_config_knex"}},
])
def test_explicit_files_find_a_knexfile_package_json_points_at(tmp_path: Path, package: dict) -> None:
    import json

    write_tree(tmp_path, {"package.json": json.dumps({"dependencies": {"knex": "3"}, **package}),
                          "config/knexfile.js": "module.exports = { client: 'mysql', migrations: "
                                                "{ directory: '../migrations' } };\n",
                          "migrations/20240101_idx.js": "exports.up = (knex) => knex.schema.alterTable('t', (t) => "
                                                        "{ t.index('a'); });\nexports.down = () => {};\n"})
    result = run_cli("check", "migrations/20240101_idx.js", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert "non-concurrent-index" not in result.rules()  # MySQL builds indexes online


def test_projects_for_paths_probes_only_the_folders_above_the_files(tmp_path: Path, monkeypatch) -> None:
    from migrate_guard import detect as detect_module

    root = _django_mysql_or_postgres(tmp_path / "repo", "mysql")
    write_tree(tmp_path / "repo", {f"other/deep/{i}/knexfile.js": "module.exports = {client: 'pg'}\n" for i in range(3)})
    monkeypatch.chdir(root)

    def no_walk(*args, **kwargs):
        raise AssertionError("projects_for_paths must not walk the repository")

    monkeypatch.setattr(detect_module, "walk_files", no_walk)
    monkeypatch.setattr(os, "walk", no_walk)
    projects = detect_module.projects_for_paths([Path("app/migrations/0002_index.py")])
    assert [(p.orm, p.root, p.migrations, p.dialect) for p in projects] == [
        ("django", ".", ["app/migrations"], "mysql")]
    assert projects[0].settings["manage_py"] == "manage.py"


def test_settings_carry_what_extractors_and_wrappers_need(monkeypatch) -> None:
    from migrate_guard.detect import detect_projects

    monkeypatch.chdir(DETECT)
    settings = {p.root: p.settings for p in detect_projects(Path("."))}
    assert settings["alembic"]["script_location"] == "alembic/migrations"
    assert settings["alembic"]["config"] == "alembic/alembic.ini"
    assert settings["django"]["manage_py"] == "django/manage.py"
    assert settings["django"]["apps"] == "blog=blog/migrations,comments=comments/migrations"
    assert settings["prisma"]["schema"] == "prisma/prisma/schema.prisma"
    assert settings["knex"]["knexfile"] == "knex/knexfile.js"
    assert settings["typeorm"]["data_source"] == "typeorm/src/data-source.ts"
    assert settings["sequelize"]["config"] == "sequelize/config/database.json"
    assert settings["drizzle"]["config"] == "drizzle/drizzle.config.ts"


def test_git_and_virtualenv_folders_are_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".git/modules/x/db/migrations/000001_a.up.sql": "DROP TABLE a;\n",
        "venv/lib/alembic.ini": "[alembic]\nscript_location = .\n",
        "db/migrations/000001_a.up.sql": "CREATE TABLE a (id int);\n",
    })
    assert detect(tmp_path) == {"projects": [
        {"orm": "golang-migrate", "root": "db", "migrations": ["db/migrations"], "dialect": None}]}


def test_detect_output_is_valid_json_for_an_empty_folder(tmp_path: Path) -> None:
    result = run_cli("detect", "--format", "json", cwd=tmp_path)
    assert json.loads(result.out) == {"projects": []}


DJ_MIGRATION = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
                "    operations = []\n")
ALEMBIC_REVISION = "from alembic import op\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n    pass\n"


@pytest.mark.parametrize("files,expected", [
    # Django declared in each dependency format (no manage.py)
    ({"Pipfile": "[packages]\ndjango = \"*\"\n"}, ("django", ".", ["app/migrations"], None)),
    ({"setup.cfg": "[options]\ninstall_requires =\n    requests\n    Django>=4.2\n"}, ("django", ".", ["app/migrations"], None)),
    ({"setup.py": "from setuptools import setup\nsetup(install_requires=['Django>=4.2'])\n"},
     ("django", ".", ["app/migrations"], None)),
    ({"pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.11'\nDjango = '^5.0'\n"},
     ("django", ".", ["app/migrations"], None)),
    ({"requirements/base.txt": "django==5.0\n", "requirements/__init__.py": ""}, ("django", ".", ["app/migrations"], None)),
    # Alembic: relative script_location, package form, version_locations, sqlite URL
    ({"alembic.ini": "[alembic]\nscript_location = db\nsqlalchemy.url = sqlite:///app.db\n",
      "db/versions/a1_x.py": ALEMBIC_REVISION}, ("alembic", ".", ["db/versions"], "sqlite")),
    # a library's shipped ini (Optuna): the code beside it sets the URL it is given, so the ini's sqlite is no evidence
    ({"lib/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///alembic.db\n",
      "lib/storage.py": "config.set_main_option('sqlalchemy.url', self.url)\n",
      "lib/alembic/versions/a1_x.py": ALEMBIC_REVISION}, ("alembic", "lib", ["lib/alembic/versions"], None)),
    # OpenStack (octavia, a wheel): the ini's URL is empty; the package's METADATA requires oslo.db[mysql]
    ({"octavia/db/migration/alembic.ini": "[alembic]\nscript_location = %(here)s/alembic_migrations\nsqlalchemy.url =\n",
      "octavia-19.0.0.dist-info/METADATA": "Name: octavia\nRequires-Dist: oslo.db[mysql]>=8.4.0\n",
      "octavia/db/migration/alembic_migrations/versions/a1_x.py": ALEMBIC_REVISION},
     ("alembic", "octavia/db/migration", ["octavia/db/migration/alembic_migrations/versions"], "mysql")),
    # MLflow: its drivers are optional extras, for one backend among several: no evidence
    ({"mlflow/store/db_migrations/alembic.ini": "[alembic]\nscript_location = %(here)s\n",
      "mlflow-3.18.0.dist-info/METADATA": "Name: mlflow\nRequires-Dist: PyMySQL; extra == \"db\"\n"
                                         "Requires-Dist: psycopg2-binary; extra == \"db\"\n",
      "mlflow/store/db_migrations/env.py": "", "mlflow/store/db_migrations/versions/a1_x.py": ALEMBIC_REVISION},
     ("alembic", "mlflow/store/db_migrations", ["mlflow/store/db_migrations/versions"], None)),
    # ZenML: its only database driver is an optional extra's PyMySQL (SQLite needs none): MySQL
    ({"zenml/zen_stores/migrations/alembic.ini": "[alembic]\nscript_location = %(here)s\n",
      "zenml-0.98.0.dist-info/METADATA": "Name: zenml\nRequires-Dist: click\nRequires-Dist: types-pymysql; extra == \"dev\"\n"
                                        "Requires-Dist: pymysql~=1.1.0; extra == \"local\"\n",
      "zenml/zen_stores/migrations/env.py": "", "zenml/zen_stores/migrations/versions/a1_x.py": ALEMBIC_REVISION},
     ("alembic", "zenml/zen_stores/migrations", ["zenml/zen_stores/migrations/versions"], "mysql")),
    ({"alembic.ini": "[alembic]\nscript_location = myapp:migrations\n",
      "myapp/migrations/versions/a1_x.py": ALEMBIC_REVISION}, ("alembic", ".", ["myapp/migrations/versions"], None)),
    # script_location relative to where alembic runs, above the ini (MLflow's shipped alembic.ini)
    ({"mlflow/store/db_migrations/alembic.ini": "[alembic]\nscript_location = mlflow/store/db_migrations\n",
      "mlflow/store/db_migrations/versions/a1_x.py": ALEMBIC_REVISION},
     ("alembic", "mlflow/store/db_migrations", ["mlflow/store/db_migrations/versions"], None)),
    ({"alembic.ini": "[alembic]\nscript_location = %(here)s/db\nversion_locations = %(here)s/db/v1 %(here)s/db/v2\n"
                     "sqlalchemy.url = driver://user:pass@localhost/dbname\n",
      "db/v1/a1_x.py": ALEMBIC_REVISION, "db/v2/b2_x.py": ALEMBIC_REVISION}, ("alembic", ".", ["db/v1", "db/v2"], None)),
    # Prisma schema where package.json says; Drizzle default out folder; Knex in TypeScript; TypeORM ormconfig.json
    ({"package.json": '{"prisma": {"schema": "db/schema.prisma"}}',
      "db/schema.prisma": 'datasource db {\n  provider = "mysql"\n  url = env("X")\n}\n',
      "db/migrations/20240101_init/migration.sql": "CREATE TABLE a (id int);\n"}, ("prisma", ".", ["db/migrations"], "mysql")),
    ({"prisma.config.ts": "import path from 'node:path';\nexport default { schema: path.join('db', 'schema') };\n",
      "db/schema/main.prisma": 'datasource db {\n  provider = "sqlite"\n  url = "file:dev.db"\n}\n',
      "db/migrations/20240101_init/migration.sql": "CREATE TABLE a (id int);\n"}, ("prisma", ".", ["db/migrations"], "sqlite")),
    ({"knexfile.js": "const path = require('path');\nmodule.exports = { client: 'mysql2', migrations: "
                     "{ directory: path.join(__dirname, 'db', 'migrations') } };\n",
      "db/migrations/1_x.js": "exports.up = () => {};\n"}, ("knex", ".", ["db/migrations"], "mysql")),
    ({"drizzle.config.js": "module.exports = { schema: './schema.js', driver: 'better-sqlite' };\n",
      "drizzle/0000_x.sql": "CREATE TABLE a (id int);\n"}, ("drizzle", ".", ["drizzle"], "sqlite")),
    ({"knexfile.ts": "import type { Knex } from 'knex';\n\nconst config: { [key: string]: Knex.Config } = {\n"
                     "  development: { client: 'better-sqlite3' },\n  production: { client: 'postgresql',"
                     " migrations: { directory: 'migrations' } },\n};\nexport default config;\n",
      "migrations/20240101_x.ts": "export async function up() {}\n"}, ("knex", ".", ["migrations"], "postgres")),
    ({"package.json": '{"dependencies": {"typeorm": "0.3.0"}}',
      "ormconfig.json": '{"type": "postgres", "migrations": ["db/migrations/*.js"]}',
      "db/migrations/1-x.js": "module.exports = class X { async up(queryRunner) {} }\n"},
     ("typeorm", ".", ["db/migrations"], "postgres")),
    ({"package.json": '{"dependencies": {"sequelize": "6"}}', "config/config.json": '{"development": {"dialect": "mariadb"}}',
      "migrations/20240101-x.js": "module.exports = { up() {}, down() {} };\n"}, ("sequelize", ".", ["migrations"], "mysql")),
])
def test_detection_variants(tmp_path: Path, files: dict[str, str], expected: tuple) -> None:
    if expected[0] == "django":
        files = {**files, "app/migrations/__init__.py": "", "app/migrations/0001_initial.py": DJ_MIGRATION}
    write_tree(tmp_path, files)
    orm, root, folders, dialect = expected
    assert detect(tmp_path) == {"projects": [{"orm": orm, "root": root, "migrations": folders, "dialect": dialect}]}


def test_django_in_optional_dependencies_only_is_not_a_django_project(tmp_path: Path) -> None:
    # a library that tests against Django is not a Django project; its Django-looking migrations still are found,
    # as a reusable app rooted above the app folder
    write_tree(tmp_path, {
        "pyproject.toml": "[project]\nname = 'lint'\nversion = '1'\n[project.optional-dependencies]\ntest = ['django']\n",
        "src/widgets/migrations/0001_initial.py": DJ_MIGRATION,
    })
    assert detect(tmp_path) == {"projects": [
        {"orm": "django", "root": "src", "migrations": ["src/widgets/migrations"], "dialect": None}]}


def test_explicit_file_of_an_app_without_manage_py_still_sees_sibling_apps(tmp_path: Path, monkeypatch) -> None:
    from migrate_guard.detect import projects_for_paths

    write_tree(tmp_path, {
        "users/migrations/0001_initial.py": DJ_MIGRATION,
        "shop/migrations/0001_initial.py": DJ_MIGRATION,
        "shop/migrations/0002_more.py": DJ_MIGRATION,
    })
    monkeypatch.chdir(tmp_path)
    [project] = projects_for_paths([Path("shop/migrations/0002_more.py")])
    assert (project.orm, project.root, project.migrations) == ("django", ".", ["shop/migrations", "users/migrations"])


def test_alembic_versions_split_by_dialect_folder_are_one_project_each(tmp_path: Path) -> None:
    # Prefect: versions/postgresql and versions/sqlite, two revision chains with some file names in common; env.py
    # picks one by dialect. Each is its own project with that dialect (no Postgres-only rule on the SQLite chain).
    index = ("from alembic import op\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n"
             "    op.create_index('ix', 'flow_run', ['state'])\n\n\ndef downgrade():\n    op.drop_index('ix')\n")
    write_tree(tmp_path, {
        "prefect/server/database/alembic.ini": "[alembic]\nscript_location = prefect:server:database:_migrations\n",
        "prefect/server/database/_migrations/env.py": "",
        "prefect/server/database/_migrations/versions/postgresql/2024_a1_index.py": index,
        "prefect/server/database/_migrations/versions/sqlite/2024_a1_index.py": index,
    })
    versions = "prefect/server/database/_migrations/versions"
    assert detect(tmp_path) == {"projects": [
        {"orm": "alembic", "root": f"{versions}/postgresql", "migrations": [f"{versions}/postgresql"],
         "dialect": "postgres"},
        {"orm": "alembic", "root": f"{versions}/sqlite", "migrations": [f"{versions}/sqlite"], "dialect": "sqlite"},
    ]}
    for args in ((), (".",)):
        result = run_cli("check", *args, "--format", "json", "--fail-on", "never", cwd=tmp_path)
        assert result.json()["summary"]["files"] == 2
        assert [(f["rule"], f["path"]) for f in result.findings()] == [
            ("non-concurrent-index", f"{versions}/postgresql/2024_a1_index.py")]


ALEMBIC_REVISION = ("from alembic import op\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n"
                    "    op.drop_table('legacy')\n\n\ndef downgrade():\n    pass\n")


@pytest.mark.parametrize("layout, ini, folder", [
    # Flask-Migrate (Superset): migrations/alembic.ini has no script_location, Flask-Migrate passes the folder
    ("flask_migrate", ("superset/migrations/alembic.ini", "[alembic]\nfile_template = %%(rev)s_%%(slug)s\n"),
     "superset/migrations"),
    # Dagster: a package:resource location named by an ini five folders down inside the package
    ("package_resource", ("dagster/_core/storage/runs/sqlite/alembic/alembic.ini",
                          "[alembic]\nscript_location = dagster:_core/storage/alembic\n"), "dagster/_core/storage/alembic"),
    # ZenML: no ini at all, the Config is built in code; env.py + script.py.mako + versions/ is the environment
    ("configured_in_code", None, "zenml/zen_stores/migrations"),
])
def test_alembic_environments_without_a_usable_ini_line_are_found(tmp_path: Path, layout: str,
                                                                   ini: tuple[str, str] | None, folder: str) -> None:
    tree = {f"{folder}/env.py": "", f"{folder}/script.py.mako": "${upgrades}\n",
            f"{folder}/versions/a1_drop.py": ALEMBIC_REVISION}
    if ini is not None:
        tree[ini[0]] = ini[1]
    write_tree(tmp_path, tree)
    [project] = detect(tmp_path)["projects"]
    assert (project["orm"], project["migrations"]) == ("alembic", [f"{folder}/versions"])
    for args in ((), (f"{folder}/versions/a1_drop.py",)):
        result = run_cli("check", *args, "--format", "json", "--fail-on", "never", cwd=tmp_path)
        assert [(f["rule"], f["orm"], f["line"]) for f in result.findings()] == [
            ("drop-table", "alembic", 8), ("missing-down-migration", "alembic", 11)]
