"""Everything a `check` run read from the file system, recorded so that the same run can be served whole next time
(replay.py) only while every bit of it is unchanged: each file opened (its SHA-256), each folder listed (its names,
and their kinds where the listing gave them), each path whose kind or size was asked (stat, exists, is_file,
resolve...) and each link read. Detection, planning and the cache keys use these through os, os.path, pathlib and
open(), whatever the module, so they are watched there (as cache_reads.py watches an extraction), for the run's
duration only."""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
Outcome = tuple[int, int]  # (S_IFMT of the mode, size for a regular file else 0), or (-1, errno)
NO_FILE = bytes(32)  # the digest kept for a path opened that is not a regular file (or was missing)
# Where every read through os, os.path, pathlib and open() looks the functions up when called, so that recording_run
# sees it: 3.10's pathlib binds os.stat, os.scandir and io.open when imported (its _NormalAccessor); 3.13's glob binds
# os.scandir and os.lstat in _StringGlobber, which recording_run replaces too. Later versions are not known yet.
RECORDS = (3, 11) <= sys.version_info[:2] < (3, 14)
# The functions themselves, not what recording_run puts in their place: its own checks are not the run's reads.
_os_open, _os_stat, _os_lstat = os.open, os.stat, os.lstat


def path_outcome(path: str, follow: bool) -> Outcome:
    try:
        info = _os_stat(path) if follow else _os_lstat(path)
    except OSError as error:
        return (-1, error.errno or 0)
    return _outcome(info)


def _outcome(info: os.stat_result) -> Outcome:
    kind = stat.S_IFMT(info.st_mode)
    return (kind, info.st_size if kind == stat.S_IFREG else 0)


def entry_kinds(entries: list[os.DirEntry[str]]) -> list[tuple[str, int]]:
    """(name, kind) of a listing's entries, from what the listing itself said (no system call each)."""
    kinds = []
    for entry in entries:
        try:
            kind = 1 if entry.is_dir(follow_symlinks=False) else 2 if entry.is_file(follow_symlinks=False) else \
                3 if entry.is_symlink() else 0
        except OSError:
            kind = -1
        kinds.append((entry.name, kind))
    return sorted(kinds)


def file_digest(path: str) -> bytes | None:
    """SHA-256 of a regular file's bytes, None when it is missing, unreadable or not a regular file (a FIFO is never
    waited on)."""
    try:
        descriptor = _os_open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return None
        chunk = os.read(descriptor, info.st_size + 1)
        if len(chunk) <= info.st_size:
            return hashlib.sha256(chunk).digest()
        digest = hashlib.sha256()  # it grew since: read to its end
        while chunk:
            digest.update(chunk)
            chunk = os.read(descriptor, 1 << 20)
        return digest.digest()
    except OSError:
        return None
    finally:
        os.close(descriptor)


