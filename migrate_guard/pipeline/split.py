"""Steps 4 and 5 together across two processes, for a run that keeps nothing (no cache, no caller keeping the
migrations): this process and a forked worker each extract and judge a share of the run, decided as they go
(split_board.py: whole projects from each end, then one helps the other within its project once replaying that
project's schema state has got far enough ahead). Nothing crosses between them but the worker's findings.

Unlike pool.py's workers, which hand this process every migration to decode and judge (the judging stays here, and
with libpg_query decoding a migration costs a third of extracting it), both processes do the whole work on their
share; the price is the replay, which runs beside the other's judging.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..model import Finding, LintedFile
from .judge import Group
from .pool import worker_count
from .split_board import Board, Judged, Position, WorkerGone, judge_range, replay_unit, work

if TYPE_CHECKING:
    from ..engine.judge import Engine
    from ..schema import SchemaState

# What the forked worker reads (it inherits this module's globals): the board, the run's positions, the downs flag,
# the engine and the folders said to be partly checked before the split.
_WORK: tuple[Board, list[Position], bool, Engine, set[str]] | None = None


def judge_split(groups: list[Group], engine: Engine, jobs: int | None, downs: bool, stats: dict[str, int],
                findings: list[Finding], linted: list[LintedFile]) -> bool:
    """Judge `groups` (in order, none resumed from a checkpoint) across two processes and return True; False when
    the machine has no idle core for it (the caller, pipeline/run.py, sends no run below PARALLEL_MIN_UNITS
    migrations), and then nothing is judged."""
    positions = [(i, group, index) for i, group in enumerate(groups) for index in range(len(group.units))]
    total = len(positions)
    if worker_count(total, jobs) < 2 or not _can_fork():
        return False
    import multiprocessing

    starts = [0]
    for group in groups:
        starts.append(starts[-1] + len(group.units))
    board = Board(starts)
    told = set(engine.partial_folders)
    mine: Judged = {}
    theirs: Judged = {}
    global _WORK
    _WORK = (board, positions, downs, engine, told)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(sender, receiver, os.getpid()), daemon=True)
    try:
        try:
            _start(worker)
        except OSError:  # no process to be had (EAGAIN, ENOMEM): judged in one process, as without a split
            return False
        finally:
            sender.close()
        board.alive = worker.is_alive
        work(0, board, positions, engine, downs, told, mine)
        theirs = _decoded(receiver.recv_bytes())
    except (WorkerGone, EOFError, OSError, ValueError):  # the worker died (killed, out of memory): what it was to
        theirs = {}  # judge is judged here
    finally:  # an interrupt (Ctrl-C, an error) must not leave the worker judging on
        if worker.is_alive():
            worker.terminate()
        if worker.pid is not None:
            worker.join()
        receiver.close()
        _WORK = None
    _judge_the_rest(positions, mine, theirs, engine, downs, told)
    _merge(mine, theirs, told, findings, linted)
    engine.partial_folders = told
    stats["parsed"] += total
    stats["processes"] = 2
    return True


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _start(worker: Any) -> None:
    """The worker forked with Ctrl-C held off until it is started: an interrupt inside start() would leave a worker
    this process does not know of, judging on (and blocked for ever sending to a pipe nobody reads). The worker keeps
    SIGINT blocked: Ctrl-C at a terminal reaches this process, which stops it."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        worker.start()
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        worker.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _worker(sender: Any, receiver: Any, parent: int) -> None:
    """The forked worker's whole life: its share judged and sent, then gone without a word (an interrupt or an
    error here leaves its share to this process, which reports what goes wrong as a run in one process would)."""
    try:
        receiver.close()  # this process's copy: once the parent is gone, sending fails instead of blocking
        sender.send_bytes(_judge_theirs(parent))
        sender.close()
    except BaseException:
        os._exit(1)


def _judge_theirs(parent: int) -> bytes:
    """In the worker: its share (split_board.work), its findings and linted files per range in the cache's
    code-free format."""
    from .. import codec

    assert _WORK is not None
    board, positions, downs, engine, told = _WORK
    board.alive = lambda: os.getppid() == parent
    judged: Judged = {}
    work(1, board, positions, engine, downs, told, judged)
    payload: Any = judged
    return codec.dumps(payload)


def _decoded(payload: bytes) -> Judged:
    from .. import codec

    judged: Judged = codec.loads(payload)
    return judged


def _judge_the_rest(positions: list[Position], mine: Judged, theirs: Judged, engine: Engine, downs: bool,
                    told: set[str]) -> None:
    """What neither process's ranges hold (what a dead worker took), judged here, each gap after replaying its
    project's earlier migrations."""
    covered = sorted([*mine, *theirs])
    gaps: list[tuple[int, int]] = []
    at = 0
    for start, end in covered:
        if start > at:
            gaps.append((at, start))
        at = max(at, end)
    if at < len(positions):
        gaps.append((at, len(positions)))
    for start, end in gaps:
        judge_range(positions, start, _replayed(positions, start), engine, downs, mine, told, None, end)


def _replayed(positions: list[Position], position: int) -> SchemaState:
    """Where the migrations of its project before `position` leave the schema."""
    from ..schema import SchemaState

    state = SchemaState()
    _, group, index = positions[position]
    for unit in group.units[:index]:
        replay_unit(state, unit)
    return state


def _merge(mine: Judged, theirs: Judged, told: set[str], findings: list[Finding], linted: list[LintedFile]) -> None:
    """Both processes' ranges, in the run's order; a folder whose database is checked in part is said so once, at
    its first migration."""
    from ..engine.judge import DIALECT_PARTLY_CHECKED

    for span in sorted([*mine, *theirs]):
        found, files = mine[span] if span in mine else theirs[span]
        for finding in found:
            if finding.rule == DIALECT_PARTLY_CHECKED:
                folder = finding.location.path.rpartition("/")[0] or "."
                if folder in told:
                    continue
                told.add(folder)
            findings.append(finding)
        linted.extend(files)
