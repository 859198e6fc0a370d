"""Step 4, the work: extract many migrations across processes; the same results, in the same order, as one process
would give."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..extract.base import MigrationUnit
from ..extract.registry import extractor
from ..model import Migration

# Measured on the 2-core machine this was built on: parsing a SQL migration costs about 1.1 ms of CPU in one process
# and about 1.3 ms in a worker (pickling it back), and a pool costs about 0.15 s to start. With two idle cores that
# pays off from roughly 350 migrations; below PARALLEL_MIN_UNITS one process is as fast or faster.
PARALLEL_MIN_UNITS = 400

# the migration, its codec payload (b"": not cacheable), what it read (for the cache)
Extracted = tuple[Migration, bytes, dict[str, str]]


def extract_unit(unit: MigrationUnit, context: bool = False) -> Migration:
    """The migration, read by its format's extractor. With `context` (a migration read only for the schema state of
    later ones, with nothing cached), a format's `extract_context` where it has one: the operations the state
    replays, for less work (golang-migrate: the up file alone)."""
    module = extractor(unit.orm)
    assert module is not None
    reader = getattr(module, "extract_context", None) if context else None
    return (reader or module.extract)(unit)


def extract_recorded(unit: MigrationUnit, record: bool = True,
                     context: bool = False) -> tuple[Migration, dict[str, str]]:
    """The migration, and (with record) the files and folders its extraction read besides its own."""
    if not record:
        return extract_unit(unit, context), {}
    from ..cache_reads import recording_reads

    with recording_reads() as reads:
        migration = extract_unit(unit)
    return migration, reads.dependencies(exclude=unit.files)


def _in_worker(job: tuple[MigrationUnit, bool]) -> tuple[bytes, Migration | None, dict[str, str]]:
    """Sent back as the codec's bytes (the cache stores them as they are), or as the migration itself when the
    codec cannot write it."""
    unit, context = job
    migration, deps = extract_recorded(unit, context=context)
    payload = payload_of(migration)
    return payload, None if payload else migration, deps


def payload_of(migration: Migration) -> bytes:
    """The migration in the cache's code-free format (codec.py), or b"" when it holds something the codec does not
    know: then it is not cached."""
    from .. import codec

    try:
        return codec.dumps(migration)
    except codec.Unencodable:
        return b""


def worker_count(units: int, jobs: int | None, costly: int | None = None) -> int:
    """Processes to extract `units` migrations with; `costly`: how many of them cost more to extract than to ship
    back (costly_units), all when not given."""
    if jobs is not None:  # never more processes than cores: --jobs 100000 must not fork one per migration
        return max(1, min(jobs, units, _cores()))
    worth = units if costly is None else costly
    if worth < PARALLEL_MIN_UNITS:
        return 1
    return max(1, min(_idle_cores(), worth // (PARALLEL_MIN_UNITS // 2)))


def costly_units(units: list[MigrationUnit]) -> int:
    """The migrations worth sending to a worker. A Postgres SQL file read by libpg_query (the [pg] extra) is not:
    measured on the 2,000-file bench corpus, extracting one costs about 0.45 ms of CPU, less than decoding its
    payload back in the parent (0.3-0.6 ms), so a pool only adds work (README "Performance")."""
    from ..sql_parser import NativeParserMissing, native_parser_used

    try:
        native = native_parser_used()
    except NativeParserMissing:  # reported by the config check already
        native = False
    if not native:
        return len(units)
    return sum(1 for unit in units
               if unit.dialect != "postgres" or not all(str(path).endswith(".sql") for path in unit.files))


def _idle_cores() -> int:
    """Cores not already busy (like `make --load-average`): on a saturated machine extra processes only add the
    cost of shipping results between them (measured: two workers were 20-40% slower than one while the machine's
    load average stayed above its core count). Linux says how many tasks are runnable right now, which reflects
    the present; the 1-minute average also counts our own runs that just ended (a pre-commit hook run twice, a
    benchmark) and made one idle machine look busy."""
    cores = _cores()
    busy = _runnable_others()
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):
            return cores
    return max(1, min(cores, int(cores - busy + 0.5)))


def _runnable_others() -> float | None:
    """Runnable tasks other than this process, from /proc/loadavg's "running/total" field (None off Linux)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            running = int(handle.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return float(max(0, running - 1))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def extract_many(units: list[MigrationUnit], jobs: int | None = None, for_cache: bool = True,
                 context: list[bool] | None = None) -> Iterator[Extracted]:
    """(migration, its codec payload, files and folders it read) per unit, in order. Without for_cache (no cache to
    store them in) migrations extracted in this process are neither encoded nor watched: payload and reads are
    empty. `context`: per unit, read only for the schema state (extract_unit)."""
    flags = context or [False] * len(units)
    workers = worker_count(len(units), jobs, costly_units(units))
    if workers <= 1:
        for unit, only_context in zip(units, flags):
            migration, deps = extract_recorded(unit, record=for_cache, context=only_context)
            yield migration, payload_of(migration) if for_cache else b"", deps
        return
    # The first migration of each format is extracted here: it imports that format's parsers (sqlglot, libcst,
    # tree-sitter) once, and forked workers inherit them instead of each paying the import.
    warm: set[int] = set()
    for orm in dict.fromkeys(unit.orm for unit in units):
        warm.add(next(i for i, unit in enumerate(units) if unit.orm == orm))
    rest = [(unit, flags[i]) for i, unit in enumerate(units) if i not in warm]
    done: dict[int, Extracted] = {}
    for i in sorted(warm):
        migration, deps = extract_recorded(units[i], record=for_cache, context=flags[i])
        done[i] = (migration, payload_of(migration) if for_cache else b"", deps)
    pooled = _pooled(rest, workers)
    for i in range(len(units)):
        yield done[i] if i in done else next(pooled)


def _pooled(units: list[tuple[MigrationUnit, bool]], workers: int) -> Iterator[Extracted]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .. import codec

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(64, len(units) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for payload, migration, deps in pool.map(_in_worker, units, chunksize=chunk):
            yield migration if migration is not None else codec.loads(payload), payload, deps
