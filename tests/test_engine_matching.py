"""How the engine matches and words a finding: a clause's `when` (engine/matcher.py), a message's namespace filled on
demand (engine/messages.py), and the lookups by operation class that rely on the IR's classes all deriving from
Operation directly."""

from __future__ import annotations

from typing import Any

import pytest

from migrate_guard import ir
from migrate_guard.engine.matcher import matches
from migrate_guard.engine.messages import Namespace, fill, message

AT = ir.Location("m.sql", 3, 1, 4)


def _add_column(**column: Any) -> ir.AddColumn:
    return ir.AddColumn(location=AT, migration="m", source="ALTER TABLE t\r\n  ADD c int;", table="t",
                        column=ir.ColumnDef(name="c", **column))


FK = ir.AddConstraint(location=AT, migration="m", table="orders", constraint_type="foreign_key", name=None,
                      columns=("user_id", "org_id"), references=ir.ForeignKeyRef("users", ("id",)))


@pytest.mark.parametrize("when,facts,expected", [
    ({"constraint_type": "foreign_key"}, {}, True),
    ({"constraint_type": "check"}, {}, False),
    ({"has_index": False}, {"has_index": False}, True),
    ({"has_index": False}, {}, False),  # neither a fact nor a field: no match, whatever is expected
    ({"name": {"is_null": True}}, {}, True),  # a field that is None
    ({"missing_name": {"is_null": True}}, {}, True),
    ({"missing_name": {"is_null": False}}, {}, False),
    ({"missing_name": {"not": "x"}}, {}, False),  # an absent name satisfies no operator but is_null
    ({"dialect": {"in": ["postgres", "sqlite"]}}, {"dialect": "sqlite"}, True),
    ({"dialect": {"in": ["postgres", "sqlite"]}}, {"dialect": "mysql"}, False),
    ({"dialect": {"not_in": ["mysql"]}}, {"dialect": "postgres"}, True),
    ({"dialect": {"not": "mysql"}}, {"dialect": "mysql"}, False),
    ({"postgres_version": {"lt": 11}}, {"postgres_version": 10}, True),
    ({"postgres_version": {"lt": 11, "ge": 10}}, {"postgres_version": 9}, False),
    ({"postgres_version": {"ge": 11}}, {"postgres_version": None}, False),
    ({"references.table": "users"}, {}, True),
    ({"references.on_delete": {"is_null": True}}, {}, True),
    ({"references.nothing.deeper": {"is_null": True}}, {}, True),
    ({"table": "orders"}, {"table": "other"}, False),  # a fact of the name wins over the field
    ({"constraint_type": "foreign_key", "columns": ("user_id", "org_id"), "lock_mode": "X"},
     {"lock_mode": "X"}, True),
    ({"constraint_type": "foreign_key", "lock_mode": "X"}, {"lock_mode": "Y"}, False),
])
def test_a_clause_matches_as_its_conditions_say(when: dict[str, Any], facts: dict[str, Any], expected: bool) -> None:
    assert matches(tuple(when.items()), FK, facts) is expected


def test_the_namespace_holds_facts_first_then_fields_then_the_placeholder() -> None:
    op = _add_column(type=ir.ColumnType("int", (), "INT"), default=ir.Default("0"))
    namespace = Namespace(op, {"lock_mode": "ACCESS EXCLUSIVE", "table_is_new": None, "column": "from a fact"})
    assert fill("{lock_mode} on {table}: {column} {column_type} = {default}", namespace) == \
        "ACCESS EXCLUSIVE on t: from a fact INT = 0"
    assert fill("{column_def.name} {kind} [{statement}] {nothing} {table_is_new}", Namespace(op, {})) == \
        "c add_column [ALTER TABLE t] {nothing} {table_is_new}"
    assert fill("{column_type}", Namespace(_add_column(), {})) == "?"


def test_the_namespace_of_other_operations() -> None:
    assert fill("{table}({columns}) {references.table} {name}.", Namespace(FK, {})) == \
        "orders(user_id, org_id) users ."  # a tuple joined, None as nothing
    # only a dataclass with a name has a _def (the reference has none): the template is left as written
    assert fill("{references_def.table} on {table}", Namespace(FK, {})) == "{references_def.table} on {table}"
    truncate = ir.Truncate(location=AT, migration="m", tables=("a", "b"))
    assert fill("{table}", Namespace(truncate, {})) == "a, b"
    drop = ir.DropIndex(location=AT, migration="m", name="i", source="DROP INDEX i\u2028-- next")
    assert fill("{table}: {statement} {name_def}", Namespace(drop, {})) == "the index's table: DROP INDEX i {name_def}"
    assert fill("{table.nothing}", Namespace(drop, {})) == "{table.nothing}"  # a template that cannot be filled


def test_a_js_template_hole_in_a_message_is_shown_as_written() -> None:
    op = ir.DropColumn(location=AT, migration="m", table="__prefix__users", column="c")
    assert message("Drops {table}.{column}", Namespace(op, {}), "knex") == "Drops ${prefix}users.c"
    assert message("Drops {table}.{column}", Namespace(op, {}), "django") == "Drops __prefix__users.c"


def test_every_operation_class_derives_from_operation_directly() -> None:
    # the engine's tables by operation class (locks, facts, schema state) stand for isinstance tests only so
    operations = [v for v in vars(ir).values() if isinstance(v, type) and issubclass(v, ir.Operation)]
    assert len(operations) > 30
    assert all(cls.__bases__ == (ir.Operation,) for cls in operations if cls is not ir.Operation)



@pytest.mark.parametrize("table,source,shown", [
    # a template's hole with dots in it: placeholder() kept only its words
    ("__tableDiff_full_tableName__", "renameTable(`${tableDiff.full.tableName}`, x)", "${tableDiff.full.tableName}"),
    # a value the extractor could not know, as the call that gives it, brackets closed
    ("__nameOf_queryRunner_key_true__", "dropColumn(nameOf(queryRunner, 'key', true), 'c')",
     "${nameOf(queryRunner, 'key', true)}"),
    ("__collection_tableName__", "changeColumn(collection.tableName(), 'id')", "${collection.tableName()}"),
    # a hole inside a longer name, which the source writes as a template's hole
    ("pk___tablePrefix__users", "query(`CREATE INDEX pk_${tablePrefix}users ON x`)", "pk_${tablePrefix}users"),
    # a real name with double underscores, no hole in the source: left alone
    ("fk_run__queue_id__queue", "query('ALTER TABLE fk_run__queue_id__queue')", "fk_run__queue_id__queue"),
    # nothing in the source says how it was written: its words, as before
    ("__prefix__users", "", "${prefix}users"),
])
def test_a_js_run_time_name_is_shown_as_the_source_wrote_it(table: str, source: str, shown: str) -> None:
    op = ir.DropTable(location=AT, migration="m", table=table)
    assert message("Drops {table}", Namespace(op, {}), "typeorm", [source]) == f"Drops {shown}"
