"""TypeORM migrations (`export class X implements MigrationInterface { async up(queryRunner) ... }`), TS or compiled
JS: `queryRunner.query(sql)` through the SQL pipeline, and the QueryRunner API (dropTable, addColumn, createIndex, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .. import ir
from ..model import Migration
from .base import MigrationUnit, in_name_order

ORM = "typeorm"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
# n8n's migrations take a context object instead: async up({ runQuery, schemaBuilder: { dropColumns } })
_MARKERS = re.compile(r"MigrationInterface|QueryRunner|queryRunner|[\"']typeorm[\"']"
                      r"|\bup\s*\(\s*\{[^)]{0,400}\b(?:runQuery|schemaBuilder)\b")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("ormconfig.*", "*data-source*.ts", "*data-source*.js", "*datasource*.ts", "*datasource*.js",
                 "src/*data-source*.ts", "src/*data-source*.js", "src/config/*.ts", ".env")
_TYPE_PATTERN = r"""(?:\btype\s*[:=]\s*["'`]|"type"\s*:\s*"|TYPEORM_CONNECTION\s*=\s*)([a-z0-9-]+)"""


def claims(path: Path, head: str) -> bool:
    return bool(_MARKERS.search(head)) and bool(_UP.search(head))


def owns(head: str) -> bool:
    """Certainly a TypeORM migration, wherever it is: the class implements MigrationInterface, or `up` takes a
    QueryRunner (compiled JS keeps `up(queryRunner)`)."""
    from .js.shape import parameter_names, parameter_types, up_parameters

    if re.search(r"\bimplements\s+MigrationInterface\b", head):
        return True
    params = up_parameters(head)
    if params is None:
        return False
    # Compiled or minified (`async up(a)`): the class still requires typeorm, or keeps the generated
    # `name = "AddPlan1700000000000"`.
    return ("QueryRunner" in parameter_types(params) or parameter_names(params)[:1] == ["queryRunner"]
            or _IMPORTS_TYPEORM.search(head) is not None or _GENERATED_NAME.search(head) is not None)


_IMPORTS_TYPEORM = re.compile(r"""require\(\s*["']typeorm["']\s*\)|\bfrom\s*["']typeorm["']""")
_GENERATED_NAME = re.compile(r"""\bname\s*=\s*["'`][A-Za-z_]\w*\d{13}["'`]""")


def migration_key(path: Path) -> str:
    return path.name


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _TYPE_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit) -> Migration:
    from .js.migration import extract_js

    return extract_js(unit, ORM, _interpret, _transactional)


def _transactional(source: Any) -> bool:
    # migrationsTransactionMode "all" (the default) wraps migrations in a transaction unless the class opts out.
    return not re.search(r"\btransaction\s*[:=]\s*false\b", source.text)


def _interpret(context: Any, entry: Any) -> None:
    from .js.structure import first_param_names

    dsl: dict[str, str] = {}
    if entry is not None:
        from .n8n_dsl import context_names

        dsl = context_names(context, entry)  # n8n: async up({ runQuery, schemaBuilder: { dropColumns } })
    names = first_param_names(entry) if entry is not None else set()
    _read_body(context, entry.body if entry is not None else context.source.root, names or {"queryRunner"}, dsl, ())


_MAX_METHOD_DEPTH = 3


def _read_body(context: Any, body: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    """The QueryRunner (and n8n context) calls of a body, and of the class's own methods it calls with them
    (`await this.modifyTable(queryRunner)`: the method's body, its parameters standing for what was passed)."""
    from .js.structure import aliases, chain_tops, flatten

    source = context.source
    if dsl:
        from .n8n_dsl import read

        read(context, body, dsl)
    names = aliases(source, body, names)
    for top in chain_tops(body):
        chain = flatten(source, top)
        if chain.root in names:
            _chain(context, chain)
        elif chain.root == "this" and len(following) < _MAX_METHOD_DEPTH:
            _method_call(context, chain, names, dsl, following)


def _method_call(context: Any, chain: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    from .js.structure import function_param_names

    link = chain.links[0] if chain.links else None
    if link is None or not link.name or link.args is None or link.name in following:
        return
    method = _class_method(context.source, chain.top, link.name)
    body = method.child_by_field_name("body") if method is not None else None
    if method is None or body is None:
        return
    text = context.source.text_of
    passed = [text(a) if a.type == "identifier" else None for a in link.args]
    params = function_param_names(context.source, method)
    method_names = {p for p, a in zip(params, passed) if p and a in names}
    method_dsl = {p: dsl[a] for p, a in zip(params, passed) if p and a in dsl}
    if method_names or method_dsl:
        _read_body(context, body, method_names or {"\0"}, method_dsl, (*following, link.name))


def _class_method(source: Any, node: Any, name: str) -> Any:
    """The method `name` of the class around `node`."""
    scope = node.parent
    while scope is not None and scope.type not in ("class_body",):
        scope = scope.parent
    for member in scope.named_children if scope is not None else []:
        if member.type == "method_definition":
            named = member.child_by_field_name("name")
            if named is not None and source.text_of(named) == name:
                return member
    return None


_SQL_HOLDERS = {"manager", "connection"}


def _chain(context: Any, chain: Any) -> None:
    links = list(chain.links)
    while links and links[0].args is None and links[0].name in _SQL_HOLDERS:
        links.pop(0)
    if not links or links[0].args is None:
        return
    link = links[0]
    call = _Call(context, link.name, [context.value(a) for a in link.args], link.args,
                 context.chain_location(chain, link), chain.top)
    handler = _HANDLERS.get(call.method)
    if handler is not None and len(call.args) >= handler[0]:
        handler[1](call)


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
    from .js.values import name_of

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
    from .js.values import Call, JsObject

    if isinstance(value, Call) and value.args and isinstance(value.args[0], JsObject):
        return value.args[0]
    if isinstance(value, JsObject):
        return value
    return _Empty()


class _Empty:
    def get(self, key: str, default: Any = None) -> Any:
        return default


def _items(value: Any) -> list[Any]:
    from .js.values import JsArray

    return list(value.items) if isinstance(value, JsArray) else []


def _names(value: Any) -> tuple[str, ...]:
    from .js.values import names_of

    return names_of(value) if value is not None else ()


def _table_name(value: Any) -> str:
    from .js.values import name_of

    name = _options(value).get("name")
    if name is not None:
        return name_of(name) or "?"
    return name_of(value) or "?"


def _column_name(value: Any) -> str:
    return _table_name(value)


def _column(value: Any) -> Any:
    from .js.columns import default_of, sql_type
    from .js.values import JsString, is_truthy, name_of

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
                     new_type=new_column.type, old_type=old_type)
    if old_column is not None and old_column.nullable and not new_column.nullable:
        context.emit(ir.SetNotNull, location, node, table=table, column=new_column.name)


def _index(context: Any, location: Any, node: Any, table: str, opts: Any) -> None:
    from .js.values import is_truthy, name_of

    name = opts.get("name")
    columns = _names(opts.get("columnNames"))
    # unnamed: TypeORM generates a hash name; show the columns instead
    shown = name_of(name) if name is not None else f"({', '.join(columns)})"
    context.emit(ir.CreateIndex, location, node, table=table, name=shown, columns=columns,
                 unique=is_truthy(opts.get("isUnique")) is True,
                 concurrent=is_truthy(opts.get("isConcurrent")) is True)


def _foreign_key(context: Any, location: Any, node: Any, table: str, opts: Any) -> Any:
    from .js.values import name_of

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