class RunReads:
    """What was read, by absolute path, with what the run saw."""

    def __init__(self, excluded: tuple[str, ...]) -> None:
        self.excluded = excluded  # folders whose reads stand for themselves (the cache's own, the installed code)
        self.stats: dict[tuple[str, bool], Outcome] = {}  # (path, links followed) -> outcome
        self.listings: dict[str, tuple[str, ...]] = {}
        self.scans: dict[str, tuple[tuple[str, int], ...]] = {}
        self.links: dict[str, str] = {}
        self.opened: dict[str, tuple[int, int, int] | None] = {}  # path -> (inode, size, mtime) when first opened
        # SHA-256 (hex) of files the run read whole and hashed itself (planning, by absolute path): not read again
        self.known: dict[str, str] = {}
        self.consistent = True  # False: the same path answered two ways during the run (it changed meanwhile)
        self.stderr = False  # something was said on stderr (a warning): the run is not served without saying it

    def _path(self, path: Any) -> str | None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        elif not isinstance(path, str):
            if not isinstance(path, os.PathLike):
                return None  # a descriptor: the cache's own folder, read relative to it
            path = os.fspath(path)
            if isinstance(path, bytes):
                path = os.fsdecode(path)
        absolute = os.path.abspath(path)
        return None if absolute.startswith(self.excluded) or absolute + os.sep in self.excluded else absolute

    def _keep(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        known = table.setdefault(key, value)
        if known != value:
            self.consistent = False

    def stat(self, path: Any, follow: bool, outcome: Outcome) -> None:
        absolute = self._path(path)
        if absolute is not None:
            self._keep(self.stats, (absolute, follow), outcome)

    def listing(self, path: Any, names: list[str]) -> None:
        absolute = self._path(path)
        if absolute is not None:
            self._keep(self.listings, absolute, tuple(sorted(names)))

    def scan(self, path: Any, entries: list[os.DirEntry[str]]) -> None:
        absolute = self._path(path)
        if absolute is None:
            return
        kinds = tuple(entry_kinds(entries))
        self._keep(self.scans, absolute, kinds)
        for name, kind in kinds:
            if kind == 3:  # what a link points at is asked of the entry without a call this module sees
                target = os.path.join(absolute, name)
                self._keep(self.stats, (target, True), path_outcome(target, True))

    def link(self, path: Any, target: str | bytes) -> None:
        absolute = self._path(path)
        if absolute is not None:
            self._keep(self.links, absolute, os.fsdecode(target))

    def open(self, path: Any, opened: Any) -> None:
        """`opened`: what opening it gave (a descriptor or a file object), None when it failed."""
        absolute = self._path(path)
        if absolute is None or absolute in self.opened:
            return
        identity = None
        if opened is not None:
            try:
                identity = _identity_of(os.fstat(opened if isinstance(opened, int) else opened.fileno()))
            except (OSError, ValueError, AttributeError):
                identity = _identity(absolute)
        self.opened[absolute] = identity

    def digests(self) -> tuple[str, bytes] | None:
        """The opened files ("\0"-joined) and their digests (NO_FILE for one that is not a regular file) as they
        are now, or None when one changed since it was opened (the run may have read either version)."""
        paths, found = [], []
        for path, identity in sorted(self.opened.items()):
            known = self.known.get(path) if identity is not None else None
            digest = bytes.fromhex(known) if known is not None else file_digest(path)
            if identity is None or _identity(path) != identity:
                if identity is not None or digest is not None:
                    return None
            paths.append(path)
            found.append(NO_FILE if digest is None else digest)
        return "\0".join(paths), b"".join(found)


def files_unchanged(paths: str, digests: bytes) -> bool:
    """What RunReads.digests() gave is still true."""
    if not paths:
        return not digests
    names = paths.split("\0")
    if len(digests) != len(names) * len(NO_FILE):
        return False
    end = 0
    for path in names:
        start, end = end, end + len(NO_FILE)
        if (file_digest(path) or NO_FILE) != digests[start:end]:
            return False
    return True


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        return _identity_of(_os_stat(path))
    except (OSError, ValueError):
        return None


def _identity_of(info: os.stat_result) -> tuple[int, int, int] | None:
    return (info.st_ino, info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else None


class _Scan:
    """os.scandir's iterator, read whole so that the listing is known (callers use it as a context manager)."""

    def __init__(self, entries: list[os.DirEntry[str]]) -> None:
        self._entries = iter(entries)

    def __iter__(self) -> _Scan:
        return self

    def __next__(self) -> os.DirEntry[str]:
        return next(self._entries)

    def __enter__(self) -> _Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._entries = iter(())


class _Stderr(io.TextIOBase):
    def __init__(self, reads: RunReads, real: Any) -> None:
        self._reads, self._real = reads, real

    def write(self, text: str) -> int:
        self._reads.stderr = True
        return int(self._real.write(text))

    def flush(self) -> None:
        self._real.flush()

    def fileno(self) -> int:
        return int(self._real.fileno())

    def isatty(self) -> bool:
        return bool(self._real.isatty())


class _Watched:
    """The functions recording_run puts in place of os's, open() and glob's: each calls the real one and tells
    RunReads what it was asked and what it answered."""

    def __init__(self, reads: RunReads) -> None:
        self.reads = reads
        self.real_open, self.real_os_open, self.real_stat = builtins.open, os.open, os.stat
        self.real_listdir, self.real_scandir, self.real_readlink = os.listdir, os.scandir, os.readlink

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            return self.real_open(file, mode, *args, **kwargs)
        return self._opened(file, lambda: self.real_open(file, mode, *args, **kwargs))

    def os_open(self, path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if dir_fd is not None or flags & _WRITE_FLAGS:
            return self.real_os_open(path, flags, mode, dir_fd=dir_fd)
        descriptor: int = self._opened(path, lambda: self.real_os_open(path, flags, mode))
        return descriptor

    def _opened(self, path: Any, opening: Callable[[], Any]) -> Any:
        """A file opened for reading, told to RunReads (None: it could not be opened)."""
        try:
            opened = opening()
        except OSError:
            self.reads.open(path, None)
            raise
        self.reads.open(path, opened)
        return opened

    def stat(self, path: Any, *, dir_fd: int | None = None, follow_symlinks: bool = True) -> os.stat_result:
        try:
            info = self.real_stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
        except OSError as error:
            if dir_fd is None:
                self.reads.stat(path, follow_symlinks, (-1, error.errno or 0))
            raise
        if dir_fd is None:
            self.reads.stat(path, follow_symlinks, _outcome(info))
        return info

    def lstat(self, path: Any, *, dir_fd: int | None = None) -> os.stat_result:
        return self.stat(path, dir_fd=dir_fd, follow_symlinks=False)

    def listdir(self, path: Any = ".") -> list[str]:
        names = self.real_listdir(path)
        self.reads.listing(path, names)
        return names

    def scandir(self, path: Any = ".") -> Any:
        if isinstance(path, int):
            return self.real_scandir(path)
        with self.real_scandir(path) as listing:
            entries = list(listing)
        self.reads.scan(path, entries)
        return _Scan(entries)

    def readlink(self, path: Any, *, dir_fd: int | None = None) -> Any:
        target = self.real_readlink(path, dir_fd=dir_fd)
        if dir_fd is None:
            self.reads.link(path, target)
        return target


@contextmanager
def recording_run(excluded: tuple[str, ...]) -> Iterator[RunReads]:
    """Record what the code run inside reads (see the module's docstring); the functions are restored after."""
    reads = RunReads(excluded)
    watched = _Watched(reads)
    real = (builtins.open, io.open, os.open, os.stat, os.lstat, os.listdir, os.scandir, os.readlink, sys.stderr)
    globber = getattr(sys.modules.get("glob"), "_StringGlobber", None)
    bound = (globber.__dict__.get("lstat"), globber.__dict__.get("scandir")) if globber is not None else None
    if globber is not None:
        globber.lstat, globber.scandir = staticmethod(watched.lstat), staticmethod(watched.scandir)
    builtins.open = io.open = watched.open
    os.open, os.stat, os.lstat = watched.os_open, watched.stat, watched.lstat  # type: ignore[assignment]
    os.listdir, os.scandir, os.readlink = watched.listdir, watched.scandir, watched.readlink  # type: ignore[assignment]
    sys.stderr = _Stderr(reads, sys.stderr)
    try:
        yield reads
    finally:
        (builtins.open, io.open, os.open, os.stat, os.lstat, os.listdir, os.scandir, os.readlink,  # type: ignore[assignment]
         sys.stderr) = real
        if globber is not None and bound is not None:
            globber.lstat, globber.scandir = bound
