"""Alembic migrations through the real CLI: op.* and batch_op calls, autocommit blocks, SQL in op.execute, downgrade
states, and the revision order taken from down_revision (not from the random ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, expect_markers, lint_json, run_cli, write_tree

BILLING = FIXTURES / "alembic" / "billing"
def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    return expect_markers(root)


def findings(*args: str, cwd: Path) -> list[dict]:
    return lint_json(*args, cwd=cwd)


def test_every_case_fires_exactly_where_marked_and_nowhere_else() -> None:
    got = {(f["path"], f["line"], f["rule"]) for f in findings(cwd=BILLING)}
    assert got == expected_findings(BILLING)


def test_revision_order_comes_from_down_revision() -> None:
    # 0aaa sorts before its parent 1abc by name; replayed in Alembic's order, email is varchar(200) by then
    by_key = {(f["path"], f["line"]): f for f in findings(cwd=BILLING) if f["rule"] == "column-type-change"}
    to_text = by_key[("alembic/versions/0aaa_indexes.py", 17)]
    assert to_text["severity"] == "info" and "from varchar(200) to text" in to_text["message"]
    widen = by_key[("alembic/versions/1abc_change_columns.py", 14)]  # no existing_type: the history knows
    assert widen["severity"] == "info" and "from varchar(100) to varchar(200)" in widen["message"]
    assert by_key[("alembic/versions/1abc_change_columns.py", 15)]["severity"] == "error"


def test_one_revision_passed_alone_still_sees_its_history() -> None:
    path = "alembic/versions/0aaa_indexes.py"
    alone = {(f["rule"], f["line"]) for f in findings(path, cwd=BILLING)}
    assert alone == {(rule, line) for p, line, rule in expected_findings(BILLING) if p == path}


def test_down_migration_messages_and_locations() -> None:
    downs = {f["path"]: f for f in findings(cwd=BILLING) if f["rule"] == "missing-down-migration"}
    # pass, after an upgrade that changes invoices.amount from numeric to float (line 15) and drops a column
    assert "does nothing, but the up migration changes the type of invoices.amount" in downs[
        "alembic/versions/1abc_change_columns.py"]["message"]
    assert "alembic/versions/0aaa_indexes.py" not in downs  # docstring only, after an upgrade that destroys nothing
    assert "only raises" in downs["alembic/versions/9fff_drop_bills.py"]["message"]
    assert downs["alembic/versions/9fff_drop_bills.py"]["column"] == 1


HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "r1"\ndown_revision = None\n\n\n'


ADD = "    op.add_column('users', sa.Column('nick', sa.Text()))\n"
DROP = "    op.drop_column('users', 'nick')\n"
DELETE = "    op.execute(\"DELETE FROM users WHERE nick IS NULL\")\n"


@pytest.mark.parametrize("upgrade,downgrade,expected", [
    (ADD, "", [("missing-down-migration", 1)]),
    (ADD, "def downgrade():\n    raise NotImplementedError\n", [("missing-down-migration", 12)]),
    (ADD, "def downgrade():\n    op.drop_column('users', 'nick')\n", []),
    # a down that deliberately does nothing: fine after an upgrade that only adds or backfills ...
    (ADD, "def downgrade():\n    ...\n", []),
    (ADD, "def downgrade():\n    '''Nope.'''\n    pass\n", []),
    (ADD, "def downgrade():\n    logger.info('nothing to undo')\n    return None\n", []),
    # ... not after one that destroys data
    (DROP, "def downgrade():\n    pass\n", [("drop-column", 9), ("missing-down-migration", 12)]),
    (DELETE, "def downgrade():\n    print('irreversible')\n", [("missing-down-migration", 12)]),
    # a type change loses data unless the new type holds every old value
    ("    op.alter_column('users', 'nick', existing_type=sa.String(200), type_=sa.String(50))\n",
     "def downgrade():\n    pass\n", [("column-type-change", 9), ("missing-down-migration", 12)]),
    ("    op.alter_column('users', 'n', existing_type=sa.Integer(), type_=sa.BigInteger())\n",
     "def downgrade():\n    pass\n", [("column-type-change", 9)]),
])
def test_downgrade_states(tmp_path: Path, upgrade: str, downgrade: str, expected: list[tuple[str, int]]) -> None:
    write_tree(tmp_path, {"r1_add.py": HEAD + "def upgrade():\n" + upgrade + "\n\n" + downgrade})
    about = ("missing-down-migration", "drop-column", "column-type-change")
    assert sorted((f["rule"], f["line"]) for f in findings("r1_add.py", cwd=tmp_path) if f["rule"] in about) == expected


def test_no_op_downgrade_says_what_the_upgrade_destroys(tmp_path: Path) -> None:
    write_tree(tmp_path, {"r1_drop.py": HEAD + "def upgrade():\n" + DROP + "\n\ndef downgrade():\n    pass\n"})
    [down] = [f for f in findings("r1_drop.py", cwd=tmp_path) if f["rule"] == "missing-down-migration"]
    assert "does nothing, but the up migration drops column users.nick" in down["message"]


def test_op_calls_named_like_the_readers_own_methods_are_unknown_calls(tmp_path: Path) -> None:
    # `op.owner(...)` once reached the reader's own `op_owner` method through getattr("op_" + name): a traceback
    calls = "    op.owner('x')\n    op.function('y')\n    op.drop_table('t')\n"
    write_tree(tmp_path, {"r1_odd.py": HEAD + "def upgrade():\n" + calls + "\n\ndef downgrade():\n    pass\n"})
    assert [(f["rule"], f["line"]) for f in findings("r1_odd.py", cwd=tmp_path)
            if f["rule"] != "missing-down-migration"] == [("drop-table", 11)]


def test_syntax_error_is_one_parse_error_and_no_code_runs(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    write_tree(tmp_path, {
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": f"open({str(marker)!r}, 'w').close()\n",
        "migrations/versions/a1_ok.py": (f"import os\nos.system('touch {marker}')\n" + HEAD.replace('"r1"', '"a1"')
                                         + "def upgrade():\n    op.drop_table('t')\n\n\ndef downgrade():\n"
                                         "    op.create_table('t')\n"),
        "migrations/versions/b2_broken.py": HEAD.replace('"r1"', '"b2"').replace("None", '"a1"')
                                            + "def upgrade(:\n    op.drop_table('u')\n",
    })
    got = [(f["rule"], f["path"], f["line"]) for f in findings(cwd=tmp_path)]
    assert got == [("drop-table", "migrations/versions/a1_ok.py", 11),
                   ("parse-error", "migrations/versions/b2_broken.py", 8)]
    assert not marker.exists()


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_lint_down_reads_downgrade_operations(tmp_path: Path, cache: list[str]) -> None:
    write_tree(tmp_path, {
        "r1_add.py": HEAD + "def upgrade():\n    op.add_column('users', sa.Column('nick', sa.Text()))\n\n\n"
                            "def downgrade():\n    op.drop_column('users', 'nick')\n",
        ".migrate-guard.toml": "lint_down = true\n",
    })
    assert [(f["rule"], f["line"]) for f in findings("r1_add.py", *cache, cwd=tmp_path)] == [("drop-column", 13)]


def test_a_run_that_reads_no_downs_gets_each_revision_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no cache and lint_down off, downgrade() is not read for operations (extract(unit, downs=False)): every fixture revision
    is what extract() makes of it less its down operations, with the same down state and location."""
    from migrate_guard.config import Config
    from migrate_guard.detect import detect_projects
    from migrate_guard.extract import alembic
    from migrate_guard.pipeline.discover import project_files
    from migrate_guard.pipeline.options import Options
    from migrate_guard.pipeline.plan import plan_files

    monkeypatch.chdir(FIXTURES)
    projects = detect_projects(Path("."))
    plan = plan_files([f for p in projects for f in project_files(p)], Config(), Options(), projects)
    units = [u for units in plan.groups.values() for u in units if u.orm == "alembic"]
    downs = 0
    for unit in units:
        full, up = alembic.extract(unit), alembic.extract(unit, downs=False)
        downs += sum(op.direction == "down" for op in full.operations)
        assert repr(up.operations) == repr([op for op in full.operations if op.direction == "up"]), full.path
        assert (up.down, up.down_location, up.sources) == (full.down, full.down_location, full.sources)
    assert len(units) >= 15 and downs >= 10


