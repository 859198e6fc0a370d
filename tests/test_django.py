"""Django migrations through the real CLI: the project's migration graph is replayed across apps, so each case fires
exactly where the fixture marks it (`expect: RULE` on the line) and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, expect_markers, lint_json, run_cli, write_tree

SHOP = FIXTURES / "django" / "shop"
def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    return expect_markers(root)


def findings(*args: str, cwd: Path) -> list[dict]:
    return lint_json(*args, cwd=cwd)


def test_every_case_fires_exactly_where_marked_and_nowhere_else() -> None:
    got = {(f["path"], f["line"], f["rule"]) for f in findings(cwd=SHOP)}
    assert got == expected_findings(SHOP)


def test_findings_name_the_django_migration_and_orm() -> None:
    by_line = {(f["path"], f["line"], f["rule"]): f for f in findings(cwd=SHOP)}
    drop = by_line[("catalog/migrations/0003_rename.py", 13, "drop-column")]
    assert drop["orm"] == "django" and drop["migration"] == "catalog.0003_rename"
    assert "catalog_product.owner_id" in drop["message"]  # the FK's column, from the replayed CreateModel


def test_type_change_severity_follows_the_real_database_types() -> None:
    changes = {(f["path"], f["line"]): f for f in findings(cwd=SHOP) if f["rule"] == "column-type-change"}
    widen = changes[("accounts/migrations/0002_widen_email.py", 12)]
    assert widen["severity"] == "info" and "varchar(100) to varchar(200)" in widen["message"]
    assert changes[("catalog/migrations/0002_changes.py", 23)]["severity"] == "error"
    age = changes[("accounts/migrations/0003_cleanup.py", 12)]
    assert age["severity"] == "error" and "varchar(10) to smallint" in age["message"]


def test_one_file_passed_alone_still_sees_its_history() -> None:
    # pre-commit passes only the new migration: the graph is still replayed from the project's other migrations
    path = "catalog/migrations/0002_changes.py"
    alone = {(f["rule"], f["line"]) for f in findings(path, cwd=SHOP)}
    assert alone == {(rule, line) for p, line, rule in expected_findings(SHOP) if p == path}


def _extract(path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from migrate_guard.detect import projects_for_paths
    from migrate_guard.extract import django
    from migrate_guard.extract.base import MigrationUnit

    monkeypatch.chdir(SHOP)
    relative = path.relative_to(SHOP)
    project = projects_for_paths([relative])[0]
    unit = MigrationUnit(orm="django", id=django.migration_key(relative), files=[relative], dialect="postgres",
                         project=project, settings=project.settings)
    return django.extract(unit)


def test_foreign_keys_know_their_target_type_table_and_index(monkeypatch: pytest.MonkeyPatch) -> None:
    migration = _extract(SHOP / "catalog/migrations/0002_changes.py", monkeypatch)
    added = {op.column.name: op.column for op in migration.operations if op.kind == "add_column"}
    reviewer, category = added["reviewer_id"], added["category_id"]
    assert (str(reviewer.type), reviewer.references.table, reviewer.references.columns, reviewer.indexed) == (
        "bigint", "accounts_user", ("id",), True)  # accounts.User has a BigAutoField: read from the other app
    assert (str(category.type), category.indexed) == ("integer", False)  # catalog.Tag has an AutoField; db_index=False
    sku = added["sku"]
    assert (sku.nullable, sku.default) == (False, None)
    assert added["stock"].default is not None  # default= (even with preserve_default=False) fills existing rows
    indexes = [(op.table, op.columns, op.concurrent, op.built_by) for op in migration.operations
               if op.kind == "create_index"]
    assert indexes == [("catalog_product", ("reviewer_id",), False, "ForeignKey product.reviewer"),  # the FK's own
                       ("catalog_product", ("title",), False, None)]  # AddIndex
    assert migration.transactional is True and migration.down == "present"


def test_concurrent_index_in_non_atomic_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    migration = _extract(SHOP / "accounts/migrations/0004_concurrent_index.py", monkeypatch)
    assert migration.transactional is False
    assert [(op.kind, op.concurrent) for op in migration.operations] == [("create_index", True), ("drop_index", True)]


def test_an_index_built_by_a_field_says_so() -> None:
    entry = FIXTURES / "rules" / "non-concurrent-index" / "bad" / "django_field_builds_index"
    messages = {f["line"]: f["message"] for f in findings(entry.name, cwd=entry.parent)
                if f["rule"] == "non-concurrent-index"}
    assert messages[11] == ("The index Django builds for ForeignKey order.customer on shop_order(customer_id) is "
                            "created without CONCURRENTLY: all writes to shop_order wait until it is built.")
    assert "CharField customer.email (db_index=True) on shop_customer(email)" in messages[21]  # AlterField


def test_unique_field_added_is_a_unique_constraint(tmp_path: Path) -> None:
    """ADD COLUMN ... UNIQUE builds a unique index under ACCESS EXCLUSIVE, as ADD CONSTRAINT UNIQUE does: the same
    finding as AlterField(unique=True), not a second one."""
    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
        "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
        "app/migrations/__init__.py": "",
        "app/migrations/0001_initial.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))"
            ")]\n"),
        "app/migrations/0002_slug.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [\n"
            "        migrations.AddField('post', 'slug', models.SlugField(null=True, unique=True)),\n"
            "        migrations.AddField('post', 'parent', models.OneToOneField(null=True, on_delete=models.CASCADE,"
            " to='app.post', related_name='+')),\n"
            "    ]\n"),
    })
    got = sorted((f["rule"], f["line"]) for f in findings(cwd=tmp_path) if f["path"].endswith("0002_slug.py")
                 and f["rule"] in ("add-unique-constraint", "non-concurrent-index"))
    assert got == [("add-unique-constraint", 7), ("add-unique-constraint", 8)]


def test_unique_together_written_by_older_django_as_set_calls(tmp_path: Path) -> None:
    """makemigrations before Django 2 wrote `unique_together=set([('a', 'b')])`: still a unique constraint added."""
    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
        "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
        "app/migrations/__init__.py": "",
        "app/migrations/0001_initial.py": (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Solar', fields=[('id', models.AutoField(primary_key=True)),"
            " ('event', models.CharField(max_length=24)), ('latitude', models.IntegerField())])]\n"),
        "app/migrations/0002_unique.py": (
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [migrations.AlterUniqueTogether(name='solar',"
            " unique_together=set([('event', 'latitude')]))]\n"),
    })
    got = [(f["rule"], f["line"]) for f in findings(cwd=tmp_path) if f["path"].endswith("0002_unique.py")]
    assert got == [("add-unique-constraint", 6)]


def test_run_sql_lines_point_into_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    migration = _extract(SHOP / "accounts/migrations/0003_cleanup.py", monkeypatch)
    located = [(op.kind, op.direction, op.location.line, op.location.column) for op in migration.operations
               if op.kind in ("drop_column", "delete", "update", "add_column")]
    assert located == [("drop_column", "up", 24, 18), ("delete", "up", 25, 19), ("add_column", "down", 27, 27),
                       ("update", "up", 31, 13), ("delete", "up", 32, 13)]


MIGRATION_HEAD = "from django.db import migrations, models\n\n\n"


def test_user_code_never_runs_and_a_syntax_error_is_one_parse_error(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'x.settings')\n",
        "app/migrations/__init__.py": f"open({str(marker)!r}, 'w').close()\n",
        "app/migrations/0001_initial.py": (
            f"import os\n{MIGRATION_HEAD}os.system('touch {marker}')\n\n\n"
            "def forwards(apps, schema_editor):\n    os.system('touch {marker}')\n\n\n"
            "class Migration(migrations.Migration):\n"
            "    operations = [\n"
            "        migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))]),\n"
            "        migrations.RunPython(forwards, migrations.RunPython.noop),\n"
            "    ]\n"),
        "app/migrations/0002_broken.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [migrations.RemoveField(model_name='post', name='id'\n"),
        "app/migrations/0003_after.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0002_broken')]\n"
            "    operations = [migrations.DeleteModel(name='Post')]\n"),
    })
    got = [(f["rule"], f["path"], f["line"]) for f in findings(cwd=tmp_path)]
    assert got == [("parse-error", "app/migrations/0002_broken.py", 6),
                   ("drop-table", "app/migrations/0003_after.py", 6)]
    assert not marker.exists()


def test_a_python_file_in_migrations_that_is_not_a_django_migration_is_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/migrations/helpers.py": "def drop_table(name):\n    return name\n"})
    result = run_cli("check", "app/migrations/helpers.py", "--format", "json", cwd=tmp_path)
    assert result.code == 0 and result.findings() == [] and result.json()["summary"]["files"] == 0


def test_rename_model_with_explicit_db_table_is_not_a_table_rename(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/migrations/0001_initial.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))],"
            " options={'db_table': 'posts'})]\n"),
        "app/migrations/0002_rename.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [\n"
            "        migrations.RenameModel(old_name='Post', new_name='Article'),\n"
            "        migrations.AlterModelTable(name='article', table='articles'),\n"
            "    ]\n"),
    })
    got = [(f["rule"], f["line"]) for f in findings("app", cwd=tmp_path)]
    assert got == [("rename-table", 8)]  # AlterModelTable, not RenameModel


def test_app_label_from_apps_py_links_dependencies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the folder is `users_app` but its AppConfig.label is `users`: dependencies and relations use the label
    from migrate_guard.detect import projects_for_paths
    from migrate_guard.extract import django
    from migrate_guard.extract.base import MigrationUnit

    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 's')\n",
        "users_app/apps.py": "from django.apps import AppConfig\n\n\nclass UsersConfig(AppConfig):\n"
                             "    name = 'users_app'\n    label = 'users'\n",
        "users_app/migrations/__init__.py": "",
        "users_app/migrations/0001_initial.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel(name='Member', fields=[('id', models.AutoField(primary_key=True))],"
            " options={'db_table': 'members'})]\n"),
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": (
            f"{MIGRATION_HEAD}class Migration(migrations.Migration):\n"
            "    dependencies = [('users', '0001_initial')]\n"
            "    operations = [migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True)),"
            " ('member', models.ForeignKey(on_delete=models.CASCADE, to='users.member'))])]\n"),
    })
    monkeypatch.chdir(tmp_path)
    path = Path("shop/migrations/0001_initial.py")
    [project] = projects_for_paths([path])
    unit = MigrationUnit(orm="django", id=django.migration_key(path), files=[path], dialect="postgres", project=project)
    [create] = django.extract(unit).operations
    member = create.columns[1]
    assert (member.name, str(member.type), member.references.table) == ("member_id", "integer", "members")


def test_djangos_own_contrib_migrations(tmp_path: Path) -> None:
    """Real migrations written by Django's authors (auth, admin, contenttypes, sites, ...), with their cross-app graph."""
    import shutil

    import django

    contrib = Path(django.__file__).parent / "contrib"
    for app in sorted(p for p in contrib.iterdir() if (p / "migrations").is_dir()):
        shutil.copytree(app / "migrations", tmp_path / app.name / "migrations")
    (tmp_path / "requirements.txt").write_text("Django\n")
    got = [(f["rule"], f["severity"], f["path"], f["line"]) for f in findings(cwd=tmp_path)]
    assert got == [
        ("column-type-change", "info", "auth/migrations/0002_alter_permission_name_max_length.py", 10),
        ("column-type-change", "info", "auth/migrations/0003_alter_user_email_max_length.py", 10),
        ("column-type-change", "info", "auth/migrations/0008_alter_user_username_max_length.py", 11),
        ("column-type-change", "info", "auth/migrations/0009_alter_user_last_name_max_length.py", 10),
        ("column-type-change", "info", "auth/migrations/0010_alter_group_name_max_length.py", 10),
        ("column-type-change", "info", "auth/migrations/0012_alter_user_first_name_max_length.py", 10),
        ("drop-column", "error", "contenttypes/migrations/0002_remove_content_type_name.py", 38),
        ("add-unique-constraint", "warning", "sites/migrations/0002_alter_domain_unique.py", 11),
    ]


