"""A bounded walk of the repository that never enters dependency, VCS, virtualenv or build folders, and reads only
the repository's regular files.

Only regular files are returned: opening a FIFO blocks forever and a device (/dev/zero) never ends. A symbolic link
counts only when its target is a regular file inside the repository (the git work tree holding the current folder,
or the folder walked; without git, the folder itself): a migration-named link must not read the rest of the machine.
Links to folders are not followed. A folder that cannot be listed is reported once on stderr, never silently
skipped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from .errors import warn
from .paths import know_regular_files

# Build output and tool folders that are skipped unless they are a Django app (an app may be called `vendor`).
SOFT_SKIP_DIRS = frozenset({"env", "build", "dist", "target", "coverage", "vendor", "out"})
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".env", "virtualenv", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".next",
    ".nuxt", ".turbo", ".cache", "htmlcov", ".idea", ".vscode", ".terraform",
    ".svelte-kit", ".parcel-cache", ".yarn", ".pnpm-store", "bower_components",
}) | SOFT_SKIP_DIRS
MAX_DEPTH = 12


def is_skipped_dir(name: str) -> bool:
    """By its name alone (see skips_folder for the folders of SOFT_SKIP_DIRS that are Django apps)."""
    return name in SKIP_DIRS or name.endswith(".egg-info") or (name.startswith(".") and name not in (".", ".."))


# Build output a published package may ship alone (an npm tarball holds dist/, not src/).
COMPILED_DIRS = frozenset({"dist", "build"})


def skips_folder(parent: str | Path, name: str) -> bool:
    """Is the folder `name` inside `parent` left out? A `vendor`, `build`, `dist`, ... folder is, unless it is a
    Django app (it holds migrations/__init__.py): then its migrations are linted like any other app's. A `dist` or
    `build` folder beside a package.json is compiled code: what of it has its source in `src/` beside it is left out
    (src/migrations and dist/migrations are linted once), the rest is the only copy (a published package ships
    build/migrations alone) and is searched."""
    if name in SOFT_SKIP_DIRS:
        if name in COMPILED_DIRS and os.path.isfile(os.path.join(parent, "package.json")):
            return False
        return not os.path.isfile(os.path.join(parent, name, "migrations", "__init__.py"))
    if os.path.basename(os.path.normpath(parent)) in COMPILED_DIRS and _has_source(os.path.dirname(
            os.path.normpath(parent)), name):
        return True
    return is_skipped_dir(name)


def _has_source(package: str, name: str) -> bool:
    """Does the package beside a compiled folder hold `name` in its sources (src/<name>)?"""
    return os.path.isfile(os.path.join(package, "package.json")) and os.path.isdir(os.path.join(package, "src", name))


def in_skipped_folder(path: Path) -> bool:
    """Does any folder on this (relative or absolute) file path get skipped by the walk?"""
    parent, folders = ".", path.parts[:-1]
    if path.anchor:
        parent, folders = folders[0], folders[1:]
    for part in folders:
        if part not in (".", "..") and skips_folder(parent, part):
            return True
        parent = os.path.join(parent, part)
    return False


@lru_cache(maxsize=256)
def repository_root(folder: str) -> str:
    """The nearest folder at or above `folder` (a real path) holding `.git`, else `folder` itself."""
    here = folder
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return folder
        here = parent


class Repository:
    """The folders whose files may be read: the repository of the current folder and of each folder given."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = tuple(sorted(set(roots)))

    @classmethod
    def around(cls, *folders: str | Path) -> Repository:
        roots = []
        for folder in (os.getcwd(), *folders):
            try:
                roots.append(repository_root(os.path.realpath(folder)))
            except (OSError, ValueError):
                continue
        return cls(roots)

    def holds(self, path: str | Path) -> bool:
        """Is the real location of this path inside the repository?"""
        try:
            real = os.path.realpath(path)
        except (OSError, ValueError):
            return False
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def holds_file(self, path: str | Path) -> bool:
        """A regular file inside the repository (a link is followed to check where it lands)."""
        try:
            return stat.S_ISREG(os.stat(path).st_mode) and self.holds(path)
        except (OSError, ValueError):  # missing target, a link loop, a name the system refuses
            return False


def walk_files(root: Path, max_depth: int = MAX_DEPTH, suffixes: frozenset[str] | None = None,
               remember: bool = False) -> Iterator[Path]:
    """Every regular file under root, sorted, skipping the folders above (and any folder holding a pyvenv.cfg);
    with `suffixes`, only the files whose (lower-cased) suffix is one of them. `remember`: tell paths.py what the
    listing says of each file (for the files a run will look up, not a whole repository's)."""
    repository = Repository.around(root)
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            if not isinstance(error, (FileNotFoundError, NotADirectoryError)):  # gone meanwhile: nothing to say
                warn(f"cannot read folder {folder}: {error.strerror or error}; its files are not checked")
            continue
        files: list[str] = []
        links: set[str] = set()
        folders: list[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    files.append(entry.name)
                elif entry.is_symlink() and repository.holds_file(entry.path):
                    files.append(entry.name)
                    links.add(entry.name)
            except OSError:
                continue
        if folder != root and "pyvenv.cfg" in files:
            continue
        files.sort()
        if suffixes is not None:
            files = [name for name in files if os.path.splitext(name)[1].lower() in suffixes]
        paths = [folder / name for name in files]
        if remember:
            _remember(folder, files, paths, links)
        yield from paths
        if depth < max_depth:
            here = os.fspath(folder)
            stack.extend((folder / name, depth + 1) for name in sorted(folders, reverse=True)
                         if not skips_folder(here, name))


def _remember(folder: Path, names: list[str], paths: list[Path], links: set[str]) -> None:
    if not links:
        know_regular_files(os.fspath(folder), names, [os.fspath(path) for path in paths], [])
        return
    know_regular_files(os.fspath(folder), [name for name in names if name not in links],
                       [os.fspath(path) for name, path in zip(names, paths) if name not in links],
                       [os.fspath(path) for name, path in zip(names, paths) if name in links])