def test_a_partly_checked_database_still_counts_what_downgrade_could_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"r1_add.py": HEAD + "def upgrade():\n    op.add_column('users', sa.Column('nick', sa.Text()))"
                                              "\n\n\ndef downgrade():\n    op.execute('DROP TABLE (((')\n"})
    partly = [f for f in findings("r1_add.py", "--dialect", "mssql", "--no-cache", cwd=tmp_path)
              if f["rule"] == "dialect-partly-checked"]
    assert len(partly) == 1 and "1 statement(s) of r1_add could not be read" in partly[0]["message"]


def test_sql_in_execute_and_text_points_at_file_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"r1_sql.py": HEAD + (
        "def upgrade():\n"
        "    op.execute(sa.text('DELETE FROM sessions'))\n"
        "    op.execute('''\n"
        "        UPDATE users SET a = 1 WHERE id = 2;\n"
        "        ALTER TABLE users DROP COLUMN b;\n"
        "    ''')\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["rule"], f["line"], f["column"]) for f in findings("r1_sql.py", cwd=tmp_path)]
    assert got == [("unbounded-delete", 9, 25), ("drop-column", 12, 9)]


def test_non_migration_python_is_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"helpers.py": "def upgrade():\n    return 1\n", "env.py": "revision = 'x'\ndef upgrade(): pass\n"})
    result = run_cli("check", "helpers.py", "env.py", "--format", "json", cwd=tmp_path)
    assert result.code == 0 and result.json()["summary"]["files"] == 0


