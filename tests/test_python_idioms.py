"""Python migrations written the ways real projects write them (issue 17, item 5): `op` under another name, SQL in
variables, f-strings / .format / % / +, the connection's execute, helpers of the same file, SQLAlchemy Core
statements, Django operations lists built from names, RunPython bodies. Each used to read as clean. What cannot be
read is reported (unreadable-operation). Also: PEP 263 encodings, directives only in real comments, and expressions
too deep for a recursive reader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import expect_markers, lint_json, run_cli, write_tree

# The rules these idioms are about; others (down migrations, lock timeouts) are judged elsewhere.
WATCHED = {"drop-table", "drop-schema", "truncate", "unbounded-delete", "unbounded-update", "unreadable-operation",
           "parse-error"}


def watched(*args: str, cwd: Path) -> list[dict]:
    return [f for f in lint_json(*args, cwd=cwd) if f["rule"] in WATCHED]


ALEMBIC_HEAD = 'revision = "{rev}"\ndown_revision = {down}\n\n'
ALEMBIC_DOWN = '\n\ndef downgrade():\n    op.execute("SELECT 1")\n'

# name -> body after the revision header; `# expect: RULE` marks where each finding must point.
ALEMBIC_CASES: dict[str, str] = {
    "op_alias": 'from alembic import op as alembic_op\n\n\ndef upgrade():\n'
                '    alembic_op.drop_table("a1")  # expect: drop-table\n',
    "import_alembic_op": 'import alembic.op\n\n\ndef upgrade():\n'
                         '    alembic.op.drop_table("a2")  # expect: drop-table\n',
    "module_variable": 'from alembic import op\n\nSQL = "DROP TABLE a3"  # expect: drop-table\n\n\ndef upgrade():\n'
                       '    op.execute(SQL)\n',
    "local_variable": 'from alembic import op\n\n\ndef upgrade():\n    sql = "DELETE FROM a4"  # expect: unbounded-delete\n'
                      '    op.execute(sql)\n',
    "fstring": 'from alembic import op\n\nTABLE = "a5"\n\n\ndef upgrade():\n'
               '    op.execute(f"DROP TABLE {TABLE}")  # expect: drop-table\n',
    "format": 'from alembic import op\n\n\ndef upgrade():\n'
              '    op.execute("DROP TABLE {}".format("a6"))  # expect: drop-table\n',
    "percent": 'from alembic import op\n\n\ndef upgrade():\n'
               '    op.execute("DELETE FROM %s" % "a7")  # expect: unbounded-delete\n',
    "concatenation": 'from alembic import op\n\nTABLE = "a8"\n\n\ndef upgrade():\n'
                     '    op.execute("TRUNCATE " + TABLE)  # expect: truncate\n',
    "augmented": 'from alembic import op\n\n\ndef upgrade():\n    sql = "DROP "\n    sql += "TABLE a9"\n'
                 '    op.execute(sql)  # expect: drop-table\n',
    "exec_driver_sql": 'from alembic import op\n\n\ndef upgrade():\n    conn = op.get_bind()\n'
                       '    conn.exec_driver_sql("DROP TABLE b1")  # expect: drop-table\n',
    "bind_text": 'import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n'
                 '    op.get_bind().execute(sa.text("DROP TABLE b2"))  # expect: drop-table\n',
    "connection_text": 'from alembic import op\nfrom sqlalchemy import text\n\n\ndef upgrade():\n'
                       '    connection = op.get_bind()\n'
                       '    connection.execute(text("DELETE FROM b3"))  # expect: unbounded-delete\n',
    "text_methods": 'import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n'
                    '    op.execute(sa.text("DELETE FROM b9 WHERE id = :id").bindparams(id=1))\n'
                    '    op.execute(sa.text("DELETE FROM b10").execution_options(autocommit=True))  # expect: unbounded-delete\n',
    "helper": 'from alembic import op\n\n\ndef _drop(name):\n    op.drop_table(name)\n\n\ndef upgrade():\n'
              '    _drop("b4")  # expect: drop-table\n',
    "core_delete": 'import sqlalchemy as sa\nfrom alembic import op\n\nsessions = sa.table("b5", sa.column("id", sa.Integer))\n\n\n'
                   'def upgrade():\n    op.execute(sa.delete(sessions))  # expect: unbounded-delete\n'
                   '    op.execute(sessions.delete())  # expect: unbounded-delete\n'
                   '    op.execute(sessions.delete().where(sessions.c.id == 1))\n',
    "core_update": 'import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n'
                   '    users = sa.table("b6", sa.column("plan", sa.String))\n'
                   '    op.execute(users.update().values(plan="free"))  # expect: unbounded-update\n'
                   '    op.execute(sa.update(users).where(users.c.plan.is_(None)).values(plan="free"))\n',
    "schema_constructs": 'import sqlalchemy as sa\nfrom alembic import op\nfrom sqlalchemy.schema import DDL, CreateSchema\n\n\n'
                         'def upgrade():\n    op.execute(CreateSchema("editing"))\n'
                         '    op.execute(sa.schema.DropSchema("old", cascade=True))  # expect: drop-schema\n'
                         '    op.execute(sa.schema.DropTable(sa.table("b7")))  # expect: drop-table\n'
                         '    op.execute(DDL("TRUNCATE b8"))  # expect: truncate\n',
    "unknown_table_keeps_shape": 'from alembic import op\n\n\ndef upgrade():\n    for name in legacy_tables():\n'
                                 '        op.execute(f"DROP TABLE {name}")  # expect: drop-table\n',
    "loop_over_names": 'from alembic import op\n\nTABLES = ("c4", "c5")\n\n\ndef upgrade():\n    for table in TABLES:\n'
                       '        op.drop_table(table)  # expect: drop-table\n',
    "function_alias": 'from alembic import op\n\n\ndef upgrade():\n    drop = op.drop_table\n'
                      '    drop("c6")  # expect: drop-table\n',
    "orm_query": 'import sqlalchemy as sa\nfrom alembic import op\nfrom sqlalchemy.orm import Session, declarative_base\n\n'
                 'Base = declarative_base()\n\n\nclass Token(Base):\n    __tablename__ = "c7"\n'
                 '    id = sa.Column(sa.Integer, primary_key=True)\n\n\ndef upgrade():\n'
                 '    session = Session(bind=op.get_bind())\n'
                 '    session.query(Token).delete()  # expect: unbounded-delete\n'
                 '    session.query(Token).filter(Token.id == 1).delete()\n'
                 '    session.query(Token).update({"id": 2})  # expect: unbounded-update\n',
    "nested_helper": 'from alembic import op\n\n\ndef upgrade():\n    def drop(name):\n        op.drop_table(name)\n\n'
                     '    drop("c1")  # expect: drop-table\n',
    # zou 2b8f88aa610f: rows of a module constant unpacked by the loop
    "loop_over_rows": 'from alembic import op\n\nTABLES = [("s1", "c8"), ("s2", "c9")]\n\n\ndef upgrade():\n'
                      '    for schema, table in TABLES:\n'
                      '        op.drop_table(table, schema=schema)  # expect: drop-table\n',
    # a helper the call passes nothing to: its operations are reported where they are written (the fix goes there)
    "argumentless_helper": 'from alembic import op\n\n\ndef upgrade():\n    def purge_all():\n'
                           '        op.drop_table("c7")  # expect: drop-table\n\n    purge_all()\n',
    "project_helper": 'import sqlalchemy as sa\nfrom alembic import op\n\nfrom myapp import db\nfrom myapp.cleanup import purge\n\n\ndef upgrade():\n'
                      '    purge("c2")  # expect: unreadable-operation\n'
                      '    db.session.execute(sa.text("DELETE FROM c3"))  # expect: unbounded-delete\n'
                      '    db.session.commit()\n',
    # zou f2c9a1b7e4d8: an installed library's call (babel) is no database work; only the project's code is opaque
    "library_call": 'from alembic import op\nfrom babel import Locale\n\n\ndef upgrade():\n    Locale.parse("en_US")\n'
                    '    op.drop_table("c10")  # expect: drop-table\n',
    "opaque_execute": 'from alembic import op\nfrom myapp.sql import cleanup\n\n\ndef upgrade():\n'
                      '    op.execute(cleanup())  # expect: unreadable-operation\n',
}


def _alembic_tree(cases: dict[str, str]) -> dict[str, str]:
    files, down = {}, "None"
    for number, (name, body) in enumerate(cases.items()):
        rev = f"r{number:02d}"
        files[f"alembic/versions/{rev}_{name}.py"] = ALEMBIC_HEAD.format(rev=rev, down=down) + body + ALEMBIC_DOWN
        down = repr(rev)
    return files


# the project's own modules the cases import (an installed library's calls are not opaque database work)
PROJECT_MODULES = {"myapp/__init__.py": "", "myapp/cleanup.py": "def purge(name): ...\n",
                   "myapp/sql.py": "def cleanup(): ...\n"}


def test_alembic_idioms_are_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"alembic.ini": "[alembic]\nscript_location = alembic\n", **_alembic_tree(ALEMBIC_CASES),
                          **PROJECT_MODULES})
    got = {(f["path"], f["line"], f["rule"]) for f in watched("--no-cache", cwd=tmp_path)
           if f["rule"] != "missing-down-migration"}
    assert got == expect_markers(tmp_path)


def test_a_table_only_known_at_run_time_is_shown_as_the_expression(tmp_path: Path) -> None:
    write_tree(tmp_path, _alembic_tree({"keeps_shape": ALEMBIC_CASES["unknown_table_keeps_shape"]}))
    [drop] = [f for f in watched("--no-cache", ".", cwd=tmp_path) if f["rule"] == "drop-table"]
    assert "table {name}" in drop["message"]


def test_unreadable_sql_names_what_could_not_be_read(tmp_path: Path) -> None:
    write_tree(tmp_path, _alembic_tree({"opaque": ALEMBIC_CASES["opaque_execute"]}))
    [finding] = [f for f in watched("--no-cache", ".", cwd=tmp_path) if f["rule"] == "unreadable-operation"]
    assert finding["severity"] == "warning" and "`cleanup()`" in finding["message"]


def test_the_new_rule_is_listed_and_explained() -> None:
    assert "unreadable-operation" in run_cli("rules").out
    explained = run_cli("explain", "unreadable-operation")
    assert explained.code == 0 and "run time" in explained.out and "op.execute" in explained.out


DJANGO_SETTINGS = {
    "manage.py": "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
                 "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    "config/__init__.py": "",
    "config/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'db.sqlite3'}}\n"
                          "INSTALLED_APPS = ['shop']\nDEFAULT_AUTO_FIELD = 'django.db.models.AutoField'\n",
    "shop/__init__.py": "",
    "shop/migrations/__init__.py": "",
}
DJANGO_HEAD = "from django.db import migrations, models\n"
DJANGO_INITIAL = DJANGO_HEAD + (
    "\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n"
    "        migrations.CreateModel('Order', [('id', models.AutoField(primary_key=True))]),\n"
    "        migrations.CreateModel('Item', [('id', models.AutoField(primary_key=True))]),\n"
    "        migrations.CreateModel('Line', [('id', models.AutoField(primary_key=True))]),\n    ]\n")
NOOP = "migrations.RunPython.noop"
# name -> (module-level code, the value of `operations`)
DJANGO_CASES: dict[str, tuple[str, str]] = {
    "operations_name": ("OPERATIONS = [\n    migrations.DeleteModel('Item'),  # expect: drop-table\n]\n", "OPERATIONS"),
    "starred": ("COMMON = [migrations.RunSQL('DROP TABLE t1', 'SELECT 1')]  # expect: drop-table\n", "[*COMMON]"),
    "list_plus_list": ("", "[] + [\n        migrations.RunSQL('DROP TABLE t2', 'SELECT 1'),  # expect: drop-table\n    ]"),
    "runsql_concatenation": ("T = 't3'\n", "[\n        migrations.RunSQL('DROP TABLE ' + T, 'SELECT 1'),"
                                           "  # expect: drop-table\n    ]"),
    "runsql_fstring": ("T = 't4'\n", "[\n        migrations.RunSQL(f'DELETE FROM {T}', 'SELECT 1'),"
                                     "  # expect: unbounded-delete\n    ]"),
    "runpython_delete": ("def forwards(apps, schema_editor):\n    Order = apps.get_model('shop', 'Order')\n"
                         "    Order.objects.all().delete()  # expect: unbounded-delete\n"
                         "    Order.objects.filter(id=1).delete()\n    Order.objects.get(id=2).delete()\n",
                         f"[migrations.RunPython(forwards, {NOOP})]"),
    "runpython_loop_delete": ("def forwards(apps, schema_editor):\n    Item = apps.get_model('shop', 'Item')\n"
                              "    for item in Item.objects.filter():\n"
                              "        item.delete()  # expect: unbounded-delete\n"
                              "    for item in Item.objects.filter(id=3):\n        item.delete()\n",
                              f"[migrations.RunPython(forwards, {NOOP})]"),
    "runpython_update": ("def forwards(apps, schema_editor):\n"
                         "    apps.get_model('shop.Line').objects.using('default').update(id=1)  # expect: unbounded-update\n"
                         "    apps.get_model('shop.Line').objects.exclude(id=1).update(id=1)\n",
                         f"[migrations.RunPython(forwards, {NOOP})]"),
    "runpython_delete_model": ("def forwards(apps, schema_editor):\n"
                               "    schema_editor.delete_model(apps.get_model('shop', 'Line'))  # expect: drop-table\n",
                               f"[migrations.RunPython(forwards, {NOOP})]"),
    "runpython_execute": ("def forwards(apps, schema_editor):\n    sql = 'TRUNCATE t5'  # expect: truncate\n"
                          "    schema_editor.execute(sql)\n", f"[migrations.RunPython(forwards, {NOOP})]"),
    "conditional": ("from django.db import connection\n",
                    "[\n        migrations.RunSQL('DROP TABLE t6', 'SELECT 1'),  # expect: drop-table\n"
                    "    ] if connection.vendor == 'postgresql' else []"),
    "built_by_a_call": ("from shop.ops import archive_operations\n", "archive_operations()  # expect: unreadable-operation"),
    "runpython_of_another_module": ("from shop.data import backfill\n", "[\n        migrations.RunPython(\n"
                                    "            backfill,  # expect: unreadable-operation\n            "
                                    f"{NOOP},\n        ),\n    ]"),
    "runsql_of_a_call": ("from shop.sql import cleanup_sql\n",
                         "[migrations.RunSQL(cleanup_sql(), 'SELECT 1')]  # expect: unreadable-operation"),
}


def _django_tree(cases: dict[str, tuple[str, str]]) -> dict[str, str]:
    files = {**DJANGO_SETTINGS, "shop/migrations/0001_initial.py": DJANGO_INITIAL}
    previous = "0001_initial"
    for number, (name, (module, operations)) in enumerate(cases.items(), start=2):
        current = f"{number:04d}_{name}"
        files[f"shop/migrations/{current}.py"] = (
            DJANGO_HEAD + module + "\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = [('shop', '{previous}')]\n    operations = {operations}\n")
        previous = current
    return files


def test_django_idioms_are_read(tmp_path: Path) -> None:
    write_tree(tmp_path, _django_tree(DJANGO_CASES))
    got = {(f["path"], f["line"], f["rule"]) for f in watched("--no-cache", cwd=tmp_path)
           if f["rule"] != "missing-down-migration"}  # (whether a noop reverse counts is another question)
    assert got == expect_markers(tmp_path)


def test_django_tables_of_runpython_come_from_the_models(tmp_path: Path) -> None:
    write_tree(tmp_path, _django_tree({k: DJANGO_CASES[k] for k in ("runpython_delete", "runpython_delete_model")}))
    messages = [f["message"] for f in watched("--no-cache", cwd=tmp_path)]
    assert any("DELETE from shop_order" in m for m in messages) and any("table shop_line" in m for m in messages)


# --- the real tools run these idioms ---------------------------------------------------------------------------

OFFLINE_ENV = ("from alembic import context\n\n"
               "context.configure(url='postgresql://', literal_binds=True, dialect_opts={'paramstyle': 'named'})\n"
               "with context.begin_transaction():\n    context.run_migrations()\n")
OFFLINE_CASES = ("op_alias", "import_alembic_op", "module_variable", "local_variable", "fstring", "format", "percent",
                 "concatenation", "augmented", "helper", "core_delete", "core_update", "loop_over_names",
                 "function_alias")


def test_real_alembic_runs_each_idiom_and_each_is_flagged(tmp_path: Path) -> None:
    """`alembic upgrade head --sql` renders the SQL each revision really runs: the drops and deletes are there."""
    cases = {name: ALEMBIC_CASES[name] for name in OFFLINE_CASES}
    write_tree(tmp_path, {"alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/env.py": OFFLINE_ENV,
                          **_alembic_tree(cases)})
    rendered = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head", "--sql"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    for statement in ("DROP TABLE a1", "DROP TABLE a2", "DROP TABLE a3", "DELETE FROM a4", "DROP TABLE a5",
                      "DROP TABLE a6", "DELETE FROM a7", "TRUNCATE a8", "DROP TABLE a9", "DROP TABLE b4",
                      "DELETE FROM b5;", "UPDATE b6 SET plan='free';", "DROP TABLE c4", "DROP TABLE c5",
                      "DROP TABLE c6"):
        assert statement in rendered.stdout, statement
    got = {(f["path"], f["line"], f["rule"]) for f in watched("--no-cache", cwd=tmp_path)
           if f["rule"] != "missing-down-migration"}
    assert got == expect_markers(tmp_path)


def test_real_django_renders_the_sql_of_operations_built_from_names(tmp_path: Path) -> None:
    names = ("operations_name", "starred", "list_plus_list", "runsql_concatenation", "runsql_fstring")
    write_tree(tmp_path, _django_tree({name: DJANGO_CASES[name] for name in names}))
    rendered = {}
    for number, name in enumerate(names, start=2):
        result = subprocess.run([sys.executable, "manage.py", "sqlmigrate", "shop", f"{number:04d}"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        rendered[name] = result.stdout
    assert 'DROP TABLE "shop_item"' in rendered["operations_name"]
    assert "DROP TABLE t1" in rendered["starred"] and "DROP TABLE t2" in rendered["list_plus_list"]
    assert "DROP TABLE t3" in rendered["runsql_concatenation"] and "DELETE FROM t4" in rendered["runsql_fstring"]
    got = {(f["path"], f["line"], f["rule"]) for f in watched("--no-cache", cwd=tmp_path)
           if f["rule"] != "missing-down-migration"}
    assert got == expect_markers(tmp_path)


# --- PEP 263 ------------------------------------------------------------------------------------------------------

LATIN1_ALEMBIC = ('# -*- coding: latin-1 -*-\n"""Entfernt die Tabelle f\xfcr Gr\xfc\xdfe."""\nfrom alembic import op\n\n'
                  'revision = "l1"\ndown_revision = None\n\n\ndef upgrade():\n'
                  '    op.drop_table("gr\xfc\xdfe")  # expect: drop-table\n' + ALEMBIC_DOWN).encode("latin-1")


def test_a_latin1_declared_alembic_revision_is_read_as_python_reads_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/env.py": OFFLINE_ENV,
                          "alembic/versions/l1_latin.py": LATIN1_ALEMBIC})
    rendered = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head", "--sql"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert rendered.returncode == 0 and 'DROP TABLE "gr\xfc\xdfe"' in rendered.stdout, rendered.stderr  # it runs
    findings = watched("--no-cache", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in findings] == [("drop-table", 10)]
    assert "gr\xfc\xdfe" in findings[0]["message"]
    result = run_cli("check", "--no-cache", cwd=tmp_path)
    assert result.code == 1


def test_a_latin1_declared_django_migration_is_read(tmp_path: Path) -> None:
    migration = ("# -*- coding: latin-1 -*-\n# Gr\xfc\xdfe\n" + DJANGO_HEAD +
                 "\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
                 "    operations = [migrations.DeleteModel('Item')]\n").encode("latin-1")
    write_tree(tmp_path, {**DJANGO_SETTINGS, "shop/migrations/0001_initial.py": DJANGO_INITIAL,
                          "shop/migrations/0002_latin.py": migration})
    assert [(f["rule"], f["line"]) for f in watched("--no-cache", cwd=tmp_path)] == [("drop-table", 8)]


def test_non_utf8_without_a_declaration_is_still_a_parse_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"r1_bytes.py": b'revision = "r1"\ndown_revision = None\nfrom alembic import op\n# Gr\xfc\xdfe\n'
                                         b'def upgrade():\n    op.drop_table("x")\n'})  # Python refuses it too
    [finding] = watched("--no-cache", "r1_bytes.py", cwd=tmp_path)
    assert finding["rule"] == "parse-error" and "not UTF-8" in finding["message"]


def test_a_wrong_coding_declaration_is_a_parse_error_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {"r1_bad.py": b'# -*- coding: no-such-codec -*-\nrevision = "r1"\ndown_revision = None\n'
                                       b'from alembic import op\n\ndef upgrade():\n    op.drop_table("x")\n'})
    assert [f["rule"] for f in watched("--no-cache", "r1_bad.py", cwd=tmp_path)] == ["parse-error"]


# --- directives count only in real comments ------------------------------------------------------------------------

@pytest.mark.parametrize("name,text,silenced", [
    ("r1_string.py", ALEMBIC_HEAD.format(rev="r1", down=None) + 'from alembic import op\n\n\ndef upgrade():\n'
     '    op.execute("""\n        -- migrate-guard: ignore-file\n        DROP TABLE a;\n    """)\n' + ALEMBIC_DOWN, False),
    ("r1_docstring.py", '"""\n# migrate-guard: ignore-file\n"""\n' + ALEMBIC_HEAD.format(rev="r1", down=None) +
     'from alembic import op\n\n\ndef upgrade():\n    op.drop_table("a")\n' + ALEMBIC_DOWN, False),
    ("r1_comment.py", ALEMBIC_HEAD.format(rev="r1", down=None) + 'from alembic import op\n\n'
     '# migrate-guard: ignore-file drop-table\n\n\ndef upgrade():\n    op.drop_table("a")\n' + ALEMBIC_DOWN, True),
    ("20240101_string.js", 'const note = "/* migrate-guard: ignore-file */";\n'
     'exports.up = (knex) => knex.schema.dropTable("a");\nexports.down = (knex) => knex.schema.createTable("a");\n', False),
    ("20240101_template.js", 'const note = `\n// migrate-guard: ignore-file\n`;\n'
     'exports.up = (knex) => knex.schema.dropTable("a");\nexports.down = (knex) => knex.schema.createTable("a");\n', False),
    ("20240101_comment.js", '/* migrate-guard: ignore-file drop-table */\n'
     'exports.up = (knex) => knex.schema.dropTable("a");\nexports.down = (knex) => knex.schema.createTable("a");\n', True),
    ("001_string.sql", "SELECT 'a note:\n-- migrate-guard: ignore-file\n';\nDROP TABLE a;\n", False),
    ("002_dollar.sql", "DO $$ BEGIN RAISE NOTICE '/* migrate-guard: ignore-file */'; END $$;\nDROP TABLE a;\n", False),
    ("003_comment.sql", "-- migrate-guard: ignore drop-table -- archived in 0042\nDROP TABLE a;\n", True),
])
def test_directives_count_only_in_real_comments(tmp_path: Path, name: str, text: str, silenced: bool) -> None:
    write_tree(tmp_path, {name: text})
    rules = [f["rule"] for f in watched("--no-cache", name, cwd=tmp_path)]
    assert ("drop-table" not in rules) is silenced, rules


