"""The bare cost of the parsing migrate-guard cannot avoid, timed as a whole process like migrate-guard is:

    python bench/baselines.py ast FOLDER          # read + ast.parse every migration file under FOLDER
    python bench/baselines.py tree-sitter FOLDER  # read + tree-sitter parse every TS/JS migration file under FOLDER

A migration file is one in a folder named migrations or versions (the corpora of bench/generate.py). The paired
ratios of bench/run.py divide migrate-guard's time on the same folder by this.
"""

from __future__ import annotations

import sys
from pathlib import Path

FOLDERS = {"migrations", "versions"}


def migration_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.parent.name in FOLDERS
                  and p.name != "__init__.py")


def parse_python(files: list[Path]) -> int:
    import ast

    for path in files:
        ast.parse(path.read_bytes(), filename=str(path))
    return len(files)


def parse_tree_sitter(files: list[Path]) -> int:
    import tree_sitter_javascript
    import tree_sitter_typescript
    from tree_sitter import Language, Parser

    parsers = {".ts": Parser(Language(tree_sitter_typescript.language_typescript())),
               ".js": Parser(Language(tree_sitter_javascript.language()))}
    for path in files:
        parsers[path.suffix].parse(path.read_bytes())
    return len(files)


def main() -> int:
    kind, root = sys.argv[1], Path(sys.argv[2])
    if kind == "ast":
        count = parse_python(migration_files(root, (".py",)))
    else:
        count = parse_tree_sitter(migration_files(root, (".ts", ".js")))
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
