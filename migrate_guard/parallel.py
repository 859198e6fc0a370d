"""Extract many migrations across processes; the same results, in the same order, as one process would give."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

from .extract.base import MigrationUnit
from .model import Migration

# Below this many migrations to parse, starting worker processes costs more than it saves (measured on 2 cores:
# see bench/ and the README's performance notes).
PARALLEL_MIN_UNITS = 64


def extract_pickled(unit: MigrationUnit) -> bytes:
    from .check import extract_unit

    return pickle.dumps(extract_unit(unit), protocol=pickle.HIGHEST_PROTOCOL)


def worker_count(units: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, min(jobs, units))
    if units < PARALLEL_MIN_UNITS:
        return 1
    return max(1, min(os.cpu_count() or 1, units // (PARALLEL_MIN_UNITS // 2)))


def extract_many(units: list[MigrationUnit], jobs: int | None = None) -> Iterator[tuple[Migration, bytes]]:
    """(migration, its pickle) per unit, in order. The pickle is what the cache stores."""
    workers = worker_count(len(units), jobs)
    if workers <= 1:
        from .check import extract_unit

        for unit in units:
            migration = extract_unit(unit)
            yield migration, pickle.dumps(migration, protocol=pickle.HIGHEST_PROTOCOL)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(64, len(units) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for payload in pool.map(extract_pickled, units, chunksize=chunk):
            yield pickle.loads(payload), payload
