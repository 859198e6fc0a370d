"""Step 5: each project's migrations judged by the engine, oldest first; a project whose verdict the store holds
is not judged again, and one whose earlier migrations a checkpoint stands for resumes there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..extract.base import MigrationUnit
from ..model import Finding, LintedFile, Migration
from .store import Store

if TYPE_CHECKING:
    from ..cache import Checkpoint
    from ..engine.judge import Engine


@dataclass(slots=True)
class Group:
    """One project's migrations in this run, oldest first: which are linted (the others only teach the schema
    state), their cache keys, and where judging starts when a checkpoint stands for the earlier ones."""

    name: str
    units: list[MigrationUnit]
    chosen: list[bool]
    keys: list[str]  # the store's key of each unit
    checkpoint: Checkpoint | None = None

    def only_teaching(self, start: int = 0) -> set[str]:
        """Ids of the migrations from `start` on that are not linted: they only teach the schema state (Engine.lint_project's
        `skip`; a migration's id is its unit's)."""
        return {unit.id for unit, linted in zip(self.units[start:], self.chosen[start:]) if not linted}

    @property
    def start(self) -> int:
        """Index of the first migration read and judged: those before it are stood for by the checkpoint."""
        return self.checkpoint.size if self.checkpoint is not None else 0


def reuse_verdict(group: Group, store: Store, findings: list[Finding], linted: list[LintedFile],
                  stats: dict[str, int]) -> bool:
    """Nothing this project's findings depend on changed: no migration is loaded and no rule runs."""
    verdict = store.load_verdict(group.name, group.keys, group.chosen)
    if verdict is None:
        return False
    findings.extend(verdict.findings)
    linted.extend(verdict.linted)
    stats["cache_hits"] += len(group.units)
    stats["projects_judged_from_cache"] += 1
    return True


def resume_from_checkpoint(group: Group, store: Store, stats: dict[str, int]) -> None:
    """When the migrations before the first one linted are unchanged since a run that judged them, their schema
    state comes from the checkpoint (pre-commit: one new migration after hundreds): they are neither loaded nor
    replayed."""
    first = group.chosen.index(True)
    checkpoint = store.load_checkpoint(group.name, group.keys[:first]) if first else None
    if checkpoint is not None:
        group.checkpoint = checkpoint
        stats["cache_hits"] += first
        stats["resumed"] += first


def judge(group: Group, extracted: Iterator[Migration], engine: Engine, store: Store, findings: list[Finding],
          linted: list[LintedFile], kept: list[Migration] | None = None) -> None:
    """The project's findings (the migrations not chosen only teach the schema state), kept in the store with the
    schema checkpoints after all of its migrations and before its newest. `extracted` yields its migrations from
    group.start on, oldest first; each is judged as it arrives and then dropped (`kept` collects the chosen ones)."""
    from ..schema import SchemaState

    chosen = group.chosen[group.start:]
    units = group.units[group.start:]
    skip = group.only_teaching(group.start)
    state = group.checkpoint.state if group.checkpoint is not None else SchemaState()
    group_linted: list[LintedFile] = []
    before_newest: list[bytes | None] = []

    def arriving() -> Iterator[Migration]:
        for position in range(len(units)):
            migration = next(extracted)
            if position == len(units) - 1 and store.keeps:
                before_newest.append(store.snapshot(state))  # see MigrationCache.store_checkpoints
            if chosen[position]:
                group_linted.extend(linted_files(group.name, migration))
                if kept is not None:
                    kept.append(migration)
            yield migration

    group_findings = engine.lint_project(arriving(), skip=skip, state=state)
    findings.extend(group_findings)
    linted.extend(group_linted)
    deps = store.deps_of(group.name, group.keys[group.start:])
    if deps is None:
        return  # nothing kept, or a migration that could not be kept (its reads are unknown)
    deps.update(group.checkpoint.deps if group.checkpoint is not None else {})
    store.store_verdict(group.name, group.keys, group.chosen, group_findings, group_linted, deps)
    store.store_checkpoints(group.name, [(group.keys, store.snapshot(state)), (group.keys[:-1], before_newest[0])],
                            deps)


def linted_files(project: str, migration: Migration) -> list[LintedFile]:
    """The files a linted migration is made of (reporters count and group them)."""
    return [LintedFile(path=path, project=project, orm=migration.orm) for path in (migration.sources or [migration.path])]
