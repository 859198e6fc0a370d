"""A bounded walk of the repository that never enters dependency, VCS, virtualenv or build folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", ".env", "virtualenv", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "build", "dist", "target", ".next",
    ".nuxt", ".turbo", ".cache", "coverage", "htmlcov", ".idea", ".vscode", ".terraform", "vendor", "out",
    ".svelte-kit", ".parcel-cache", ".yarn", ".pnpm-store", "bower_components",
})
MAX_DEPTH = 12


def is_skipped_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info") or (name.startswith(".") and name not in (".", ".."))


def walk_files(root: Path, max_depth: int = MAX_DEPTH) -> Iterator[Path]:
    """Every file under root, sorted, skipping the folders above (and any folder holding a pyvenv.cfg)."""
    root_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if "pyvenv.cfg" in files and here != root:
            dirs[:] = []
            continue
        depth = len(here.parts) - root_depth
        dirs[:] = sorted(d for d in dirs if not is_skipped_dir(d)) if depth < max_depth else []
        for name in sorted(files):
            yield here / name
