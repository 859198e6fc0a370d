"""Knex migrations built by calling a helper instead of writing `up`/`down`, as knex-migrator projects do (Ghost:
`module.exports = dropTables(['oauth'])`, `createDropColumnMigration('posts', 'author_id', {...})`).

Each helper stands for the operations it performs; the wrappers (`createTransactionalMigration(up, down)`,
`combineTransactionalMigrations(...)`) are read through, and the functions passed to them are read as usual. Column
definitions are in the knex-migrator schema form: `{type: 'string', maxlength: 50, nullable: false, defaultTo: ...}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from .. import ir
from .js.columns import default_of, sql_type
from .js.migration import Context
from .js.values import JsObject, arguments, name_of, names_of
from .knex_versions import DATA_HELPERS, WRAPPERS

ColumnTypes = dict[str, str]
Handler = Callable[[Context, Node, list[Any], ColumnTypes], None]

def _drop_tables(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    for table in names_of(args[0]) if args else ():
        context.emit(ir.DropTable, context.location(node), node, table=table, if_exists=True)


def _add_table(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    table = name_of(args[0]) if args else None
    if table is None:
        return
    create = context.emit(ir.CreateTable, context.location(node), node, table=table, if_not_exists=True)
    spec = args[1] if len(args) > 1 else None
    if isinstance(spec, JsObject):
        for name, definition in spec.entries.items():
            if name.startswith("@@"):  # '@@INDEXES@@', '@@UNIQUE_CONSTRAINTS@@': table options, not columns
                continue
            column = column_definition(name, definition, types)
            create.columns.append(column)
            if column.references is not None:
                at = spec.nodes.get(name, node)  # the column's own entry
                create.constraints.append(context.make(ir.AddConstraint, context.location(at), at, table=table,
                                                       constraint_type="foreign_key", columns=(name,),
                                                       references=column.references))


def _recreate_table(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    _drop_tables(context, node, args[:1], types)
    _add_table(context, node, args, types)


def _add_column(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    table, column = _table_column(args)
    if table and column:
        definition = column_definition(column, args[2] if len(args) > 2 else None, types)
        context.emit(ir.AddColumn, context.location(node), node, table=table, column=definition)


def _rename_column(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    table, column = _table_column(args)
    new_name = name_of(args[2]) if len(args) > 2 else None
    if table and column and new_name:
        context.emit(ir.RenameColumn, context.location(node), node, table=table, column=column, new_name=new_name)


def _on_column(cls: type[ir.Operation]) -> Handler:
    """A helper taking (table, column) that does one thing to the column: drop it, allow or forbid NULLs."""

    def handler(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
        table, column = _table_column(args)
        if table and column:
            context.emit(cls, context.location(node), node, table=table, column=column)

    return handler


def _add_index(context: Context, node: Node, args: list[Any], types: ColumnTypes) -> None:
    table = name_of(args[0]) if args else None
    columns = names_of(args[1]) if len(args) > 1 else ()
    if table and columns:
        name = "_".join((table, *columns, "index"))  # knex's default index name, which knex-migrator uses
        context.emit(ir.CreateIndex, context.location(node), node, table=table, name=name, columns=columns)


HELPERS: dict[str, Handler] = {  # one per name of knex_versions.SCHEMA_HELPERS
    "dropTables": _drop_tables,
    "addTable": _add_table,
    "recreateTable": _recreate_table,
    "createAddColumnMigration": _add_column,
    "createDropColumnMigration": _on_column(ir.DropColumn),
    "createRenameColumnMigration": _rename_column,
    "createSetNullableMigration": _on_column(ir.DropNotNull),
    "createDropNullableMigration": _on_column(ir.SetNotNull),
    "createAddIndexMigration": _add_index,
}
def read_helper_exports(context: Context, types: ColumnTypes) -> bool:
    """Emit the operations of the helper calls the module exports; False when it exports none."""
    found = False
    for call in _exported_calls(context):
        found = True
        _read_call(context, call, types, depth=0)
    return found


def irreversible(context: Context) -> bool:
    return any(_callee(context, call) == "createIrreversibleMigration" for call in _exported_calls(context))


def _exported_calls(context: Context) -> list[Node]:
    calls: list[Node] = []
    text = context.source.text_of
    for statement in context.source.root.named_children:
        value: Node | None = None
        if statement.type == "expression_statement" and statement.named_children:
            expression = statement.named_children[0]
            left = expression.child_by_field_name("left") if expression.type == "assignment_expression" else None
            if left is not None and text(left) in ("module.exports", "exports.default"):
                value = expression.child_by_field_name("right")
        elif statement.type == "export_statement":
            value = statement.child_by_field_name("value")
        if value is not None and value.type == "call_expression" and _callee(context, value) is not None:
            calls.append(value)
    return calls


def _callee(context: Context, call: Node) -> str | None:
    function = call.child_by_field_name("function")
    if function is None:
        return None
    name = context.source.text_of(function).rsplit(".", 1)[-1]
    return name if name in HELPERS or name in WRAPPERS or name in DATA_HELPERS else None


_MAX_DEPTH = 8


def _read_call(context: Context, call: Node, types: ColumnTypes, depth: int) -> None:
    name = _callee(context, call)
    arg_nodes = arguments(call.child_by_field_name("arguments"))
    if name in WRAPPERS and depth < _MAX_DEPTH:
        for index, arg in enumerate(arg_nodes):
            if name.startswith("create") and index > 0:
                break  # the second argument of create...Migration(up, down) is the down
            if arg.type == "call_expression" and _callee(context, arg) is not None:
                _read_call(context, arg, types, depth + 1)
    elif name in HELPERS and context.direction == "up":
        HELPERS[name](context, call, [context.value(_declared_value(context, a)) for a in arg_nodes], types)


def _declared_value(context: Context, node: Node) -> Node:
    """The value of a module-level `const tables = [...]` or `const spec = {...}` passed by name, else the node."""
    if node.type != "identifier":
        return node
    name = context.source.text_of(node)
    found: list[Node] = []
    for statement in context.source.root.named_children:
        if statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                target, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if target is not None and value is not None and context.source.text_of(target) == name:
                    found.append(value)
    return found[0] if len(found) == 1 and found[0].type in ("array", "object") else node


def _table_column(args: list[Any]) -> tuple[str | None, str | None]:
    table = name_of(args[0]) if args else None
    column = name_of(args[1]) if len(args) > 1 else None
    return table, column


def column_definition(name: str, spec: Any, types: ColumnTypes) -> ir.ColumnDef:
    """A column in the knex-migrator schema form (`{type: 'string', maxlength: 191, nullable: false}`)."""
    if not isinstance(spec, JsObject):
        return ir.ColumnDef(name=name)
    kind = name_of(spec.get("type")) or ""
    column_type: ir.ColumnType | None
    if kind == "string":
        length = spec.get("maxlength")
        column_type = sql_type("varchar", length if isinstance(length, int) else 255)
    else:
        known = types.get(kind) or types.get(kind[:1].lower() + kind[1:]) or types.get(kind.lower())
        column_type = sql_type(known) if known else None
    nullable = spec.get("nullable")
    primary = spec.get("primary") is True
    default = spec.get("defaultTo")
    reference = name_of(spec.get("references"))
    references = None
    if reference and "." in reference:
        ref_table, ref_column = reference.rsplit(".", 1)
        on_delete = "cascade" if spec.get("cascadeDelete") is True else None
        references = ir.ForeignKeyRef(table=ref_table, columns=(ref_column,), on_delete=on_delete)
    return ir.ColumnDef(name=name, type=column_type, nullable=nullable is not False and not primary,
                        default=default_of(default) if "defaultTo" in spec.entries else None,
                        primary_key=primary, unique=spec.get("unique") is True, indexed=spec.get("index") is True,
                        references=references)