# --- expressions deeper than a recursive reader goes ---------------------------------------------------------------

LONG = " + ".join(['"a"'] * 1000)


@pytest.mark.parametrize("body,rule", [
    (f'    op.add_column("t", sa.Column("c", sa.Text(), server_default={LONG}))\n', None),
    (f'    op.alter_column("t", "c", server_default={LONG})\n', None),
    (f'    if {LONG} == op.get_bind().dialect.name:\n        op.drop_table("t")\n', "drop-table"),
    (f'    op.execute("DROP TABLE " + {LONG})\n', "drop-table"),
    (f'    sql = {LONG}\n    sql += " "\n    op.get_bind().exec_driver_sql("TRUNCATE " + sql)\n', "truncate"),
    ("    x" + ".a()" * 1500 + "\n", "parse-error"),  # deeper than Python's own parser: it cannot import it either
])
def test_long_expressions_never_crash(tmp_path: Path, body: str, rule: str | None) -> None:
    write_tree(tmp_path, {"r1_long.py": ALEMBIC_HEAD.format(rev="r1", down=None) +
                          "import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n" + body + ALEMBIC_DOWN})
    rules = [f["rule"] for f in watched("--no-cache", "r1_long.py", cwd=tmp_path)]
    assert rules == ([rule] if rule else []), rules


