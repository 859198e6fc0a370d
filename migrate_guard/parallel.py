"""Extract many migrations across processes; the same results, in the same order, as one process would give."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

from .extract.base import MigrationUnit
from .model import Migration

# Parsing one SQL migration costs about 1.5 ms of CPU; starting a pool, forking and shipping results back costs
# about 0.1-0.2 s. Below this many migrations to parse, one process is as fast or faster (measured on 2 cores).
PARALLEL_MIN_UNITS = 256

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
    return max(1, min(_cores(), units // (PARALLEL_MIN_UNITS // 2)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def extract_many(units: list[MigrationUnit], jobs: int | None = None) -> Iterator[Extracted]:
    """(migration, its pickle, files and folders it read) per unit, in order."""
    workers = worker_count(len(units), jobs)
    if workers <= 1:
        for unit in units:
            migration, deps = extract_recorded(unit)
            yield migration, pickle.dumps(migration, protocol=pickle.HIGHEST_PROTOCOL), deps
        return
    # The first migration of each format is extracted here: it imports that format's parsers (sqlglot, libcst,
    # tree-sitter) once, and forked workers inherit them instead of each paying the import.
    warm: set[int] = set()
    for orm in dict.fromkeys(unit.orm for unit in units):
        warm.add(next(i for i, unit in enumerate(units) if unit.orm == orm))
    rest = [unit for i, unit in enumerate(units) if i not in warm]
    done: dict[int, Extracted] = {}
    for i in sorted(warm):
        migration, deps = extract_recorded(units[i])
        done[i] = (migration, pickle.dumps(migration, protocol=pickle.HIGHEST_PROTOCOL), deps)
    pooled = _pooled(rest, workers)
    for i in range(len(units)):
        yield done[i] if i in done else next(pooled)


def _pooled(units: list[MigrationUnit], workers: int) -> Iterator[Extracted]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(64, len(units) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for payload, deps in pool.map(_in_worker, units, chunksize=chunk):
            yield pickle.loads(payload), payload, deps
