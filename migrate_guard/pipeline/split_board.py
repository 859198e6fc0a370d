"""Who judges which migrations of a split run (split.py), decided as the two processes go.

The run's migrations are positions 0..N-1, project after project, each project's oldest first. Whole projects are
taken one at a time, this process from the first, the worker from the last. A process left with no whole project
helps the other with the range it is judging: it replays the schema state of that range's project from its oldest
migration, reading each for the state alone (`extract(unit, only_state=True)`), which costs less than judging
it (about half on the SQL corpus), so it moves through the history faster; at the first position x where the other
has at least as many positions left before x as the helper would have from x on, it claims x..end and both end
together. A helper that never gets ahead (reading for the state costs as much as judging) claims nothing.

Every decision is taken under one lock, on six shared integers: the next whole project from each end, and each
process's range (next position, end). A process takes each position before working on it and stops at its range's
end, which a helper's claim may move closer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..model import Finding, LintedFile, Migration
from .judge import Group, linted_files
from .pool import extract_unit

if TYPE_CHECKING:
    from ..engine.judge import Engine
    from ..extract.base import MigrationUnit
    from ..schema import SchemaState

Position = tuple[int, Group, int]  # a migration of the run: its group's index, the group, its index there
# per range judged: (its first position, its end) -> its findings and linted files
Judged = dict[tuple[int, int], tuple[list[Finding], list[LintedFile]]]

_LO, _HI = 0, 1  # the next whole project from the front and from the back
_NEXT, _END = 2, 4  # + the process (0 this one, 1 the worker): its range


class WorkerGone(Exception):
    """The worker died holding the lock: this process stops sharing and judges what is left alone."""


class Board:
    """The shared integers and their lock (forked: the worker inherits them)."""

    def __init__(self, starts: list[int], alive: Callable[[], bool] = lambda: True) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.lock = context.Lock()
        self.starts = starts  # each project's first position, and N
        self.values = context.RawArray("i", [0, len(starts) - 2, 0, 0, 0, 0])
        self.alive = alive  # the other process: a lock held by a dead one is never released

    @contextmanager
    def locked(self) -> Iterator[None]:
        while not self.lock.acquire(timeout=0.5):
            if not self.alive():
                raise WorkerGone
        try:
            yield
        finally:
            self.lock.release()

    def next_project(self, me: int) -> int | None:
        with self.locked():
            values = self.values
            if values[_LO] > values[_HI]:
                return None
            if me == 0:
                project = values[_LO]
                values[_LO] += 1
            else:
                project = values[_HI]
                values[_HI] -= 1
            values[_NEXT + me], values[_END + me] = self.starts[project], self.starts[project + 1]
            return project

    def take(self, me: int, position: int) -> bool:
        with self.locked():
            values = self.values
            if position >= values[_END + me]:
                return False
            values[_NEXT + me] = position + 1
            return True

    def other_range(self, me: int) -> tuple[int, int] | None:
        """The range the other process is judging, when there is something in it to help with."""
        with self.locked():
            here, end = self.values[_NEXT + 1 - me], self.values[_END + 1 - me]
            return (here, end) if end - here >= 2 else None

    def help_at(self, me: int, position: int) -> bool | None:
        """For a helper whose state is replayed up to `position`: True, it now judges position..end (that balances
        what is left); False, not yet; None, never (the other has taken it all, or its range ends before)."""
        other = 1 - me
        with self.locked():
            values = self.values
            here, end = values[_NEXT + other], values[_END + other]
            if here >= end or position >= end:
                return None
            if here > position or position - here < end - position:
                return False
            values[_END + other] = position
            values[_NEXT + me], values[_END + me] = position, end
            return True


def work(me: int, board: Board, positions: list[Position], engine: Engine, downs: bool, told: set[str],
         judged: Judged) -> None:
    """One process's share: whole projects from its end, then help with the other's range while that pays."""
    while True:
        project = board.next_project(me)
        if project is not None:
            judge_range(positions, board.starts[project], None, engine, downs, judged, told,
                        lambda position: board.take(me, position))
            continue
        target = board.other_range(me) if board.alive() else None
        if target is None or not _helped(me, board, positions, target, engine, downs, told, judged):
            return


def _helped(me: int, board: Board, positions: list[Position], target: tuple[int, int], engine: Engine, downs: bool,
            told: set[str], judged: Judged) -> bool:
    from ..schema import SchemaState

    here, end = target
    _, group, index = positions[here]
    state = SchemaState()
    for position in range(here - index, end):  # from the project's oldest migration
        verdict = board.help_at(me, position)
        if verdict is None:
            return False
        if verdict:
            judge_range(positions, position, state, engine, downs, judged, told,
                        lambda at: board.take(me, at))
            return True
        _, group, index = positions[position]
        replay_unit(state, group.units[index])
    return False


def judge_range(positions: list[Position], start: int, state: SchemaState | None, engine: Engine, downs: bool,
                judged: Judged, told: set[str], take: Callable[[int], bool] | None, end: int | None = None) -> None:
    """Positions from `start` on, extracted and judged in order by Engine.lint_project, project by project, while
    `take` allows (and before `end`); `state`: where the migrations of its project before `start` left the schema
    (None: it is a project's first). As pipeline/judge.py does without a store: a migration not chosen only teaches
    the state. A range says a folder is checked in part at its own first migration there (`told`: the folders said
    so before the split); split.py's merge keeps the first of them in the run's order."""
    from ..schema import SchemaState

    findings: list[Finding] = []
    linted: list[LintedFile] = []
    engine.partial_folders = set(told)
    last = len(positions) if end is None else end
    cursor = [start]  # the next position, moved by arriving()

    def arriving(group: Group, stop: int) -> Iterator[Migration]:
        while cursor[0] < stop and (take is None or take(cursor[0])):
            index = positions[cursor[0]][2]
            chosen = group.chosen[index]
            migration = extract_unit(group.units[index], context=not chosen, downs=downs)
            if chosen:
                linted.extend(linted_files(group.name, migration))
            cursor[0] += 1
            yield migration

    while cursor[0] < last:
        _, group, index = positions[cursor[0]]
        stop = min(last, cursor[0] - index + len(group.units))  # this project's part of the range
        if state is None or index == 0:
            state = SchemaState()
        findings.extend(engine.lint_project(arriving(group, stop), skip=group.only_teaching(), state=state))
        if cursor[0] < stop:  # `take` refused: the range ends here
            break
    if cursor[0] > start:
        judged[(start, cursor[0])] = (findings, linted)


def replay_unit(state: SchemaState, unit: MigrationUnit) -> None:
    """A migration read for the schema state alone, and replayed into it."""
    state.replay(extract_unit(unit, context=True, downs=False))
