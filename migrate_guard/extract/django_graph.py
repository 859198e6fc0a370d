"""The project's Django migration graph: every migration file of the apps read once (`ast`, never imported), put
in dependency order, and replayed in that order so each operation sees the models as they are before it."""

from __future__ import annotations

import ast
import heapq
import os
import re
from copy import copy
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from .. import ir
from ..errors import UsageError
from ..paths import know_regular_files
from .base import NotText, display_path, side_text
from .django_replay import Replay
from .django_state import Node, State
from .pyast import PySource, expression_text, literal, parse_error, read_python

MIGRATION_IMPORT = re.compile(r"from\s+django\.db\s+import\s+[^\n]*\bmigrations\b|django\.db\.migrations")


def imports_migrations(text: str) -> bool:
    """MIGRATION_IMPORT.search, after a substring test both of its branches need: on other formats' files (Alembic's)
    the pattern is tried at every offset for nothing."""
    return "django.db" in text and MIGRATION_IMPORT.search(text) is not None


_LABEL = re.compile(r"^[^\S\n]+label\s*=\s*['\"](\w+)['\"]", re.MULTILINE)



@lru_cache(maxsize=512)
def app_label(app_folder: Path) -> str:
    """The app's label: AppConfig.label in apps.py when set, else the package name (Django's default)."""
    try:
        match = _LABEL.search(side_text(app_folder / "apps.py"))
    except OSError:
        match = None
    return match.group(1) if match else app_folder.name


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
                names = _module_names(folder)
            except OSError:
                continue
            app = app_label(folder.parent)
            for name in names:
                node = _read_node(folder / name, app)
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
            if self._beside_its_originals(node):  # after them: what depends on the squash sees what they built
                edges[key].update(r for r in node.replaces if r != key)
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

    def _beside_its_originals(self, node: Node) -> bool:
        """A squashed migration whose replaced migrations are all here: databases that ran them go on with them,
        only a new database runs the squash."""
        return bool(node.replaces) and all(r in self.nodes for r in node.replaces)

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
            # the squash builds its models on a copy: the originals, replayed in order, are the project's history
            seen = _copy_state(state) if self._beside_its_originals(node) else state
            for operation in node.operations:
                ops += replay.operation(operation, seen)
            ops += [replay.make(ir.Unreadable, part, what=expression_text(node.source, part),
                                reason="These operations are built at run time") for part in node.opaque]
            result[(node.app, node.name)] = ops
            # replayed once: its syntax tree is no longer needed (the whole graph's trees are most of the heap the
            # cyclic GC would keep walking while the other migrations are read)
            node.source, node.operations, node.opaque = None, [], []
        return result


def _copy_state(state: State) -> State:
    return {key: replace(model, fields={name: copy(info) for name, info in model.fields.items()},
                         together={k: set(v) for k, v in model.together.items()})
            for key, model in state.items()}


def _module_names(folder: Path) -> list[str]:
    """The folder's Python modules but its __init__, sorted; their shown and real paths are known from the
    folder's from now on (know_regular_files), not worked out with system calls for each."""
    regular: list[str] = []
    links: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".py") and entry.name not in (".py", "__init__.py"):  # Path.suffix == ".py"
                (links if _is_link(entry) else regular).append(entry.name)
    given = os.fspath(folder)
    know_regular_files(given, regular, [os.path.join(given, name) for name in regular],
                       [os.path.join(given, name) for name in links])
    return sorted(regular + links)


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True  # unknown: resolved when asked


def _read_node(path: Path, app: str) -> Node | None:
    try:
        text = read_python(path)
    except (NotText, UsageError):  # unreadable: skipped here, reported by its own unit
        return None
    if not imports_migrations(text[:8192]):
        return None
    node = Node(app=app, name=path.stem, path=path, text=text)
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
        elif target.id == "replaces":
            node.replaces = _dependency_list(value)
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


