"""Classes of the project a migration names, read from their modules (found from the import, inside the folders
above the migration; parsed, never run, once per process): the table of a SQLAlchemy model
(`op.create_index(.., SqlScorer.__tablename__, ..)` with `from mlflow.store.tracking.dbmodels.models import
SqlScorer`), and whether a custom Django field always makes its column NULL (django-oscar's NullCharField)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import display_path
from .pyast import PySource

if TYPE_CHECKING:
    from .django_fields import FieldInfo

_MAX_MODULE_BYTES = 1024 * 1024
_MAX_LEVELS = 8  # how far above the migration a top-level package may sit


def model_table(tree: ast.Module, shown_path: str, class_name: str) -> str | None:
    """`__tablename__` of the class defined in this file, or imported into it from a module of the project."""
    here = _defined(tree, ast.ClassDef, class_name)
    table = _tablename(here) if here is not None else None
    if table is None:
        imported = _project_class(tree, shown_path, ast.Name(id=class_name))
        table = _tablename(imported) if imported is not None else None
    return table


def read_field_class(info: FieldInfo, tree: ast.Module, shown_path: str, node: ast.Call, app: str) -> FieldInfo:
    """A field whose class is no Django class, as far as its class is known: one of the project's that always is
    NULL (django-oscar's NullCharField), a string field (a blank=True one gets '' for existing rows), a many-to-many
    one (no column: nautobot's TagsField)."""
    from .django_fields import FieldInfo, is_many_class, named_for_strings

    found = _project_definition(tree, shown_path, node.func, ast.ClassDef)
    if found is not None and not info.null and _forces_null(found[1], "null" in info.kwargs):
        info.kwargs["null"] = True
    base = info.cls if named_for_strings(info.cls) else _field_base(*found) if found is not None else None
    if base is not None and is_many_class(base):
        return FieldInfo.from_call(info.name, node, app, as_class=base)
    if base is not None and not info.null and info.kwargs.get("blank") is True:
        info.kwargs["_empty_strings"] = True  # Django fills existing rows with '' (FieldInfo.default)
    return info


def _forces_null(cls: ast.ClassDef, explicit: bool) -> bool:
    """The field class sets null=True in its __init__ (`kwargs["null"] = True`, `super().__init__(..., null=True)`;
    `kwargs.setdefault("null", True)` when the migration does not pass null itself, `explicit`)."""
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    return init is not None and any(_sets_null(node, explicit) for node in ast.walk(init))


def _field_base(module: PySource, cls: ast.ClassDef) -> str | None:
    """The Django (or string-named, or many-to-many) field class a project's field class derives from, through the
    module's own classes (weblate's UsernameField(CaseInsensitiveField(models.CharField)) -> CharField, nautobot's
    TagsField(TaggableManager) -> TaggableManager), or None."""
    from .django_fields import is_many_class, named_for_strings

    classes = {node.name: node for node in module.tree.body if isinstance(node, ast.ClassDef)}
    for _ in range(4):
        bases = [base.attr if isinstance(base, ast.Attribute) else base.id
                 for base in cls.bases if isinstance(base, (ast.Attribute, ast.Name))]
        known = next((base for base in bases if named_for_strings(base) or is_many_class(base)), None)
        if known is not None:
            return known
        own = next((classes[base] for base in bases if base in classes and classes[base] is not cls), None)
        if own is None:
            return None
        cls = own
    return None


def _sets_null(node: ast.AST, explicit: bool) -> bool:
    if isinstance(node, ast.Assign):
        return _is_true(node.value) and any(isinstance(t, ast.Subscript) and _is_null_key(t.slice) for t in node.targets)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "setdefault" and not explicit and len(node.args) == 2:
            return _is_null_key(node.args[0]) and _is_true(node.args[1])
        if node.func.attr == "__init__":
            return any(k.arg == "null" and _is_true(k.value) for k in node.keywords)
    return False


def _is_null_key(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "null"


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _project_class(tree: ast.Module, shown_path: str, func: ast.expr) -> ast.ClassDef | None:
    found = _project_definition(tree, shown_path, func, ast.ClassDef)
    return found[1] if found is not None else None


def project_function(tree: ast.Module, shown_path: str, func: ast.expr) -> tuple[PySource, ast.FunctionDef] | None:
    """The function a call names, defined at the top of a module of the project (superset's
    `from superset.migrations.shared.utils import create_table`): the module, read, and the function."""
    found = _project_definition(tree, shown_path, func, ast.FunctionDef)
    return found if found is not None and isinstance(found[1], ast.FunctionDef) else None


def _project_definition(tree: ast.Module, shown_path: str, func: ast.expr,
                        kind: type[ast.ClassDef] | type[ast.FunctionDef]) -> tuple[PySource, Any] | None:
    """The class or function a call names, defined in a module of the project: `package.module.Name` after `import
    package...`, `Name` or `module.Name` imported with `from ... import`; with that module, read."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    names = [func.id, *reversed(parts)]
    folder = Path(shown_path).parent
    candidates: list[tuple[str, int, str]] = []  # (module, level, the name defined there)
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if (alias.asname or alias.name) == names[0]:
                    base = statement.module or ""
                    if len(names) == 1:
                        candidates.append((base, statement.level, alias.name))
                    else:  # `from oscar.models import fields` then `fields.NullCharField`
                        inner = ".".join([alias.name, *names[1:-1]])
                        candidates.append((f"{base}.{inner}" if base else inner, statement.level, names[-1]))
        elif isinstance(statement, ast.Import) and len(names) > 1:
            for alias in statement.names:
                if alias.asname is None and alias.name.split(".")[0] == names[0]:
                    candidates.append((".".join(names[:-1]), 0, names[-1]))
                elif alias.asname == names[0]:
                    candidates.append((".".join([alias.name, *names[1:-1]]), 0, names[-1]))
    for module, level, name in candidates:
        path = _module_file(folder, module, level)
        source = module_source(str(path)) if path is not None else None
        if source is not None:
            found = _defined(source.tree, kind, name)
            return (source, found) if found is not None else None
    return None


@lru_cache(maxsize=256)
def in_project(shown_path: str, module: str) -> bool:
    """The module is the project's own (a relative import, or a package found in a folder above the migration), not
    an installed library's (`from babel import Locale`): only the project's code is opaque database work."""
    if module.startswith(".") or not module:
        return True
    top = module.split(".")[0]
    return any((folder / top).is_dir() or (folder / f"{top}.py").is_file()
               for base in _folders_above(Path(shown_path).parent) for folder in (base, base / "src"))


def _folders_above(folder: Path) -> Iterator[Path]:
    """The folder and those above it where a top-level package may sit, nearest first."""
    for _ in range(_MAX_LEVELS):
        yield folder
        if folder.parent == folder:
            return
        folder = folder.parent


def _tablename(model: ast.ClassDef) -> str | None:
    for statement in model.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets):
            value = statement.value
            return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    return None


def _defined(tree: ast.Module, kind: type[ast.ClassDef] | type[ast.FunctionDef], name: str) -> Any:
    """The class or function of that name defined at the top of a module, or None."""
    return next((n for n in tree.body if isinstance(n, kind) and n.name == name), None)


def _module_file(folder: Path, module: str, level: int) -> Path | None:
    parts = module.split(".") if module else []
    if level:  # from ..models import X: relative to the migration's own package
        base = folder
        for _ in range(level - 1):
            base = base.parent
        return _as_file(base.joinpath(*parts)) if parts else None
    if not parts:
        return None
    found = (_as_file(base.joinpath(*parts)) for base in _folders_above(folder) if (base / parts[0]).is_dir())
    return next((path for path in found if path is not None), None)


def _as_file(stem: Path) -> Path | None:
    for candidate in (stem.with_name(stem.name + ".py"), stem / "__init__.py"):
        try:
            if candidate.is_file() and candidate.stat().st_size <= _MAX_MODULE_BYTES:
                return candidate
        except OSError:
            continue
    return None


@lru_cache(maxsize=64)
def module_source(path: str) -> PySource | None:
    """A module of the project, read and parsed (never run), once per process; shown as display_path shows it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        return PySource.parse(display_path(path), text)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