def test_a_long_concatenation_in_a_django_migration_never_crashes(tmp_path: Path) -> None:
    module = f"PREFIX = {LONG}\n\n\ndef forwards(apps, schema_editor):\n    schema_editor.execute('DROP TABLE ' + PREFIX)\n"
    write_tree(tmp_path, _django_tree({"long": (module, f"[migrations.RunPython(forwards, {NOOP}),"
                                                        f" migrations.RunSQL('SELECT ' + {LONG}, 'SELECT 1')]")}))
    rules = [f["rule"] for f in watched("--no-cache", cwd=tmp_path) if f["rule"] != "missing-down-migration"]
    assert rules == ["drop-table"]


@pytest.mark.parametrize("path,text,expected", [
    ("a.sql", "SELECT E'it\\'s -- no', 'x''y -- no';\n-- yes\n", ["-- yes"]),
    ("a.sql", "CREATE FUNCTION f() AS $body$ -- no $$ $body$ LANGUAGE sql; /* a /* nested */ b */ -- yes\n",
     ["/* a /* nested */ b */", "-- yes"]),
    ("a.sql", "SELECT $1, a$b$c -- yes\n", ["-- yes"]),
    ("a.sql", 'SELECT "we -- ird", `x -- y` # yes\n', ["# yes"]),
    ("a.js", "const r = /\\/\\/ no/; const s = `a ${ /* yes */ b } // no`; // yes\n", ["/* yes */", "// yes"]),
    ("a.ts", 'const s: string = "// no"; /* yes */\n', ["/* yes */"]),
    ("a.py", 's = "# no"\nt = f"{s} # no"  # yes\n', ["# yes"]),
    ("a.py", 'def f(:\n    x = "# no"\n# yes\n', ["# yes"]),  # broken Python: the lines after the error by hand
    ("schema.prisma", 'model A {\n  x String @default("// no") // yes\n}\n', ["// yes"]),
])
def test_comments_are_found_by_each_languages_tokenizer(path: str, text: str, expected: list[str]) -> None:
    from migrate_guard.engine.comments import comments

    assert [c.text for c in comments(text, path)] == expected


