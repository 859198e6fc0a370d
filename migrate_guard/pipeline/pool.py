"""Step 4, the work: extract many migrations across processes; the same results, in the same order, as one process
would give."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from ..extract.base import MigrationUnit
from ..extract.registry import extractor
from ..model import Migration

# Below PARALLEL_MIN_UNITS migrations one process is as fast or faster (a pool costs about 0.15 s to start on the
# 2-core machine this was built on, POOL_START_S). Above it, whether a pool pays is measured on the run's own first
# migrations (SAMPLE_UNITS, extracted here): a worker saves the parent a migration's extraction but hands it its
# decoding instead, so a pool pays only when extracting costs clearly more than decoding (libpg_query made Postgres
# SQL cheap to extract: 0.7 ms against 0.2 ms to decode, per migration of the bench corpus).
PARALLEL_MIN_UNITS = 400
SAMPLE_UNITS = 8
POOL_START_S = 0.15

# the migration, its codec payload (b"": not cacheable), what it read (for the cache)
Extracted = tuple[Migration, bytes, dict[str, str]]


def extract_unit(unit: MigrationUnit, context: bool = False, downs: bool = True) -> Migration:
    """The migration, read by its format's extractor. With `context` (a migration read only for the schema state of
    later ones, with nothing cached), the format's `only_state` reading: the operations the state replays, for
    less work (the SQL formats: the up statements that may change it). Without `downs` (nothing will read the down
    operations: no cache, no lint_down, no caller keeping the migrations), the format may skip them."""
    module = extractor(unit.orm)
    assert module is not None
    return module.extract(unit, downs=downs, only_state=context)


def extract_recorded(unit: MigrationUnit, record: bool = True, context: bool = False,
                     downs: bool = True) -> tuple[Migration, dict[str, str]]:
    """The migration, and (with record) the files and folders its extraction read besides its own."""
    if not record:
        return extract_unit(unit, context, downs), {}
    from ..cache_reads import recording_reads

    with recording_reads() as reads:
        migration = extract_unit(unit, context, downs)
    return migration, reads.dependencies(exclude=unit.files)


# a unit for a worker: (unit, read only for the schema state, downs read, its reads recorded for the cache)
Job = tuple[MigrationUnit, bool, bool, bool]


def _in_worker(job: Job) -> tuple[bytes, Migration | None, dict[str, str]]:
    """Sent back as the codec's bytes (the cache stores them as they are), or as the migration itself when the
    codec cannot write it. Read as in this process (_extract_here): with no cache, its reads are not recorded."""
    unit, context, downs, record = job
    migration, deps = extract_recorded(unit, record=record, context=context, downs=downs)
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


def worker_count(units: int, jobs: int | None) -> int:
    """The most processes worth extracting `units` migrations with: --jobs, else one per idle core (when the
    measured costs say a pool pays at all: extract_many)."""
    if jobs is not None:  # never more processes than cores: --jobs 100000 must not fork one per migration
        return max(1, min(jobs, units, _cores()))
    if units < PARALLEL_MIN_UNITS:
        return 1
    return max(1, min(_idle_cores(), units // (PARALLEL_MIN_UNITS // 2)))


def pool_pays(extract_s: float, decode_s: float, remaining: int) -> bool:
    """Per migration, `extract_s` of CPU to extract one here and `decode_s` to decode one a worker sends back."""
    return remaining * (extract_s - decode_s) > 2 * POOL_START_S


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
                 context: list[bool] | None = None, stats: dict[str, int] | None = None,
                 downs: bool = True) -> Iterator[Extracted]:
    """(migration, its codec payload, files and folders it read) per unit, in order. Without for_cache (no cache to
    store them in) migrations extracted in this process are neither encoded nor watched: payload and reads are
    empty. `context`: per unit, read only for the schema state; `downs`: whether down operations are read
    (extract_unit). `stats["processes"]`: the number of processes that extracted them."""
    flags = context or [False] * len(units)
    stats = {} if stats is None else stats
    workers = worker_count(len(units), jobs)
    stats["processes"] = 1 if units else 0
    here: list[Extracted] = []
    if workers > 1:
        # The first migration of each format is extracted here: it imports that format's parsers (sqlglot, libcst,
        # tree-sitter) once, and forked workers inherit them instead of each paying the import. Then, unless
        # --jobs decided, a few more, timed, to see whether a pool pays.
        firsts = {unit.orm: i for i, unit in reversed(list(enumerate(units)))}
        warm = sorted(firsts.values())
        for i in warm:
            here.append(_extract_here(units[i], flags[i], for_cache, downs))
        sample = [i for i in range(len(units)) if i not in firsts.values()][:SAMPLE_UNITS if jobs is None else 0]
        extract_s = decode_s = 0.0
        for i in sample:
            started = time.process_time()
            migration, deps = extract_recorded(units[i], record=for_cache, context=flags[i], downs=downs)
            extracted = time.process_time()
            payload = payload_of(migration)
            encoded = time.process_time()
            if payload:
                from .. import codec

                codec.loads(payload)
            extract_s += extracted - started
            decode_s += time.process_time() - encoded
            here.append((migration, payload if for_cache else b"", deps))
        done = {i: extracted for i, extracted in zip(warm + sample, here)}
        rest = [i for i in range(len(units)) if i not in done]
        if sample and not pool_pays(extract_s / len(sample), decode_s / len(sample), len(rest)):
            workers = 1
        if workers > 1 and rest:
            stats["processes"] = workers
            pooled = _pooled([(units[i], flags[i], downs, for_cache) for i in rest], workers)
            for i in range(len(units)):
                yield done[i] if i in done else next(pooled)
            return
        for i in range(len(units)):
            yield done[i] if i in done else _extract_here(units[i], flags[i], for_cache, downs)
        return
    for unit, only_context in zip(units, flags):
        yield _extract_here(unit, only_context, for_cache, downs)


def _extract_here(unit: MigrationUnit, only_context: bool, for_cache: bool, downs: bool = True) -> Extracted:
    migration, deps = extract_recorded(unit, record=for_cache, context=only_context, downs=downs)
    return migration, payload_of(migration) if for_cache else b"", deps


def _pooled(units: list[Job], workers: int) -> Iterator[Extracted]:
    """The units' results in order, at most IN_FLIGHT chunks per worker submitted ahead of the one being read, so
    that workers faster than this process (which decodes, judges and stores each result) cannot pile up the run's
    results (pool.map submits every chunk at once and holds each result until it is read)."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    from .. import codec

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    size = max(1, min(64, len(units) // (workers * 4)))
    chunks = [units[start:start + size] for start in range(0, len(units), size)]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    ahead: deque[Future[list[tuple[bytes, Migration | None, dict[str, str]]]]] = deque()
    try:
        ahead.append(pool.submit(_chunk_in_worker, chunks[0]))  # the workers start here
    except OSError:  # no process to be had (EAGAIN: the user's process limit, ENOMEM): extracted here
        pool.shutdown(wait=True, cancel_futures=True)
        for unit, only_context, downs, record in units:
            yield _extract_here(unit, only_context, record, downs)
        return
    with pool:
        submitted = 1
        while ahead:
            while submitted < len(chunks) and len(ahead) < IN_FLIGHT * workers:
                ahead.append(pool.submit(_chunk_in_worker, chunks[submitted]))
                submitted += 1
            for payload, migration, deps in ahead.popleft().result():
                yield migration if migration is not None else codec.loads(payload), payload, deps


IN_FLIGHT = 3


def _chunk_in_worker(jobs: list[Job]) -> list[tuple[bytes, Migration | None, dict[str, str]]]:
    return [_in_worker(job) for job in jobs]
