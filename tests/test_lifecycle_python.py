"""End to end on SQLite with the real tools from PyPI: Alembic and Django projects go through
create -> check -> run -> status -> rollback -> status, and the database is queried after every step."""

from __future__ import annotations

import re

import shutil
import sqlite3
from pathlib import Path

import pytest

from migrate_guard.lifecycle.environment import ENV_VARIABLES
from conftest import FIXTURES, run_cli, skip_module_unless_installed, write_tree

skip_module_unless_installed("alembic", "django")

CLEAN_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(autouse=True)
def no_environment_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own environment must not make them production (or point them at another database)."""
    for variable in (*ENV_VARIABLES, "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)


def tables(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return list(connection.execute(sql))


# --- Alembic --------------------------------------------------------------------------------------------------


@pytest.fixture
def alembic_app(tmp_path: Path) -> Path:
    root = tmp_path / "billing"
    shutil.copytree(FIXTURES / "lifecycle" / "alembic_app", root)
    return root


def alembic_create_and_run(root: Path) -> str:
    assert run_cli("create", "add users", cwd=root, env=CLEAN_ENV).code == 0
    assert run_cli("run", cwd=root, env=CLEAN_ENV).code == 0
    return query(root / "app.db", "SELECT version_num FROM alembic_version")[0][0]


def test_alembic_create_check_run_status_rollback_status(alembic_app: Path) -> None:
    db = alembic_app / "app.db"
    name = "add users; $(id)"
    created = run_cli("create", name, cwd=alembic_app, env=CLEAN_ENV)
    assert created.code == 0, created.out + created.err
    files = list((alembic_app / "migrations" / "versions").glob("*.py"))
    assert len(files) == 1
    assert name in files[0].read_text()  # the name reached alembic as one literal argument
    assert "Migration Created" in created.out
    assert f"File: migrations/versions/{files[0].name}" in created.out
    assert "ORM:  alembic" in created.out
    assert "+ CREATE TABLE users (id, email" in created.out  # the column names, as LIFECYCLE-REPORTS.md shows
    assert "[PASS] No destructive operations" in created.out
    assert "[PASS] Down migration exists" in created.out
    assert "Ready to apply with: migrate-guard run" in created.out
    assert "users" not in tables(db)

    checked = run_cli("check", cwd=alembic_app, env=CLEAN_ENV)
    assert checked.code == 0, checked.out

    ran = run_cli("run", cwd=alembic_app, env=CLEAN_ENV)
    assert ran.code == 0, ran.out + ran.err
    assert "Running upgrade" in ran.err  # alembic's own log, streamed
    assert "Migration Applied\n-----------------\nApplied: 1 migration(s)\n" in ran.out and "Duration:" in ran.out
    assert "  1. " in ran.out and "     + Created table: users" in ran.out
    assert "users" in tables(db)
    revision = query(db, "SELECT version_num FROM alembic_version")[0][0]

    status = run_cli("status", cwd=alembic_app, env=CLEAN_ENV)
    assert status.code == 0, status.out + status.err
    assert "Applied (1):" in status.out and f"1. {revision}" in status.out and "Pending (0):" in status.out
    assert "Schema drift: None detected" in status.out

    refused = run_cli("rollback", cwd=alembic_app, env=CLEAN_ENV)
    assert refused.code == 1  # dropping users loses its rows: needs confirmation, and there is no terminal
    assert "- Dropped table: users" in refused.out
    assert "sqlite3 app.db" in refused.out  # backup command from alembic.ini's sqlalchemy.url
    assert "(database from alembic.ini sqlalchemy.url)" in refused.out
    assert "--allow-destructive" in refused.err
    assert "users" in tables(db)
    assert run_cli("rollback", "--yes", cwd=alembic_app, env=CLEAN_ENV).code == 1  # --yes confirms production only

    rolled = run_cli("rollback", "--allow-destructive", cwd=alembic_app, env=CLEAN_ENV)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "Migration Rolled Back\n---------------------\nReverted: " in rolled.out
    assert "Current state: (no migration applied)" in rolled.out
    assert "users" not in tables(db)
    assert query(db, "SELECT version_num FROM alembic_version") == []

    after = run_cli("status", cwd=alembic_app, env=CLEAN_ENV)
    assert after.code == 0
    assert "Applied (0):" in after.out and f"1. {revision}" in after.out and "Pending (1):" in after.out


DROP_NICKNAME = '''"""drop nickname"""
from alembic import op
import sqlalchemy as sa

revision = "b2"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column("users", "nickname")


def downgrade():
    op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
'''

ADD_AGE_NO_DOWN = '''"""add age"""
from alembic import op
import sqlalchemy as sa

revision = "c3"
down_revision = "{parent}"


def upgrade():
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))


def downgrade():
    pass
'''


def test_alembic_destructive_pending_migration_is_refused_until_allowed(alembic_app: Path) -> None:
    db = alembic_app / "app.db"
    first = alembic_create_and_run(alembic_app)
    write_tree(alembic_app, {"migrations/versions/b2_drop_nickname.py": DROP_NICKNAME.format(parent=first)})
    refused = run_cli("run", cwd=alembic_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "drop-column" in refused.out
    assert "Back up first: sqlite3 app.db" in refused.out
    assert "Nothing was applied" in refused.err and "--allow-destructive" in refused.err
    assert "nickname" in columns(db, "users")
    assert query(db, "SELECT version_num FROM alembic_version") == [(first,)]

    allowed = run_cli("run", "--allow-destructive", cwd=alembic_app, env=CLEAN_ENV)
    assert allowed.code == 0, allowed.out + allowed.err
    assert "nickname" not in columns(db, "users")
    assert query(db, "SELECT version_num FROM alembic_version") == [("b2",)]


def test_alembic_rollback_of_a_migration_without_down_is_refused(alembic_app: Path) -> None:
    db = alembic_app / "app.db"
    first = alembic_create_and_run(alembic_app)
    write_tree(alembic_app, {"migrations/versions/c3_add_age.py": ADD_AGE_NO_DOWN.format(parent=first)})
    assert run_cli("run", cwd=alembic_app, env=CLEAN_ENV).code == 0
    assert "age" in columns(db, "users")
    refused = run_cli("rollback", "--yes", cwd=alembic_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "c3 has no down migration" in refused.err
    assert "age" in columns(db, "users")
    assert query(db, "SELECT version_num FROM alembic_version") == [("c3",)]


@pytest.mark.parametrize("variable, value", [("APP_ENV", "production"), ("ENVIRONMENT", "prod"),
                                             ("DJANGO_SETTINGS_MODULE", "mysite.settings.production")])
def test_production_needs_confirmation(alembic_app: Path, variable: str, value: str) -> None:
    db = alembic_app / "app.db"
    assert run_cli("create", "add users", cwd=alembic_app, env=CLEAN_ENV).code == 0
    env = {**CLEAN_ENV, variable: value}
    refused = run_cli("run", cwd=alembic_app, env=env)
    assert refused.code == 1
    assert f"Environment: production ({variable}={value})" in refused.out
    assert "--yes" in refused.err
    assert "users" not in tables(db)
    confirmed = run_cli("run", "--yes", cwd=alembic_app, env=env)
    assert confirmed.code == 0, confirmed.out + confirmed.err
    assert "users" in tables(db)


def test_explicit_env_flag_means_production(alembic_app: Path) -> None:
    assert run_cli("create", "add users", cwd=alembic_app, env=CLEAN_ENV).code == 0
    refused = run_cli("run", "--env", "production", cwd=alembic_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "users" not in tables(alembic_app / "app.db")


# --- Django ---------------------------------------------------------------------------------------------------

ORDER_MODEL = '''

class Order(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    quantity = models.IntegerField(default=1)
'''


@pytest.fixture
def django_app(tmp_path: Path) -> Path:
    root = tmp_path / "shop_site"
    shutil.copytree(FIXTURES / "lifecycle" / "django_app", root)
    return root


def test_django_create_check_run_status_rollback_status(django_app: Path) -> None:
    db = django_app / "db.sqlite3"
    with (django_app / "shop" / "models.py").open("a") as models:
        models.write(ORDER_MODEL)
    created = run_cli("create", "add_orders", "--app", "shop", cwd=django_app, env=CLEAN_ENV)
    assert created.code == 0, created.out + created.err
    assert "manage.py makemigrations shop --name add_orders" in created.out
    assert "+ Create model Order" in created.out  # makemigrations' own output
    assert "File: shop/migrations/0002_add_orders.py" in created.out
    assert "ORM:  django" in created.out
    assert re.search(r"\+ CREATE TABLE shop_order \([^)]*\bproduct_id\b", created.out), created.out
    assert "[PASS] No destructive operations" in created.out
    assert "Ready to apply with: migrate-guard run" in created.out
    assert "shop_order" not in tables(db)

    assert run_cli("check", cwd=django_app, env=CLEAN_ENV).code == 0

    ran = run_cli("run", cwd=django_app, env=CLEAN_ENV)
    assert ran.code == 0, ran.out + ran.err
    assert "Applying shop.0002_add_orders... OK" in ran.out
    assert "Migration Applied" in ran.out and "Applied: 4 migration(s)" in ran.out  # contenttypes' two, shop's two
    assert {"shop_product", "shop_order", "django_content_type"} <= tables(db)

    status = run_cli("status", cwd=django_app, env=CLEAN_ENV)
    assert status.code == 0, status.out + status.err
    assert "Migration Status\n----------------\nORM:      django\n" in status.out
    assert "Applied (4):" in status.out and "  4. shop.0002_add_orders  (applied at" in status.out
    assert "Last applied:" in status.out
    assert "Schema drift: None detected" in status.out

    refused = run_cli("rollback", cwd=django_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "- Dropped table: shop_order" in refused.out
    assert "shop_order" in tables(db)

    rolled = run_cli("rollback", "--allow-destructive", cwd=django_app, env=CLEAN_ENV)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "manage.py migrate shop 0001_initial" in rolled.out
    assert "shop_order" not in tables(db) and "shop_product" in tables(db)
    assert query(db, "SELECT name FROM django_migrations WHERE app = 'shop'") == [("0001_initial",)]

    after = run_cli("status", cwd=django_app, env=CLEAN_ENV)
    assert "Applied (3):" in after.out and "Pending (1):" in after.out and "4. shop.0002_add_orders" in after.out

    to_zero = run_cli("rollback", "--allow-destructive", cwd=django_app, env=CLEAN_ENV)
    assert to_zero.code == 0, to_zero.out + to_zero.err
    assert "manage.py migrate shop zero" in to_zero.out
    assert "shop_product" not in tables(db)
    assert "django_content_type" in tables(db)  # rollback reverts the project's apps, not installed ones


REMOVE_NAME = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RemoveField(model_name="product", name="name")]
'''

RUN_PYTHON_NO_REVERSE = '''from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards)]
'''


def test_django_destructive_pending_migration_is_refused(django_app: Path) -> None:
    db = django_app / "db.sqlite3"
    assert run_cli("run", cwd=django_app, env=CLEAN_ENV).code == 0
    write_tree(django_app, {"shop/migrations/0002_remove_name.py": REMOVE_NAME})
    refused = run_cli("run", cwd=django_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "drop-column" in refused.out
    assert "name" in columns(db, "shop_product")
    assert query(db, "SELECT count(*) FROM django_migrations WHERE app = 'shop'") == [(1,)]


def test_django_rollback_of_run_python_without_reverse_is_refused(django_app: Path) -> None:
    db = django_app / "db.sqlite3"
    write_tree(django_app, {"shop/migrations/0002_data.py": RUN_PYTHON_NO_REVERSE})
    assert run_cli("run", cwd=django_app, env=CLEAN_ENV).code == 0
    refused = run_cli("rollback", "--yes", cwd=django_app, env=CLEAN_ENV)
    assert refused.code == 1
    assert "has no down migration" in refused.err
    assert query(db, "SELECT count(*) FROM django_migrations WHERE app = 'shop'") == [(2,)]


def test_django_pending_migrations_of_installed_apps_are_applied_too(django_app: Path) -> None:
    db = django_app / "db.sqlite3"
    settings = django_app / "mysite" / "settings.py"
    settings.write_text(settings.read_text().replace('"django.contrib.contenttypes", ', ""))
    assert run_cli("run", cwd=django_app, env=CLEAN_ENV).code == 0
    assert "django_content_type" not in tables(db)
    settings.write_text(settings.read_text().replace('INSTALLED_APPS = [', 'INSTALLED_APPS = ["django.contrib.contenttypes", '))
    ran = run_cli("run", cwd=django_app, env=CLEAN_ENV)
    assert ran.code == 0, ran.out + ran.err
    assert "contenttypes.0001_initial" in ran.out and "Applied: 2 migration(s)" in ran.out
    assert "django_content_type" in tables(db)


# --- rollback reverts only what it reviewed (issue 17) --------------------------------------------------------

SHOP_INDEX = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.AddIndex(model_name="product", index=models.Index(fields=["name"], name="shop_name_idx"))]
'''

ORDERS_INITIAL = '''from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    initial = True
    dependencies = [("shop", "0002_name_index")]
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="shop.product")),
            ],
        ),
    ]
'''


def test_django_rollback_reviews_and_gates_on_the_migrations_that_depend_on_it(django_app: Path) -> None:
    """`migrate shop 0001` also unapplies orders.0001 (it depends on shop.0002), whose reverse drops the orders
    table: rollback lists it, reads it, and needs --allow-destructive for it."""
    db = django_app / "db.sqlite3"
    write_tree(django_app, {"shop/migrations/0002_name_index.py": SHOP_INDEX,
                            "orders/__init__.py": "", "orders/migrations/__init__.py": "",
                            "orders/migrations/0001_initial.py": ORDERS_INITIAL})
    settings = django_app / "mysite" / "settings.py"
    settings.write_text(settings.read_text().replace('"shop"]', '"shop", "orders"]'))
    assert run_cli("run", cwd=django_app, env=CLEAN_ENV).code == 0
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO shop_product (name) VALUES ('lamp')")
        connection.execute("INSERT INTO orders_order (product_id) VALUES (1)")

    refused = run_cli("rollback", "--app", "shop", cwd=django_app, env=CLEAN_ENV)
    assert refused.code == 1, refused.out + refused.err
    assert "Rolling back: shop.0002_name_index" in refused.out
    assert "also reverts 1 migration(s) that depend on it:\n  - orders.0001_initial" in refused.out
    assert "- Dropped table: orders_order" in refused.out and "- Dropped index: shop_name_idx" in refused.out
    assert "orders.0001_initial deletes data" in refused.err and "--allow-destructive" in refused.err
    assert query(db, "SELECT count(*) FROM orders_order") == [(1,)]

    rolled = run_cli("rollback", "--app", "shop", "--allow-destructive", cwd=django_app, env=CLEAN_ENV)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "Reverted: orders.0001_initial, shop.0002_name_index" in rolled.out
    assert "orders_order" not in tables(db)
    assert query(db, "SELECT app, name FROM django_migrations WHERE app IN ('shop', 'orders')") == [("shop", "0001_initial")]


def test_django_settings_module_path_longer_than_the_os_allows_is_no_crash(tmp_path: Path) -> None:
    module = "a" * 300 + "." + "b" * 300
    write_tree(tmp_path, {"manage.py": "import os\nfrom django.core.management import execute_from_command_line\n"
                                       f"os.environ.setdefault('DJANGO_SETTINGS_MODULE', '{module}')\n",
                          "app/__init__.py": "", "app/migrations/__init__.py": "",
                          "app/migrations/0001_initial.py": REMOVE_NAME})
    for command in (["status"], ["check"], ["detect"]):
        result = run_cli(*command, cwd=tmp_path, env=CLEAN_ENV)  # run_cli fails on a traceback
        assert result.code in (0, 1, 2), result.err


# --- Alembic merge revisions (issue 17) ----------------------------------------------------------------------

BRANCH = '''from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {parent}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("t_{revision}", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("t_{revision}")
'''

MERGE = '''"""merge b1 and c1"""
revision = "m1"
down_revision = ("b1",
                 "c1")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


def test_alembic_merge_revision_status_run_and_rollback(alembic_app: Path) -> None:
    db = alembic_app / "app.db"
    versions = alembic_app / "migrations" / "versions"
    write_tree(versions, {"a0.py": BRANCH.format(revision="a0", parent="None"),
                          "b1.py": BRANCH.format(revision="b1", parent='"a0"'),
                          "c1.py": BRANCH.format(revision="c1", parent="'a0'"),
                          "m1.py": MERGE})
    ran = run_cli("run", cwd=alembic_app, env=CLEAN_ENV)
    assert ran.code == 0, ran.out + ran.err
    assert "Pending migrations (4):\n  1. a0\n" in ran.out and "4. m1" in ran.out
    assert query(db, "SELECT version_num FROM alembic_version") == [("m1",)]

    status = run_cli("status", cwd=alembic_app, env=CLEAN_ENV)
    assert status.code == 0, status.out + status.err
    assert "Applied (4):" in status.out and "  4. m1" in status.out and "Pending (0):\n  (none)" in status.out

    assert run_cli("run", cwd=alembic_app, env=CLEAN_ENV).out.strip().endswith("No pending migrations.")

    rolled = run_cli("rollback", cwd=alembic_app, env=CLEAN_ENV)
    assert rolled.code == 0, rolled.out + rolled.err
    assert "Rolling back: m1" in rolled.out and "Reverted: m1" in rolled.out
    assert sorted(query(db, "SELECT version_num FROM alembic_version")) == [("b1",), ("c1",)]
    assert {"t_a0", "t_b1", "t_c1"} <= tables(db)

    again = run_cli("rollback", "--allow-destructive", cwd=alembic_app, env=CLEAN_ENV)
    assert again.code == 0, again.out + again.err
    assert len(query(db, "SELECT version_num FROM alembic_version")) == 1
