"""Django migrations, read with `ast` (never imported or run), with the project's migration graph replayed.

Replaying every app's migrations in dependency order gives each model's fields before every operation, so an
AlterField is a type change only when the column's database type really changes, a RenameField knows the column,
a ForeignKey knows the type and table it points to. The replay is done once per project and cached.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from ..model import Migration
from .base import MigrationUnit, NotText, display_path, no_config_dialect, real_file, unreadable_migration
from .django_graph import Graph, app_label, imports_migrations
from .pyast import read_python

ORM = "django"
EXTENSIONS = (".py",)
dialect_of = no_config_dialect


def claims(path: Path, head: str) -> bool:
    return (path.name != "__init__.py" and imports_migrations(head)
            and ("class Migration" in head or path.parent.name == "migrations"))


_MIGRATION_CLASS = re.compile(r"^class\s+\w+\s*\(\s*migrations\.Migration\s*\)", re.MULTILINE)


def owns(head: str) -> bool:
    """Certainly a Django migration, wherever it is: `class Migration(migrations.Migration)` importing django.db."""
    return imports_migrations(head) and _MIGRATION_CLASS.search(head) is not None


def migration_key(path: Path) -> str:
    return f"{path.parent.parent.name}.{path.stem}"


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    path = unit.files[0]
    shown = display_path(path)
    graph = _graph_for(unit)
    node = graph.nodes.get(_node_key(path))
    if node is None or real_file(node.path) != real_file(path):  # else the graph read this file as text already
        try:
            read_python(path)
        except NotText as problem:
            return unreadable_migration(unit, path, str(problem))
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
    """(app_label(path.parent.parent), path.stem), from strings: pathlib's parents and hash cost more than the
    rest of a migration's lookup."""
    folder, name = os.path.split(os.fspath(path))
    dot = name.rfind(".")
    return (_folder_app(folder), name[:dot] if 0 < dot < len(name) - 1 else name)


@lru_cache(maxsize=1024)
def _folder_app(folder: str) -> str:
    return app_label(Path(folder).parent)


# Per process; keyed by the current folder too, since the operations carry paths shown relative to it (a test or a
# caller running check in-process from two folders must not get the other's paths).
_GRAPHS: dict[tuple[tuple[str, ...], str, str], Graph] = {}


def _graph_for(unit: MigrationUnit) -> Graph:
    path = unit.files[0]
    cwd = os.getcwd()
    project = tuple(unit.project.migrations) if unit.project is not None and unit.project.orm == ORM else ()
    folders, names = _graph_folders(str(path.parent), project, cwd)
    key = (names, unit.dialect, cwd)
    if key not in _GRAPHS:
        _GRAPHS[key] = Graph.build(list(folders), unit.dialect)
    return _GRAPHS[key]


@lru_cache(maxsize=1024)
def _graph_folders(folder: str, project: tuple[str, ...], cwd: str) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """The resolved folders of a migration's graph (its own and its project's), in order, and their names sorted
    (the graph's key), worked out once per folder rather than for each of its migrations (each resolve() is a
    system call per path component)."""
    folders = tuple(sorted({Path(folder).resolve(), *(Path(m).resolve() for m in project)}))
    return folders, tuple(sorted(str(f) for f in folders))


def order_units(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """Migrations in dependency order across apps (the order Django applies them)."""
    if not units:
        return units
    rank = {(n.app, n.name): i for i, n in enumerate(_graph_for(units[0]).order())}
    return sorted(units, key=lambda u: rank.get(_node_key(u.files[0]), len(rank)))