def test_sql_in_run_python_functions_is_linted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/migrations/0001_data.py": (
        "from django.db import connection, migrations\n\n\n"
        "def forwards(apps, schema_editor):\n"
        "    schema_editor.execute('UPDATE app_post SET views = 0')\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('DELETE FROM app_post WHERE id = %s', [1])\n"
        "        cursor.execute(\"\"\"\n"
        "            DELETE FROM app_tag\n"
        "        \"\"\")\n\n\n"
        "def backwards(apps, schema_editor):\n"
        "    schema_editor.execute('DROP TABLE app_post')\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.RunPython(forwards, backwards)]\n")})
    got = [(f["rule"], f["line"]) for f in findings("app", cwd=tmp_path)]
    assert got == [("unbounded-update", 5), ("unbounded-delete", 9)]  # backwards is a down step: not linted


def test_a_squashed_migration_beside_its_originals_does_not_hide_their_changes(tmp_path: Path) -> None:
    # django-filer: 0001_squashed_0016 replaces 0001..0016, which are all still shipped; databases that ran them
    # go on through 0002's AlterField (integer -> bigint), so its type change is reported, and the squash's
    # CreateModel (the final models, for new databases) does not make it look like no change
    head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
        "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
        "app/migrations/__init__.py": "",
        "app/migrations/0001_initial.py": head + (
            "    initial = True\n    operations = [migrations.CreateModel(name='File', fields=["
            "('id', models.AutoField(primary_key=True)), ('size', models.IntegerField())])]\n"),
        "app/migrations/0001_squashed_0002.py": head + (
            "    initial = True\n    replaces = [('app', '0001_initial'), ('app', '0002_size')]\n"
            "    operations = [migrations.CreateModel(name='File', fields=["
            "('id', models.AutoField(primary_key=True)), ('size', models.BigIntegerField())])]\n"),
        "app/migrations/0002_size.py": head + (
            "    dependencies = [('app', '0001_initial')]\n"
            "    operations = [migrations.AlterField('file', 'size', models.BigIntegerField())]\n"),
        "app/migrations/0003_note.py": head + (
            "    dependencies = [('app', '0001_squashed_0002')]\n"
            "    operations = [migrations.AlterField('file', 'size', models.BigIntegerField(null=True))]\n"),
    })
    got = {(f["path"].split("/")[-1], f["rule"]) for f in findings(cwd=tmp_path) if f["rule"] != "lock-timeout-missing"}
    assert ("0002_size.py", "column-type-change") in got
    assert not any(path.startswith("0001_squashed") for path, _ in got)  # all new tables
    assert ("0003_note.py", "column-type-change") not in got  # bigint already, through either history


