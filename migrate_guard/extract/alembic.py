"""Alembic migrations: the `op.*` calls of `upgrade()` / `downgrade()`, read with `ast` (never imported or run).

Handles `with op.batch_alter_table(t) as batch_op:` (calls on the alias act on t) and
`with op.get_context().autocommit_block():` (calls inside run outside Alembic's transaction).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from .. import ir
from ..dialects import PARTIAL
from ..model import Migration
from .alembic_reader import Reader
from .alembic_scope import Module
from .base import MigrationUnit, NotText, display_path, no_config_dialect, unreadable_migration
from .pyast import PySource, literal, parse_error, read_python

ORM = "alembic"
EXTENSIONS = (".py",)
dialect_of = no_config_dialect
_REVISION = re.compile(r"^[^\S\n]*revision\s*(?::[^=\n]*)?=", re.MULTILINE)

def claims(path: Path, head: str) -> bool:
    if not (path.name != "env.py" and _declares_revision(head)
            and ("def upgrade" in head or "from alembic" in head or "down_revision" in head)):
        return False
    _CLAIMED[os.fspath(path)] = _revisions(head)
    return True


# What the head each claimed file was classified by says of its revision and parents, until order_units takes it:
# planning read that head already, and reading it again cost a file open per revision.
_CLAIMED: dict[str, tuple[str | None, list[str]]] = {}


_DOWN_REVISION = re.compile(r"^[^\S\n]*down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)


def owns(head: str) -> bool:
    """Certainly an Alembic revision, wherever it is: both `revision = ...` and `down_revision = ...`."""
    return _declares_revision(head) and _DOWN_REVISION.search(head) is not None


def _declares_revision(head: str) -> bool:
    """_REVISION.search, after a substring test: on the heads of other formats' files (Django's) the pattern is tried
    at every line for nothing."""
    return "revision" in head and _REVISION.search(head) is not None


def migration_key(path: Path) -> str:
    return path.stem


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration. Without `downs` (a run that reads no down operation: pipeline/pool.py), without the operations
    of downgrade(); its down state and location are still read. A partly checked database's migration keeps them:
    the statements it could not read, in either direction, are counted in a finding."""
    downs = downs or unit.dialect in PARTIAL
    path = unit.files[0]
    shown = display_path(path)
    try:
        text = read_python(path)
    except NotText as problem:
        return unreadable_migration(unit, path, str(problem))
    migration = Migration(id=unit.id, orm=ORM, dialect=unit.dialect, path=shown, sources={shown: text},
                          transactional=True)
    try:
        source = PySource.parse(shown, text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        migration.operations.append(parse_error(shown, error, unit.id))
        return migration
    try:
        _read_functions(source, unit, migration, downs)
    except RecursionError:  # a guard: every reader above is iterative or depth-bounded
        migration.operations = [ir.ParseError(location=ir.Location(shown, 1, 1, 1), migration=unit.id,
                                              message="could not read this file: its expressions nest too deeply")]
    return migration


def _read_functions(source: PySource, unit: MigrationUnit, migration: Migration, downs: bool) -> None:
    shown = source.path
    module = Module.of(source.tree)
    functions = {node.name: node for node in source.tree.body if isinstance(node, ast.FunctionDef)}
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    if upgrade is not None:
        migration.operations += Reader(source, unit, "up", module).block(upgrade.body)
    if downgrade is None:
        migration.down = "missing"
    else:
        migration.down_location = source.location(downgrade)
        migration.down_location = ir.Location(shown, downgrade.lineno, migration.down_location.column,
                                              downgrade.lineno)
        migration.down = down_state(downgrade.body)
        if downs:  # after upgrade(): its Reader shares the module's count of helper calls followed with this one
            migration.operations += Reader(source, unit, "down", module).block(downgrade.body)


def down_state(body: list[ast.stmt]) -> ir.DownState:
    statements = list(body)
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant) \
            and isinstance(statements[0].value.value, str):
        statements = statements[1:]  # docstring
    raises = False
    for s in statements:
        if isinstance(s, ast.Pass) or _only_logs(s) or (
                isinstance(s, ast.Return) and (s.value is None or literal(s.value) is None)) or (
                isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis):
            continue  # undoes nothing
        if not isinstance(s, ast.Raise):
            return "present"
        raises = True
    return "raises" if raises else "noop"


_LOGGERS = {"print", "log", "logger", "logging", "LOG", "LOGGER", "log_", "_log", "_logger", "warnings", "click"}


def _only_logs(statement: ast.stmt) -> bool:
    """`print(...)`, `logger.info(...)`, `logging.warning(...)`, `warnings.warn(...)`: says something, undoes nothing."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    func = statement.value.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in _LOGGERS


_REVISION_VALUE = re.compile(r"^[^\S\n]*revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION_VALUE = re.compile(r"^[^\S\n]*down_revision\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)


def _revisions(head: str) -> tuple[str | None, list[str]]:
    """The revision a file's head declares, and its down revisions."""
    match = _REVISION_VALUE.search(head)
    down = _DOWN_REVISION_VALUE.search(head)
    return (match.group(1) if match else None,
            re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)) if down else [])


def order_units(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """Revisions in the order Alembic applies them (each after its down_revision), not by their random ids."""
    from .base import read_head

    revisions: dict[str, MigrationUnit] = {}
    parents: dict[int, list[str]] = {}
    for unit in units:
        claimed = _CLAIMED.pop(os.fspath(unit.files[0]), None)
        revision, parents[id(unit)] = claimed if claimed is not None else _revisions(read_head(unit.files[0]))
        if revision is not None:
            revisions[revision] = unit
    ordered: list[MigrationUnit] = []
    placed: set[int] = set()

    def place(unit: MigrationUnit, trail: set[int]) -> None:
        if id(unit) in placed or id(unit) in trail:
            return
        trail.add(id(unit))
        for parent in parents.get(id(unit), []):
            if parent in revisions:
                place(revisions[parent], trail)
        placed.add(id(unit))
        ordered.append(unit)

    for unit in units:  # the given (natural) order breaks ties between branches
        place(unit, set())
    return ordered