def test_pyproject_alembic_names_its_config_file_apart_from_alembic_ini(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate_guard.detect import detect_projects

    monkeypatch.chdir(FIXTURES / "detect" / "alembic_pyproject")
    [project] = detect_projects(Path("."))
    assert project.settings == {"script_location": "db", "pyproject": "pyproject.toml"}


def test_inline_suppressions_in_python_comments(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a1_x.py": (
        "# migrate-guard: ignore-file rename-table\n" + HEAD.replace('"r1"', '"a1"') +
        "def upgrade():\n"
        "    op.drop_column('users', 'a')  # migrate-guard: ignore drop-column -- unused since v2\n"
        "    # migrate-guard: ignore drop-table -- backed up\n"
        "    op.drop_table('old')\n"
        "    op.rename_table('x', 'y')\n"
        "    op.drop_column('users', 'b')  # migrate-guard: ignore no-such-rule\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["rule"], f["line"]) for f in findings("a1_x.py", cwd=tmp_path)]
    assert got == [("drop-column", 14), ("unknown-rule-in-ignore", 14)]


def test_sql_run_on_the_connection_is_linted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a1_data.py": HEAD.replace('"r1"', '"a1"') + (
        "def upgrade():\n"
        "    conn = op.get_bind()\n"
        "    conn.execute(sa.text('UPDATE users SET plan = 1'))\n"
        "    rows = op.get_bind().execute(sa.text('SELECT id FROM users')).fetchall()\n"
        "    conn.exec_driver_sql('DELETE FROM sessions')\n"
        "    conn.execute(users.delete())\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["rule"], f["line"]) for f in findings("a1_data.py", cwd=tmp_path)]
    assert got == [("unbounded-update", 10), ("unbounded-delete", 12), ("unbounded-delete", 13)]  # Core delete()


def test_schema_keyword_qualifies_table_names(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a1_s.py": HEAD.replace('"r1"', '"a1"') + (
        "def upgrade():\n"
        "    op.create_table('events', sa.Column('id', sa.Integer(), primary_key=True), schema='audit')\n"
        "    op.create_index('ix_events_id', 'events', ['id'], schema='audit')\n"
        "    op.drop_column('users', 'nick', schema='crm')\n"
        "    with op.batch_alter_table('users', schema='crm') as batch_op:\n"
        "        batch_op.drop_column('age')\n"
        "    op.drop_table('events', schema='public')\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["rule"], f["line"], f["message"].split(" deletes")[0]) for f in findings("a1_s.py", cwd=tmp_path)]
    assert got == [("drop-column", 11, "Dropping column crm.users.nick"),
                   ("drop-column", 13, "Dropping column crm.users.age"),
                   ("drop-table", 14, "Dropping table public.events")]  # audit.events (new) is another table


def test_with_variant_types_are_their_base_type(tmp_path: Path) -> None:
    # MLflow 17e22815139b: sa.Text().with_variant(MEDIUMTEXT, "mysql") is text everywhere but MySQL
    write_tree(tmp_path, {"a1_v.py": HEAD.replace('"r1"', '"a1"') + (
        "def upgrade():\n"
        "    op.alter_column('tags', 'value', existing_type=sa.String(5000),\n"
        "                    type_=sa.Text().with_variant(MEDIUMTEXT, 'mysql').with_variant(NVARCHAR(None), 'mssql'))\n"
        "    op.alter_column('xcom', 'value', existing_type=sa.LargeBinary().with_variant(LONGBLOB, 'mysql'),\n"
        "                    type_=postgresql.JSONB)\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["line"], f["severity"], f["message"]) for f in findings("a1_v.py", cwd=tmp_path)]
    assert got == [
        (9, "info", "Changing tags.value from varchar(5000) to text does not rewrite the table or fail on postgres."),
        (11, "error", "Changing the type of xcom.value from bytea to jsonb rewrites the table under an exclusive lock "
                      "and can fail on existing rows."),
    ]


def test_sql_in_a_dialect_branch_is_read_in_that_dialect(tmp_path: Path) -> None:
    # Airflow 0108/0117: MySQL's backticks in `if dialect_name == "mysql":`; still linted, no parse-error
    write_tree(tmp_path, {"a1_d.py": HEAD.replace('"r1"', '"a1"') + (
        "def upgrade():\n"
        "    dialect_name = op.get_bind().dialect.name\n"
        "    if dialect_name == 'mysql':\n"
        "        op.execute(\"UPDATE variable SET `key` = CONCAT('x', id) WHERE `key` IS NULL\")\n"
        "    elif op.get_context().dialect.name == 'postgresql':\n"
        "        op.execute(\"UPDATE variable SET key = 'x' || id WHERE key IS NULL\")\n"
        "    if bind.engine.name != 'mysql':\n"
        "        pass\n"
        "    else:\n"
        "        op.execute('UPDATE deadline_alert SET `interval` = JSON_OBJECT(\"a\", `interval`)')\n\n\n"
        "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["rule"], f["line"]) for f in findings("a1_d.py", cwd=tmp_path)]
    assert got == [("unbounded-update", 17)]


def test_create_table_with_schema_owns_its_constraints(tmp_path) -> None:
    """indico: the constraints and indexed columns of a table created with schema= belong to that new table, so none of
    them is a change of an existing table (add-unique-constraint, foreign-key-not-valid, foreign-key-without-index)."""
    migration = tmp_path / "versions" / "a1_editables.py"
    migration.parent.mkdir()
    migration.write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "a1"\ndown_revision = None\n\n\n'
        "def upgrade():\n    op.create_table(\n        'editables',\n"
        "        sa.Column('id', sa.Integer(), nullable=False),\n"
        "        sa.Column('editor_id', sa.Integer(), nullable=True, index=True),\n"
        "        sa.ForeignKeyConstraint(['editor_id'], ['users.users.id']),\n"
        "        sa.UniqueConstraint('editor_id', 'id'),\n        sa.PrimaryKeyConstraint('id'),\n"
        "        schema='event_editing'\n    )\n\n\ndef downgrade():\n    op.drop_table('editables', schema='event_editing')\n")
    assert findings("versions", cwd=tmp_path) == []


def test_names_wrapped_in_op_f_or_conv_are_the_names(tmp_path: Path) -> None:
    # Optuna v3.2.0.a: op.f() tells the naming convention to keep the name; the finding names the index
    write_tree(tmp_path, {"a1_f.py": HEAD.replace('"r1"', '"a1"') + (
        "def upgrade():\n"
        "    op.create_index(op.f('trials_study_id_key'), 'trials', ['study_id'])\n\n\n"
        "def downgrade():\n    op.drop_index(op.f('trials_study_id_key'), table_name='trials')\n")})
    messages = [f["message"] for f in findings("a1_f.py", cwd=tmp_path) if f["rule"] == "non-concurrent-index"]
    assert messages and all("index trials_study_id_key on trials" in m for m in messages)


def test_model_tablenames_are_read_from_the_projects_models(tmp_path: Path) -> None:
    # MLflow: `from mlflow.store.tracking.dbmodels.models import SqlScorer` ... `SqlScorer.__tablename__`
    write_tree(tmp_path, {
        "app/__init__.py": "", "app/db/__init__.py": "",
        "app/db/models.py": "class SqlUser(Base):\n    __tablename__ = 'users'\n\n\n"
                            "class SqlTag(Base):\n    __tablename__ = 'tags'\n",
        "app/migrations/versions/a1_m.py": HEAD.replace('"r1"', '"a1"').replace(
            "import sqlalchemy as sa\n", "import sqlalchemy as sa\n\nfrom app.db.models import SqlTag, SqlUser\n") + (
            "def upgrade():\n"
            "    op.drop_column(SqlUser.__tablename__, 'nick')\n"
            "    with op.batch_alter_table(SqlTag.__tablename__) as batch_op:\n"
            "        batch_op.drop_column('color')\n"
            "    for table in [SqlUser.__tablename__, SqlTag.__tablename__]:\n"
            "        op.drop_index(f'ix_{table}_name', table_name=table)\n"
            "    op.drop_column(SqlMissing.__tablename__, 'x')\n\n\n"
            "def downgrade():\n    op.execute('SELECT 1')\n")})
    got = [(f["line"], f["message"].split(" deletes")[0].split(" without")[0])
           for f in findings("app/migrations/versions/a1_m.py", cwd=tmp_path)
           if f["rule"] in ("drop-column", "non-concurrent-index")]
    assert got == [(11, "Dropping column users.nick"), (13, "Dropping column tags.color"),
                   (15, "Dropping index ix_users_name"), (15, "Dropping index ix_tags_name"),
                   (16, "Dropping column {SqlMissing.__tablename__}.x")]


def test_reading_a_revision_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """Every object an extraction builds is freed by reference counting, with its syntax tree: a cycle (a reader
    holding its own bound method) kept each file's tree alive until the cyclic GC ran, and made its full
    collections walk them (a tenth of a cold run of a thousand revisions)."""
    import gc

    from migrate_guard.extract import alembic
    from migrate_guard.extract.base import MigrationUnit

    path = write_tree(tmp_path, {"versions/a1_add.py": (
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'a1'\ndown_revision = None\n\n\n"
        "def _drop(name):\n    op.drop_table(name)\n\n\n"
        "def upgrade():\n    sql = 'UPDATE t SET a = 1'\n    op.execute(sql)\n"
        "    op.add_column('t', sa.Column('b', sa.Integer(), nullable=True))\n"
        "    with op.batch_alter_table('t') as batch_op:\n        batch_op.drop_column('c')\n"
        "    for name in ('x', 'y'):\n        _drop(name)\n\n\n"
        "def downgrade():\n    op.drop_column('t', 'b')\n")}) / "versions" / "a1_add.py"
    unit = MigrationUnit(orm="alembic", id="a1", files=[path], dialect="postgres")
    assert len(alembic.extract(unit).operations) == 6  # the parsers are imported, the regular expressions compiled
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        assert len(alembic.extract(unit).operations) == 6
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_revision_order_comes_from_the_heads_planning_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """order_units takes each revision and down_revision from the head its file was classified by, without opening
    the file again."""
    from migrate_guard.extract import alembic, base
    from migrate_guard.extract.registry import classify

    heads = {"a_third.py": ("c3", "'b2'"), "b_first.py": ("a1", "None"), "c_second.py": ("b2", "('a1',)")}
    write_tree(tmp_path, {name: f"from alembic import op\n\nrevision = '{rev}'\ndown_revision = {down}\n\n\n"
                                "def upgrade():\n    pass\n" for name, (rev, down) in heads.items()})
    units = []
    for name in sorted(heads):
        path = tmp_path / name
        assert classify(path, base.read_head(path)) is alembic
        units.append(base.MigrationUnit(orm="alembic", id=path.stem, files=[path], dialect="postgres"))
    monkeypatch.setattr(base, "read_head", lambda path: pytest.fail(f"{path} was read again"))
    assert [u.id for u in alembic.order_units(units)] == ["b_first", "c_second", "a_third"]


@pytest.mark.parametrize("imports, written, flagged", [
    ("", "sa.JSON()", True),
    ("from sqlalchemy import JSON\n", "JSON", True),
    ("from sqlalchemy.dialects import postgresql\n", "postgresql.JSON()", True),
    # a project's own JSON type (prefect's is a TypeDecorator that is JSONB on Postgres) is not SQLAlchemy's json
    ("import myapp\n", "myapp.utilities.database.JSON()", False),
    ("from myapp.utilities.database import JSON\n", "JSON", False),
    ("from myapp.utilities import database\n", "database.JSON()", False),
])
def test_json_column_only_for_sqlalchemy_json(tmp_path: Path, imports: str, written: str, flagged: bool) -> None:
    body = f"def upgrade():\n    op.add_column('events', sa.Column('payload', {written}, nullable=True))\n"
    write_tree(tmp_path, {"r1_json.py": imports + HEAD + body + "\n\ndef downgrade():\n    pass\n"})
    assert any(f["rule"] == "json-column" for f in findings("r1_json.py", cwd=tmp_path)) is flagged


HELPERS = (
    "from alembic import op\nimport sqlalchemy as sa\n\n\n"
    "def create_table(table_name, *columns, **kwargs):\n"  # superset's migrations/shared/utils.py
    "    if has_table(table_name):\n"
    "        return\n"
    "    op.create_table(table_name, *columns, **kwargs)\n\n\n"
    "def drop_legacy(table):\n"
    "    op.drop_column(table, 'legacy')\n\n\n"
    "def log(message):\n"
    "    print(message)\n")


def with_helpers(root: Path, helpers: str, migration: str, imports: str, upgrade: str,
                 downgrade: str = "    pass\n") -> str:
    """A project whose package `app` holds helpers.py and, in app/migrations, one revision importing from it: the
    revision's path."""
    path = f"app/migrations/{migration}"
    write_tree(root, {"app/__init__.py": "", "app/helpers.py": helpers,
                      path: imports + HEAD + upgrade + "\n\ndef downgrade():\n" + downgrade})
    return path


def test_a_helper_of_another_project_module_is_read_and_reported_at_its_call(tmp_path: Path) -> None:
    upgrade = ("def upgrade():\n"
               "    create_table('events', sa.Column('id', sa.Integer(), primary_key=True),\n"  # line 11
               "                 sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')))\n"
               "    op.create_index('ix_events_user', 'events', ['user_id'])\n"  # a table created above: no finding
               "    drop_legacy('accounts')\n"  # line 14
               "    log('done')\n"  # reads nothing of the database's: still opaque
               "    gone()\n")  # from a module that is not there: opaque
    imports = "from app.helpers import create_table, drop_legacy, log\nfrom app.gone import gone\n"
    path = with_helpers(tmp_path, HELPERS, "r1_events.py", imports, upgrade, "    op.drop_table('events')\n")
    got = sorted((f["rule"], f["line"]) for f in findings(path, cwd=tmp_path) if f["rule"] != "missing-down-migration")
    assert got == [("drop-column", 14), ("unreadable-operation", 15), ("unreadable-operation", 16)], got
    [drop] = [f for f in findings(path, cwd=tmp_path) if f["rule"] == "drop-column"]
    assert "accounts.legacy" in drop["message"] and drop["path"] == path


@pytest.mark.parametrize("name, flagged", [("r1_add_index.py", True), ("r1_add_index_postgres.py", True),
                                           ("r1_add_index_mysql.py", False), ("r1_add_index_sqlite.py", False)])
def test_a_database_named_last_in_the_file_name_is_its_database(tmp_path: Path, name: str, flagged: bool) -> None:
    # dagster keeps each database's revisions side by side: 023_add_event_log_event_type_idx_mysql.py, ..._postgres.py
    body = "def upgrade():\n    op.create_index('ix_events_kind', 'events', ['kind'])\n"
    write_tree(tmp_path, {name: HEAD + body + "\n\ndef downgrade():\n    op.drop_index('ix_events_kind')\n"})
    assert any(f["rule"] == "non-concurrent-index" for f in findings(name, cwd=tmp_path)) is flagged


def test_the_same_finding_at_the_same_place_is_reported_once(tmp_path: Path) -> None:
    helpers = ("from alembic import op\n\n\ndef add_fks(table, targets):\n"
               "    for target in targets:\n"
               "        op.create_foreign_key(None, table, target, ['owner_id'], ['id'])\n")
    upgrade = "def upgrade():\n    add_fks('events', ['users', 'users'])\n"
    path = with_helpers(tmp_path, helpers, "r1_fks.py", "from app.helpers import add_fks\n", upgrade)
    got = [f for f in findings(path, cwd=tmp_path) if f["rule"] == "foreign-key-not-valid"]
    assert len(got) == 1, got


def test_a_helper_of_another_module_reads_the_callers_names_where_they_are_written(tmp_path: Path) -> None:
    helpers = ("from alembic import op\n\nindex = 'not_this_one'\n\n\n"
               "def create_index(table_name, index_name, columns):\n"
               "    op.create_index(index_name, table_name, columns)\n")
    upgrade = "table = 'query'\nindex = 'ix_sql_editor_id'\n\n\ndef upgrade():\n    create_index(table, op.f(index), ['x'])\n"
    path = with_helpers(tmp_path, helpers, "r1_ix.py", "from app.helpers import create_index\n", upgrade)
    [found] = [f for f in findings(path, cwd=tmp_path) if f["rule"] == "non-concurrent-index"]
    assert "ix_sql_editor_id on query" in found["message"], found["message"]


def test_a_type_held_in_a_variable_is_no_type_named_like_the_variable(tmp_path: Path) -> None:
    """aodh: `existing_type=existing_type` (a local variable) was read as a type named "existing_type": the message
    said "from existing_type to ...". The value is not read, so the type is unknown."""
    upgrade = ("    existing_type = sa.DECIMAL(precision=20, scale=6)\n"
               "    op.alter_column('alarm', 'ts', existing_type=existing_type, type_=sa.DateTime())\n"
               "    op.alter_column('alarm', 'ts2', existing_type=col.type, type_=sa.DateTime())\n")  # cinder's
    write_tree(tmp_path, {"r1_ts.py": HEAD + "def upgrade():\n" + upgrade + "\n\ndef downgrade():\n    pass\n"})
    changes = [f["message"] for f in findings("r1_ts.py", cwd=tmp_path) if f["rule"] == "column-type-change"]
    assert len(changes) == 2 and all("its current type" in message for message in changes), changes


def test_column_lists_given_to_a_helper_are_read_in_it(tmp_path: Path) -> None:
    """airflow 0041: `_rename_index(batch_op=batch_op, ..., columns=["alias_id"])` whose body calls
    `batch_op.create_index(new_name, columns)`; the index it makes serves the foreign key added next."""
    upgrade = ("    with op.batch_alter_table('aaa') as batch_op:\n"
               "        _rename_index(batch_op=batch_op, new_name='new_i', columns=['alias_id'])\n"
               "        batch_op.create_foreign_key('fk', 'alias', ['alias_id'], ['id'])\n")
    helper = ("def _rename_index(*, batch_op, new_name, columns):\n"
              "    batch_op.create_index(new_name, columns)\n\n\n")
    write_tree(tmp_path, {"r1_ix.py": HEAD + helper + "def upgrade():\n" + upgrade + "\n\ndef downgrade():\n    pass\n"})
    rules = [f["rule"] for f in findings("r1_ix.py", cwd=tmp_path)]
    assert "non-concurrent-index" in rules and "foreign-key-without-index" not in rules
