"""What each QueryInterface call does, as a table of handlers over the call's evaluated arguments: the same for a
call written in the migration and for one made inside a project helper the migration calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ir
from .js.columns import default_of, sql_type
from .js.local_helpers import helper_calls
from .js.values import UNDEFINED, Call, JsArray, JsObject, JsString, Ref, Unknown, is_truthy, name_of, names_of


@dataclass(slots=True)
class _Call:
    """One QueryInterface call with its arguments' values, written in the migration or inside one of its helpers."""

    context: Any
    method: str
    args: list[Any]
    location: Any
    node: Any  # where the migration makes it (the helper's call for a helper)
    arg_nodes: list[Any]  # the argument nodes in the migration; [] inside a helper

    def arg(self, index: int) -> Any:
        return self.args[index] if index < len(self.args) else None

    @property
    def table(self) -> str:
        return _table(self.args[0]) if self.args else "?"

    def emit(self, cls: Any, **fields: Any) -> Any:
        return self.context.emit(cls, self.location, self.node, **fields)


def call(context: Any, chain: Any, link: Any) -> None:
    if link.args is None or link.name is None:
        return
    handler = _HANDLERS.get(link.name)
    if handler is None or len(link.args) < handler[0]:
        return  # a call that changes nothing (describeTable, sequelize.transaction, ...): nothing to evaluate
    handler[1](_Call(context, link.name, [context.value(a) for a in link.args], context.chain_location(chain, link),
                     chain.top, link.args))


def _dispatch(call: _Call) -> None:
    handler = _HANDLERS.get(call.method)
    if handler is not None and len(call.args) >= handler[0]:
        handler[1](call)


def _query(call: _Call) -> None:  # the context is the Sequelize instance itself
    if call.arg_nodes:
        call.context.sql(call.args[0], call.arg_nodes[0])


def _create_table_call(call: _Call) -> None:
    _create_table(call.context, call.location, call.node, call.table, call.arg(1))


def _drop_table(call: _Call) -> None:
    call.emit(ir.DropTable, table=call.table)


def _drop_all_tables(call: _Call) -> None:
    call.emit(ir.DropTable, table="(all tables)")


def _rename_table(call: _Call) -> None:
    call.emit(ir.RenameTable, table=call.table, new_name=_table(call.arg(1)))


def _add_column(call: _Call) -> None:
    call.emit(ir.AddColumn, table=call.table, column=_column(name_of(call.arg(1)) or "?", call.arg(2)))


def _remove_column(call: _Call) -> None:
    call.emit(ir.DropColumn, table=call.table, column=name_of(call.arg(1)) or "?")


def _rename_column(call: _Call) -> None:
    call.emit(ir.RenameColumn, table=call.table, column=name_of(call.arg(1)) or "?",
              new_name=name_of(call.arg(2)) or "?")


def _change_column(call: _Call) -> None:
    column = _column(name_of(call.arg(1)) or "?", call.arg(2))
    if column.type is not None:  # a type that cannot be read says nothing of a change (the column is restated)
        call.emit(ir.AlterColumnType, table=call.table, column=column.name, new_type=column.type, restated=True)
    if isinstance(call.arg(2), JsObject) and call.arg(2).get("allowNull") is False:
        call.emit(ir.SetNotNull, table=call.table, column=column.name)
    if column.references is not None:  # Postgres' changeColumnQuery adds `FOREIGN KEY (c) REFERENCES ..` again
        call.emit(ir.AddConstraint, table=call.table, constraint_type="foreign_key", columns=(column.name,),
                  references=column.references)


def _add_index(call: _Call) -> None:
    options = call.arg(1) if isinstance(call.arg(1), JsObject) else call.arg(2) if isinstance(call.arg(2), JsObject) \
        else None
    fields = call.arg(1) if isinstance(call.arg(1), JsArray) else options.get("fields") if options is not None \
        else None
    extra = call.arg(2) if isinstance(call.arg(2), JsObject) else None

    def option(key: str) -> Any:
        for source in (extra, options):
            if source is not None and key in source.entries:
                return source.get(key)
        return None

    name = option("name")
    columns = _field_names(fields)
    default_name = "_".join((call.table.split(".")[-1], *columns))  # Sequelize's own default name
    call.emit(ir.CreateIndex, table=call.table, name=name_of(name) if name is not None else default_name,
              columns=columns, unique=is_truthy(option("unique")) is True,
              concurrent=is_truthy(option("concurrently")) is True)


