"""Django migrations, read with `ast` (never imported or run), with the project's migration graph replayed.

Replaying every app's migrations in dependency order gives each model's fields before every operation, so an
AlterField is a type change only when the column's database type really changes, a RenameField knows the column,
a ForeignKey knows the type and table it points to. The replay is done once per project and cached.
"""

from __future__ import annotations

import ast
import copy
import heapq
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import ir
from ..errors import UsageError
from ..model import Migration
from .base import MigrationUnit, NotText, display_path, side_text, unreadable_migration
from .django_fields import FieldInfo
from .pyast import (UNKNOWN, PySource, StringReader, argument, dotted, expression_text, keywords, last_name,
                    literal, parse_error, read_python, sql_ops)

ORM = "django"
EXTENSIONS = (".py",)
_HEAD = re.compile(r"from\s+django\.db\s+import\s+[^\n]*\bmigrations\b|django\.db\.migrations")


def claims(path: Path, head: str) -> bool:
    return (path.name != "__init__.py" and _HEAD.search(head) is not None
            and ("class Migration" in head or path.parent.name == "migrations"))


_MIGRATION_CLASS = re.compile(r"^class\s+\w+\s*\(\s*migrations\.Migration\s*\)", re.MULTILINE)


def owns(head: str) -> bool:
    """Certainly a Django migration, wherever it is: `class Migration(migrations.Migration)` importing django.db."""
    return _HEAD.search(head) is not None and _MIGRATION_CLASS.search(head) is not None


def migration_key(path: Path) -> str:
    return f"{path.parent.parent.name}.{path.stem}"


def extract(unit: MigrationUnit) -> Migration:
    path = unit.files[0]
    shown = display_path(path)
    try:
        read_python(path)
    except NotText as problem:
        return unreadable_migration(unit, path, str(problem))
    graph = _graph_for(unit)
    node = graph.nodes.get(_node_key(path))
    if node is None:  # not in the graph (e.g. a file outside the project's folders): alone
        graph = Graph.build([path.parent], unit.dialect)
        node = graph.nodes[_node_key(path)]
    migration = Migration(id=unit.id, orm=ORM, dialect=unit.dialect, path=shown, sources={shown: node.text},
                          transactional=node.atomic, down="present", initial=node.initial)
    migration.operations = list(graph.operations(node))
    for op in migration.operations:
        op.migration = unit.id
    return migration


def _node_key(path: Path) -> tuple[str, str]:
    return (app_label(path.parent.parent), path.stem)


_LABEL = re.compile(r"^[^\S\n]+label\s*=\s*['\"](\w+)['\"]", re.MULTILINE)


@lru_cache(maxsize=512)
def app_label(app_folder: Path) -> str:
    """The app's label: AppConfig.label in apps.py when set, else the package name (Django's default)."""
    try:
        match = _LABEL.search(side_text(app_folder / "apps.py"))
    except OSError:
        match = None
    return match.group(1) if match else app_folder.name


# --- the migration graph --------------------------------------------------------------------------------------------

_GRAPHS: dict[tuple[tuple[str, ...], str], Graph] = {}


def _graph_for(unit: MigrationUnit) -> Graph:
    path = unit.files[0]
    folders = {path.parent.resolve()}
    if unit.project is not None and unit.project.orm == ORM:
        folders |= {Path(m).resolve() for m in unit.project.migrations}
    key = (tuple(sorted(str(f) for f in folders)), unit.dialect)
    if key not in _GRAPHS:
        _GRAPHS[key] = Graph.build(sorted(folders), unit.dialect)
    return _GRAPHS[key]


@dataclass
class Node:
    app: str
    name: str
    path: Path
    text: str = ""
    source: PySource | None = None
    error: ir.ParseError | None = None
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    run_before: list[tuple[str, str]] = field(default_factory=list)
    operations: list[ast.expr] = field(default_factory=list)
    opaque: list[ast.expr] = field(default_factory=list)  # parts of `operations` that cannot be read
    atomic: bool = True
    initial: bool = False

    @property
    def id(self) -> str:
        return f"{self.app}.{self.name}"


@dataclass
class ModelState:
    app: str
    name: str  # lower case
    table: str
    explicit_table: bool = False
    managed: bool = True
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    together: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)

    def pk(self) -> FieldInfo | None:
        return next((f for f in self.fields.values() if f.primary_key), None)

    def field(self, name: str) -> FieldInfo | None:
        return self.fields.get(name) or next((f for n, f in self.fields.items() if n.lower() == name.lower()), None)


