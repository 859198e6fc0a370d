"""Import pglast's parser without the parts migrate-guard never uses.

`import pglast.parser` executes `pglast.enums` (hundreds of enum classes) and `pglast.ast` (a class per node kind):
two thirds of pglast's import time, about 20-30 ms of a one-file run. Both only serve `parse_sql`'s Python syntax
tree; migrate-guard calls `parse_sql_json`, `scan` and `split`. So the package is executed with those two modules
already bound as lazy modules (importlib.util.LazyLoader): they run on their first attribute access, so any other
code of the process that uses pglast's syntax tree still gets the real modules.
"""

from __future__ import annotations

import sys
from importlib import util
from pathlib import Path
from types import ModuleType

_DEFERRED = ("enums", "ast")


def pglast_parser() -> ModuleType:
    """pglast.parser (raises ImportError when pglast is missing or broken)."""
    if "pglast" not in sys.modules:
        _import_package_deferring_syntax_tree()
    from pglast import parser

    return parser


def _import_package_deferring_syntax_tree() -> None:
    spec = util.find_spec("pglast")
    if spec is None or spec.loader is None or spec.origin is None:
        raise ImportError("pglast is not installed")
    package = util.module_from_spec(spec)
    folder = Path(spec.origin).parent
    deferred: list[str] = []
    for name in _DEFERRED:
        inner = folder / name
        path, search = (inner / "__init__.py", [str(inner)]) if inner.is_dir() else (folder / f"{name}.py", None)
        sub = util.spec_from_file_location(f"pglast.{name}", path, submodule_search_locations=search)
        if sub is None or sub.loader is None or not path.is_file():  # another layout: import it all, as usual
            break
        sub.loader = util.LazyLoader(sub.loader)
        module = util.module_from_spec(sub)
        sub.loader.exec_module(module)
        # bound on the package before it runs, so `from . import enums` finds the attribute and never touches the
        # lazy module (the import system's own check of a module's __spec__ would execute it)
        setattr(package, name, module)
        sys.modules[sub.name] = module
        deferred.append(sub.name)
    sys.modules["pglast"] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        for name in ("pglast", *deferred):
            sys.modules.pop(name, None)
        raise
