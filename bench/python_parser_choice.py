"""Which Python parser reads Django and Alembic migrations: the standard library's `ast` or libcst?

    /tmp/venv/bin/python bench/python_parser_choice.py [FOLDER ...]

Default set: the generated corpus (bench/corpus/python: 500 Django + 500 Alembic migrations; run bench/generate.py
first), Django's own contrib migrations from the installed Django, and the repository's Django/Alembic fixtures.
Measures, best of several runs: the cost of importing each parser in a fresh interpreter, the time to parse every file,
and for libcst also the position metadata that line numbers would need (`ast` nodes carry positions already).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = 5


def migration_files(folders: list[Path]) -> list[tuple[Path, str]]:
    files = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if path.name in ("__init__.py", "env.py", "manage.py", "settings.py"):
                continue
            text = path.read_text(encoding="utf-8")
            if "migrations" in text or "from alembic" in text:
                try:
                    ast.parse(text)
                except SyntaxError:
                    continue  # the parse-error fixtures
                files.append((path, text))
    return files


def default_folders() -> list[Path]:
    folders = [REPO / "bench" / "corpus" / "python", REPO / "fixtures" / "django", REPO / "fixtures" / "alembic",
               REPO / "fixtures" / "rules"]
    try:
        import django

        folders.append(Path(django.__file__).parent / "contrib")
    except ImportError:
        pass
    return [f for f in folders if f.is_dir()]


def import_cost(module: str) -> float:
    """Seconds a fresh interpreter spends importing `module`, minus an empty interpreter's start-up (best of RUNS)."""
    def best(code: str) -> float:
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        return min(times)

    return best(f"import {module}") - best("pass")


def best_of(function, files: list[tuple[Path, str]]) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _path, text in files:
            function(text)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]] or default_folders()
    files = migration_files(folders)
    django = sum(1 for _, t in files if "django.db" in t)
    size = sum(len(t) for _, t in files)
    print(f"{len(files)} migrations ({django} Django, {len(files) - django} Alembic), {size / 1e6:.2f} MB, "
          f"best of {RUNS} runs, Python {sys.version.split()[0]}")

    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    def cst_with_positions(text: str) -> None:
        MetadataWrapper(libcst.parse_module(text)).resolve(PositionProvider)

    ast_parse = best_of(ast.parse, files)
    cst_parse = best_of(libcst.parse_module, files)
    cst_pos = best_of(cst_with_positions, files[: max(1, len(files) // 5)]) * len(files) / max(1, len(files) // 5)
    ast_import, cst_import = import_cost("ast"), import_cost("libcst")
    per_file = lambda seconds: seconds / len(files) * 1000  # noqa: E731
    print(f"{'':28}{'total s':>10}{'ms/file':>10}")
    print(f"{'ast.parse':28}{ast_parse:10.3f}{per_file(ast_parse):10.3f}")
    print(f"{'libcst.parse_module':28}{cst_parse:10.3f}{per_file(cst_parse):10.3f}")
    print(f"{'libcst + PositionProvider':28}{cst_pos:10.3f}{per_file(cst_pos):10.3f}  (extrapolated from 1/5)")
    print(f"import ast: {ast_import * 1000:.1f} ms   import libcst: {cst_import * 1000:.1f} ms")
    print(f"libcst/ast parse ratio: {cst_parse / ast_parse:.1f}x (with positions {cst_pos / ast_parse:.1f}x)")


if __name__ == "__main__":
    main()
