"""Step 4: each project's migrations, oldest first, from the store where their key is known, else parsed (spread
over processes when there are many: pool.py) and kept in the store."""

from __future__ import annotations

from ..extract.base import MigrationUnit
from ..model import Migration
from .pool import costly_units, extract_many, worker_count
from .store import Store


def extract_units(work: dict[str, list[MigrationUnit]], keys: dict[str, list[str]], store: Store,
                  plan_groups: dict[str, list[MigrationUnit]], jobs: int | None,
                  stats: dict[str, int]) -> dict[str, list[Migration]]:
    flat = [unit for units in work.values() for unit in units]
    groups = [group for group, units in work.items() for _ in units]
    flat_keys = [key for group in work for key in keys[group]]
    results: list[Migration | None] = [store.load(key, group) for key, group in zip(flat_keys, groups)]
    missing = [i for i, result in enumerate(results) if result is None]
    stats["cache_hits"] += len(flat) - len(missing)
    stats["parsed"] += len(missing)
    stats["processes"] = worker_count(len(missing), jobs, costly_units([flat[i] for i in missing])) if missing else 0
    fresh: dict[int, tuple[bytes, dict[str, str]]] = {}
    for i, (migration, payload, deps) in zip(missing, extract_many([flat[i] for i in missing], jobs,
                                                                  for_cache=store.keeps)):
        results[i] = migration
        fresh[i] = (payload, deps)
    _keep(fresh, flat_keys, groups, store, plan_groups)
    out: dict[str, list[Migration]] = {}
    position = 0
    for group, units in work.items():
        out[group] = results[position:position + len(units)]  # type: ignore[assignment]
        position += len(units)
    return out


def _keep(fresh: dict[int, tuple[bytes, dict[str, str]]], keys: list[str], groups: list[str], store: Store,
          plan_groups: dict[str, list[MigrationUnit]]) -> None:
    """Files outside the project's migrations that any extraction read (a knexfile, apps.py, schema.prisma) may be
    memoized after the first read in a process, so every entry of the project depends on all of them."""
    shared: dict[str, dict[str, str]] = {}
    for i, (_, deps) in fresh.items():
        own = store.project_files(plan_groups[groups[i]])
        shared.setdefault(groups[i], {}).update((d, v) for d, v in deps.items() if d[2:] not in own)
    for i, (payload, deps) in fresh.items():
        store.store(keys[i], groups[i], payload, {**shared.get(groups[i], {}), **deps})
