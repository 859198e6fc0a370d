"""Step 4: each project's migrations, oldest first, from the store where their key is known, else parsed (spread
over processes when there are many: pool.py) and kept in the store."""

from __future__ import annotations

from collections.abc import Iterator

from ..extract.base import MigrationUnit
from ..model import Migration
from .pool import extract_many, extract_recorded, payload_of
from .state_needs import bare_migration
from .store import Store


def extract_units(work: dict[str, list[MigrationUnit]], keys: dict[str, list[str]], store: Store,
                  plan_groups: dict[str, list[MigrationUnit]], jobs: int | None,
                  stats: dict[str, int], context: set[int] | None = None,
                  unneeded: set[int] | None = None, downs: bool = True) -> Iterator[Migration]:
    """Every migration of `work`, project by project, oldest first, one at a time: the caller judges each as it
    arrives, so only the migrations in flight are held, never a project's whole history. Each fresh extraction
    is kept in the store as it arrives, and what the project's extractions read in common before its last
    migration is handed out (judging it asks the store what they read). `context`: ids (id()) of units read only
    for the schema state, when nothing is kept (a kept migration may be linted by a later run, so it is read
    whole); `unneeded`: ids of those not even parsed (pipeline/state_needs.py); `downs`: whether down operations
    are read (a kept migration's always are)."""
    flat = [unit for units in work.values() for unit in units]
    groups = [group for group, units in work.items() for _ in units]
    flat_keys = [key for group in work for key in keys[group]]
    bare = {i for i, unit in enumerate(flat) if id(unit) in unneeded} if unneeded else set()
    missing = [i for i, (key, group) in enumerate(zip(flat_keys, groups))
               if i not in bare and not store.has(key, group)]
    stats["cache_hits"] += len(flat) - len(missing) - len(bare)
    stats["parsed"] += len(missing)
    only_state = context if context and not store.keeps else set()
    fresh_ones = extract_many([flat[i] for i in missing], jobs, for_cache=store.keeps,
                              context=[id(flat[i]) in only_state for i in missing], stats=stats,
                              downs=downs or store.keeps)
    wanted = set(missing)
    fresh: list[str] = []  # keys of the project's migrations parsed and stored so far
    shared: dict[str, str] = {}
    for i, unit in enumerate(flat):
        if i in bare:
            migration: Migration | None = bare_migration(unit)
        else:
            migration = store.load(flat_keys[i], groups[i]) if i not in wanted else None
        if migration is None:
            if i in wanted:
                migration, payload, deps = next(fresh_ones)
            else:  # kept but unreadable after all (damaged since has() looked): parsed here
                stats["cache_hits"] -= 1
                stats["parsed"] += 1
                migration, deps = extract_recorded(unit, record=store.keeps)
                payload = payload_of(migration) if store.keeps else b""
            # Stored now (the store compresses it): a 20,000-file project's payloads are 84 MB, held to its end
            # they were most of a run's memory.
            store.store(flat_keys[i], groups[i], payload, deps)
            fresh.append(flat_keys[i])
            own = store.project_files(plan_groups[groups[i]])
            shared.update((d, v) for d, v in deps.items() if d[2:] not in own)
            del payload, deps
        if i + 1 == len(flat) or groups[i + 1] != groups[i]:
            # Files outside the project's migrations that any extraction read (a knexfile, apps.py, schema.prisma)
            # may be memoized after the first read in a process, so every entry of the project depends on all of
            # them; before its last migration is handed out, since judging it asks the store what they read.
            if shared:
                store.share_deps(groups[i], fresh, shared)
            fresh, shared = [], {}
        yield migration