@pytest.mark.parametrize("enabled", [True, False])
def test_a_check_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    """A run keeps what planning built (the graph's syntax trees) out of the cyclic GC's way while it lasts, and
    gives it back after: an in-process caller finds the GC on or off as it left it, with nothing frozen."""
    import gc

    from conftest import run_in_process

    was = gc.isenabled()
    if not enabled:
        gc.disable()
    try:
        result = run_in_process("check", "--no-cache", "--format", "json", "--fail-on", "never", cwd=SHOP)
        assert result.code == 0 and '"rule": ' in result.out
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        if was:
            gc.enable()


FIELDS_MODULE = (
    "from django.db import models\nfrom django.db.models import CharField\nfrom taggit.managers import TaggableManager\n\n\n"
    "class NullCharField(CharField):\n"  # django-oscar's: always NULL
    "    def __init__(self, *args, **kwargs):\n"
    "        kwargs['null'] = kwargs['blank'] = True\n"
    "        super().__init__(*args, **kwargs)\n\n\n"
    "class DefaultsToNull(CharField):\n"
    "    def __init__(self, *args, **kwargs):\n"
    "        kwargs.setdefault('null', True)\n"
    "        super().__init__(*args, **kwargs)\n\n\n"
    "class UpperCharField(CharField):\n"  # changes nothing about NULL
    "    def __init__(self, *args, **kwargs):\n"
    "        kwargs['max_length'] = 10\n"
    "        super().__init__(*args, **kwargs)\n\n\n"
    "class CaseInsensitiveField(CharField):\n"  # weblate's, two levels below CharField
    "    pass\n\n\n"
    "class UsernameField(CaseInsensitiveField):\n"
    "    pass\n\n\n"
    "class TagsField(TaggableManager):\n"  # nautobot's
    "    pass\n\n\n"
    "class AmountField(models.DecimalField):\n"
    "    pass\n")


