"""Step 3: which migrations of each project are linted. The others are still read (oldest first, up to the newest
one linted) so that the schema state the rules see stays right."""

from __future__ import annotations

import re
from pathlib import Path

from ..config import Config
from ..extract.base import MigrationUnit, real_path
from ..paths import real_files
from .plan import Plan, natural_key


def select(plan: Plan, given: set[str] | None, config: Config,
           changed_since: str | None) -> tuple[dict[str, list[MigrationUnit]], int]:
    """Per project, the migrations to lint: the given files (or all), minus those at or before the baseline and,
    with --changed-since, those unchanged; and how many the baseline skipped."""
    changed = None
    if changed_since is not None:
        from ..git import changed_files

        changed = changed_files(changed_since)
    selected: dict[str, list[MigrationUnit]] = {}
    skipped = 0
    for name, units in plan.groups.items():
        if given is not None:
            units = _given(units, given)
        before = before_baseline(plan.groups[name], baseline_for(name, plan.groups[name], config))
        if changed is not None:
            units = [u for u in units if any(real_path(f) in changed for f in u.files)]
        kept = [u for u in units if id(u) not in before]
        skipped += len(units) - len(kept)
        if kept:
            selected[name] = kept
    return selected, skipped


def _given(units: list[MigrationUnit], given: set[str]) -> list[MigrationUnit]:
    """The units with a file among the given ones (real paths)."""
    reals = real_files([f for unit in units for f in unit.files])
    kept: list[MigrationUnit] = []
    start = 0
    for unit in units:
        end = start + len(unit.files)
        if any(real in given for real in reals[start:end]):
            kept.append(unit)
        start = end
    return kept


def baseline_for(group: str, units: list[MigrationUnit], config: Config) -> str | None:
    """The baseline configured for this project: keyed by its root or one of its migration folders."""
    if not config.baseline:
        return None
    names = {group}
    project = units[0].project if units else None
    if project is not None:
        names.update([project.root, *project.migrations])
    wanted = {_resolved(Path(name)) for name in names}
    for key, migration_id in config.baseline.items():
        if _resolved(config.root / key) in wanted:
            return migration_id
    return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def before_baseline(units: list[MigrationUnit], baseline: str | None) -> set[int]:
    """ids (id()) of the units at or before the baseline. A baseline equal to a migration id cuts the project's
    ordered list there (right for any id scheme, even Alembic's random revisions); another value (a version or
    timestamp) is compared with each id."""
    if baseline is None:
        return set()
    ids = [u.id for u in units]
    if baseline in ids:
        return {id(u) for u in units[: ids.index(baseline) + 1]}
    return {id(u) for u in units if at_or_before(u.id, baseline)}


def at_or_before(migration_id: str, baseline: str) -> bool:
    """Is this migration at or before the baseline? Ids compare by their leading version number (or timestamp)
    when both have one, else naturally (numbers inside names compare as numbers)."""
    if migration_id == baseline:
        return True
    mine, theirs = _leading_version(migration_id), _leading_version(baseline)
    if mine is not None and theirs is not None:
        return mine <= theirs
    return natural_key(migration_id) <= natural_key(baseline)  # type: ignore[operator]


def _leading_version(text: str) -> int | None:
    match = re.match(r"[A-Za-z]?(\d+)", text)
    return int(match.group(1)) if match else None
