"""Steps 4 and 5 together across two processes, for a run that keeps nothing (no cache, no caller keeping the
migrations): this process extracts and judges the projects from the first on, a forked worker takes them from the
last back, and where they meet they share one project's history.

Unlike pool.py's workers, which hand this process every migration to decode and judge (the judging stays here, and
with libpg_query decoding a migration costs a third of extracting it), both processes do the whole work on their
part, and nothing crosses between them but the worker's findings. A whole project costs the worker nothing more
than it would cost here. The one they meet in, this process judges from its oldest migration on, while the worker
replays its schema state from the oldest too, reading each migration for the state alone (extract_context where a
format has one): about half the cost of judging one on the SQL corpus, so the worker moves through the history
faster. It claims the rest of the project at the first migration x where this process has at least as many left
before x as the worker would have from x on; both then end together. When the worker never gets ahead (reading
for the state costs as much as judging), it claims nothing there and this process judges all of it.

Claims go through one lock: this process takes each migration before working on it and stops at the worker's
claim; the worker claims only what this process has not taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import Finding, LintedFile
from .judge import Group, linted_files
from .pool import PARALLEL_MIN_UNITS, extract_unit, worker_count

if TYPE_CHECKING:
    from ..engine.judge import Engine
    from ..schema import SchemaState

Position = tuple[int, Group, int]  # a migration of the run: its group's index, the group, its index there
Judged = dict[int, tuple[list[Finding], list[LintedFile]]]  # per group index: its findings and linted files


class _Claims:
    """Which migrations (positions in the run) each process judges, shared by the two (forked: the lock and the
    values are inherited): this process those before `limit`, the worker those from it on."""

    def __init__(self, total: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.lock = context.Lock()
        self.taken_here = context.RawValue("i", 0)  # this process has started every position before it
        self.limit = context.RawValue("i", total)

    def take_here(self, position: int) -> bool:
        with self.lock:
            if position >= self.limit.value:
                return False
            self.taken_here.value = position + 1
            return True

    def claim_project(self, start: int) -> bool:
        """For the worker: the project starting at `start` and all after it, unless this process has begun it."""
        with self.lock:
            if self.taken_here.value > start:
                return False
            self.limit.value = start
            return True

    def claim_rest(self, position: int, end: int) -> bool | None:
        """For the worker, its state replayed up to `position` of the project ending at `end`: True, it judges from
        there on (that balances what is left); False, not yet; None, never (this process has taken it all)."""
        with self.lock:
            here = self.taken_here.value
            if here >= end:
                return None
            if here > position or position - here < end - position:
                return False
            self.limit.value = position
            return True


# What the forked worker reads (it inherits this module's globals): the run's positions, where each project
# starts, the claims, the downs flag and the engine.
_WORK: tuple[list[Position], list[int], _Claims, bool, Engine] | None = None


def judge_split(groups: list[Group], engine: Engine, jobs: int | None, downs: bool, stats: dict[str, int],
                findings: list[Finding], linted: list[LintedFile]) -> bool:
    """Judge `groups` (in order, none resumed from a checkpoint) across two processes and return True; False when
    the run is too small or the machine has no idle core for it, and then nothing is judged."""
    positions = [(i, group, index) for i, group in enumerate(groups) for index in range(len(group.units))]
    total = len(positions)
    if total < PARALLEL_MIN_UNITS or worker_count(total, jobs) < 2 or not _can_fork():
        return False
    starts = [0]
    for group in groups:
        starts.append(starts[-1] + len(group.units))
    claims = _Claims(total)
    told = set(engine.partial_folders)
    global _WORK
    _WORK = (positions, starts, claims, downs, engine)
    mine: Judged = {}
    try:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(sender,), daemon=True)
        worker.start()
        sender.close()
        try:
            _judge(positions, 0, total, None, engine, downs, mine, told, claims.take_here)
            try:
                theirs: Judged = _decoded(receiver.recv_bytes())
            except (EOFError, OSError, ValueError):  # the worker died (killed, out of memory): what it claimed is
                theirs = {}  # judged here instead
                start = claims.limit.value
                _judge(positions, start, total, _replayed(positions, start), engine, downs, theirs, told, None)
        finally:  # an interrupt here (Ctrl-C, an error) must not leave the worker judging on
            if worker.is_alive():
                worker.terminate()
            worker.join()
            receiver.close()
    finally:
        _WORK = None
    _merge(groups, mine, theirs, told, findings, linted)
    engine.partial_folders = told
    stats["parsed"] += total
    stats["processes"] = 2
    return True


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _judge(positions: list[Position], start: int, end: int, state: SchemaState | None, engine: Engine, downs: bool,
           judged: Judged, told: set[str], take: Callable[[int], bool] | None) -> None:
    """Positions start..end extracted and judged in order, while `take` allows; `state`: where the migrations of
    its project before `start` left the schema (None: it is a project's first). As pipeline/judge.py does without
    a store: a migration not chosen only teaches the state. Each project is said to be partly checked at its own
    first migration that is (`told`: the folders said so before the split); _merge keeps the first of them."""
    from ..schema import SchemaState

    for position in range(start, end):
        if take is not None and not take(position):
            return
        number, group, index = positions[position]
        if state is None or index == 0:
            state = SchemaState()
        if number not in judged:
            judged[number] = ([], [])
            engine.partial_folders = set(told)
        chosen = group.chosen[index]
        migration = extract_unit(group.units[index], context=not chosen, downs=downs)
        if chosen:
            findings, linted = judged[number]
            findings.extend(engine.lint_migration(migration, state))
            linted.extend(linted_files(group.name, migration))
        state.replay(migration)


def _worker(sender: Any) -> None:
    """The forked worker's whole life: its part judged and sent, then gone without a word (an interrupt or an
    error here leaves its part to this process, which reports what goes wrong as a run in one process would)."""
    import os

    try:
        sender.send_bytes(_judge_theirs())
        sender.close()
    except BaseException:
        os._exit(1)


def _judge_theirs() -> bytes:
    """In the worker: whole projects from the last back while this process has not begun them, then the rest of
    the one it is in once replaying its state has got far enough ahead (the module's docstring). Its findings and
    linted files per project, in the cache's code-free format."""
    from .. import codec
    from ..schema import SchemaState

    assert _WORK is not None
    positions, starts, claims, downs, engine = _WORK
    told = set(engine.partial_folders)
    judged: Judged = {}
    project = len(starts) - 2
    while project >= 0 and claims.claim_project(starts[project]):
        _judge(positions, starts[project], starts[project + 1], None, engine, downs, judged, told, None)
        project -= 1
    if project >= 0:
        state = SchemaState()
        end = starts[project + 1]
        for position in range(starts[project], end):
            claimed = claims.claim_rest(position, end)
            if claimed is None:
                break
            if claimed:
                _judge(positions, position, end, state, engine, downs, judged, told, None)
                break
            _, group, index = positions[position]
            state.replay(extract_unit(group.units[index], context=True, downs=False))
    payload: Any = judged
    return codec.dumps(payload)


def _replayed(positions: list[Position], position: int) -> SchemaState:
    """Where the migrations of its project before `position` leave the schema."""
    from ..schema import SchemaState

    state = SchemaState()
    if position < len(positions):
        _, group, index = positions[position]
        for unit in group.units[:index]:
            state.replay(extract_unit(unit, context=True, downs=False))
    return state


def _decoded(payload: bytes) -> Judged:
    from .. import codec

    judged: Judged = codec.loads(payload)
    return judged


def _merge(groups: list[Group], mine: Judged, theirs: Judged, told: set[str], findings: list[Finding],
           linted: list[LintedFile]) -> None:
    """Both processes' findings, in the run's order (of projects, and within the shared one this process's part
    first); a folder whose database is checked in part is said so once, at its first migration."""
    from ..engine.judge import DIALECT_PARTLY_CHECKED

    for number in range(len(groups)):
        for judged in (mine, theirs):
            found, files = judged.get(number, ([], []))
            for finding in found:
                if finding.rule == DIALECT_PARTLY_CHECKED:
                    folder = finding.location.path.rpartition("/")[0] or "."
                    if folder in told:
                        continue
                    told.add(folder)
                findings.append(finding)
            linted.extend(files)
