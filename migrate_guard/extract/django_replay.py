"""Replays one Django migration's operations against the project's model state: `Replay.op_<Operation>` turns each
operation call into IR operations and updates the state (a model's table, its fields and their columns)."""

from __future__ import annotations

import ast
import copy
from typing import TYPE_CHECKING, Any

from .. import ir
from .django_code import function_ops
from .django_fields import FieldInfo, is_django_class
from .django_state import ModelState, State
from .pyast import UNKNOWN, argument, keywords, last_name, literal
from .pystrings import sql_ops

if TYPE_CHECKING:
    from .django_state import Node


class _NotLiteral(Exception):
    """A model or field name that is not a literal string: the operation cannot be judged (nothing is reported)."""


def _name(call: ast.Call, position: int, keyword: str) -> str:
    value = literal(argument(call, position, keyword))
    if not isinstance(value, str):
        raise _NotLiteral
    return value


class Replay:
    """Operations of one migration -> IR, against the project state before each of them (which they update)."""

    def __init__(self, node: Node, dialect: str) -> None:
        assert node.source is not None
        self.node, self.source, self.dialect, self.app = node, node.source, dialect, node.app
        self.migration = node.id

    def make(self, cls: Any, at: ast.AST, **fields: Any) -> Any:
        location, source = self.source.place(at)
        fields.setdefault("source", source)
        return cls(location=location, migration=self.migration, direction=fields.pop("direction", "up"), **fields)

    def operation(self, node: ast.expr, state: State) -> list[ir.Operation]:
        if not isinstance(node, ast.Call):
            return []
        handler = getattr(self, "op_" + last_name(node.func), None)
        if handler is None:
            return []
        try:
            return handler(node, state)
        except _NotLiteral:
            return []
        except (KeyError, AttributeError, TypeError, ValueError, IndexError, RecursionError) as error:
            return [self.make(ir.ParseError, node, message=f"could not read this operation ({type(error).__name__})")]

    # --- helpers ----------------------------------------------------------------------------------------------------

    def model_key(self, name: Any) -> str:
        return f"{self.app}.{str(name).lower()}"

    def model(self, state: State, name: Any) -> ModelState:
        key = self.model_key(name)
        if key not in state:  # history not available: Django's default table name
            state[key] = ModelState(self.app, str(name).lower(), f"{self.app}_{str(name).lower()}")
        return state[key]

    def target(self, state: State, info: FieldInfo, owner: ModelState) -> tuple[FieldInfo | None, str | None]:
        """The primary key field and table a relation points to."""
        if not info.target:
            return None, None
        if info.target == "self":
            return owner.pk(), owner.table
        model = state.get(info.target)
        if model is None:
            app, _, name = info.target.partition(".")
            return None, f"{app}_{name}"
        return model.pk(), model.table

    def column(self, state: State, model: ModelState, info: FieldInfo) -> ir.ColumnDef:
        pk, table = self.target(state, info, model)
        return info.column_def(pk, table)

    def field_info(self, name: Any, node: ast.expr | None) -> FieldInfo:
        if node is None:
            return FieldInfo(str(name), "?")
        info = FieldInfo.from_call(str(name), node, self.app)
        if isinstance(node, ast.Call) and not is_django_class(info.cls):
            from .py_models import read_field_class

            info = read_field_class(info, self.source.tree, self.source.path, node, self.app)
        return info

    # --- models -----------------------------------------------------------------------------------------------------

    def op_CreateModel(self, call: ast.Call, state: State) -> list[ir.Operation]:
        name = _name(call, 0, "name")
        options = _dict_nodes(argument(call, 2, "options"))
        db_table = literal(options.get("db_table"))
        model = ModelState(self.app, str(name).lower(), db_table if isinstance(db_table, str)
                           else f"{self.app}_{str(name).lower()}", explicit_table=isinstance(db_table, str),
                           managed=literal(options.get("managed")) is not False and literal(options.get("proxy")) is not True)
        field_nodes: list[tuple[str, ast.expr, ast.expr]] = []
        fields_node = argument(call, 1, "fields")
        for element in fields_node.elts if isinstance(fields_node, (ast.List, ast.Tuple)) else []:
            if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                field_name = literal(element.elts[0])
                if isinstance(field_name, str):
                    model.fields[field_name] = self.field_info(field_name, element.elts[1])
                    field_nodes.append((field_name, element.elts[1], element))
        state[self.model_key(name)] = model
        if not model.managed:
            return []
        columns, constraints = [], []
        for field_name, _, element in field_nodes:
            info = model.fields[field_name]
            if info.is_many:
                continue
            column = self.column(state, model, info)
            columns.append(column)
            if column.references is not None:
                constraints.append(self.make(ir.AddConstraint, element, table=model.table,
                                             constraint_type="foreign_key", columns=(column.name,),
                                             references=column.references))
        ops: list[ir.Operation] = [self.make(ir.CreateTable, call, table=model.table, columns=columns,
                                             constraints=constraints)]
        indexes, constraint_list = options.get("indexes"), options.get("constraints")
        for index in indexes.elts if isinstance(indexes, ast.List) else []:
            ops += self._index(call, model, index, concurrent=False)
        for constraint in constraint_list.elts if isinstance(constraint_list, ast.List) else []:
            ops += self._constraint(call, model, constraint, not_valid=False)
        for key in ("unique_together", "index_together"):
            model.together[key] = _together(literal(options.get(key)))
            for fields in sorted(model.together[key]):  # made with the table (their indexes serve its foreign keys)
                together = tuple(self._column_of(model, f) for f in fields)
                if key == "unique_together":
                    constraints.append(self.make(ir.AddConstraint, call, table=model.table, constraint_type="unique",
                                                 columns=together))
                else:
                    ops.append(self.make(ir.CreateIndex, call, table=model.table, columns=together))
        return ops

    def op_DeleteModel(self, call: ast.Call, state: State) -> list[ir.Operation]:
        name = _name(call, 0, "name")
        model = state.pop(self.model_key(name), None) or ModelState(self.app, str(name).lower(),
                                                                     f"{self.app}_{str(name).lower()}")
        return [self.make(ir.DropTable, call, table=model.table)] if model.managed else []

    def op_RenameModel(self, call: ast.Call, state: State) -> list[ir.Operation]:
        old, new = _name(call, 0, "old_name"), _name(call, 1, "new_name")
        model = state.pop(self.model_key(old), None) or self.model({}, old)
        old_table = model.table
        model.name = str(new).lower()
        if not model.explicit_table:
            model.table = f"{self.app}_{model.name}"
        state[self.model_key(new)] = model
        if model.table == old_table or not model.managed:
            return []
        return [self.make(ir.RenameTable, call, table=old_table, new_name=model.table)]

    def op_AlterModelTable(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "name"))
        table = literal(argument(call, 1, "table"))
        old_table = model.table
        model.table = table if isinstance(table, str) else f"{self.app}_{model.name}"
        model.explicit_table = isinstance(table, str)
        return [self.make(ir.RenameTable, call, table=old_table, new_name=model.table)] if old_table != model.table else []

    # --- fields -----------------------------------------------------------------------------------------------------

    def op_AddField(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        name = _name(call, 1, "name")
        info = self.field_info(name, argument(call, 2, "field"))
        model.fields[str(name)] = info
        if info.is_many or not model.managed:
            return []
        column = self.column(state, model, info)
        ops: list[ir.Operation] = [self.make(ir.AddColumn, call, table=model.table, column=column)]
        if (info.kwargs.get("unique") is True or info.cls == "OneToOneField") and not info.primary_key:  # ... UNIQUE
            ops.append(self.make(ir.AddConstraint, call, table=model.table, constraint_type="unique",
                                 columns=(column.name,)))
        elif info.indexed and not info.primary_key:  # ADD COLUMN, then CREATE INDEX (not concurrently)
            ops.append(self.make(ir.CreateIndex, call, table=model.table, columns=(column.name,),
                                 built_by=_index_builder(model, name, info)))
        return ops

    def op_RemoveField(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        name = _name(call, 1, "name")
        info = model.field(name)
        if info is not None:
            model.fields.pop(info.name, None)
        if not model.managed:
            return []
        if info is not None and info.is_many:
            return [self.make(ir.DropTable, call, table=f"{model.table}_{name.lower()}")]
        return [self.make(ir.DropColumn, call, table=model.table, column=info.column if info else name)]

    def op_RenameField(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        old, new = _name(call, 1, "old_name"), _name(call, 2, "new_name")
        info = model.field(old)
        if info is None:
            info = FieldInfo(old, "?")
        model.fields.pop(info.name, None)
        old_column = info.column
        info.name = new
        model.fields[new] = info
        if old_column == info.column or info.is_many or not model.managed:
            return []
        return [self.make(ir.RenameColumn, call, table=model.table, column=old_column, new_name=info.column)]

    def op_AlterField(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        name = _name(call, 1, "name")
        new = self.field_info(name, argument(call, 2, "field"))
        old = model.field(name)
        model.fields[old.name if old else name] = new
        if old is None or not model.managed or new.is_many or old.is_many:
            return []  # no history for this field: nothing certain to say
        table, column = model.table, new.column
        ops: list[ir.Operation] = []
        if old.column != new.column:
            ops.append(self.make(ir.RenameColumn, call, table=table, column=old.column, new_name=new.column))
        old_pk, _ = self.target(state, old, model)
        new_pk, _ = self.target(state, new, model)
        old_type, new_type = old.db_type(old_pk), new.db_type(new_pk)
        if old_type is not None and new_type is not None and (old_type.name, old_type.params) != (
                new_type.name, new_type.params):
            ops.append(self.make(ir.AlterColumnType, call, table=table, column=column, new_type=new_type,
                                 old_type=old_type))
        elif old_type is None and new_type is not None and old.cls not in ("?",) and old.cls != new.cls:
            ops.append(self.make(ir.AlterColumnType, call, table=table, column=column, new_type=new_type))
        if old.null and not new.null and not new.primary_key:
            ops.append(self.make(ir.SetNotNull, call, table=table, column=column))
        elif new.null and not old.null:
            ops.append(self.make(ir.DropNotNull, call, table=table, column=column))
        if new.kwargs.get("unique") is True and old.kwargs.get("unique") is not True and not new.primary_key:
            ops.append(self.make(ir.AddConstraint, call, table=table, constraint_type="unique", columns=(column,)))
        elif new.indexed and not old.indexed:
            ops.append(self.make(ir.CreateIndex, call, table=table, columns=(column,),
                                 built_by=_index_builder(model, name, new)))
        if new.is_relation and not old.is_relation:
            pk, target_table = self.target(state, new, model)
            ops.append(self.make(ir.AddConstraint, call, table=table, constraint_type="foreign_key", columns=(column,),
                                 references=ir.ForeignKeyRef(target_table or "?", (pk.column if pk else "id",))))
        return ops

    # --- indexes and constraints ------------------------------------------------------------------------------------

    def op_AddIndex(self, call: ast.Call, state: State, concurrent: bool = False) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        index = argument(call, 1, "index")
        return self._index(call, model, index, concurrent) if model.managed else []

    def op_AddIndexConcurrently(self, call: ast.Call, state: State) -> list[ir.Operation]:
        return self.op_AddIndex(call, state, concurrent=True)

    def _index(self, at: ast.AST, model: ModelState, index: ast.expr | None, concurrent: bool) -> list[ir.Operation]:
        if not isinstance(index, ast.Call):
            return []
        kw = keywords(index)
        fields = literal(kw.get("fields"))
        columns = tuple(self._column_of(model, f.lstrip("-")) for f in fields if isinstance(f, str)) \
            if isinstance(fields, (list, tuple)) else ()
        name = literal(kw.get("name"))
        unique = last_name(index.func) == "UniqueConstraint"
        return [self.make(ir.CreateIndex, at, table=model.table, name=name if isinstance(name, str) else None,
                          columns=columns, concurrent=concurrent, unique=unique,
                          expression=bool(index.args) or not columns)]

    def _column_of(self, model: ModelState, field_name: str) -> str:
        info = model.field(field_name)
        return info.column if info else field_name

    def op_RemoveIndex(self, call: ast.Call, state: State, concurrent: bool = False) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        name = _name(call, 1, "name")
        return [self.make(ir.DropIndex, call, name=str(name), table=model.table, concurrent=concurrent)]

    def op_RemoveIndexConcurrently(self, call: ast.Call, state: State) -> list[ir.Operation]:
        return self.op_RemoveIndex(call, state, concurrent=True)

    def op_AddConstraint(self, call: ast.Call, state: State, not_valid: bool = False) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        return self._constraint(call, model, argument(call, 1, "constraint"), not_valid) if model.managed else []

    def op_AddConstraintNotValid(self, call: ast.Call, state: State) -> list[ir.Operation]:
        return self.op_AddConstraint(call, state, not_valid=True)

    def _constraint(self, at: ast.AST, model: ModelState, node: ast.expr | None, not_valid: bool) -> list[ir.Operation]:
        if not isinstance(node, ast.Call):
            return []
        kind = last_name(node.func)
        kw = keywords(node)
        name = literal(kw.get("name"))
        fields = literal(kw.get("fields"))
        columns = tuple(self._column_of(model, f) for f in fields if isinstance(f, str)) \
            if isinstance(fields, (list, tuple)) else ()
        constraint_type = {"UniqueConstraint": "unique", "CheckConstraint": "check",
                           "ExclusionConstraint": "exclude"}.get(kind, "check")
        return [self.make(ir.AddConstraint, at, table=model.table, constraint_type=constraint_type,
                          name=name if isinstance(name, str) else None, columns=columns, not_valid=not_valid)]

    def op_RemoveConstraint(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        return [self.make(ir.DropConstraint, call, table=model.table, name=_name(call, 1, "name"))]

    def op_ValidateConstraint(self, call: ast.Call, state: State) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "model_name"))
        return [self.make(ir.ValidateConstraint, call, table=model.table, name=_name(call, 1, "name"))]

    def op_AlterUniqueTogether(self, call: ast.Call, state: State) -> list[ir.Operation]:
        return self._together(call, state, "unique_together")

    def op_AlterIndexTogether(self, call: ast.Call, state: State) -> list[ir.Operation]:
        return self._together(call, state, "index_together")

    def _together(self, call: ast.Call, state: State, key: str) -> list[ir.Operation]:
        model = self.model(state, _name(call, 0, "name"))
        new = _together(literal(argument(call, 1, key)))
        added = sorted(new - model.together.get(key, set()))
        model.together[key] = new
        if not model.managed:
            return []
        ops: list[ir.Operation] = []
        for fields in added:
            columns = tuple(self._column_of(model, f) for f in fields)
            if key == "unique_together":
                ops.append(self.make(ir.AddConstraint, call, table=model.table, constraint_type="unique", columns=columns))
            else:
                ops.append(self.make(ir.CreateIndex, call, table=model.table, columns=columns))
        return ops

    # --- code and SQL -----------------------------------------------------------------------------------------------

    def op_RunSQL(self, call: ast.Call, state: State) -> list[ir.Operation]:
        ops: list[ir.Operation] = []
        sql = argument(call, 0, "sql")
        if sql is not None and last_name(sql) != "noop":
            ops += sql_ops(self.source, sql, dialect=self.dialect, migration=self.node.id, direction="up",
                           what="this RunSQL")
        reverse = argument(call, 1, "reverse_sql")
        if reverse is None or literal(reverse) is None:
            ops.append(self.make(ir.RunCode, call, language="sql", has_reverse=False))
        elif last_name(reverse) == "noop":  # judged by what the forward SQL destroys
            ops.append(self.make(ir.RunCode, call, language="sql", reverse_noop=True, forward=list(ops)))
        else:
            ops += sql_ops(self.source, reverse, dialect=self.dialect, migration=self.node.id, direction="down",
                           what="this RunSQL's reverse_sql")
        self._state_operations(argument(call, 2, "state_operations"), state)
        return ops

    def op_RunPython(self, call: ast.Call, state: State) -> list[ir.Operation]:
        reverse = argument(call, 1, "reverse_code")
        has_reverse = reverse is not None and literal(reverse) is not None
        forward = function_ops(self, argument(call, 0, "code"), "up", state)
        ops: list[ir.Operation] = [self.make(ir.RunCode, call, language="python", has_reverse=has_reverse,
                                             reverse_noop=has_reverse and last_name(reverse) == "noop",
                                             forward=list(forward)), *forward]
        ops += function_ops(self, reverse, "down", state)
        return ops

    def op_SeparateDatabaseAndState(self, call: ast.Call, state: State) -> list[ir.Operation]:
        database = argument(call, 0, "database_operations")
        scratch = copy.deepcopy(state)
        ops: list[ir.Operation] = []
        for node in database.elts if isinstance(database, (ast.List, ast.Tuple)) else []:
            ops += self.operation(node, scratch)
        self._state_operations(argument(call, 1, "state_operations"), state)
        return ops

    def _state_operations(self, node: ast.expr | None, state: State) -> None:
        for operation in node.elts if isinstance(node, (ast.List, ast.Tuple)) else []:
            self.operation(operation, state)


def _index_builder(model: ModelState, name: str, info: FieldInfo) -> str:
    """How a finding names the field that makes Django build an index: `ForeignKey order.customer`."""
    return f"{info.cls} {model.name}.{name}" + ("" if info.is_relation else " (db_index=True)")


def _dict_nodes(node: ast.expr | None) -> dict[str, ast.expr]:
    if not isinstance(node, ast.Dict):
        return {}
    return {k.value: v for k, v in zip(node.keys, node.values)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def _together(value: Any) -> set[tuple[str, ...]]:
    if value is UNKNOWN or not isinstance(value, (set, list, tuple, frozenset)) or not value:
        return set()
    items = list(value)
    if all(isinstance(v, str) for v in items):
        return {tuple(items)}
    return {tuple(v) for v in items if isinstance(v, (tuple, list))}
