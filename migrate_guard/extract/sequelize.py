"""Sequelize migrations (`module.exports = { async up(queryInterface, Sequelize) {...} }`, umzug's
`up({ context: queryInterface })`), TS or JS: the QueryInterface API and `sequelize.query(sql)`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, in_name_order

ORM = "sequelize"
EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
order_units = in_name_order
_MARKERS = re.compile(r"queryInterface|QueryInterface|\bSequelize\b|\bsequelize\b|DataTypes|"
                      r"\.(?:addColumn|removeColumn|bulkInsert|bulkDelete|changeColumn)\(")
_UP = re.compile(r"\bup\s*[(=:]|\.up\s*=|\bup\b\s*[,}]")
_CONFIG_FILES = ("config/config.json", "config/config.js", "config/database.js", "config/database.json",
                 "src/config/config.json", "src/config/config.js", "db/config.json", ".sequelizerc")
_DIALECT_PATTERN = r"""["']?dialect["']?\s*:\s*["'`]([a-z]+)"""


def claims(path: Path, head: str) -> bool:
    return bool(_MARKERS.search(head)) and bool(_UP.search(head))


# QueryInterface methods no other tool's migration calls on its parameter (TypeORM's queryRunner is told apart first).
_QUERY_INTERFACE = (r"\.\s*(?:addColumn|removeColumn|changeColumn|renameColumn|createTable|dropTable|addIndex|"
                    r"removeIndex|addConstraint|removeConstraint|bulkInsert|bulkDelete|bulkUpdate|describeTable|"
                    r"sequelize\s*\.\s*query)\s*\(")


def owns(head: str) -> bool:
    """Certainly a Sequelize migration, wherever it is: `up(queryInterface, Sequelize)`, umzug's
    `up({ context: queryInterface })`, or `up`'s parameter used through the QueryInterface API (`context.addColumn`)."""
    from .js.shape import parameter_names, parameter_types, up_parameters

    params = up_parameters(head)
    if params is None:
        return False
    names = parameter_names(params)
    if not names or not names[0]:
        return False
    if names[0] in ("queryInterface", "qi") or names[1:2] in (["Sequelize"], ["DataTypes"]) or (
            "QueryInterface" in parameter_types(params)):
        return True
    return re.search(r"(?<![\w$.])" + re.escape(names[0]) + _QUERY_INTERFACE, head) is not None


def migration_key(path: Path) -> str:
    return path.name


def dialect_of(path: Path) -> str | None:
    from .js.project import search_upwards

    found = search_upwards(path.parent, _CONFIG_FILES, _DIALECT_PATTERN)
    from ..dialects import dialect_word

    return dialect_word(str(found)) if found else None


def extract(unit: MigrationUnit) -> Migration:
    from .js.migration import extract_js

    return extract_js(unit, ORM, _interpret)  # sequelize-cli runs migrations outside a transaction


def _interpret(context: Any, entry: Any) -> None:
    from .js.structure import aliases, chain_tops, first_param_names, flatten

    source = context.source
    interfaces = first_param_names(entry, 0, "context") if entry is not None else set()
    interfaces = aliases(source, entry.body if entry is not None else source.root,
                         interfaces or {"queryInterface"})
    body = entry.body if entry is not None else source.root
    sequelizes = _sequelize_names(source, body, interfaces) | {"sequelize"}
    interfaces |= _query_interface_names(source, body, interfaces | sequelizes)
    for top in chain_tops(body):
        chain = flatten(source, top)
        links = chain.links
        if chain.root in (interfaces | sequelizes) and links and links[0].name == "getQueryInterface":
            links = links[1:]  # umzug: ({ context: sequelize }) => sequelize.getQueryInterface().addColumn(...)
            if links:
                _call(context, chain, links[0])
        elif chain.root in interfaces and links and links[0].name == "sequelize" and links[0].args is None:
            links = links[1:]
            if links and links[0].name == "query" and links[0].args:
                context.sql(context.value(links[0].args[0]), links[0].args[0])
        elif chain.root in interfaces and links:
            _call(context, chain, links[0])
        elif chain.root in sequelizes and links and links[0].name == "query" and links[0].args:
            context.sql(context.value(links[0].args[0]), links[0].args[0])


def _query_interface_names(source: Any, body: Any, owners: set[str]) -> set[str]:
    """`const queryInterface = sequelize.getQueryInterface()`."""
    found: set[str] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            text = "".join(source.text_of(value).split()) if value is not None else ""
            if name is not None and name.type == "identifier" and text in {f"{o}.getQueryInterface()" for o in owners}:
                found.add(source.text_of(name))
        stack.extend(node.named_children)
    return found


def _sequelize_names(source: Any, body: Any, interfaces: set[str]) -> set[str]:
    """`const { sequelize } = queryInterface` / `const sequelize = queryInterface.sequelize`."""
    found: set[str] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            value_text = source.text_of(value) if value is not None else ""
            if name is not None and name.type == "identifier" and value_text in {
                    f"{i}.sequelize" for i in interfaces}:
                found.add(source.text_of(name))
            elif name is not None and name.type == "object_pattern" and value_text in interfaces:
                for child in name.named_children:
                    if child.type == "shorthand_property_identifier_pattern" and source.text_of(child) == "sequelize":
                        found.add("sequelize")
                    elif child.type == "pair_pattern":
                        key, target = child.child_by_field_name("key"), child.child_by_field_name("value")
                        if key is not None and target is not None and source.text_of(key) == "sequelize":
                            found.add(source.text_of(target))
        stack.extend(node.named_children)
    return found


def _call(context: Any, chain: Any, link: Any) -> None:
    from .. import ir
    from .js.values import JsArray, JsObject, is_truthy, name_of, names_of

    if link.args is None or link.name is None:
        return
    method = link.name
    args = [context.value(a) for a in link.args]
    location = context.chain_location(chain, link)
    node = chain.top
    table = _table(args[0]) if args else "?"

    def arg(index: int) -> Any:
        return args[index] if index < len(args) else None

    if method == "query" and args:  # the context is the Sequelize instance itself
        context.sql(args[0], link.args[0])
    elif method == "createTable" and len(args) >= 2:
        _create_table(context, location, node, table, arg(1))
    elif method == "dropTable" and args:
        context.emit(ir.DropTable, location, node, table=table)
    elif method == "dropAllTables":
        context.emit(ir.DropTable, location, node, table="(all tables)")
    elif method == "renameTable" and len(args) >= 2:
        context.emit(ir.RenameTable, location, node, table=table, new_name=_table(arg(1)))
    elif method == "addColumn" and len(args) >= 3:
        column = _column(name_of(arg(1)) or "?", arg(2))
        context.emit(ir.AddColumn, location, node, table=table, column=column)
    elif method == "removeColumn" and len(args) >= 2:
        context.emit(ir.DropColumn, location, node, table=table, column=name_of(arg(1)) or "?")
    elif method == "renameColumn" and len(args) >= 3:
        context.emit(ir.RenameColumn, location, node, table=table, column=name_of(arg(1)) or "?",
                     new_name=name_of(arg(2)) or "?")
    elif method == "changeColumn" and len(args) >= 3:
        column = _column(name_of(arg(1)) or "?", arg(2))
        context.emit(ir.AlterColumnType, location, node, table=table, column=column.name, new_type=column.type)
        if isinstance(arg(2), JsObject) and arg(2).get("allowNull") is False:
            context.emit(ir.SetNotNull, location, node, table=table, column=column.name)
    elif method == "addIndex" and len(args) >= 2:
        options = arg(1) if isinstance(arg(1), JsObject) else arg(2) if isinstance(arg(2), JsObject) else None
        fields = arg(1) if isinstance(arg(1), JsArray) else options.get("fields") if options is not None else None
        extra = arg(2) if isinstance(arg(2), JsObject) else None
        def option(key: str) -> Any:
            for source in (extra, options):
                if source is not None and key in source.entries:
                    return source.get(key)
            return None
        name = option("name")
        columns = _field_names(fields)
        default_name = "_".join((table.split(".")[-1], *columns))  # Sequelize's own default name
        context.emit(ir.CreateIndex, location, node, table=table,
                     name=name_of(name) if name is not None else default_name, columns=columns,
                     unique=is_truthy(option("unique")) is True,
                     concurrent=is_truthy(option("concurrently")) is True)
    elif method == "removeIndex" and len(args) >= 2:
        options = arg(2) if isinstance(arg(2), JsObject) else None
        name = name_of(arg(1)) if not isinstance(arg(1), JsArray) else "_".join((table, *names_of(arg(1))))
        context.emit(ir.DropIndex, location, node, name=name or "?", table=table,
                     concurrent=options is not None and is_truthy(options.get("concurrently")) is True)
    elif method == "addConstraint" and len(args) >= 2:
        options = arg(1) if isinstance(arg(1), JsObject) else arg(2) if isinstance(arg(2), JsObject) else None
        if options is None:
            return
        fields = options.get("fields") if options.get("fields") is not None else arg(1)
        kind = (name_of(options.get("type")) or "").lower().replace("_", " ")
        constraint_type = {"foreign key": "foreign_key", "unique": "unique", "check": "check",
                           "primary key": "primary_key"}.get(kind)
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
        context.emit(ir.AddConstraint, location, node, table=table, constraint_type=constraint_type,
                     name=name_of(name) if name is not None else None, columns=_field_names(fields),
                     references=references)
    elif method == "removeConstraint" and len(args) >= 2:
        context.emit(ir.DropConstraint, location, node, table=table, name=name_of(arg(1)) or "?")
    elif method == "bulkDelete" and args:
        context.emit(ir.Delete, location, node, table=table, has_where=_has_where(arg(1)))
    elif method == "bulkUpdate" and len(args) >= 2:
        context.emit(ir.Update, location, node, table=table, has_where=_has_where(arg(2)))
    elif method == "dropSchema" and args:
        context.emit(ir.DropSchema, location, node, name=table)


def _has_where(value: Any) -> bool:
    """`bulkDelete(t, null)`, `bulkDelete(t, {})` and a missing where delete every row."""
    from .js.values import UNDEFINED, JsObject

    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, JsObject):
        return bool(value.entries)
    return True  # a variable or an expression: assume it filters


def _table(value: Any) -> str:
    """A table given as 'users' or { tableName: 'users', schema: 'public' }."""
    from .js.values import JsObject, name_of

    if isinstance(value, JsObject):
        name = name_of(value.get("tableName")) or "?"
        schema = name_of(value.get("schema")) if value.get("schema") is not None else None
        return f"{schema}.{name}" if schema else name
    return name_of(value) or "?"


def _field_names(value: Any) -> tuple[str, ...]:
    from .js.values import JsArray, JsObject, name_of, names_of

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
    from .js.columns import sql_type
    from .js.values import Call, JsString, Ref

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
    from .. import ir
    from .js.columns import default_of
    from .js.values import JsObject, is_truthy, name_of

    if not isinstance(value, JsObject):  # addColumn('t', 'c', Sequelize.STRING): nullable, no default
        return ir.ColumnDef(name=name, type=_type(value))
    references = None
    target = value.get("references")
    if isinstance(target, JsObject):
        model = target.get("model")
        table = _table(model.get("tableName")) if isinstance(model, JsObject) and model.get("tableName") \
            is not None else _table(model)
        key = target.get("key")
        on_delete = value.get("onDelete")
        references = ir.ForeignKeyRef(table=table, columns=(name_of(key),) if key is not None and name_of(key)
                                      else (), on_delete=name_of(on_delete) if on_delete is not None else None)
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
    from .js.values import Ref, Unknown

    if isinstance(value, Ref) and value.path and value.path[-1] in ("NOW", "UUIDV1", "UUIDV4"):
        return False
    return not (isinstance(value, Unknown) and ("=>" in value.text or value.text.startswith(("function", "async"))))


def _create_table(context: Any, location: Any, node: Any, table: str, attributes: Any) -> None:
    from .. import ir
    from .js.values import JsObject

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
