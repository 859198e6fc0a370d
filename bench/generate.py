"""Deterministic benchmark corpora (fixed seed): the same bytes on every machine and every run.

    python bench/generate.py [--out bench/corpus]

- sql/        one golang-migrate project: 1,000 migrations = 2,000 Postgres files (`.up.sql` + `.down.sql`), each file
              5-20 statements in the mix of real projects (tables, columns, indexes, constraints, type changes, enums,
              functions and triggers, data fixes, transactions, comments).
- python/     a Django project (10 apps x 50 migrations) and an Alembic project (500 revisions): 1,000 files.
- ts/         a TypeORM project (334 `.ts`), a Knex project (333 `.js`) and a Sequelize project (333 `.js`): 1,000 files.

The schema is tracked while generating, so statements refer to tables and columns that exist at that point.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20260127
CORPUS_VERSION = "1"  # bump when the output changes, so stale corpora are regenerated

SQL_MIGRATIONS = 1000  # x2 files (up + down)
DJANGO_APPS = 10
DJANGO_PER_APP = 50
ALEMBIC_REVISIONS = 500
TYPEORM_FILES = 334
KNEX_FILES = 333
SEQUELIZE_FILES = 333

NOUNS = ["user", "account", "order", "invoice", "payment", "product", "customer", "session", "event", "shipment",
         "address", "coupon", "review", "subscription", "plan", "team", "project", "task", "comment", "tag",
         "category", "warehouse", "supplier", "refund", "audit_log", "notification", "device", "message", "report",
         "ticket"]
COLUMN_WORDS = ["status", "email", "name", "title", "amount", "currency", "note", "score", "priority", "region",
                "external_id", "source", "kind", "label", "phone", "country", "locale", "version", "flags", "weight",
                "quantity", "discount", "slug", "summary", "color", "rating", "channel", "reason", "budget", "level"]
TYPES = ["text", "varchar(255)", "varchar(64)", "integer", "bigint", "boolean", "numeric(12,2)", "timestamptz",
         "jsonb", "uuid", "date", "smallint"]
DEFAULTS = {"text": "''", "varchar(255)": "''", "varchar(64)": "'new'", "integer": "0", "bigint": "0",
            "boolean": "false", "numeric(12,2)": "0", "timestamptz": "now()", "jsonb": "'{}'::jsonb",
            "uuid": "gen_random_uuid()", "date": "CURRENT_DATE", "smallint": "1"}


@dataclass
class Table:
    name: str
    columns: dict[str, str] = field(default_factory=dict)
    indexes: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)


@dataclass
class Schema:
    rng: random.Random
    tables: dict[str, Table] = field(default_factory=dict)
    enums: list[str] = field(default_factory=list)
    counter: int = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def pick_table(self) -> Table | None:
        return self.tables[self.rng.choice(sorted(self.tables))] if self.tables else None


# ---------------------------------------------------------------- SQL


def _new_column(schema: Schema, table: Table) -> tuple[str, str]:
    rng = schema.rng
    name = f"{rng.choice(COLUMN_WORDS)}_{schema.counter}"
    schema.counter += 1
    return name, rng.choice(TYPES)


def _create_table(schema: Schema) -> tuple[str, str]:
    rng = schema.rng
    name = schema.fresh(rng.choice(NOUNS) + "s")
    table = Table(name)
    lines = ["    id bigserial PRIMARY KEY"]
    table.columns["id"] = "bigint"
    parent = schema.pick_table() if rng.random() < 0.6 else None
    for _ in range(rng.randint(2, 8)):
        column, ctype = _new_column(schema, table)
        table.columns[column] = ctype
        extra = rng.choice(["", " NOT NULL", f" NOT NULL DEFAULT {DEFAULTS[ctype]}", f" DEFAULT {DEFAULTS[ctype]}"])
        lines.append(f"    {column} {ctype}{extra}")
    if parent is not None:
        fk = f"{parent.name.rstrip('s')}_id"
        table.columns[fk] = "bigint"
        lines.append(f"    {fk} bigint NOT NULL REFERENCES {parent.name}(id) ON DELETE CASCADE")
    lines.append("    created_at timestamptz NOT NULL DEFAULT now()")
    table.columns["created_at"] = "timestamptz"
    schema.tables[name] = table
    up = f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n);"
    return up, f"DROP TABLE IF EXISTS {name};"


def _add_column(schema: Schema) -> tuple[str, str] | None:
    table = schema.pick_table()
    if table is None:
        return None
    column, ctype = _new_column(schema, table)
    table.columns[column] = ctype
    tail = schema.rng.choice(["", "", f" DEFAULT {DEFAULTS[ctype]}", f" NOT NULL DEFAULT {DEFAULTS[ctype]}",
                              " NOT NULL"])
    return (f"ALTER TABLE {table.name} ADD COLUMN {column} {ctype}{tail};",
            f"ALTER TABLE {table.name} DROP COLUMN IF EXISTS {column};")


def _drop_column(schema: Schema) -> tuple[str, str] | None:
    table = schema.pick_table()
    candidates = [c for c in table.columns if c not in ("id", "created_at")] if table else []
    if not candidates:
        return None
    column = schema.rng.choice(sorted(candidates))
    ctype = table.columns.pop(column)  # type: ignore[union-attr]
    return (f"ALTER TABLE {table.name} DROP COLUMN {column};",  # type: ignore[union-attr]
            f"ALTER TABLE {table.name} ADD COLUMN {column} {ctype};")  # type: ignore[union-attr]


def _create_index(schema: Schema) -> tuple[str, str] | None:
    rng = schema.rng
    table = schema.pick_table()
    if table is None:
        return None
    columns = rng.sample(sorted(table.columns), k=min(len(table.columns), rng.randint(1, 2)))
    name = schema.fresh(f"idx_{table.name}_{columns[0]}")
    table.indexes.append(name)
    unique = "UNIQUE " if rng.random() < 0.2 else ""
    concurrently = "CONCURRENTLY " if rng.random() < 0.4 else ""
    where = f" WHERE {columns[0]} IS NOT NULL" if rng.random() < 0.15 else ""
    return (f"CREATE {unique}INDEX {concurrently}IF NOT EXISTS {name} ON {table.name} ({', '.join(columns)}){where};",
            f"DROP INDEX {concurrently}IF EXISTS {name};")


def _drop_index(schema: Schema) -> tuple[str, str] | None:
    table = schema.pick_table()
    if table is None or not table.indexes:
        return None
    name = table.indexes.pop(0)
    return f"DROP INDEX IF EXISTS {name};", f"CREATE INDEX {name} ON {table.name} (id);"


def _add_constraint(schema: Schema) -> tuple[str, str] | None:
    rng = schema.rng
    table = schema.pick_table()
    if table is None:
        return None
    name = schema.fresh(f"{table.name}_chk")
    roll = rng.random()
    if roll < 0.4 and len(schema.tables) > 1:
        parent = schema.tables[rng.choice(sorted(t for t in schema.tables if t != table.name))]
        column = f"{parent.name.rstrip('s')}_ref_{schema.counter}"
        table.columns[column] = "bigint"
        valid = " NOT VALID" if rng.random() < 0.5 else ""
        up = (f"ALTER TABLE {table.name} ADD COLUMN {column} bigint;\n"
              f"ALTER TABLE {table.name} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {parent.name} (id)"
              f"{valid};")
        if valid:
            up += f"\nALTER TABLE {table.name} VALIDATE CONSTRAINT {name};"
        return up, f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {name};"
    numeric = [c for c, t in table.columns.items() if t in ("integer", "bigint", "smallint", "numeric(12,2)")]
    if roll < 0.75 and numeric:
        column = rng.choice(sorted(numeric))
        return (f"ALTER TABLE {table.name} ADD CONSTRAINT {name} CHECK ({column} >= 0) NOT VALID;",
                f"ALTER TABLE {table.name} DROP CONSTRAINT {name};")
    column = rng.choice(sorted(table.columns))
    table.constraints.append(name)
    return (f"ALTER TABLE {table.name} ADD CONSTRAINT {name} UNIQUE ({column});",
            f"ALTER TABLE {table.name} DROP CONSTRAINT {name};")


def _alter_column(schema: Schema) -> tuple[str, str] | None:
    rng = schema.rng
    table = schema.pick_table()
    candidates = [c for c in table.columns if c not in ("id",)] if table else []
    if not candidates:
        return None
    column = rng.choice(sorted(candidates))
    old = table.columns[column]  # type: ignore[union-attr]
    roll = rng.random()
    name = table.name  # type: ignore[union-attr]
    if roll < 0.35:
        new = {"varchar(64)": "varchar(255)", "varchar(255)": "text", "integer": "bigint", "smallint": "integer",
               "text": "varchar(500)", "date": "timestamptz"}.get(old, "text")
        table.columns[column] = new  # type: ignore[union-attr]
        using = f" USING {column}::{new}" if rng.random() < 0.3 else ""
        return (f"ALTER TABLE {name} ALTER COLUMN {column} TYPE {new}{using};",
                f"ALTER TABLE {name} ALTER COLUMN {column} TYPE {old};")
    if roll < 0.6:
        return (f"ALTER TABLE {name} ALTER COLUMN {column} SET NOT NULL;",
                f"ALTER TABLE {name} ALTER COLUMN {column} DROP NOT NULL;")
    if roll < 0.85:
        return (f"ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT {DEFAULTS.get(old, 'NULL')};",
                f"ALTER TABLE {name} ALTER COLUMN {column} DROP DEFAULT;")
    new_name = f"{column}_v{schema.counter}"
    schema.counter += 1
    table.columns[new_name] = table.columns.pop(column)  # type: ignore[union-attr]
    return (f"ALTER TABLE {name} RENAME COLUMN {column} TO {new_name};",
            f"ALTER TABLE {name} RENAME COLUMN {new_name} TO {column};")


def _data_fix(schema: Schema) -> tuple[str, str] | None:
    rng = schema.rng
    table = schema.pick_table()
    if table is None:
        return None
    column = rng.choice(sorted(table.columns))
    roll = rng.random()
    if roll < 0.45:
        where = "" if rng.random() < 0.1 else f" WHERE {column} IS NULL"
        return f"UPDATE {table.name} SET {column} = DEFAULT{where};", ""
    if roll < 0.65:
        where = "" if rng.random() < 0.05 else " WHERE created_at < now() - interval '90 days'"
        return f"DELETE FROM {table.name}{where};", ""
    if roll < 0.75:
        return (f"UPDATE {table.name} AS t SET {column} = s.{column} FROM {table.name} AS s "
                f"WHERE s.id = t.id AND t.{column} IS NULL;"), ""
    rows = ",\n".join(f"    ({i}, now())" for i in range(rng.randint(1, 6)))
    return f"INSERT INTO {table.name} (id, created_at) VALUES\n{rows}\nON CONFLICT DO NOTHING;", ""


def _enum(schema: Schema) -> tuple[str, str]:
    rng = schema.rng
    if schema.enums and rng.random() < 0.5:
        name = rng.choice(schema.enums)
        return f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS 'v{schema.counter}';", ""
    name = schema.fresh("state")
    schema.enums.append(name)
    return f"CREATE TYPE {name} AS ENUM ('draft', 'active', 'archived');", f"DROP TYPE IF EXISTS {name};"


def _function(schema: Schema) -> tuple[str, str] | None:
    table = schema.pick_table()
    if table is None:
        return None
    name = schema.fresh(f"touch_{table.name}")
    up = (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN\n    NEW.created_at := now();\n"
          f"    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
          f"CREATE TRIGGER {name}_trg BEFORE UPDATE ON {table.name} FOR EACH ROW EXECUTE FUNCTION {name}();")
    return up, f"DROP TRIGGER IF EXISTS {name}_trg ON {table.name};\nDROP FUNCTION IF EXISTS {name}();"


def _rename_or_drop_table(schema: Schema) -> tuple[str, str] | None:
    if len(schema.tables) < 8:
        return None
    table = schema.pick_table()
    assert table is not None
    if schema.rng.random() < 0.5:
        del schema.tables[table.name]
        return f"DROP TABLE {table.name};", f"CREATE TABLE {table.name} (id bigserial PRIMARY KEY);"
    old = table.name
    new = schema.fresh(old.split("_")[0] + "_archive")
    del schema.tables[old]
    table.name = new
    schema.tables[new] = table
    return f"ALTER TABLE {old} RENAME TO {new};", f"ALTER TABLE {new} RENAME TO {old};"


def _misc(schema: Schema) -> tuple[str, str] | None:
    table = schema.pick_table()
    if table is None:
        return None
    return schema.rng.choice([
        (f"COMMENT ON TABLE {table.name} IS 'owned by the {schema.rng.choice(NOUNS)} team';", ""),
        ("SET lock_timeout = '5s';", ""),
        (f"ANALYZE {table.name};", ""),
        (f"GRANT SELECT ON {table.name} TO reporting;", f"REVOKE SELECT ON {table.name} FROM reporting;"),
    ])


GENERATORS = [(_create_table, 14), (_add_column, 20), (_drop_column, 5), (_create_index, 14), (_drop_index, 3),
              (_add_constraint, 9), (_alter_column, 12), (_data_fix, 12), (_enum, 3), (_function, 2),
              (_rename_or_drop_table, 2), (_misc, 4)]


def _statements(schema: Schema, count: int) -> tuple[list[str], list[str]]:
    funcs = [f for f, _ in GENERATORS]
    weights = [w for _, w in GENERATORS]
    ups: list[str] = []
    downs: list[str] = []
    written = 0
    while written < count:
        result = schema.rng.choices(funcs, weights)[0](schema)
        if result is None:
            result = _create_table(schema)
        up, down = result
        if written + statement_count(up) > count:
            continue
        written += statement_count(up)
        ups.append(up)
        if down:
            downs.append(down)
    return ups, downs


def statement_count(sql: str) -> int:
    return 2 if "$$" in sql else sql.count(";")


def _sql_file(schema: Schema, statements: list[str], title: str) -> str:
    rng = schema.rng
    body: list[str] = [f"-- {title}"]
    wrap = rng.random() < 0.3
    if wrap:
        body.append("BEGIN;")
    for statement in statements:
        if rng.random() < 0.15:
            body.append(f"-- {rng.choice(['backfill', 'hot path', 'see ticket', 'requested by ops'])} "
                        f"#{rng.randint(100, 9999)}")
        body.append(statement)
    if wrap:
        body.append("COMMIT;")
    return "\n".join(body) + "\n"


def generate_sql(out: Path, rng: random.Random, migrations: int = SQL_MIGRATIONS, folder: Path | None = None) -> int:
    folder = folder or out / "sql" / "db" / "migrations"
    folder.mkdir(parents=True)
    schema = Schema(rng)
    for number in range(1, migrations + 1):
        target = rng.randint(5, 20)
        ups, downs = _statements(schema, target)
        downs.reverse()
        while sum(map(statement_count, downs)) > 20:
            downs.pop()
        while sum(map(statement_count, downs)) < max(5, target // 2):  # a down file is 5-20 statements too
            fix = _data_fix(schema)
            if fix is not None:
                downs.append(fix[0])
        name = f"{number:06d}_{rng.choice(['add', 'change', 'backfill', 'index', 'cleanup'])}_{rng.choice(NOUNS)}"
        (folder / f"{name}.up.sql").write_text(_sql_file(schema, ups, name + " (up)"), encoding="utf-8")
        (folder / f"{name}.down.sql").write_text(_sql_file(schema, downs, name + " (down)"), encoding="utf-8")
    return migrations * 2


# ---------------------------------------------------------------- Python (Django + Alembic)

DJANGO_FIELDS = ["models.CharField(max_length={n})", "models.IntegerField(default=0)", "models.BooleanField(default=False)",
                 "models.TextField(blank=True)", "models.DateTimeField(auto_now_add=True)",
                 "models.DecimalField(max_digits=12, decimal_places=2, null=True)", "models.JSONField(default=dict)",
                 "models.CharField(max_length={n}, null=True)", "models.EmailField(max_length={n})"]


def _django_field(rng: random.Random) -> str:
    return rng.choice(DJANGO_FIELDS).format(n=rng.choice([32, 64, 100, 255]))


def _django_migration(rng: random.Random, app: str, number: int, models: dict[str, list[str]]) -> str:
    ops: list[str] = []
    for _ in range(rng.randint(2, 8)):
        roll = rng.random()
        if roll < 0.2 or not models:
            model = f"{rng.choice(NOUNS).title().replace('_', '')}{number}{len(ops)}"
            fields = [f"{rng.choice(COLUMN_WORDS)}_{i}" for i in range(rng.randint(2, 6))]
            models[model] = fields
            body = "\n".join(f"                ('{f}', {_django_field(rng)})," for f in fields)
            ops.append(f"        migrations.CreateModel(\n            name='{model}',\n            fields=[\n"
                       f"                ('id', models.BigAutoField(auto_created=True, primary_key=True, "
                       f"serialize=False, verbose_name='ID')),\n{body}\n            ],\n        ),")
            continue
        model = rng.choice(sorted(models))
        fields = models[model]
        if roll < 0.45:
            field_name = f"{rng.choice(COLUMN_WORDS)}_{number}_{len(ops)}"
            fields.append(field_name)
            ops.append(f"        migrations.AddField(\n            model_name='{model.lower()}',\n"
                       f"            name='{field_name}',\n            field={_django_field(rng)},\n        ),")
        elif roll < 0.6 and fields:
            ops.append(f"        migrations.AlterField(\n            model_name='{model.lower()}',\n"
                       f"            name='{rng.choice(fields)}',\n            field={_django_field(rng)},\n        ),")
        elif roll < 0.68 and len(fields) > 1:
            removed = fields.pop(rng.randrange(len(fields)))
            ops.append(f"        migrations.RemoveField(\n            model_name='{model.lower()}',\n"
                       f"            name='{removed}',\n        ),")
        elif roll < 0.8 and fields:
            ops.append(f"        migrations.AddIndex(\n            model_name='{model.lower()}',\n"
                       f"            index=models.Index(fields=['{rng.choice(fields)}'], "
                       f"name='{app}_{number}_{len(ops)}_idx'),\n        ),")
        elif roll < 0.9:
            table = f"{app}_{model.lower()}"
            ops.append(f"        migrations.RunSQL(\n            \"UPDATE {table} SET {rng.choice(fields) if fields else 'id'}"
                       f" = DEFAULT WHERE id < 1000;\",\n            reverse_sql=migrations.RunSQL.noop,\n        ),")
        elif roll < 0.95:
            ops.append("        migrations.RunPython(forwards, migrations.RunPython.noop),")
        else:
            new = f"{model}V{number}"
            models[new] = models.pop(model)
            ops.append(f"        migrations.RenameModel(\n            old_name='{model}',\n            new_name='{new}',\n"
                       f"        ),")
    deps = f"        ('{app}', '{number - 1:04d}_auto'),\n" if number > 1 else ""
    uses_python = any("RunPython(forwards" in op for op in ops)
    helper = ("\n\ndef forwards(apps, schema_editor):\n    Model = apps.get_model('" + app + "', '"
              + (sorted(models)[0] if models else "x") + "')\n    Model.objects.filter(pk__lt=0).delete()\n"
              if uses_python else "")
    return ("# Generated by Django 4.2.7 on 2024-01-01 00:00\n\nfrom django.db import migrations, models\n"
            f"{helper}\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n{deps}    ]\n\n"
            "    operations = [\n" + "\n".join(ops) + "\n    ]\n")


def _alembic_revision(rng: random.Random, number: int, previous: str | None, tables: list[str]) -> tuple[str, str]:
    revision = hashlib.sha1(f"rev{number}".encode()).hexdigest()[:12]
    up: list[str] = []
    down: list[str] = []
    for _ in range(rng.randint(2, 8)):
        roll = rng.random()
        if roll < 0.2 or not tables:
            table = f"{rng.choice(NOUNS)}_{number}_{len(up)}"
            tables.append(table)
            cols = "\n".join(f"        sa.Column('{rng.choice(COLUMN_WORDS)}_{i}', sa.{rng.choice(['String(255)', 'Integer()', 'Boolean()', 'Text()'])}, nullable={rng.choice(['True', 'False'])}),"
                             for i in range(rng.randint(2, 6)))
            up.append(f"    op.create_table(\n        '{table}',\n        sa.Column('id', sa.BigInteger(), primary_key=True),\n{cols}\n    )")
            down.append(f"    op.drop_table('{table}')")
            continue
        table = rng.choice(tables)
        column = f"{rng.choice(COLUMN_WORDS)}_{number}_{len(up)}"
        if roll < 0.45:
            nullable = rng.choice(["True", "True", "False"])
            default = ", server_default=sa.text('0')" if nullable == "False" and rng.random() < 0.5 else ""
            up.append(f"    op.add_column('{table}', sa.Column('{column}', sa.Integer(), nullable={nullable}{default}))")
            down.append(f"    op.drop_column('{table}', '{column}')")
        elif roll < 0.6:
            concurrently = ", postgresql_concurrently=True" if rng.random() < 0.3 else ""
            up.append(f"    op.create_index('ix_{table}_{column}', '{table}', ['id']{concurrently})")
            down.append(f"    op.drop_index('ix_{table}_{column}', table_name='{table}')")
        elif roll < 0.72:
            up.append(f"    op.alter_column('{table}', 'id', existing_type=sa.Integer(), type_=sa.BigInteger())")
            down.append(f"    op.alter_column('{table}', 'id', existing_type=sa.BigInteger(), type_=sa.Integer())")
        elif roll < 0.82:
            up.append(f"    with op.batch_alter_table('{table}') as batch_op:\n"
                      f"        batch_op.add_column(sa.Column('{column}', sa.String(64), nullable=True))\n"
                      f"        batch_op.create_foreign_key('fk_{column}', '{rng.choice(tables)}', ['{column}'], ['id'])")
            down.append(f"    with op.batch_alter_table('{table}') as batch_op:\n"
                        f"        batch_op.drop_constraint('fk_{column}', type_='foreignkey')\n"
                        f"        batch_op.drop_column('{column}')")
        elif roll < 0.92:
            up.append(f"    op.execute(\"UPDATE {table} SET id = id WHERE id < 100\")")
        else:
            up.append(f"    op.drop_column('{table}', 'legacy_{number}')")
            down.append(f"    op.add_column('{table}', sa.Column('legacy_{number}', sa.Text(), nullable=True))")
    down_body = "\n".join(reversed(down)) if down and rng.random() < 0.9 else "    pass"
    text = (f'"""revision {number}\n\nRevision ID: {revision}\nRevises: {previous or ""}\nCreate Date: 2024-01-01\n"""\n'
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            f"revision = '{revision}'\ndown_revision = {repr(previous)}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade() -> None:\n" + "\n".join(up) + "\n\n\ndef downgrade() -> None:\n" + down_body + "\n")
    return revision, text


def generate_python(out: Path, rng: random.Random) -> int:
    django = out / "python" / "django_shop"
    django.mkdir(parents=True)
    (django / "manage.py").write_text(
        "#!/usr/bin/env python\nimport os\nimport sys\n\n\ndef main():\n"
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
        "    from django.core.management import execute_from_command_line\n"
        "    execute_from_command_line(sys.argv)\n\n\nif __name__ == '__main__':\n    main()\n", encoding="utf-8")
    (django / "requirements.txt").write_text("Django==4.2.7\npsycopg[binary]==3.1.12\n", encoding="utf-8")
    (django / "shop").mkdir()
    (django / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (django / "shop" / "settings.py").write_text(
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'shop'}}\n"
        "INSTALLED_APPS = [" + ", ".join(f"'app{i}'" for i in range(DJANGO_APPS)) + "]\n", encoding="utf-8")
    files = 0
    for a in range(DJANGO_APPS):
        app = f"app{a}"
        migrations = django / app / "migrations"
        migrations.mkdir(parents=True)
        (django / app / "__init__.py").write_text("", encoding="utf-8")
        (django / app / "models.py").write_text("from django.db import models\n", encoding="utf-8")
        (migrations / "__init__.py").write_text("", encoding="utf-8")
        models: dict[str, list[str]] = {}
        for number in range(1, DJANGO_PER_APP + 1):
            text = _django_migration(rng, app, number, models)
            (migrations / f"{number:04d}_auto.py").write_text(text, encoding="utf-8")
            files += 1
    alembic = out / "python" / "billing"
    versions = alembic / "alembic" / "versions"
    versions.mkdir(parents=True)
    (alembic / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = postgresql://localhost/billing\n",
        encoding="utf-8")
    (alembic / "alembic" / "env.py").write_text("from alembic import context\n", encoding="utf-8")
    (alembic / "requirements.txt").write_text("alembic==1.13.0\nSQLAlchemy==2.0.23\n", encoding="utf-8")
    previous: str | None = None
    tables: list[str] = []
    for number in range(1, ALEMBIC_REVISIONS + 1):
        revision, text = _alembic_revision(rng, number, previous, tables)
        (versions / f"{revision}_step_{number}.py").write_text(text, encoding="utf-8")
        previous = revision
        files += 1
    return files


# ---------------------------------------------------------------- TS/JS (TypeORM, Knex, Sequelize)


def _typeorm(rng: random.Random, number: int, stamp: int, tables: list[str]) -> str:
    ups: list[str] = []
    downs: list[str] = []
    for _ in range(rng.randint(2, 8)):
        roll = rng.random()
        if roll < 0.25 or not tables:
            table = f"{rng.choice(NOUNS)}_{number}_{len(ups)}"
            tables.append(table)
            ups.append(f'        await queryRunner.query(`CREATE TABLE "{table}" ("id" SERIAL NOT NULL, '
                       f'"name" character varying NOT NULL, "createdAt" TIMESTAMP NOT NULL DEFAULT now(), '
                       f'CONSTRAINT "PK_{table}" PRIMARY KEY ("id"))`);')
            downs.append(f'        await queryRunner.query(`DROP TABLE "{table}"`);')
            continue
        table = rng.choice(tables)
        column = f"{rng.choice(COLUMN_WORDS)}{number}x{len(ups)}"
        if roll < 0.5:
            null = rng.choice(["", " NOT NULL", " NOT NULL DEFAULT 0"])
            ups.append(f'        await queryRunner.query(`ALTER TABLE "{table}" ADD "{column}" integer{null}`);')
            downs.append(f'        await queryRunner.query(`ALTER TABLE "{table}" DROP COLUMN "{column}"`);')
        elif roll < 0.7:
            ups.append(f'        await queryRunner.query(`CREATE INDEX "IDX_{column}" ON "{table}" ("id") `);')
            downs.append(f'        await queryRunner.query(`DROP INDEX "public"."IDX_{column}"`);')
        elif roll < 0.85:
            ups.append(f'        await queryRunner.addColumn("{table}", new TableColumn({{ name: "{column}", '
                       f'type: "varchar", isNullable: true }}));')
            downs.append(f'        await queryRunner.dropColumn("{table}", "{column}");')
        else:
            ups.append(f'        await queryRunner.query(`ALTER TABLE "{table}" ALTER COLUMN "name" TYPE text`);')
            downs.append(f'        await queryRunner.query(`ALTER TABLE "{table}" ALTER COLUMN "name" TYPE '
                         f'character varying`);')
    name = f"Change{rng.choice(NOUNS).title().replace('_', '')}{number}"
    return ('import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";\n\n'
            f"export class {name}{stamp} implements MigrationInterface {{\n    name = '{name}{stamp}'\n\n"
            "    public async up(queryRunner: QueryRunner): Promise<void> {\n" + "\n".join(ups) + "\n    }\n\n"
            "    public async down(queryRunner: QueryRunner): Promise<void> {\n" + "\n".join(reversed(downs))
            + "\n    }\n}\n")


def _knex(rng: random.Random, number: int, tables: list[str]) -> str:
    ups: list[str] = []
    downs: list[str] = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.3 or not tables:
            table = f"{rng.choice(NOUNS)}_{number}_{len(ups)}"
            tables.append(table)
            ups.append(f"  await knex.schema.createTable('{table}', (table) => {{\n    table.increments('id');\n"
                       f"    table.string('{rng.choice(COLUMN_WORDS)}', 255).notNullable();\n"
                       f"    table.integer('{rng.choice(COLUMN_WORDS)}_id').references('id').inTable('{rng.choice(tables)}');\n"
                       "    table.timestamps(true, true);\n  });")
            downs.append(f"  await knex.schema.dropTableIfExists('{table}');")
            continue
        table = rng.choice(tables)
        column = f"{rng.choice(COLUMN_WORDS)}_{number}_{len(ups)}"
        if roll < 0.6:
            chain = rng.choice(["", ".notNullable()", ".notNullable().defaultTo(0)", ".index()"])
            ups.append(f"  await knex.schema.alterTable('{table}', (table) => {{\n"
                       f"    table.integer('{column}'){chain};\n  }});")
            downs.append(f"  await knex.schema.alterTable('{table}', (table) => {{\n    table.dropColumn('{column}');\n  }});")
        elif roll < 0.8:
            ups.append(f"  await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_{column} ON {table} (id)');")
            downs.append(f"  await knex.raw('DROP INDEX IF EXISTS idx_{column}');")
        elif roll < 0.9:
            ups.append(f"  await knex('{table}').where('id', '<', 100).update({{ id: knex.raw('id') }});")
        else:
            ups.append(f"  await knex.schema.renameTable('{table}', '{table}_old');")
            tables.remove(table)
            tables.append(f"{table}_old")
            downs.append(f"  await knex.schema.renameTable('{table}_old', '{table}');")
    return ("/**\n * @param { import(\"knex\").Knex } knex\n */\nexports.up = async function (knex) {\n"
            + "\n".join(ups) + "\n};\n\nexports.down = async function (knex) {\n" + "\n".join(reversed(downs))
            + "\n};\n")


def _sequelize(rng: random.Random, number: int, tables: list[str]) -> str:
    ups: list[str] = []
    downs: list[str] = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.3 or not tables:
            table = f"{rng.choice(NOUNS).title()}s{number}x{len(ups)}"
            tables.append(table)
            ups.append(f"    await queryInterface.createTable('{table}', {{\n"
                       "      id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },\n"
                       f"      {rng.choice(COLUMN_WORDS)}: {{ type: Sequelize.STRING, allowNull: true }},\n"
                       "      createdAt: { allowNull: false, type: Sequelize.DATE },\n"
                       "      updatedAt: { allowNull: false, type: Sequelize.DATE },\n    });")
            downs.append(f"    await queryInterface.dropTable('{table}');")
            continue
        table = rng.choice(tables)
        column = f"{rng.choice(COLUMN_WORDS)}{number}x{len(ups)}"
        if roll < 0.6:
            null = rng.choice(["true", "true", "false"])
            ups.append(f"    await queryInterface.addColumn('{table}', '{column}', {{ type: Sequelize.INTEGER, "
                       f"allowNull: {null} }});")
            downs.append(f"    await queryInterface.removeColumn('{table}', '{column}');")
        elif roll < 0.75:
            ups.append(f"    await queryInterface.addIndex('{table}', ['id'], {{ name: 'idx_{column}' }});")
            downs.append(f"    await queryInterface.removeIndex('{table}', 'idx_{column}');")
        elif roll < 0.9:
            ups.append(f"    await queryInterface.changeColumn('{table}', 'id', {{ type: Sequelize.BIGINT }});")
            downs.append(f"    await queryInterface.changeColumn('{table}', 'id', {{ type: Sequelize.INTEGER }});")
        else:
            ups.append(f"    await queryInterface.sequelize.query('UPDATE \"{table}\" SET id = id WHERE id < 10');")
    return ("'use strict';\n\n/** @type {import('sequelize-cli').Migration} */\nmodule.exports = {\n"
            "  async up(queryInterface, Sequelize) {\n" + "\n".join(ups) + "\n  },\n\n"
            "  async down(queryInterface, Sequelize) {\n" + "\n".join(reversed(downs)) + "\n  },\n};\n")


def generate_ts(out: Path, rng: random.Random) -> int:
    typeorm = out / "ts" / "api"
    (typeorm / "src" / "migrations").mkdir(parents=True)
    (typeorm / "package.json").write_text(
        '{\n  "name": "api",\n  "private": true,\n  "dependencies": {\n    "pg": "^8.11.3",\n'
        '    "typeorm": "^0.3.17"\n  }\n}\n', encoding="utf-8")
    (typeorm / "src" / "data-source.ts").write_text(
        'import { DataSource } from "typeorm";\n\nexport const AppDataSource = new DataSource({\n'
        '    type: "postgres",\n    url: process.env.DATABASE_URL,\n    migrations: ["src/migrations/*.ts"],\n});\n',
        encoding="utf-8")
    tables: list[str] = []
    for number in range(1, TYPEORM_FILES + 1):
        stamp = 1700000000000 + number * 60000
        text = _typeorm(rng, number, stamp, tables)
        (typeorm / "src" / "migrations" / f"{stamp}-Change{number}.ts").write_text(text, encoding="utf-8")
    knex = out / "ts" / "worker"
    (knex / "migrations").mkdir(parents=True)
    (knex / "package.json").write_text(
        '{\n  "name": "worker",\n  "private": true,\n  "dependencies": {\n    "knex": "^3.0.1",\n'
        '    "pg": "^8.11.3"\n  }\n}\n', encoding="utf-8")
    (knex / "knexfile.js").write_text(
        "module.exports = {\n  client: 'pg',\n  connection: process.env.DATABASE_URL,\n"
        "  migrations: { directory: './migrations' },\n};\n", encoding="utf-8")
    tables = []
    for number in range(1, KNEX_FILES + 1):
        (knex / "migrations" / f"2024{number:010d}_step.js").write_text(_knex(rng, number, tables), encoding="utf-8")
    sequelize = out / "ts" / "legacy"
    (sequelize / "migrations").mkdir(parents=True)
    (sequelize / "package.json").write_text(
        '{\n  "name": "legacy",\n  "private": true,\n  "dependencies": {\n    "pg": "^8.11.3",\n'
        '    "sequelize": "^6.35.1",\n    "sequelize-cli": "^6.6.2"\n  }\n}\n', encoding="utf-8")
    (sequelize / ".sequelizerc").write_text(
        "const path = require('path');\n\nmodule.exports = {\n"
        "  'migrations-path': path.resolve('migrations'),\n};\n", encoding="utf-8")
    (sequelize / "config").mkdir()
    (sequelize / "config" / "config.json").write_text('{"production": {"dialect": "postgres"}}\n', encoding="utf-8")
    tables = []
    for number in range(1, SEQUELIZE_FILES + 1):
        (sequelize / "migrations" / f"2024{number:010d}-step.js").write_text(_sequelize(rng, number, tables),
                                                                              encoding="utf-8")
    return TYPEORM_FILES + KNEX_FILES + SEQUELIZE_FILES


def generate(out: Path) -> dict[str, int]:
    stamp = out / ".generated"
    if stamp.is_file() and stamp.read_text() == f"{SEED}:{CORPUS_VERSION}\n":
        return {}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    counts = {
        "sql": generate_sql(out, random.Random(SEED)),
        "python": generate_python(out, random.Random(SEED + 1)),
        "ts": generate_ts(out, random.Random(SEED + 2)),
    }
    stamp.write_text(f"{SEED}:{CORPUS_VERSION}\n")
    return counts


# ---------------------------------------------------------------- large corpora, generated on demand

LARGE_MIGRATIONS = 10_000  # x2 files: the 20,000-file project
MONOREPO_FILES = 100_000
MONOREPO_PROJECTS = 20  # 2% of the files are migrations: 100 files (50 up/down pairs) in each project
# What --changed-since sees in the 20,000-file project: its two newest files edited after the commit.
CHANGED_SQL = "\n-- edited after review\nCREATE INDEX CONCURRENTLY idx_bench_changed ON {table} (id);\n"


def _git(folder: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c",
                    "commit.gpgsign=false", *args], cwd=folder, check=True, capture_output=True)


def _stamped(folder: Path, version: str) -> bool:
    stamp = folder / ".generated"
    return stamp.is_file() and stamp.read_text() == f"{SEED}:{version}\n"


def generate_large(out: Path) -> Path:
    """large/: one golang-migrate project of 20,000 files, a git repository whose two newest files are edited in
    the working tree (what `--changed-since HEAD` and a pre-commit run see)."""
    folder = out / "large"
    if _stamped(folder, "1"):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    generate_sql(out, random.Random(SEED + 3), LARGE_MIGRATIONS, folder / "db" / "migrations")
    (folder / ".gitignore").write_text(".generated\n", encoding="utf-8")
    _git(folder, "init", "-q")
    _git(folder, "add", ".")
    _git(folder, "commit", "-q", "-m", "bench corpus")
    for path in sorted((folder / "db" / "migrations").glob("*.sql"))[-2:]:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(CHANGED_SQL.format(table="bench_changed"))
    (folder / ".generated").write_text(f"{SEED}:1\n")
    return folder


_MONOREPO_OTHERS = {  # the files a service holds besides its migrations: (path pattern, text)
    "src/handlers/h{n}.go": "package handlers\n\nfunc Handler{n}() int {{ return {n} }}\n",
    "web/components/c{n}.ts": "export function component{n}(): number {{\n  return {n};\n}}\n",
    "scripts/s{n}.py": "def task_{n}():\n    return {n}\n",
    "docs/page{n}.md": "# Page {n}\n\nHow part {n} works.\n",
    "config/c{n}.yaml": "key_{n}: value\n",
}


def generate_monorepo(out: Path) -> Path:
    """monorepo/: 100,000 files, 2% of them migrations in 20 golang-migrate projects (services/svcNN/db/migrations,
    50 up/down pairs each); the rest are source, docs and config files of the same services."""
    folder = out / "monorepo"
    if _stamped(folder, "1"):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    per_project = MONOREPO_FILES // MONOREPO_PROJECTS
    migrations = per_project * 2 // 100 // 2
    patterns = list(_MONOREPO_OTHERS.items())
    for p in range(MONOREPO_PROJECTS):
        service = folder / "services" / f"svc{p:02d}"
        generate_sql(out, random.Random(SEED + 10 + p), migrations, service / "db" / "migrations")
        (service / "go.mod").write_text(f"module example.com/svc{p:02d}\n\ngo 1.22\n", encoding="utf-8")
        others = per_project - migrations * 2 - 1
        for n in range(others):
            pattern, text = patterns[n % len(patterns)]
            path = service / pattern.format(n=n)
            if n < len(patterns):
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.format(n=n), encoding="utf-8")
    (folder / ".generated").write_text(f"{SEED}:1\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus")
    args = parser.parse_args()
    counts = generate(args.out)
    print(f"corpus in {args.out}: " + (", ".join(f"{k} {v} files" for k, v in counts.items()) or "up to date"))


if __name__ == "__main__":
    main()
