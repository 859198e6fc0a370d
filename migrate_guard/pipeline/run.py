"""The whole pipeline: discover -> plan -> select -> extract -> judge -> Report. `run_check` is `check`; `review` is
the same extraction and judging for one project's chosen files (the lifecycle's gates)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Config
from ..extract.base import MigrationUnit, real_file
from ..model import Finding, LintedFile, Migration, Project, Report
from .discover import discover, excluded, project_files
from .judge import Group, judge, resume_from_checkpoint, reuse_verdict
from .options import Options
from .plan import Plan, plan_files
from .select import select
from .store import NullStore, Store, open_store


def run_check(config: Config, options: Options, digests: dict[str, str] | None = None) -> Report:
    """Lint what the options select. Migrations outside the selection (before the baseline, unchanged since
    --changed-since) are still extracted, oldest first, so the schema state the rules see stays right. With the
    cache, `digests` gets the SHA-256 of the files planning read whole (by absolute path)."""
    # Each file is read once: planning sniffs its head and hashes all of it for the cache key.
    digests = ({} if digests is None else digests) if options.use_cache else None
    found = discover(config, options.paths)
    with _long_lived() as planned:
        plan = plan_files(found.files, config, options, found.projects, digests)
        planned()
        plan.unclaimed = found.unclaimed
        selected, skipped = select(plan, found.given, config, options.changed_since)
        store = open_store(config, options.use_cache)
        store.know_digests(digests or {})
        report = lint(plan, selected, config, store, options.jobs)
    report.skipped = skipped
    return report


@contextmanager
def _long_lived() -> Iterator[Callable[[], None]]:
    """What planning builds (the units; Django's graph: every migration's syntax tree until it is replayed) lives
    until the run ends or is freed by reference counting, and makes no reference cycles. It is built with the
    cyclic GC paused, then frozen (the call this yields) so that the full collections while the migrations are
    judged do not walk it again and again: they took 12% of a cold run of the 1,000-file Django/Alembic corpus.
    Unfrozen after the run, so garbage of an in-process caller's that was frozen with it is collected again."""
    enabled = gc.isenabled()
    gc.disable()

    def planned() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield planned
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def review(project: Project, files: list[Path], config: Config, dialect: str | None = None) -> Report:
    """Lint these files of one project with all of its migrations as context (so `table_is_new` and the like are
    right); the Report keeps the migrations linted. Nothing is cached: the lifecycle runs once per command."""
    wanted = {real_file(f) for f in files}
    context = [f for f in project_files(project) if not excluded(f, config)]
    known = {real_file(f) for f in context}
    plan = plan_files(context + [f for f in files if real_file(f) not in known], config, Options(dialect=dialect),
                      [project])
    selected = {name: chosen for name, units in plan.groups.items()
                if (chosen := [u for u in units if any(real_file(f) in wanted for f in u.files)])}
    return lint(plan, selected, config, NullStore(), jobs=None, keep_migrations=True)


def lint(plan: Plan, selected: dict[str, list[MigrationUnit]], config: Config, store: Store, jobs: int | None,
         keep_migrations: bool = False) -> Report:
    """Extract and judge each project's migrations up to its newest selected one; findings of the selected ones."""
    groups: list[Group] = []
    for name, chosen in selected.items():
        # Only projects with something to lint are read; all of their migrations up to the newest selected one.
        units = plan.groups[name][: plan.groups[name].index(chosen[-1]) + 1]
        ids = {id(u) for u in chosen}
        groups.append(Group(name, units, [id(u) in ids for u in units], store.keys(units, plan.groups[name])))
    stats: dict[str, int] = {"migrations": sum(len(g.units) for g in groups), "cache_hits": 0, "parsed": 0,
                             "processes": 0, "projects": len(groups), "projects_judged_from_cache": 0,
                             "resumed": 0}
    findings: list[Finding] = []
    linted: list[LintedFile] = []
    to_judge = [g for g in groups if not reuse_verdict(g, store, findings, linted, stats)]
    for group in to_judge:
        resume_from_checkpoint(group, store, stats)
    stats["unneeded"] = 0
    kept: list[Migration] | None = [] if keep_migrations else None
    if to_judge:  # else every verdict came from the store: nothing is extracted (nor its modules imported)
        from ..engine.judge import Engine
        from .extract import extract_units
        from .pool import PARALLEL_MIN_UNITS

        unparsed: set[int] = set()
        if not store.keeps:  # a kept migration may be linted by a later run: then it is read whole
            from .state_needs import unneeded

            for group in to_judge:
                unparsed |= unneeded(group.units[group.start:], group.chosen[group.start:])
        stats["unneeded"] = len(unparsed)
        downs = config.lint_down or keep_migrations  # else only their down state is read
        engine = Engine.create(config)
        split = False
        if not store.keeps and kept is None and not unparsed \
                and sum(len(g.units) for g in to_judge) >= PARALLEL_MIN_UNITS:  # only findings to hand back
            from .split import judge_split

            split = judge_split(to_judge, engine, jobs, downs, stats, findings, linted)
        if not split:
            migrations = extract_units({g.name: g.units[g.start:] for g in to_judge},
                                       {g.name: g.keys[g.start:] for g in to_judge}, store, plan.groups, jobs,
                                       stats, context={id(u) for g in to_judge
                                                       for u, linted_here in zip(g.units, g.chosen)
                                                       if not linted_here}, unneeded=unparsed, downs=downs)
            for group in to_judge:
                judge(group, migrations, engine, store, findings, linted, kept)
    store.flush({g.name: len(plan.groups[g.name]) for g in groups})
    findings.extend(plan.unclaimed)
    findings.sort(key=Finding.sort_key)
    return Report(findings=findings, files=len(linted), projects=plan.projects, linted=linted, stats=stats,
                  migrations=kept or [])
