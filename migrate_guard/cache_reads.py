"""What an extraction read besides its own files, recorded so that a cache entry is reused only while all of it is
unchanged."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def listing_digest(folder: str) -> str:
    try:
        return hashlib.sha256("\0".join(sorted(os.listdir(folder))).encode()).hexdigest()
    except OSError:
        return "missing"


class _Reads:
    def __init__(self) -> None:
        self.files: set[str] = set()
        self.folders: set[str] = set()

    def dependencies(self, exclude: list[Path]) -> dict[str, str]:
        """What was read besides the unit's own files (those are in the key), with digests taken now."""
        own = {os.path.abspath(path) for path in exclude}
        deps = {f"f:{path}": file_digest(Path(path)) for path in sorted(self.files - own)}
        deps.update((f"d:{folder}", listing_digest(folder)) for folder in sorted(self.folders))
        return deps


@contextmanager
def recording_reads() -> Iterator[_Reads]:
    """Record the files an extractor opens for reading and the folders it lists, whatever API it uses (open,
    Path.read_text, iterdir, glob): entries are only reused while all of those are unchanged. Extractors may read
    beyond their own files (a down file beside the up file, Django's whole migration graph, Prisma's schema)."""
    import builtins
    import io

    reads = _Reads()
    real_open, real_io_open, real_listdir, real_scandir = builtins.open, io.open, os.listdir, os.scandir

    def recording_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)) and not any(flag in mode for flag in "wax+"):
            reads.files.add(os.path.abspath(file))
        return real_open(file, mode, *args, **kwargs)

    def recording_listdir(path="."):  # type: ignore[no-untyped-def]
        if isinstance(path, (str, os.PathLike)):
            reads.folders.add(os.path.abspath(path))
        return real_listdir(path)

    def recording_scandir(path="."):  # type: ignore[no-untyped-def]
        if isinstance(path, (str, os.PathLike)):
            reads.folders.add(os.path.abspath(path))
        return real_scandir(path)

    builtins.open = io.open = recording_open  # type: ignore[assignment]
    os.listdir, os.scandir = recording_listdir, recording_scandir  # type: ignore[assignment]
    bound = _bind_copies({real_io_open: recording_open, real_listdir: recording_listdir,
                          real_scandir: recording_scandir})
    try:
        yield reads
    finally:
        builtins.open, io.open, os.listdir, os.scandir = real_open, real_io_open, real_listdir, real_scandir
        for owner, name, value in bound:
            setattr(owner, name, value)


def _bind_copies(replacements: dict[object, object]) -> list[tuple[object, str, object]]:
    """Put the recording functions also where the standard library keeps its own copies of the real ones, bound
    when it was imported (so patching os and io alone misses them): Python 3.10's pathlib (Path.open, read_text,
    iterdir and glob go through _NormalAccessor) and 3.13's glob (Path.glob's _StringGlobber). What was there
    before is returned, to be put back."""
    import sys

    owners = [getattr(sys.modules.get("pathlib"), "_NormalAccessor", None),
              getattr(sys.modules.get("glob"), "_StringGlobber", None)]
    bound: list[tuple[object, str, object]] = []
    for owner in (o for o in owners if o is not None):
        for name in ("open", "listdir", "scandir"):
            current = vars(owner).get(name)
            real = current.__func__ if isinstance(current, staticmethod) else current
            if real in replacements:
                bound.append((owner, name, current))
                setattr(owner, name, staticmethod(replacements[real]))  # type: ignore[arg-type]
    return bound