State = dict[str, ModelState]


class Graph:
    def __init__(self, nodes: dict[tuple[str, str], Node], dialect: str) -> None:
        self.nodes = nodes
        self.dialect = dialect
        self._ops: dict[tuple[str, str], list[ir.Operation]] | None = None

    @classmethod
    def build(cls, folders: list[Path], dialect: str) -> Graph:
        nodes: dict[tuple[str, str], Node] = {}
        for folder in folders:
            try:
                files = sorted(p for p in folder.iterdir() if p.suffix == ".py" and p.name != "__init__.py")
            except OSError:
                continue
            for path in files:
                node = _read_node(path)
                if node is not None:
                    nodes[(node.app, node.name)] = node
        return cls(nodes, dialect)

    def operations(self, node: Node) -> list[ir.Operation]:
        if self._ops is None:
            self._ops = self._replay()
        return self._ops.get((node.app, node.name), [])

    def order(self) -> list[Node]:
        """Topological order of the migrations (dependencies first), ties broken by app and name."""
        by_app: dict[str, list[str]] = {}
        for app, name in sorted(self.nodes):
            by_app.setdefault(app, []).append(name)
        edges: dict[tuple[str, str], set[tuple[str, str]]] = {k: set() for k in self.nodes}
        for key, node in self.nodes.items():
            for dep in node.dependencies:
                target = self._resolve(dep, by_app)
                if target is not None and target != key:
                    edges[key].add(target)
            for before in node.run_before:
                target = self._resolve(before, by_app)
                if target is not None and target != key:
                    edges[target].add(key)
        waiting = {k: len(v) for k, v in edges.items()}
        dependents: dict[tuple[str, str], list[tuple[str, str]]] = {k: [] for k in self.nodes}
        for key, deps in edges.items():
            for dep in deps:
                dependents[dep].append(key)
        ready = [k for k, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        ordered: list[Node] = []
        while ready:
            key = heapq.heappop(ready)
            ordered.append(self.nodes[key])
            for dependent in dependents[key]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heapq.heappush(ready, dependent)
        done = {(n.app, n.name) for n in ordered}
        ordered += [self.nodes[k] for k in sorted(self.nodes) if k not in done]  # a cycle: keep going, by name
        return ordered

    @staticmethod
    def _resolve(dep: tuple[str, str], by_app: dict[str, list[str]]) -> tuple[str, str] | None:
        app, name = dep
        names = by_app.get(app)
        if not names:
            return None
        if name == "__first__":
            return (app, names[0])
        if name == "__latest__":
            return (app, names[-1])
        return (app, name) if name in names else None

    def _replay(self) -> dict[tuple[str, str], list[ir.Operation]]:
        state: State = {}
        result: dict[tuple[str, str], list[ir.Operation]] = {}
        for node in self.order():
            if node.error is not None:
                result[(node.app, node.name)] = [node.error]
                continue
            assert node.source is not None
            replay = Replay(node, self.dialect)
            ops: list[ir.Operation] = []
            for operation in node.operations:
                ops += replay.operation(operation, state)
            ops += [replay.make(ir.Unreadable, part, what=expression_text(node.source, part),
                                reason="These operations are built at run time") for part in node.opaque]
            result[(node.app, node.name)] = ops
        return result


def _read_node(path: Path) -> Node | None:
    try:
        text = read_python(path)
    except (NotText, UsageError):  # unreadable: skipped here, reported by its own unit
        return None
    if _HEAD.search(text[:8192]) is None:
        return None
    node = Node(app=app_label(path.parent.parent), name=path.stem, path=path, text=text)
    shown = display_path(path)
    try:
        node.source = PySource.parse(shown, text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:  # RecursionError: deeper than Python reads
        node.error = parse_error(shown, error, node.id)
        return node
    migration_class = next((n for n in node.source.tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"),
                           None)
    if migration_class is None:
        return node
    for statement in migration_class.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if target.id == "dependencies":
            node.dependencies = _dependency_list(value)
        elif target.id == "run_before":
            node.run_before = _dependency_list(value)
        elif target.id == "operations":
            node.operations, node.opaque = _operation_list(value, node.source)
        elif target.id == "atomic":
            node.atomic = literal(value) is not False
        elif target.id == "initial":
            node.initial = literal(value) is True
    return node


_MAX_OPERATION_PARTS = 20_000


def _operation_list(value: ast.expr, source: PySource) -> tuple[list[ast.expr], list[ast.expr]]:
    """The operation calls of `operations = ...` and the parts that cannot be read. Reads a list or tuple, a
    module-level name holding one (`operations = OPERATIONS`), `[*COMMON, ...]` and `[...] + [...]`; a list built
    by a call or a comprehension is opaque. A loop, not recursion: thousands of terms cost no stack."""
    operations: list[ast.expr] = []
    opaque: list[ast.expr] = []
    stack: list[tuple[ast.expr, bool]] = [(value, False)]  # (expression, is it an element of a list)
    steps = 0
    while stack:
        node, element = stack.pop()
        steps += 1
        if steps > _MAX_OPERATION_PARTS:  # `OPS = [*OPS]`, or a list doubled forty times: not a real migration
            return [], [value]
        resolved = source.resolve(node) or node
        if isinstance(resolved, (ast.List, ast.Tuple)):
            stack += [(e, True) for e in reversed(resolved.elts)]
        elif isinstance(resolved, ast.BinOp) and isinstance(resolved.op, ast.Add):
            stack += [(resolved.right, False), (resolved.left, False)]
        elif isinstance(resolved, ast.Starred):
            stack.append((resolved.value, False))
        elif isinstance(resolved, ast.IfExp):  # `[...] if connection.vendor == "postgresql" else []`: either runs
            stack += [(resolved.orelse, element), (resolved.body, element)]
        elif element and isinstance(resolved, ast.Call):
            operations.append(resolved)
        else:
            opaque.append(node)
    return operations, opaque


def _dependency_list(value: ast.expr) -> list[tuple[str, str]]:
    deps: list[tuple[str, str]] = []
    if isinstance(value, (ast.List, ast.Tuple)):
        for element in value.elts:
            pair = literal(element)
            if isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
                deps.append((pair[0], pair[1]))
    return deps


# --- replaying operations -----------------------------------------------------------------------------------------

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

    def make(self, cls: Any, at: ast.AST, **fields: Any) -> Any:
        fields.setdefault("source", self.source.source_of(at))
        return cls(location=self.source.location(at), migration=self.node.id, direction=fields.pop("direction", "up"),
                   **fields)

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
        return FieldInfo.from_call(str(name), node, self.app) if node is not None else FieldInfo(str(name), "?")

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
        for index in options.get("indexes").elts if isinstance(options.get("indexes"), ast.List) else []:
            ops += self._index(call, model, index, concurrent=False)
        for constraint in options.get("constraints").elts if isinstance(options.get("constraints"), ast.List) else []:
            ops += self._constraint(call, model, constraint, not_valid=False)
        for key in ("unique_together", "index_together"):
            model.together[key] = _together(literal(options.get(key)))
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
        forward = self._function_ops(argument(call, 0, "code"), "up", state)
        ops: list[ir.Operation] = [self.make(ir.RunCode, call, language="python", has_reverse=has_reverse,
                                             reverse_noop=has_reverse and last_name(reverse) == "noop",
                                             forward=list(forward)), *forward]
        ops += self._function_ops(reverse, "down", state)
        return ops

    def _function_ops(self, node: ast.expr | None, direction: ir.Direction, state: State) -> list[ir.Operation]:
        """What a RunPython function of this file does to the database, as far as it can be read: the SQL it runs
        (`schema_editor.execute(sql)`, `cursor.execute(...)`), `schema_editor.delete_model(M)`, and querysets
        deleted or updated whole (`M.objects.all().delete()`, `M.objects.update(x=1)`: no filter, every row).
        A function imported from a project module cannot be read: an Unreadable operation says so."""
        module = _project_import(self.source.tree, node)
        if module is not None:
            assert node is not None
            return [self.make(ir.Unreadable, node, what=expression_text(self.source, node), direction=direction,
                              reason=f"The code this RunPython runs is in another module ({module})")]
        if not isinstance(node, ast.Name):
            return []
        function = next((f for f in self.source.tree.body if isinstance(f, ast.FunctionDef) and f.name == node.id), None)
        if function is None:
            return []
        bindings: dict[str, ast.expr] = {}
        for assign in sorted((n for n in ast.walk(function) if isinstance(n, ast.Assign)),
                             key=lambda n: (n.lineno, n.col_offset)):
            for target in assign.targets:
                if isinstance(target, ast.Name):
                    bindings[target.id] = assign.value  # the last: `qs = qs.filter(...)` narrows it

        def lookup(name: ast.Name) -> ast.expr | None:
            return bindings.get(name.id, self.source.constants.get(name.id))

        strings = StringReader(self.source, lookup)
        every_row: dict[int, ast.expr] = {}  # `for obj in M.objects.all(): obj.delete()`: that delete() -> M
        for loop in ast.walk(function):
            if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) \
                    and (model := _whole_queryset(loop.iter, strings)) is not None:
                every_row.update({id(c): model for statement in loop.body for c in ast.walk(statement)
                                  if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                                  and isinstance(c.func.value, ast.Name) and c.func.value.id == loop.target.id})
        calls = sorted((n for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)),
                       key=lambda n: (n.lineno, n.col_offset))
        ops: list[ir.Operation] = []
        for call in calls:
            method = call.func.attr  # type: ignore[attr-defined]
            if method == "execute" and call.args:
                ops += sql_ops(self.source, call.args[0], dialect=self.dialect, migration=self.node.id,
                               direction=direction, lookup=lookup, what="this execute()", at=call)
            elif method == "delete_model" and call.args:
                ops.append(self.make(ir.DropTable, call, table=self._model_table(call.args[0], strings, state),
                                     direction=direction))
            elif method in ("delete", "update") and not (method == "delete" and (call.args or call.keywords)):
                owner = call.func.value  # type: ignore[attr-defined]
                model = every_row.get(id(call)) if method == "delete" and id(call) in every_row \
                    else _whole_queryset(owner, strings)
                if model is not None:
                    cls = ir.Delete if method == "delete" else ir.Update
                    ops.append(self.make(cls, call, table=self._model_table(model, strings, state), has_where=False,
                                         direction=direction))
        return ops

    def _model_table(self, node: ast.expr, strings: StringReader, state: State) -> str:
        """`apps.get_model("shop", "Order")` (maybe through a name) -> the model's table, from the replayed state."""
        value = strings.resolve(node)
        if isinstance(value, ast.Call) and last_name(value.func) == "get_model":
            names = [literal(a) for a in value.args[:2]]
            if len(names) == 1 and isinstance(names[0], str) and "." in names[0]:
                names = names[0].split(".", 1)
            if len(names) == 2 and all(isinstance(n, str) for n in names):
                app, model = names[0], names[1].lower()
                known = state.get(f"{app}.{model}")
                return known.table if known is not None else f"{app}_{model}"
        return "{" + expression_text(self.source, node) + "}"

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


def _project_import(tree: ast.Module, node: ast.expr | None) -> str | None:
    """The project module a name (`forwards`, `data.forwards`) is imported from; None for a function of this file,
    Django's, the standard library's, or anything else."""
    import sys

    root = dotted(node).split(".")[0] if node is not None else ""
    if not root or root.endswith("()"):
        return None
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == root:
            return None
        if isinstance(statement, ast.ImportFrom):
            module = "." * statement.level + (statement.module or "")
            names = [a.asname or a.name for a in statement.names]
        elif isinstance(statement, ast.Import):
            module = ""
            names = [a.asname or a.name.split(".")[0] for a in statement.names]
            if root in names:
                module = next(a.name for a in statement.names if (a.asname or a.name.split(".")[0]) == root)
        else:
            continue
        if root in names:
            top = module.split(".")[0]
            return module if module.startswith(".") or (top not in ("django", "__future__")
                                                        and top not in sys.stdlib_module_names) else None
    return None


# Queryset methods that keep every row of the table, and the manager attributes a queryset starts from.
_KEEPS_ROWS = {"all", "using", "order_by", "select_related", "prefetch_related", "only", "defer", "annotate",
               "distinct", "alias"}
_MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _whole_queryset(node: ast.expr, strings: StringReader) -> ast.expr | None:
    """`M.objects.all()` / `M.objects.using(db)` / `M.objects`: the model M when the queryset is every row of its
    table, else None (a filter, a custom method, anything else)."""
    current = strings.resolve(node)
    for _ in range(32):
        if isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute) and (
                current.func.attr in _KEEPS_ROWS or (current.func.attr == "filter" and not current.args
                                                     and not current.keywords)):  # filter(): every row
            current = strings.resolve(current.func.value)
        elif isinstance(current, ast.Attribute) and current.attr in _MANAGERS:
            return current.value
        else:
            return None
    return None


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


def order_units(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """Migrations in dependency order across apps (the order Django applies them)."""
    if not units:
        return units
    rank = {(n.app, n.name): i for i, n in enumerate(_graph_for(units[0]).order())}
    return sorted(units, key=lambda u: rank.get(_node_key(u.files[0]), len(rank)))
