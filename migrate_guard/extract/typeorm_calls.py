"""What each QueryRunner call of a TypeORM migration does, as a table of handlers over the call's evaluated arguments
(dropTable, addColumn(s), changeColumn(s), createIndex, createForeignKey, query(sql), ...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import ir
from .js.columns import default_of, sql_type
from .js.values import Call, JsArray, JsObject, JsString, is_truthy, name_of, names_of


_SQL_HOLDERS = {"manager", "connection"}


def query_runner_call(context: Any, chain: Any) -> None:
    """One `queryRunner.<method>(...)` chain (also through `manager`/`connection`): the operation it performs."""
    links = list(chain.links)
    while links and links[0].args is None and links[0].name in _SQL_HOLDERS:
        links.pop(0)
    if not links or links[0].args is None:
        return
    link = links[0]
    handler = _HANDLERS.get(link.name or "")
    if handler is None or len(link.args) < handler[0]:
        return  # a call that changes nothing (startTransaction, hasTable, ...): its arguments are not evaluated
    handler[1](_Call(context, link.name or "", [context.value(a) for a in link.args], link.args,
                     context.chain_location(chain, link), chain.top))


@dataclass
class _Call:
    """One QueryRunner call: its evaluated arguments (and their nodes), where it is, the migration to emit into."""
    context: Any
    method: str
    args: list[Any]
    nodes: list[Any]
    location: Any
    node: Any

    def table(self, index: int = 0) -> str:
        return _table_name(self.args[index]) if index < len(self.args) else "?"

    def emit(self, cls: Any, **fields: Any) -> Any:
        return self.context.emit(cls, self.location, self.node, **fields)

    def each(self, plural: str) -> list[Any]:
        """The second argument, or its items for the plural method (`addColumns([...])`, `dropIndices([...])`)."""
        return _items(self.args[1]) if self.method == plural else [self.args[1]]


def _query(call: _Call) -> None:
    call.context.sql(call.args[0], call.nodes[0])


def _drop_table(call: _Call) -> None:
    call.emit(ir.DropTable, table=call.table(), if_exists=_flag(call.args, 1))


def _rename_table(call: _Call) -> None:
    call.emit(ir.RenameTable, table=call.table(), new_name=_table_name(call.args[1]))


def _clear_table(call: _Call) -> None:
    call.emit(ir.Truncate, tables=(call.table(),))


def _add_columns(call: _Call) -> None:
    for column in call.each("addColumns"):
        definition = _column(column)
        if definition is not None:
            call.emit(ir.AddColumn, table=call.table(), column=definition)


def _drop_columns(call: _Call) -> None:
    for column in call.each("dropColumns"):
        call.emit(ir.DropColumn, table=call.table(), column=_column_name(column))


def _rename_column(call: _Call) -> None:
    call.emit(ir.RenameColumn, table=call.table(), column=_column_name(call.args[1]),
              new_name=_column_name(call.args[2]))


def _change_columns(call: _Call) -> None:
    args = call.args
    pairs = [(args[1], args[2])] if call.method == "changeColumn" and len(args) >= 3 else [
        (_options(c).get("oldColumn"), _options(c).get("newColumn")) for c in _items(args[1])]
    for old, new in pairs:
        _change_column(call.context, call.location, call.node, call.table(), old, new)


def _create_indices(call: _Call) -> None:
    for index in call.each("createIndices"):
        _index(call.context, call.location, call.node, call.table(), _options(index))


def _drop_indices(call: _Call) -> None:
    for index in call.each("dropIndices"):
        call.emit(ir.DropIndex, name=_column_name(index), table=call.table())


def _create_foreign_keys(call: _Call) -> None:
    for fk in call.each("createForeignKeys"):
        call.context.ops.append(_foreign_key(call.context, call.location, call.node, call.table(), _options(fk)))


def _drop_constraint(call: _Call) -> None:
    constraint = _column_name(call.args[1]) if len(call.args) >= 2 else "primary key"
    call.emit(ir.DropConstraint, table=call.table(), name=constraint)


def _create_constraint(call: _Call) -> None:
    opts = _options(call.args[1])
    call.emit(ir.AddConstraint, table=call.table(),
              constraint_type="unique" if call.method == "createUniqueConstraint" else "check",
              name=name_of(opts.get("name")) if opts.get("name") is not None else None,
              columns=_names(opts.get("columnNames")))


def _create_primary_key(call: _Call) -> None:
    call.emit(ir.AddConstraint, table=call.table(), constraint_type="primary_key", columns=_names(call.args[1]))


def _create_table_call(call: _Call) -> None:
    _create_table(call.context, call.location, call.node, call.args[0], if_not_exists=_flag(call.args, 1))


def _drop_database(call: _Call) -> None:
    call.emit(ir.DropDatabase, name=call.table())


def _drop_schema(call: _Call) -> None:
    call.emit(ir.DropSchema, name=call.table(), cascade=_flag(call.args, 2))


# QueryRunner method -> (the fewest arguments it is read with, its handler)
_HANDLERS: dict[str, tuple[int, Callable[[_Call], None]]] = {
    "query": (1, _query),
    "dropTable": (1, _drop_table),
    "renameTable": (2, _rename_table),
    "clearTable": (1, _clear_table),
    "addColumn": (2, _add_columns), "addColumns": (2, _add_columns),
    "dropColumn": (2, _drop_columns), "dropColumns": (2, _drop_columns),
    "renameColumn": (3, _rename_column),
    "changeColumn": (2, _change_columns), "changeColumns": (2, _change_columns),
    "createIndex": (2, _create_indices), "createIndices": (2, _create_indices),
    "dropIndex": (2, _drop_indices), "dropIndices": (2, _drop_indices),
    "createForeignKey": (2, _create_foreign_keys), "createForeignKeys": (2, _create_foreign_keys),
    **dict.fromkeys(("dropForeignKey", "dropForeignKeys", "dropUniqueConstraint", "dropCheckConstraint",
                     "dropPrimaryKey"), (1, _drop_constraint)),
    "createUniqueConstraint": (2, _create_constraint), "createCheckConstraint": (2, _create_constraint),
    "createPrimaryKey": (2, _create_primary_key),
    "createTable": (1, _create_table_call),
    "dropDatabase": (1, _drop_database),
    "dropSchema": (1, _drop_schema),
}


def _flag(args: list[Any], index: int) -> bool:
    return index < len(args) and args[index] is True


def _options(value: Any) -> Any:
    """The options object of `new TableColumn({...})` or a plain object literal."""
    if isinstance(value, Call) and value.args and isinstance(value.args[0], JsObject):
        return value.args[0]
    if isinstance(value, JsObject):
        return value
    return _Empty()


class _Empty:
    def get(self, key: str, default: Any = None) -> Any:
        return default


def _items(value: Any) -> list[Any]:
    return list(value.items) if isinstance(value, JsArray) else []


def _names(value: Any) -> tuple[str, ...]:
    return names_of(value) if value is not None else ()


def _table_name(value: Any) -> str:
    name = _options(value).get("name")
    if name is not None:
        return name_of(name) or "?"
    return name_of(value) or "?"


def _column_name(value: Any) -> str:
    return _table_name(value)


def _column(value: Any) -> Any:
    opts = _options(value)
    name = opts.get("name")
    if name is None:
        return None
    type_value = opts.get("type")
    type_text = type_value.text if isinstance(type_value, JsString) else None
    column_type = None
    if type_text:
        params = [opts.get("length"), opts.get("precision"), opts.get("scale")]
        numbers = [int(p.text) if isinstance(p, JsString) and p.text.isdigit() else p for p in params]
        column_type = sql_type(type_text, *[n for n in numbers if n is not None])
    nullable = is_truthy(opts.get("isNullable")) is True  # TableColumn.isNullable defaults to false
    has_default = "default" in opts.entries if hasattr(opts, "entries") else False
    default = default_of(opts.get("default"), raw_strings=True) if has_default else None
    generated = is_truthy(opts.get("isGenerated")) is True or opts.get("generatedType") is not None or (
        opts.get("asExpression") is not None)
    return ir.ColumnDef(name=name_of(name) or "?", type=column_type, nullable=nullable, default=default,
                        primary_key=is_truthy(opts.get("isPrimary")) is True,
                        unique=is_truthy(opts.get("isUnique")) is True, generated=generated)


def _change_column(context: Any, location: Any, node: Any, table: str, old: Any, new: Any) -> None:
    new_column = _column(new)
    old_column = _column(old)
    old_name = old_column.name if old_column is not None else _column_name(old)
    if new_column is None:
        return
    if new_column.name != old_name:
        context.emit(ir.RenameColumn, location, node, table=table, column=old_name, new_name=new_column.name)
    old_type = old_column.type if old_column is not None else None
    if old_type is None or new_column.type is None or (old_type.name, old_type.params) != (
            new_column.type.name, new_column.type.params):
        context.emit(ir.AlterColumnType, location, node, table=table, column=new_column.name,
                     new_type=new_column.type, old_type=old_type, restated=True)
    if old_column is not None and old_column.nullable and not new_column.nullable:
        context.emit(ir.SetNotNull, location, node, table=table, column=new_column.name)


def _index(context: Any, location: Any, node: Any, table: str, opts: Any) -> None:
    name = opts.get("name")
    columns = _names(opts.get("columnNames"))
    # unnamed: TypeORM generates a hash name; show the columns instead
    shown = name_of(name) if name is not None else f"({', '.join(columns)})"
    context.emit(ir.CreateIndex, location, node, table=table, name=shown, columns=columns,
                 unique=is_truthy(opts.get("isUnique")) is True,
                 concurrent=is_truthy(opts.get("isConcurrent")) is True)


def _foreign_key(context: Any, location: Any, node: Any, table: str, opts: Any) -> Any:
    on_delete = opts.get("onDelete")
    name = opts.get("name")
    reference = ir.ForeignKeyRef(table=_table_name(opts.get("referencedTableName")),
                                 columns=_names(opts.get("referencedColumnNames")),
                                 on_delete=name_of(on_delete) if on_delete is not None else None)
    return context.make(ir.AddConstraint, location, node, table=table, constraint_type="foreign_key",
                        name=name_of(name) if name is not None else None, columns=_names(opts.get("columnNames")),
                        references=reference)


def _create_table(context: Any, location: Any, node: Any, value: Any, if_not_exists: bool) -> None:
    opts = _options(value)
    table = _table_name(value)
    columns = [c for c in (_column(item) for item in _items(opts.get("columns"))) if c is not None]
    create = context.emit(ir.CreateTable, location, node, table=table, columns=columns, if_not_exists=if_not_exists)
    for column in columns:
        if column.primary_key or column.unique:
            create.constraints.append(context.make(
                ir.AddConstraint, location, node, table=table,
                constraint_type="primary_key" if column.primary_key else "unique", columns=(column.name,)))
    for fk in _items(opts.get("foreignKeys")):
        create.constraints.append(_foreign_key(context, location, node, table, _options(fk)))
    for unique in _items(opts.get("uniques")):
        create.constraints.append(context.make(ir.AddConstraint, location, node, table=table,
                                               constraint_type="unique",
                                               columns=_names(_options(unique).get("columnNames"))))
    for index in _items(opts.get("indices")):
        _index(context, location, node, table, _options(index))
