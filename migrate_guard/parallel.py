"""Extract many migrations across processes; the same results, in the same order, as one process would give."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

from .extract.base import MigrationUnit
from .model import Migration

# Below this many migrations to parse, starting worker processes costs more than it saves (measured on 2 cores,
# see the README's performance notes).
PARALLEL_MIN_UNITS = 64

Extracted = tuple[Migration, bytes, dict[str, str]]  # the migration, its pickle, what it read (for the cache)


def extract_recorded(unit: MigrationUnit) -> tuple[Migration, dict[str, str]]:
    from .cache import recording_reads
    from .check import extract_unit

    with recording_reads() as reads:
        migration = extract_unit(unit)
    return migration, reads.dependencies(exclude=unit.files)


def _in_worker(unit: MigrationUnit) -> tuple[bytes, dict[str, str]]:
    migration, deps = extract_recorded(unit)
    return pickle.dumps(migration, protocol=pickle.HIGHEST_PROTOCOL), deps


def worker_count(units: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, min(jobs, units))
    if units < PARALLEL_MIN_UNITS:
        return 1
    return max(1, min(os.cpu_count() or 1, units // (PARALLEL_MIN_UNITS // 2)))


def extract_many(units: list[MigrationUnit], jobs: int | None = None) -> Iterator[Extracted]:
    """(migration, its pickle, files and folders it read) per unit, in order."""
    workers = worker_count(len(units), jobs)
    if workers <= 1:
        for unit in units:
            migration, deps = extract_recorded(unit)
            yield migration, pickle.dumps(migration, protocol=pickle.HIGHEST_PROTOCOL), deps
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(64, len(units) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for payload, deps in pool.map(_in_worker, units, chunksize=chunk):
            yield pickle.loads(payload), payload, deps
