"""The cache's own folder (see cache.py): made private and marked, trusted only while it and every folder below it
that it reads belong to the current user and are writable by nobody else, worked on through file descriptors
opened without following symbolic links; it deletes only files with its own names, in its own subfolders. Every
file starts with a magic line and a SHA-256 of its body: a truncated, corrupt or foreign file reads as missing."""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from .config import Config, holds_project
from .errors import ConfigError

FORMAT = "2"  # the layout and encoding of the files: vFORMAT/<shard>/<name>
DAY = 86400.0


def cache_folder(config: Config) -> Path:
    """Where the cache lives. Not resolved: a symbolic link in place of the folder itself is refused, not followed."""
    if config.cache_dir:
        return Path(os.path.abspath(config.root / config.cache_dir))
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "migrate-guard"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes when any installed module changes (an editable install keeps its version while its code moves): the
    size and modification time of every .py file of the package, by relative path (in sorted(rglob()) order)."""
    package = str(Path(__file__).resolve().parent)
    found: list[tuple[tuple[str, ...], int, int]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(package, ())]
    while stack:  # os.scandir: pathlib's rglob and a Path per file cost a few milliseconds of every run
        folder, parts = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, (*parts, entry.name)))
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    found.append(((*parts, entry.name), info.st_size, info.st_mtime_ns))
    digest = hashlib.sha256()
    for parts, size, mtime in sorted(found):
        digest.update(f"{os.sep.join(parts)}:{size}:{mtime};".encode())
    return digest.hexdigest()[:16]


class CacheUnavailable(Exception):
    """The cache folder cannot be made or trusted: the run goes on without the cache."""


_MARKER = "CACHEDIR.TAG"
_MARKER_TEXT = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
                b"# This folder is migrate-guard's cache: it made every file in it, and deleting them is safe.\n"
                b"# Cache directory tags: https://bford.info/cachedir/\n")
_GITIGNORE = b"# migrate-guard's cache: never committed\n*\n"
# What versions before the marker left in their folder: such a folder, owned by this user, is adopted.
_LEGACY_NAMES = frozenset({"v1", ".last-prune"})
_LAST_PRUNE = ".last-prune"
# The only names the cache writes (and so the only ones it deletes): vN/<2 hex>/<62 hex>.pack|.verdict|.state|.run, and
# the temporary files they are written through (older versions' tempfile names included).
_VERSION_NAME = re.compile(r"v\d{1,4}")
_SHARD_NAME = re.compile(r"[0-9a-f]{2}")
_FILE_NAME = re.compile(r"[0-9a-f]{62}\.(?:pack|verdict|state|run)|\.tmp-[0-9a-z_]{8,16}(?:\.pack)?")
_MAGIC = b"migrate-guard cache\n"
_DIGEST_SIZE = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def _owner() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _trusted(info: os.stat_result, kind: int) -> bool:
    """This user's own file of this kind (S_IFDIR / S_IFREG), writable by nobody else."""
    owner = _owner()
    return (stat.S_IFMT(info.st_mode) == kind and (owner is None or info.st_uid == owner)
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


class CacheStore:
    """The cache's own folder, worked on through file descriptors opened without following symbolic links (on
    systems without them, by path), each checked when opened: this user's, writable by nobody else."""

    def __init__(self, folder: Path, fd: int | None) -> None:
        self.folder = folder
        self._fd = fd  # the folder, held open: renaming or replacing its path later changes nothing
        self._shards: dict[str, int | str | None] = {}

    @classmethod
    def open(cls, folder: Path, config: Config) -> CacheStore:
        """Raises ConfigError for a configured cache_dir that holds the project or another program's files,
        CacheUnavailable for a folder that cannot be made or trusted."""

        def refuse(why: str) -> Exception:
            """A configured cache_dir is the user's mistake (exit 2); the default folder is only not used."""
            if config.cache_dir:
                where = f"{config.source}: " if config.source else ""
                return ConfigError(f"{where}configuration key 'cache_dir' names {folder}, {why}; name a folder of its "
                                   "own such as \".migrate-guard-cache\"")
            return CacheUnavailable(f"{folder} {why}")

        if holds_project(folder, config):
            raise refuse("which holds the project")
        try:
            if not os.path.lexists(folder):
                folder.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.mkdir(folder, 0o700)
                except FileExistsError:  # another run made it first
                    pass
            fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW) if _NOFOLLOW else None
        except OSError as error:
            if os.path.islink(folder):
                raise CacheUnavailable(f"{folder} is a symbolic link (the cache never follows one)") from None
            raise CacheUnavailable(f"cannot open {folder}: {error.strerror or error}") from None
        store = cls(folder, fd)
        try:
            info = os.fstat(fd) if fd is not None else os.lstat(folder)
            owner = _owner()
            if not stat.S_ISDIR(info.st_mode):
                raise CacheUnavailable(f"{folder} is not a folder")
            if owner is not None and info.st_uid != owner:
                raise CacheUnavailable(f"{folder} belongs to another user")
            if not store._has_marker():
                names = set(store._listing())
                if names - _LEGACY_NAMES:
                    raise refuse("which is not empty and was not made by migrate-guard (it has no CACHEDIR.TAG of "
                                 "migrate-guard's)")
                store._adopt()
                info = os.fstat(fd) if fd is not None else os.lstat(folder)
            if not _trusted(info, stat.S_IFDIR):
                raise CacheUnavailable(f"{folder} is writable by other users (it must be private: chmod 700)")
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        for shard in self._shards.values():
            if isinstance(shard, int):
                os.close(shard)
        self._shards.clear()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- the folder itself --------------------------------------------------------------------------------------

    def _listing(self) -> list[str]:
        try:
            return os.listdir(self._fd if self._fd is not None else self.folder)
        except OSError:
            return []

    def _has_marker(self) -> bool:
        data = self._read_at(self._fd, self.folder, _MARKER, limit=4096)
        return data == _MARKER_TEXT

    def _adopt(self) -> None:
        """An empty (or an earlier version's) folder of this user's becomes the cache's: private, marked."""
        try:
            if self._fd is not None:
                os.fchmod(self._fd, 0o700)
            else:
                os.chmod(self.folder, 0o700)
            self._write_at(self._fd, self.folder, ".gitignore", _GITIGNORE)
            self._write_at(self._fd, self.folder, _MARKER, _MARKER_TEXT)  # last: marked means fully set up
        except OSError as error:
            raise CacheUnavailable(f"cannot set up {self.folder}: {error.strerror or error}") from None

    # --- files, relative to a trusted folder (a descriptor, or a path without descriptor support) ---------------

    @staticmethod
    def _read_at(fd: int | None, folder: Path | str, name: str, limit: int = -1) -> bytes | None:
        try:
            handle = (os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY, dir_fd=fd) if fd is not None
                      else os.open(os.path.join(folder, name), os.O_RDONLY | _NONBLOCK | _BINARY))
        except (OSError, ValueError):
            return None
        try:
            info = os.fstat(handle)
            if not _trusted(info, stat.S_IFREG):
                return None
            with os.fdopen(handle, "rb", closefd=False) as stream:
                data = stream.read(limit)
            if time.time() - info.st_mtime > DAY and os.utime in os.supports_fd:
                os.utime(handle)  # read this run: still in use, kept from the prune (refreshed once a day)
            return data
        except OSError:
            return None
        finally:
            os.close(handle)

    @staticmethod
    def _write_at(fd: int | None, folder: Path | str, name: str, data: bytes,
                  sealed: Iterable[bytes] | None = None) -> None:
        """Temporary file in the same folder, renamed into place: readers see the old or the new file, never half.
        `sealed`: a body written after `data` part by part as it is made (a verdict or a pack is tens of MB: never
        all in memory at once), its SHA-256 then written over the last _DIGEST_SIZE bytes of `data`."""
        temporary = f".tmp-{os.urandom(8).hex()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        handle = (os.open(temporary, flags, 0o600, dir_fd=fd) if fd is not None
                  else os.open(os.path.join(folder, temporary), flags, 0o600))
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                if sealed is not None:
                    digest = hashlib.sha256()
                    for part in sealed:
                        digest.update(part)
                        stream.write(part)
                    stream.seek(len(data) - _DIGEST_SIZE)
                    stream.write(digest.digest())
            if fd is not None:
                os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            else:
                os.replace(os.path.join(folder, temporary), os.path.join(folder, name))
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=fd) if fd is not None else os.unlink(os.path.join(folder, temporary))
            except OSError:
                pass
            raise

    def _shard(self, name: str, create: bool) -> int | str | None:
        """vN/<name> below the cache folder (a descriptor, or its path), made when asked; None when missing or
        not trusted. A run touches a few: each is opened and checked once."""
        if name in self._shards and (self._shards[name] is not None or not create):
            return self._shards[name]
        found: int | str | None = None
        try:
            if self._fd is None:
                path = os.path.join(self.folder, f"v{FORMAT}", name)
                if create:
                    os.makedirs(path, 0o700, exist_ok=True)
                info = os.lstat(path)
                found = path if _trusted(info, stat.S_IFDIR) else None
            else:
                parent = self._open_folder(self._fd, f"v{FORMAT}", create)
                try:
                    found = self._open_folder(parent, name, create) if parent is not None else None
                finally:
                    if parent is not None:
                        os.close(parent)
        except OSError:
            found = None
        self._shards[name] = found
        return found

    @staticmethod
    def _open_folder(parent: int, name: str, create: bool) -> int | None:
        flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW
        try:
            fd = os.open(name, flags, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass
            fd = os.open(name, flags, dir_fd=parent)
        if not _trusted(os.fstat(fd), stat.S_IFDIR):
            os.close(fd)
            return None
        return fd

    def read(self, shard: str, name: str) -> memoryview | None:
        """A cache file's body (a view of what was read, not a copy: marshal.loads takes it), or None: missing, not
        this user's, writable by others, not a regular file, truncated, corrupt or not the cache's (bad magic or
        checksum)."""
        folder = self._shard(shard, create=False)
        if folder is None:
            return None
        data = self._read_at(folder if isinstance(folder, int) else None, folder if isinstance(folder, str) else "",
                             name)
        head = len(_MAGIC) + _DIGEST_SIZE
        if data is None or len(data) < head or not data.startswith(_MAGIC):
            return None
        body = memoryview(data)[head:]
        if hashlib.sha256(body).digest() != data[len(_MAGIC):head]:
            return None
        return body

    def write(self, shard: str, name: str, body: Iterable[bytes]) -> None:
        """The file's body, in parts written as they come (a generator's are made one at a time). Never fails the
        run: a read-only or full cache folder only slows the next one down."""
        folder = self._shard(shard, create=True)
        if folder is None:
            return
        try:
            self._write_at(folder if isinstance(folder, int) else None, folder if isinstance(folder, str) else "",
                           name, _MAGIC + bytes(_DIGEST_SIZE), body)
        except OSError:
            pass

    # --- pruning: only the cache's own names, in its own subfolders, never through a link ----------------------

    def prune_daily(self, max_age: float) -> None:
        """Once a day, delete the cache's files unused for max_age seconds (older tool versions, edited configs,
        gone repositories)."""
        if self._fd is None:
            return  # without descriptors a folder could be swapped for a link between check and delete: keep all
        try:
            try:
                handle = os.open(_LAST_PRUNE, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=self._fd)
            except FileNotFoundError:
                handle = os.open(_LAST_PRUNE, os.O_WRONLY | os.O_CREAT | _NOFOLLOW, 0o600, dir_fd=self._fd)
            try:
                info = os.fstat(handle)
                if not _trusted(info, stat.S_IFREG) or time.time() - info.st_mtime < DAY:
                    return
                os.utime(handle)
            finally:
                os.close(handle)
            self._prune(time.time() - max_age)
        except OSError:
            pass

    def _prune(self, cutoff: float) -> None:
        assert self._fd is not None
        for version in self._own_entries(self._fd, _VERSION_NAME, stat.S_IFDIR):
            outer = self._open_folder(self._fd, version, create=False)
            if outer is None:
                continue
            try:
                for shard in self._own_entries(outer, _SHARD_NAME, stat.S_IFDIR):
                    inner = self._open_folder(outer, shard, create=False)
                    if inner is None:
                        continue
                    try:
                        for name in self._own_entries(inner, _FILE_NAME, stat.S_IFREG, before=cutoff):
                            os.unlink(name, dir_fd=inner)
                    finally:
                        os.close(inner)
            finally:
                os.close(outer)

    @staticmethod
    def _own_entries(folder: int, pattern: re.Pattern[str], kind: int, before: float | None = None) -> list[str]:
        """Names in a folder that match the cache's own pattern and are this user's entries of that kind (a
        symbolic link is never one), last modified before `before` when given."""
        names = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if not pattern.fullmatch(entry.name):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if _trusted(info, kind) and (before is None or info.st_mtime < before):
                    names.append(entry.name)
        return names


def with_footer(header: Any, parts: Iterable[bytes]) -> Iterator[bytes]:
    """`parts`, then a footer in marshal's format: `header` and each part's size, then the footer's own size in 8
    bytes (a reader finds it from the end). Written a part at a time, read as views of the file (footed), never one
    object copied whole: a pack, a verdict and a checkpoint file are such parts."""
    sizes: list[int] = []
    for part in parts:
        sizes.append(len(part))
        yield part
    footer = marshal.dumps((header, sizes))
    yield footer
    yield len(footer).to_bytes(8, "little")


def footed(data: memoryview) -> tuple[Any, list[memoryview]]:
    """What with_footer wrote: its header, and its parts (views of `data`). ValueError when it is not such a file."""
    size = int.from_bytes(data[-8:], "little")
    if not 0 < size <= len(data) - 8:
        raise ValueError("no footer")
    header, sizes = marshal.loads(data[len(data) - 8 - size:len(data) - 8])
    parts, at = [], 0
    for length in sizes:
        parts.append(data[at:at + length])
        at += length
    if at != len(data) - 8 - size:
        raise ValueError("parts do not add up")
    return header, parts