def _remove_index(call: _Call) -> None:
    options = call.arg(2) if isinstance(call.arg(2), JsObject) else None
    name = name_of(call.arg(1)) if not isinstance(call.arg(1), JsArray) else "_".join(
        (call.table, *names_of(call.arg(1))))
    call.emit(ir.DropIndex, name=name or "?", table=call.table,
              concurrent=options is not None and is_truthy(options.get("concurrently")) is True)


_CONSTRAINT_TYPES = {"foreign key": "foreign_key", "unique": "unique", "check": "check", "primary key": "primary_key"}


def _add_constraint(call: _Call) -> None:
    options = call.arg(1) if isinstance(call.arg(1), JsObject) else call.arg(2) if isinstance(call.arg(2), JsObject) \
        else None
    if options is None:
        return
    fields = options.get("fields") if options.get("fields") is not None else call.arg(1)
    constraint_type = _CONSTRAINT_TYPES.get((name_of(options.get("type")) or "").lower().replace("_", " "))
    if constraint_type is None:
        return
    references = None
    if constraint_type == "foreign_key":
        target = options.get("references")
        target = target if isinstance(target, JsObject) else None
        on_delete = options.get("onDelete")
        references = ir.ForeignKeyRef(
            table=_table(target.get("table")) if target is not None else "?",
            columns=_field_names(target.get("field") or target.get("fields")) if target is not None else (),
            on_delete=name_of(on_delete) if on_delete is not None else None)
    name = options.get("name")
    call.emit(ir.AddConstraint, table=call.table, constraint_type=constraint_type,
              name=name_of(name) if name is not None else None, columns=_field_names(fields), references=references)


def _remove_constraint(call: _Call) -> None:
    call.emit(ir.DropConstraint, table=call.table, name=name_of(call.arg(1)) or "?")


def _bulk_delete(call: _Call) -> None:
    call.emit(ir.Delete, table=call.table, has_where=_has_where(call.arg(1)))


def _bulk_update(call: _Call) -> None:
    call.emit(ir.Update, table=call.table, has_where=_has_where(call.arg(2)))


def _drop_schema(call: _Call) -> None:
    call.emit(ir.DropSchema, name=call.table)


# method -> (arguments it needs at least, handler)
_HANDLERS: dict[str, tuple[int, Callable[[_Call], None]]] = {
    "query": (1, _query),
    "createTable": (2, _create_table_call),
    "dropTable": (1, _drop_table),
    "dropAllTables": (0, _drop_all_tables),
    "renameTable": (2, _rename_table),
    "addColumn": (3, _add_column),
    "removeColumn": (2, _remove_column),
    "renameColumn": (3, _rename_column),
    "changeColumn": (3, _change_column),
    "addIndex": (2, _add_index),
    "removeIndex": (2, _remove_index),
    "addConstraint": (2, _add_constraint),
    "removeConstraint": (2, _remove_constraint),
    "bulkDelete": (1, _bulk_delete),
    "bulkUpdate": (2, _bulk_update),
    "dropSchema": (1, _drop_schema),
}


def helper(context: Any, chain: Any, interfaces: set[str]) -> None:
    """`await removeColumnIfExists(queryInterface, 'users', 'legacy')`: the calls the project's helper makes."""
    root = Path(context.unit.project.root) if context.unit.project is not None else None
    for made in helper_calls(context.source, context.evaluator, chain.top, interfaces,
                             lambda method: method in _HANDLERS and method != "query", root):
        _dispatch(_Call(context, made.method, made.args, context.location(chain.top), chain.top, []))