MIGRATION_CLASS = MIGRATION_HEAD + "class Migration(migrations.Migration):\n"


def postgres_app(tmp_path: Path, app: str, migrations: dict[str, str], modules: dict[str, str] | None = None) -> None:
    """A Django project on Postgres with one app: its migrations (name -> text) and other modules (path in the app ->
    text)."""
    write_tree(tmp_path, {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
        "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
        f"{app}/__init__.py": "",
        **{f"{app}/{path}": text for path, text in (modules or {}).items()},
        f"{app}/migrations/__init__.py": "",
        **{f"{app}/migrations/{name}.py": text for name, text in migrations.items()},
    })


@pytest.mark.parametrize("imports, field, flagged", [
    ("import shop.fields\n", "shop.fields.NullCharField(max_length=9)", False),
    ("from shop.fields import NullCharField\n", "NullCharField(max_length=9)", False),
    ("from shop import fields\n", "fields.NullCharField(max_length=9)", False),
    ("from shop.fields import DefaultsToNull\n", "DefaultsToNull(max_length=9)", False),
    ("from shop.fields import DefaultsToNull\n", "DefaultsToNull(max_length=9, null=False)", True),
    ("from shop.fields import UpperCharField\n", "UpperCharField()", True),
    ("from shop.missing import NullCharField\n", "NullCharField(max_length=9)", True),  # not found: as written
    # blank=True string fields get '' for existing rows (Django's effective default), also third-party and the
    # project's own subclasses; a many-to-many subclass adds no column
    ("import i18nfield.fields\n", "i18nfield.fields.I18nTextField(blank=True)", False),
    ("from shop.fields import UsernameField\n", "UsernameField(blank=True, max_length=9)", False),
    ("from shop.fields import UsernameField\n", "UsernameField(max_length=9)", True),
    ("from shop.fields import TagsField\n", "TagsField(to='shop.Tag')", False),
    ("from shop.fields import AmountField\n", "AmountField(blank=True)", True),  # no string field: no ''
])
def test_a_custom_field_that_always_is_null_adds_a_nullable_column(tmp_path: Path, imports: str, field: str,
                                                                   flagged: bool) -> None:
    postgres_app(tmp_path, "shop", modules={"fields.py": FIELDS_MODULE}, migrations={
        "0001_initial": MIGRATION_CLASS + (
            "    operations = [migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))"
            ")]\n"),
        "0002_code": (
            f"from django.db import migrations, models\n{imports}\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('shop', '0001_initial')]\n"
            f"    operations = [migrations.AddField('post', 'code', {field})]\n"),
    })
    got = [f for f in findings(cwd=tmp_path) if f["rule"] == "not-null-without-default"]
    assert bool(got) is flagged


