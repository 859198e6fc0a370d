"""TypeORM migrations (`export class X implements MigrationInterface { async up(queryRunner) ... }`), TS or compiled
JS: `queryRunner.query(sql)` through the SQL pipeline, and the QueryRunner API (dropTable, addColumn, createIndex, ...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit

ORM = "typeorm"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
_MARKERS = re.compile(r"MigrationInterface|QueryRunner|queryRunner|[\"']typeorm[\"']")
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
    from .js.structure import aliases, chain_tops, first_param_names, flatten

    source = context.source
    names = first_param_names(entry) if entry is not None else set()
    names = names or {"queryRunner"}
    body = entry.body if entry is not None else source.root
    names = aliases(source, body, names)
    for top in chain_tops(body):
        chain = flatten(source, top)
        if chain.root in names:
            _chain(context, chain)


_SQL_HOLDERS = {"manager", "connection"}


def _chain(context: Any, chain: Any) -> None:
    from .js.values import name_of

    links = list(chain.links)
    while links and links[0].args is None and links[0].name in _SQL_HOLDERS:
        links.pop(0)
    if not links or links[0].args is None:
        return
    link = links[0]
    args = [context.value(a) for a in link.args]
    arg = link.args
    method = link.name
    location = context.chain_location(chain, link)
    node = chain.top

    def table(index: int = 0) -> str:
        return _table_name(args[index]) if index < len(args) else "?"

    from .. import ir

    if method == "query" and args:
        context.sql(args[0], arg[0])
    elif method == "dropTable" and args:
        context.emit(ir.DropTable, location, node, table=table(), if_exists=_flag(args, 1))
    elif method == "renameTable" and len(args) >= 2:
        context.emit(ir.RenameTable, location, node, table=table(), new_name=_table_name(args[1]))
    elif method == "clearTable" and args:
        context.emit(ir.Truncate, location, node, tables=(table(),))
    elif method in ("addColumn", "addColumns") and len(args) >= 2:
        for column in _items(args[1]) if method == "addColumns" else [args[1]]:
            definition = _column(column)
            if definition is not None:
                context.emit(ir.AddColumn, location, node, table=table(), column=definition)
    elif method in ("dropColumn", "dropColumns") and len(args) >= 2:
        for column in _items(args[1]) if method == "dropColumns" else [args[1]]:
            context.emit(ir.DropColumn, location, node, table=table(), column=_column_name(column))
    elif method == "renameColumn" and len(args) >= 3:
        context.emit(ir.RenameColumn, location, node, table=table(), column=_column_name(args[1]),
                     new_name=_column_name(args[2]))
    elif method in ("changeColumn", "changeColumns") and len(args) >= 2:
        pairs = [(args[1], args[2])] if method == "changeColumn" and len(args) >= 3 else [
            (_options(c).get("oldColumn"), _options(c).get("newColumn")) for c in _items(args[1])]
        for old, new in pairs:
            _change_column(context, location, node, table(), old, new)
    elif method in ("createIndex", "createIndices") and len(args) >= 2:
        for index in _items(args[1]) if method == "createIndices" else [args[1]]:
            _index(context, location, node, table(), _options(index))
    elif method in ("dropIndex", "dropIndices") and len(args) >= 2:
        for index in _items(args[1]) if method == "dropIndices" else [args[1]]:
            name = _column_name(index)
            context.emit(ir.DropIndex, location, node, name=name, table=table())
    elif method in ("createForeignKey", "createForeignKeys") and len(args) >= 2:
        for fk in _items(args[1]) if method == "createForeignKeys" else [args[1]]:
            context.ops.append(_foreign_key(context, location, node, table(), _options(fk)))
    elif method in ("dropForeignKey", "dropForeignKeys", "dropUniqueConstraint", "dropCheckConstraint",
                    "dropPrimaryKey") and args:
        constraint = _column_name(args[1]) if len(args) >= 2 else "primary key"
        context.emit(ir.DropConstraint, location, node, table=table(), name=constraint)
    elif method in ("createUniqueConstraint", "createCheckConstraint") and len(args) >= 2:
        opts = _options(args[1])
        context.emit(ir.AddConstraint, location, node, table=table(),
                     constraint_type="unique" if method == "createUniqueConstraint" else "check",
                     name=name_of(opts.get("name")) if opts.get("name") is not None else None,
                     columns=_names(opts.get("columnNames")))
    elif method == "createPrimaryKey" and len(args) >= 2:
        context.emit(ir.AddConstraint, location, node, table=table(), constraint_type="primary_key",
                     columns=_names(args[1]))
    elif method == "createTable" and args:
        _create_table(context, location, node, args[0], if_not_exists=_flag(args, 1))
    elif method == "dropDatabase" and args:
        context.emit(ir.DropDatabase, location, node, name=table())
    elif method == "dropSchema" and args:
        context.emit(ir.DropSchema, location, node, name=table(), cascade=_flag(args, 2))


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
    from .. import ir
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
    from .. import ir

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
    from .. import ir
    from .js.values import is_truthy, name_of

    name = opts.get("name")
    columns = _names(opts.get("columnNames"))
    # unnamed: TypeORM generates a hash name; show the columns instead
    shown = name_of(name) if name is not None else f"({', '.join(columns)})"
    context.emit(ir.CreateIndex, location, node, table=table, name=shown, columns=columns,
                 unique=is_truthy(opts.get("isUnique")) is True,
                 concurrent=is_truthy(opts.get("isConcurrent")) is True)


def _foreign_key(context: Any, location: Any, node: Any, table: str, opts: Any) -> Any:
    from .. import ir
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
    from .. import ir

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
