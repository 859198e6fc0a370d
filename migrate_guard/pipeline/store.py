"""Where a run keeps what it may reuse next time: extracted migrations, each project's verdict (its findings) and
its schema checkpoints. The cache (cache.py) is one; NullStore (--no-cache, or a cache folder that cannot be
trusted) keeps nothing, so the steps never ask whether there is a cache."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..config import Config
from ..extract.base import MigrationUnit
from ..model import Finding, LintedFile, Migration

if TYPE_CHECKING:
    from ..cache import Checkpoint, Verdict
    from ..schema import SchemaState


class Store(Protocol):
    # Whether extraction should record the files each migration read and encode it for keeping (False: both are
    # wasted work, nothing is kept).
    keeps: bool

    def know_digests(self, digests: dict[str, str]) -> None:
        """SHA-256 of the files planning read whole (by absolute path), so they are not read again for the keys."""

    def keys(self, units: list[MigrationUnit], project: list[MigrationUnit]) -> list[str]:
        """Each unit's key; `project`: all of its project's units (some formats' keys cover the whole project)."""

    def load_verdict(self, group: str, keys: list[str], linted: list[bool]) -> Verdict | None: ...

    def load_checkpoint(self, group: str, keys: list[str]) -> Checkpoint | None: ...

    def has(self, key: str, group: str) -> bool:
        """Whether load() will find it (without decoding it: a run decodes each migration only when it is judged)."""

    def load(self, key: str, group: str) -> Migration | None: ...

    def store(self, key: str, group: str, payload: bytes, deps: dict[str, str]) -> None: ...

    def share_deps(self, group: str, keys: list[str], deps: dict[str, str]) -> None:
        """Entries stored this run also depend on these reads (files any migration of the project read)."""

    def project_files(self, units: list[MigrationUnit]) -> set[str]: ...

    def deps_of(self, group: str, keys: list[str]) -> dict[str, str] | None:
        """What the extractions of these migrations read besides their own files (None: one was not kept)."""

    def store_verdict(self, group: str, keys: list[str], linted: list[bool], findings: list[Finding],
                      linted_files: list[LintedFile], deps: dict[str, str]) -> None: ...

    def snapshot(self, state: SchemaState) -> bytes | None:
        """The state as store_checkpoints keeps it, taken now (the state goes on changing, and this is a fraction
        of a copy's size); None when it cannot be kept."""

    def store_checkpoints(self, group: str, states: list[tuple[list[str], bytes | None]],
                          deps: dict[str, str]) -> None:
        """Snapshots of the states after the given prefixes (their keys) of the project's migrations."""

    def flush(self, project_sizes: dict[str, int]) -> None: ...


class NullStore:
    """Keeps nothing and finds nothing: every migration is parsed and every project judged."""

    keeps = False

    def know_digests(self, digests: dict[str, str]) -> None:
        pass

    def keys(self, units: list[MigrationUnit], project: list[MigrationUnit]) -> list[str]:
        return [""] * len(units)

    def load_verdict(self, group: str, keys: list[str], linted: list[bool]) -> Verdict | None:
        return None

    def load_checkpoint(self, group: str, keys: list[str]) -> Checkpoint | None:
        return None

    def has(self, key: str, group: str) -> bool:
        return False

    def load(self, key: str, group: str) -> Migration | None:
        return None

    def store(self, key: str, group: str, payload: bytes, deps: dict[str, str]) -> None:
        pass

    def share_deps(self, group: str, keys: list[str], deps: dict[str, str]) -> None:
        pass

    def project_files(self, units: list[MigrationUnit]) -> set[str]:
        return set()

    def deps_of(self, group: str, keys: list[str]) -> dict[str, str] | None:
        return None

    def store_verdict(self, group: str, keys: list[str], linted: list[bool], findings: list[Finding],
                      linted_files: list[LintedFile], deps: dict[str, str]) -> None:
        pass

    def snapshot(self, state: SchemaState) -> bytes | None:
        return None

    def store_checkpoints(self, group: str, states: list[tuple[list[str], bytes | None]],
                          deps: dict[str, str]) -> None:
        pass

    def flush(self, project_sizes: dict[str, int]) -> None:
        pass


def open_store(config: Config, use_cache: bool) -> Store:
    """The cache, or NullStore when it is off or its folder cannot be used (cache.py warns why)."""
    if not use_cache:
        return NullStore()
    from ..cache import MigrationCache

    cache = MigrationCache.open(config)
    return cache if cache is not None else NullStore()