def test_a_max_length_written_as_a_string_is_that_length(tmp_path: Path) -> None:
    """django-helpdesk 0001 wrote max_length="30": Django formats it into varchar(30), so 0002's max_length=30 changes
    nothing (no column-type-change)."""
    postgres_app(tmp_path, "desk", {
        "0001_initial": MIGRATION_CLASS + (
            "    operations = [migrations.CreateModel(name='Ticket', fields=[('id', models.AutoField(primary_key=True)),"
            " ('status', models.CharField(max_length='30'))])]\n"),
        "0002_status": MIGRATION_CLASS + (
            "    dependencies = [('desk', '0001_initial')]\n"
            "    operations = [migrations.AlterField('ticket', 'status', models.CharField(max_length=30)),\n"
            "                  migrations.AlterField('ticket', 'status', models.CharField(max_length=20))]\n"),
    })
    changes = [f["line"] for f in findings(cwd=tmp_path) if f["rule"] == "column-type-change"]
    assert changes == [7]  # only the narrowing to 20 (line 7)


@pytest.mark.parametrize("options, flagged", [
    ("{'unique_together': {('suggestion', 'user')}}", False),  # weblate's Vote: its unique index leads with the FK
    ("{'index_together': [('suggestion', 'value')]}", False),
    ("{'unique_together': {('user', 'suggestion')}}", True),  # an index led by another column serves no FK lookup
    ("{}", True),
])
def test_a_new_models_together_indexes_serve_its_foreign_keys(tmp_path: Path, options: str, flagged: bool) -> None:
    postgres_app(tmp_path, "trans", {
        "0001_initial": MIGRATION_CLASS + (
            "    operations = [\n"
            "        migrations.CreateModel(name='Suggestion', fields=[('id', models.AutoField(primary_key=True))]),\n"
            "        migrations.CreateModel(name='Vote', fields=[('id', models.AutoField(primary_key=True)),\n"
            "            ('suggestion', models.ForeignKey(db_index=False, on_delete=models.CASCADE,"
            " to='trans.suggestion')),\n"
            "            ('user', models.IntegerField()), ('value', models.SmallIntegerField(default=0))],\n"
            f"            options={options}),\n"
            "    ]\n"),
    })
    got = [f for f in findings(cwd=tmp_path) if f["rule"] == "foreign-key-without-index"]
    assert bool(got) is flagged


