"""The callback of a knex createTable/alterTable (`(table) => { table.string('x').notNullable(); ... }`): its column
chains, indexes, keys and `.alter()` restatements, as operations on the table."""

from __future__ import annotations

from typing import Any

from .. import ir
from .js.columns import default_of, sql_type
from .js.structure import function_body, function_param_names
from .js.chains import chain_tops, flatten
from .js.values import JsArray, name_of, names_of

# knex column builders -> SQL types (the Postgres mapping)
COLUMN_TYPES: dict[str, str] = {
    "string": "varchar", "text": "text", "integer": "int", "int": "int", "bigInteger": "bigint", "bigint": "bigint",
    "tinyint": "smallint", "smallint": "smallint", "mediumint": "int", "float": "real", "double": "double precision",
    "decimal": "numeric", "boolean": "boolean", "bool": "boolean", "date": "date", "datetime": "timestamptz",
    "timestamp": "timestamptz", "time": "time", "binary": "bytea", "enum": "text", "enu": "text", "json": "json",
    "jsonb": "jsonb", "uuid": "uuid", "geometry": "geometry", "geography": "geography", "point": "point",
    "increments": "serial", "bigIncrements": "bigserial", "specificType": "", "double precision": "double precision",
}


class TableBuilder:
    """The callback of createTable/alterTable: `(table) => { table.string('x').notNullable(); ... }`."""

    def __init__(self, knex: Any, table: str, create: Any, callback: Any) -> None:
        self.knex = knex
        self.context = knex.context
        self.table = table
        self.create = create  # the CreateTable being filled, or None for alterTable
        self.callback = callback
        self.after: list[Any] = []  # indexes of a new table come after its CreateTable

    def run(self) -> None:
        source = self.context.source
        params = function_param_names(source, self.callback)
        body = function_body(self.callback)
        if not params or not params[0] or body is None:
            return
        for top in chain_tops(source, body):
            chain = flatten(source, top)
            if chain.root == params[0] and chain.links and chain.links[0].args is not None:
                self.statement(chain)
        self.context.ops.extend(self.after)

    def statement(self, chain: Any) -> None:
        context = self.context
        first = chain.links[0]
        method = first.name or ""
        args = [context.value(a) for a in first.args]
        location = context.chain_location(chain, first)
        node = chain.top
        modifiers = {link.name: link for link in chain.links[1:] if link.name}
        if method in COLUMN_TYPES or method == "timestamps":
            self.columns(chain, method, args, modifiers, location)
        elif method in ("dropColumn", "dropColumns"):
            for value in args:
                for column in names_of(value):
                    self.emit_alter(ir.DropColumn, location, node, column=column)
        elif method == "dropTimestamps":
            for column in ("created_at", "updated_at"):
                self.emit_alter(ir.DropColumn, location, node, column=column)
        elif method == "renameColumn" and len(args) >= 2:
            self.emit_alter(ir.RenameColumn, location, node, column=name_of(args[0]) or "?",
                            new_name=name_of(args[1]) or "?")
        elif method == "foreign" and args:
            self.foreign_key(names_of(args[0]), modifiers, location, node,
                             name=name_of(args[1]) if len(args) > 1 and not isinstance(args[1], JsArray) else None)
        elif method in ("index", "unique", "primary") and args:
            columns = names_of(args[0])
            named: Any = args[1] if len(args) > 1 else None
            if hasattr(named, "entries"):  # unique(columns, { indexName }), primary(columns, { constraintName })
                named = named.get("constraintName" if method == "primary" else "indexName")
            name = name_of(named) if named is not None else None
            # knex's own default names: users_plan_index / users_plan_unique
            name = name or "_".join((self.table.split(".")[-1], *columns, method if method != "primary" else "pkey"))
            if method == "index":
                op = context.make(ir.CreateIndex, location, node, table=self.table, name=name, columns=columns)
                self.after.append(op) if self.create is not None else context.ops.append(op)
            else:
                constraint = context.make(ir.AddConstraint, location, node, table=self.table,
                                          constraint_type="unique" if method == "unique" else "primary_key",
                                          name=name, columns=columns)
                self.add_constraint(constraint)
        elif method in ("dropIndex",) and args:
            columns = names_of(args[0])
            name = name_of(args[1]) if len(args) > 1 else "_".join((self.table, *columns, "index"))
            self.emit_alter(ir.DropIndex, location, node, name=name)
        elif method in ("dropForeign", "dropUnique", "dropPrimary"):
            name = name_of(args[1]) if len(args) > 1 else ("_".join(names_of(args[0])) if args else "primary key")
            self.emit_alter(ir.DropConstraint, location, node, name=name)
        elif method in ("setNullable", "dropNullable") and args:
            self.emit_alter(ir.DropNotNull if method == "setNullable" else ir.SetNotNull, location, node,
                            column=name_of(args[0]) or "?")

    def emit_alter(self, cls: Any, location: Any, node: Any, **fields: Any) -> None:
        self.context.emit(cls, location, node, table=self.table, **fields)

    def add_constraint(self, constraint: Any) -> None:
        if self.create is not None:
            self.create.constraints.append(constraint)
        else:
            self.context.ops.append(constraint)

    def foreign_key(self, columns: tuple[str, ...], modifiers: dict[str, Any], location: Any, node: Any,
                    name: str | None = None) -> None:

        reference = self.reference(modifiers)
        if reference is None:
            return
        constraint = self.context.make(ir.AddConstraint, location, node, table=self.table,
                                       constraint_type="foreign_key", name=name, columns=columns,
                                       references=reference)
        self.add_constraint(constraint)

    def reference(self, modifiers: dict[str, Any]) -> Any:

        references = modifiers.get("references")
        if references is None or not references.args:
            return None
        target = name_of(self.context.value(references.args[0])) or "?"
        table, _, column = target.rpartition(".")
        in_table = modifiers.get("inTable")
        if in_table is not None and in_table.args:
            table = name_of(self.context.value(in_table.args[0])) or table
        on_delete = modifiers.get("onDelete")
        on_delete_text = name_of(self.context.value(on_delete.args[0])) if on_delete is not None and \
            on_delete.args else None
        return ir.ForeignKeyRef(table=table or "?", columns=(column,) if column else (), on_delete=on_delete_text)

    def columns(self, chain: Any, method: str, args: list[Any], modifiers: dict[str, Any], location: Any) -> None:
        context = self.context
        node = chain.top
        if method == "timestamps":
            not_null = len(args) > 1 and args[1] is True
            camel = len(args) > 2 and args[2] is True  # timestamps(useTimestamps, defaultToNow, useCamelCase)
            definitions = [ir.ColumnDef(name=n, type=sql_type("timestamptz"), nullable=not not_null,
                                        default=ir.Default("now()", "stable") if not_null else None)
                           for n in (("createdAt", "updatedAt") if camel else ("created_at", "updated_at"))]
        else:
            name = name_of(args[0]) if args else None
            if name is None and method in ("increments", "bigIncrements"):
                name = "id"  # knex's default for increments()
            if name is None:
                return
            if method == "specificType":
                type_text = name_of(args[1]) if len(args) > 1 else None
                column_type = sql_type(type_text) if type_text else None
            elif method == "string":
                length = args[1] if len(args) > 1 and isinstance(args[1], int) else 255
                column_type = sql_type("varchar", length)
            elif method == "decimal":
                column_type = sql_type("numeric", *(args[1:3] or [8, 2]))
            elif method in ("timestamp", "datetime") and len(args) > 1 and hasattr(args[1], "get"):
                # { useTz: false, precision: 0 }: knex's timestamp is timestamptz on Postgres unless useTz is false
                precision = args[1].get("precision")
                column_type = sql_type("timestamp" if args[1].get("useTz") is False else "timestamptz",
                                       *([precision] if isinstance(precision, int) else []))
            else:
                column_type = sql_type(COLUMN_TYPES[method])
            increments = method in ("increments", "bigIncrements")
            default_link = modifiers.get("defaultTo")
            default = default_of(context.value(default_link.args[0])) if default_link is not None and \
                default_link.args else None
            nullable = not ("notNullable" in modifiers or "primary" in modifiers or increments)
            if "nullable" in modifiers:
                nullable = True
            definitions = [ir.ColumnDef(name=name, type=column_type, nullable=nullable, default=default,
                                        primary_key="primary" in modifiers or increments,
                                        unique="unique" in modifiers, indexed="index" in modifiers,
                                        generated=increments, references=self.reference(modifiers))]
        if "alter" in modifiers and self.create is None:
            self.alter(definitions[0], modifiers, location, node)
            return
        for definition in definitions:
            if self.create is not None:
                self.create.columns.append(definition)
                if definition.references is not None:
                    self.create.constraints.append(context.make(
                        ir.AddConstraint, location, node, table=self.table, constraint_type="foreign_key",
                        columns=(definition.name,), references=definition.references))
            else:
                context.emit(ir.AddColumn, location, node, table=self.table, column=definition)

    def alter(self, column: Any, modifiers: dict[str, Any], location: Any, node: Any) -> None:

        if column.type is not None:  # a type that cannot be read says nothing of a change (the column is restated)
            self.emit_alter(ir.AlterColumnType, location, node, column=column.name, new_type=column.type,
                            old_type=None, restated=True)
        if "notNullable" in modifiers:  # .alter() restates the whole column: NOT NULL is a change only if it was not
            self.emit_alter(ir.SetNotNull, location, node, column=column.name, restated=True)
        elif "nullable" in modifiers:
            self.emit_alter(ir.DropNotNull, location, node, column=column.name)
        if column.default is not None:
            self.emit_alter(ir.SetDefault, location, node, column=column.name, default=column.default)