HELPER_FAN_OUT = 'def f8():\n    op.drop_table("t")\n' + "".join(
    f"def f{i}():\n" + f"    f{i + 1}()\n" * 10 for i in range(7, 0, -1)) + "def upgrade():\n    f1()\n"


@pytest.mark.parametrize("body,rule", [
    ('def upgrade():\n    s = "ab"\n' + '    s = s + s\n' * 60 + '    op.execute(s)\n', "unreadable-operation"),
    ('def upgrade():\n    op.execute("DROP TABLE {:>999999999}".format("x"))\n', "drop-table"),
    ('def upgrade():\n    op.execute("DROP TABLE %999999999s" % "x")\n', "drop-table"),
    ('def upgrade():\n    op.execute(f"{statement}")\n', "unreadable-operation"),
    (HELPER_FAN_OUT, "drop-table"),  # 10^7 calls if followed blindly
])
def test_hostile_string_building_is_bounded(tmp_path: Path, body: str, rule: str) -> None:
    """Values that would double forty times, field widths of a gigabyte, helpers calling helpers: a few seconds and
    a finding, never a hang or a memory blow-up."""
    write_tree(tmp_path, {"r1_hostile.py": ALEMBIC_HEAD.format(rev="r1", down=None) + "from alembic import op\n\n" +
                          body + ALEMBIC_DOWN})
    result = run_cli("check", "--no-cache", "r1_hostile.py", "--format", "json", "--fail-on", "never", cwd=tmp_path,
                     timeout=60)
    assert rule in {f["rule"] for f in result.findings()}


@pytest.mark.parametrize("module,operations", [
    ("OPS = [*OPS]\n", "OPS"),
    ("A0 = [migrations.RunSQL('SELECT 1', 'SELECT 1')]\n" + "".join(f"A{i} = A{i - 1} + A{i - 1}\n" for i in range(1, 40)),
     "A39"),
])
def test_hostile_django_operation_lists_are_bounded(tmp_path: Path, module: str, operations: str) -> None:
    write_tree(tmp_path, _django_tree({"hostile": (module, operations)}))
    result = run_cli("check", "--no-cache", "--format", "json", "--fail-on", "never", cwd=tmp_path, timeout=60)
    assert [f["rule"] for f in result.findings() if f["rule"] in WATCHED] == ["unreadable-operation"]


def test_a_loop_over_rows_names_each_table(tmp_path: Path) -> None:
    write_tree(tmp_path, {"alembic.ini": "[alembic]\nscript_location = alembic\n",
                          **_alembic_tree({"loop_over_rows": ALEMBIC_CASES["loop_over_rows"]})})
    messages = sorted(f["message"].split(" deletes")[0] for f in watched("--no-cache", cwd=tmp_path))
    assert messages == ["Dropping table c8", "Dropping table c9"]
