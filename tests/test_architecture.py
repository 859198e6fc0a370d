"""The layer order written in docs/ARCHITECTURE.md holds: no import cycle in migrate_guard/ and no import from a
lower layer to a higher one. Imports are read with `ast` (never by importing): module-level and function-level
imports count, and importing `a.b.c` counts as importing the package `a.b` too (its __init__ runs first), unless
the importer lives inside `a.b`. Imports under `if TYPE_CHECKING:` never run: they count for the layers (a type
from a higher layer is still an arrow upwards) but not for cycles (a handler module may name the type of the
reader that dispatches to it)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "migrate_guard"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

Graph = dict[str, dict[str, int]]  # importer -> imported -> line of the first such import


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE, typing_only: bool = True) -> Graph:
    """Every module's imports; without typing_only, those under `if TYPE_CHECKING:` are left out."""
    files = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    graph: Graph = {}
    for name, path in files.items():
        edges = graph.setdefault(name, {})
        for target, line in _imports(name, path, set(files), typing_only):
            for imported in (target, *_packages_run_first(name, target)):
                if imported != name:
                    edges.setdefault(imported, line)
    return graph


def _imports(name: str, path: Path, modules: set[str], typing_only: bool) -> Iterator[tuple[str, int]]:
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    root = name.partition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    if not typing_only:
        for block in ast.walk(tree):
            if isinstance(block, ast.If) and _names_type_checking(block.test):
                skipped.update(id(node) for statement in block.body for node in ast.walk(statement))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            # `from package import module` imports that module; `from module import name` only the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target.partition(".")[0] == root:
                yield target, node.lineno


def _names_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _packages_run_first(importer: str, target: str) -> list[str]:
    parts = target.split(".")
    packages = [".".join(parts[:n]) for n in range(1, len(parts))]
    return [p for p in packages if not (importer == p or importer.startswith(p + "."))]


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_table(text: str) -> list[tuple[str, list[str]]]:
    """The ```layers block of ARCHITECTURE.md, top layer first: `name  module-or-package ...` per line."""
    block = re.search(r"^```layers\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert block is not None, "docs/ARCHITECTURE.md has no ```layers block"
    rows = [line.split() for line in block.group(1).splitlines() if line.strip()]
    return [(row[0], row[1:]) for row in rows]


def layer_of(module: str, table: list[tuple[str, list[str]]]) -> int | None:
    """Index of the module's layer (0 = top): the longest entry naming it or a package holding it. The root package
    entry names only the root's own __init__, so a new module must be placed in the table."""
    root = module.partition(".")[0]
    best: tuple[int, int] | None = None
    for position, (_, entries) in enumerate(table):
        for entry in entries:
            if module == entry or (entry != root and module.startswith(entry + ".")):
                if best is None or len(entry) > best[0]:
                    best = (len(entry), position)
    return best[1] if best else None


def layering_problems(graph: Graph, table: list[tuple[str, list[str]]]) -> list[str]:
    problems = [f"{module} is in no layer of the table" for module in sorted(graph) if layer_of(module, table) is None]
    for importer, imported in sorted(graph.items()):
        low = layer_of(importer, table)
        for target, line in sorted(imported.items()):
            high = layer_of(target, table)
            if low is not None and high is not None and high < low:
                problems.append(f"{importer} (layer {table[low][0]}) imports {target} (layer {table[high][0]}), "
                                f"line {line}")
    return problems


def test_no_import_cycles() -> None:
    found = cycles(import_graph(typing_only=False))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    problems = layering_problems(import_graph(), layer_table(ARCHITECTURE.read_text(encoding="utf-8")))
    assert not problems, "\n".join(problems)


def test_the_checks_see_cycles_upward_imports_and_unplaced_modules(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("from . import leaf\n")
    (package / "low" / "leaf.py").write_text("def f():\n    from ..high import g  # function-level counts too\n")
    (package / "high.py").write_text("from .low.leaf import f\n")
    (package / "stray.py").write_text("import pkg.low.leaf\n")
    (package / "typed.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import stray\n")
    graph = import_graph(package)
    assert graph["pkg.stray"] == {"pkg.low.leaf": 1, "pkg.low": 1}  # the package's __init__ runs first
    assert cycles(graph) == [["pkg.high", "pkg.low", "pkg.low.leaf"]]
    assert graph["pkg.typed"] == {"pkg.stray": 3} and import_graph(package, typing_only=False)["pkg.typed"] == {}
    table = layer_table("```layers\ntop    pkg.high\nbottom pkg pkg.low\n```\n")
    assert layering_problems(graph, table) == [
        "pkg.stray is in no layer of the table",
        "pkg.typed is in no layer of the table",
        "pkg.low.leaf (layer bottom) imports pkg.high (layer top), line 2",
    ]