def _has_where(value: Any) -> bool:
    """`bulkDelete(t, null)`, `bulkDelete(t, {})` and a missing where delete every row."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, JsObject):
        return bool(value.entries)
    return True  # a variable or an expression: assume it filters


def _table(value: Any) -> str:
    """A table given as 'users' or { tableName: 'users', schema: 'public' }."""
    if isinstance(value, JsObject):
        name = name_of(value.get("tableName")) or "?"
        schema = name_of(value.get("schema")) if value.get("schema") is not None else None
        return f"{schema}.{name}" if schema else name
    return name_of(value) or "?"


def _field_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, JsArray):
        names = []
        for item in value.items:
            if isinstance(item, JsObject):  # { name: 'col', order: 'DESC' } or { attribute: 'col' }
                item = item.get("name") or item.get("attribute")
            name = name_of(item)
            if name:
                names.append(name)
        return tuple(names)
    return names_of(value) if value is not None else ()


_TYPES: dict[str, str] = {
    "STRING": "varchar", "CHAR": "char", "TEXT": "text", "CITEXT": "citext", "INTEGER": "int", "BIGINT": "bigint",
    "SMALLINT": "smallint", "TINYINT": "smallint", "MEDIUMINT": "int", "FLOAT": "real", "REAL": "real",
    "DOUBLE": "double precision", "DECIMAL": "numeric", "NUMERIC": "numeric", "BOOLEAN": "boolean",
    "DATE": "timestamptz", "DATEONLY": "date", "TIME": "time", "NOW": "timestamptz", "UUID": "uuid",
    "JSON": "json", "JSONB": "jsonb", "BLOB": "bytea", "ENUM": "enum", "INET": "inet", "CIDR": "cidr",
    "MACADDR": "macaddr", "GEOMETRY": "geometry", "GEOGRAPHY": "geography", "HSTORE": "hstore", "TSVECTOR": "tsvector",
}


def _type(value: Any) -> Any:
    if isinstance(value, Ref) and value.path and value.path[-1] in _TYPES:
        name = value.path[-1]
        return sql_type(_TYPES[name], 255) if name == "STRING" else sql_type(_TYPES[name])
    if isinstance(value, Call) and value.callee and value.callee[-1] in _TYPES:
        name = value.callee[-1]
        if name == "ARRAY":
            return sql_type("array")
        numbers = [a for a in value.args if isinstance(a, int) and not isinstance(a, bool)]
        return sql_type(_TYPES[name], *numbers)
    if isinstance(value, Call) and value.callee and value.callee[-1] == "ARRAY":
        return sql_type("array")
    if isinstance(value, JsString):
        return sql_type(value.text)
    return None


def _column(name: str, value: Any) -> Any:
    if not isinstance(value, JsObject):  # addColumn('t', 'c', Sequelize.STRING): nullable, no default
        return ir.ColumnDef(name=name, type=_type(value))
    references = None
    target = value.get("references")
    if isinstance(target, JsObject):
        model = target.get("model")
        table = _table(model.get("tableName")) if isinstance(model, JsObject) and model.get("tableName") \
            is not None else _table(model)
        key = name_of(target.get("key")) if target.get("key") is not None else None
        on_delete = value.get("onDelete")
        references = ir.ForeignKeyRef(table=table, columns=(key,) if key else (),
                                      on_delete=name_of(on_delete) if on_delete is not None else None)
    default_value = value.get("defaultValue")
    has_default = "defaultValue" in value.entries and _schemable(default_value)
    auto = is_truthy(value.get("autoIncrement")) is True
    primary = is_truthy(value.get("primaryKey")) is True
    allow_null = value.get("allowNull")
    return ir.ColumnDef(name=name, type=_type(value.get("type")), nullable=not (allow_null is False or primary),
                        default=default_of(default_value) if has_default else None,
                        primary_key=primary, unique=is_truthy(value.get("unique")) is True, generated=auto,
                        references=references)


def _schemable(value: Any) -> bool:
    """Sequelize writes a DB default only for values it can put in the schema: Sequelize.NOW, UUIDV1/UUIDV4 and
    functions are filled in by the client on insert, so the column gets no DEFAULT (utils.defaultValueSchemable)."""

    if isinstance(value, Ref) and value.path and value.path[-1] in ("NOW", "UUIDV1", "UUIDV4"):
        return False
    return not (isinstance(value, Unknown) and ("=>" in value.text or value.text.startswith(("function", "async"))))


def _create_table(context: Any, location: Any, node: Any, table: str, attributes: Any) -> None:
    create = context.emit(ir.CreateTable, location, node, table=table)
    if not isinstance(attributes, JsObject):
        return
    for key, value in attributes.entries.items():
        column = _column(key, value)
        create.columns.append(column)
        pair = attributes.nodes.get(key)
        where = context.location(pair) if pair is not None else location
        if column.references is not None:
            create.constraints.append(context.make(ir.AddConstraint, where, pair or node, table=table,
                                                   constraint_type="foreign_key", columns=(column.name,),
                                                   references=column.references))
        if column.primary_key or column.unique:
            create.constraints.append(context.make(ir.AddConstraint, where, pair or node, table=table,
                                                   constraint_type="primary_key" if column.primary_key
                                                   else "unique", columns=(column.name,)))
