"""The paths a run reports and compares files by: relative to the current folder for reports (display_path), real
(links and folders resolved) for sets of files (real_file). A run asks for the same files' paths several times
(planning, selection, reporting): each is worked out once, with strings (pathlib costs several microseconds per
operation, times thousands of files)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def real_path(path: str | os.PathLike[str]) -> Path:
    """path.resolve(), resolving each folder once (thousands of files share a few folders)."""
    return _real_path(os.fspath(path), os.getcwd())


def real_file(path: str | os.PathLike[str]) -> str:
    """real_path() as a string: what a set of files is keyed by."""
    key = (os.fspath(path), os.getcwd())
    real = _real_files.get(key)
    if real is None:
        real = _remember(key, _resolve_file(*key))
    return real


def real_files(paths: list[Path]) -> list[str]:
    """real_file() of each, for thousands of files at once."""
    cwd = os.getcwd()
    found = []
    for path in paths:
        key = (os.fspath(path), cwd)
        real = _real_files.get(key)
        found.append(real if real is not None else _remember(key, _resolve_file(*key)))
    return found


def display_path(path: str | os.PathLike[str]) -> str:
    """Path relative to the current folder with "/" separators (the contract's `path`)."""
    key = (os.fspath(path), os.getcwd())
    shown = _shown.get(key)
    if shown is None:
        if len(_shown) >= _MEMO_SIZE:
            _shown.clear()
        shown = _shown[key] = _display(key[0], real_file(key[0]), key[1])
    return shown


# Keyed by (path, current folder); emptied when they grow past _MEMO_SIZE.
_real_files: dict[tuple[str, str], str] = {}
_shown: dict[tuple[str, str], str] = {}
_MEMO_SIZE = 1 << 17


def _remember(key: tuple[str, str], real: str) -> str:
    if len(_real_files) >= _MEMO_SIZE:
        _real_files.clear()
        _shown.clear()
    _real_files[key] = real
    return real


def know_regular_files(folder: str, names: list[str], paths: list[str], links: list[str]) -> None:
    """The walk listed these regular files of `folder` (`paths`: their paths as given, folder + name) and these
    links: the files' real and shown paths follow from the folder's, without a system call each; the links' are
    worked out again when asked (one may have been a regular file when last asked)."""
    cwd = os.getcwd()
    for path in links:
        _real_files.pop((path, cwd), None)
        _shown.pop((path, cwd), None)
    if ".." in folder.split(os.sep):
        return  # the file's path is normalised before it is resolved: left to real_file
    real = _real_folder(os.path.normpath(os.path.join(cwd, folder)))
    shown = _display(folder, real, cwd)
    if len(_real_files) + len(names) >= _MEMO_SIZE:
        _real_files.clear()
        _shown.clear()
    real_prefix = real if real.endswith(os.sep) else real + os.sep
    shown_prefix = "" if shown == "." else shown if shown.endswith("/") else shown + "/"
    for name, path in zip(names, paths):
        _real_files[(path, cwd)] = real_prefix + name
        _shown[(path, cwd)] = shown_prefix + name


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _resolve_file(path: str, cwd: str) -> str:
    absolute = os.path.normpath(os.path.join(cwd, path))
    if os.path.islink(absolute):
        return os.path.realpath(absolute)
    folder, name = os.path.split(absolute)
    return os.path.join(_real_folder(folder), name)


@lru_cache(maxsize=65536)
def _real_path(path: str, cwd: str) -> Path:
    return Path(real_file(path))


def _display(path: str, real: str, cwd: str) -> str:
    root = _real_folder(cwd)
    if real == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not real.startswith(prefix):
        return Path(path).as_posix()
    relative = real[len(prefix):]
    return relative.replace(os.sep, "/") if os.sep != "/" else relative