@pytest.mark.parametrize("code, backfills", [
    ("    LogEntry.objects.filter(organizer_link__isnull=True).update(organizer_link_id=1)\n", 1),  # pretix 0252
    ("    LogEntry.objects.exclude(event=None).delete()\n", 1),
    ("    LogEntry.objects.update(organizer_link_id=1)\n", 1),  # every row: unbounded-update too
    ("    options = {}\n    options.update(a=1)\n", 0),  # a dict's update(), no queryset
])
def test_a_filtered_queryset_change_in_run_python_is_a_backfill(tmp_path: Path, code: str, backfills: int) -> None:
    postgres_app(tmp_path, "base", {
        "0001_initial": MIGRATION_CLASS + (
            "    operations = [migrations.CreateModel(name='LogEntry', fields=[('id', models.AutoField(primary_key=True)),"
            " ('event', models.IntegerField(null=True))])]\n"),
        "0002_organizer": (
            "from django.db import migrations, models\n\n\ndef backfill(apps, schema_editor):\n"
            "    LogEntry = apps.get_model('base', 'LogEntry')\n" + code + "\n\n"
            "class Migration(migrations.Migration):\n    dependencies = [('base', '0001_initial')]\n"
            "    operations = [migrations.AddField('logentry', 'organizer_link_id', models.IntegerField(null=True)),\n"
            "                  migrations.RunPython(backfill, migrations.RunPython.noop)]\n"),
    })
    got = [f for f in findings(cwd=tmp_path) if f["rule"] == "backfill-in-ddl-transaction"]
    assert len(got) == backfills
