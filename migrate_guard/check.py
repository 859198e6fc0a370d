"""`migrate-guard check`: find the migrations, extract them, judge them, return a report."""

from __future__ import annotations

import fnmatch
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .config import Config
from .errors import UsageError
from .extract.base import HEAD_BYTES, MigrationUnit, display_path, read_head, real_file, real_path
from .extract.registry import CANDIDATE_SUFFIXES, classify, extractor
from .location import Location
from .model import Finding, LintedFile, Migration, Project, Report
from .walk import Repository, in_skipped_folder, walk_files

if TYPE_CHECKING:
    from .cache import Checkpoint, MigrationCache
    from .detect.content import UnclaimedFolder
    from .engine.judge import Engine


@dataclass(slots=True)
class Options:
    """What the command line asked `check` for."""

    paths: list[str] = field(default_factory=list)
    dialect: str | None = None  # --dialect, beats config
    changed_since: str | None = None  # git revision: lint only migrations changed since the merge base with it
    use_cache: bool = True
    jobs: int | None = None  # extraction processes; None: decide from the amount of work


_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in _NUMBERS.split(text)]


def expand_paths(paths: list[str], config: Config, walked: dict[str, list[Path]] | None = None) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(candidates_in(path, walked))
        elif path.is_file():
            # A link is linted only when it lands inside the repository (pre-commit passes staged links too).
            if (path.suffix.lower() in CANDIDATE_SUFFIXES and not in_skipped_folder(path)
                    and (not path.is_symlink() or Repository.around(path.parent).holds_file(path))):
                refuse_undecodable(path)
                files.append(path)
        elif path.exists() or os.path.islink(path):
            continue  # sockets, fifos, links to nothing or to themselves: nothing to lint
        else:
            raise UsageError(f"path does not exist: {raw}")
    return [f for f in files if not excluded(f, config)]


def excluded(path: Path, config: Config) -> bool:
    if not config.exclude:
        return False
    shown = display_path(path)
    return any(fnmatch.fnmatch(shown, pattern) or fnmatch.fnmatch(shown, pattern.rstrip("/") + "/*")
               for pattern in config.exclude)


@dataclass(slots=True)
class Plan:
    """Migrations to lint, grouped by project (or folder), each group oldest first."""

    groups: dict[str, list[MigrationUnit]] = field(default_factory=dict)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    # Folders of migration-shaped files no project claims (a path-less run only): one finding each, never silence.
    unclaimed: list[Finding] = field(default_factory=list)


_SNIFFED = frozenset({".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts"})  # claims look at their heads
_KEEP_BYTES = 1 << 20  # files up to this size are kept for the cache key when `contents` is given


def plan_files(files: list[Path], config: Config, options: Options, projects: list[Project] | None = None,
               contents: dict[str, bytes] | None = None) -> Plan:
    """Group the files into migration units per project, oldest first. With `contents`, the files sniffed are read
    whole and kept there (by absolute path) for the cache key, instead of being read a second time."""
    from .detect.dialect import DialectResolver

    plan = Plan(projects=projects or [])
    dialects = DialectResolver(options.dialect, config)
    names = group_names(plan.projects)
    units: dict[tuple[str, str, str], MigrationUnit] = {}
    owner: dict[str, Project | None] = {}  # per folder
    cwd = os.getcwd()
    for path in files:
        folder = os.path.dirname(display_path(path))
        if folder not in owner:
            owner[folder] = project_of(path, plan.projects)
        project = owner[folder]
        head = _sniff(path, contents, cwd) if path.suffix.lower() in _SNIFFED else ""
        module = classify(path, head, project.orm if project else None)
        if module is None:
            continue
        group = names[id(project)] if project else display_path(path.parent)
        key = (group, module.ORM, module.migration_key(path))
        unit = units.get(key)
        if unit is None:
            dialect = dialects.for_file(path, project, module).dialect
            unit = units[key] = MigrationUnit(orm=module.ORM, id=key[2], files=[], dialect=dialect, project=project,
                                              settings=dict(project.settings) if project else {})
            plan.modules[module.ORM] = module
        unit.files.append(path)
    for (group, _, _), unit in sorted(units.items(), key=lambda item: (item[0][0], natural_key(item[0][2]))):
        unit.files.sort(key=Path.as_posix)  # the same migration reads the same whichever way its files came in
        plan.groups.setdefault(group, []).append(unit)
    for group, group_units in plan.groups.items():
        # Formats whose names do not sort in applied order (Alembic revisions, Django's cross-app graph) say it.
        order = getattr(plan.modules.get(group_units[0].orm), "order_units", None)
        if order is not None and all(u.orm == group_units[0].orm for u in group_units):
            plan.groups[group] = order(group_units)
    return plan


def group_names(projects: list[Project]) -> dict[int, str]:
    """The name each project's migrations are grouped (and reported) under: its root, or its migration folders when
    another project has the same root (two golang-migrate folders under one go.mod must never merge: their
    000001 migrations are different migrations)."""
    roots = Counter(project.root for project in projects)
    return {id(project): project.root if roots[project.root] == 1 else ", ".join(project.migrations)
            for project in projects}


def _sniff(path: Path, contents: dict[str, bytes] | None, cwd: str) -> str:
    if contents is None:
        return read_head(path)
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > _KEEP_BYTES:
                return handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
            data = handle.read()
    except OSError:
        return ""
    contents[os.path.normpath(os.path.join(cwd, path))] = data  # os.path.abspath(), without a getcwd() each
    return data[:HEAD_BYTES].decode("utf-8", errors="replace")


def project_of(path: Path, projects: list[Project]) -> Project | None:
    """The project whose migration folder holds this file (the deepest one when folders nest)."""
    if not projects:
        return None
    shown = display_path(path)
    best: tuple[int, Project] | None = None
    for project in projects:
        for folder in project.migrations:
            prefix = folder.rstrip("/") + "/"
            if (shown.startswith(prefix) or folder in (".", "")) and (best is None or len(folder) > best[0]):
                best = (len(folder), project)
    return best[1] if best else None


def extract_unit(unit: MigrationUnit) -> Migration:
    module = extractor(unit.orm)
    assert module is not None
    return module.extract(unit)


def run_check(config: Config, options: Options) -> Report:
    """Lint what the options select. Migrations outside the selection (before the baseline, unchanged since
    --changed-since) are still extracted, oldest first, so the schema state the rules see stays right."""
    # Each file is read once: planning sniffs its head, the cache key hashes all of it.
    contents: dict[str, bytes] | None = {} if options.use_cache else None
    plan, given = _plan_run(config, options, contents)
    selected, skipped = _select(plan, given, config, options)
    cache = _open_cache(config, options)
    if cache is not None and contents is not None:
        cache.know_contents(contents)
    # Only projects with something to lint are read; all of their migrations up to the newest selected one.
    groups: list[Group] = []
    for name, chosen in selected.items():
        units = plan.groups[name][: plan.groups[name].index(chosen[-1]) + 1]
        ids = {id(u) for u in chosen}
        seed = cache.project_seed(plan.groups[name]) if cache else ""
        keys = [cache.key(unit, seed) for unit in units] if cache else []
        groups.append(Group(name, units, [id(u) in ids for u in units], keys))
    stats: dict[str, int] = {"migrations": sum(len(g.units) for g in groups), "cache_hits": 0, "parsed": 0,
                             "processes": 0, "projects": len(groups), "projects_judged_from_cache": 0,
                             "resumed": 0}
    findings: list[Finding] = []
    linted: list[LintedFile] = []
    to_judge = [g for g in groups if not _reuse_verdict(g, cache, findings, linted, stats)]
    if cache is not None:
        for group in to_judge:
            _resume_from_checkpoint(group, cache, stats)
    migrations = extract_units({g.name: g.units[g.start:] for g in to_judge}, options, stats, cache,
                               {g.name: g.keys[g.start:] for g in to_judge} if cache else {}, plan.groups)
    if to_judge:
        from .engine.judge import Engine

        engine = Engine.create(config)
        for group in to_judge:
            _judge(group, migrations[group.name], engine, cache, findings, linted)
    if cache is not None:
        cache.flush({g.name: len(plan.groups[g.name]) for g in groups})
    findings.extend(plan.unclaimed)
    findings.sort(key=Finding.sort_key)
    return Report(findings=findings, files=len(linted), skipped=skipped, projects=plan.projects, linted=linted,
                  stats=stats)


@dataclass(slots=True)
class Group:
    """One project's migrations in this run, oldest first: which are linted (the others only teach the schema
    state), their cache keys, and where judging starts when a checkpoint stands for the earlier ones."""

    name: str
    units: list[MigrationUnit]
    chosen: list[bool]
    keys: list[str]  # empty without the cache
    checkpoint: Checkpoint | None = None

    @property
    def start(self) -> int:
        """Index of the first migration read and judged: those before it are stood for by the checkpoint."""
        return self.checkpoint.size if self.checkpoint is not None else 0


def _plan_run(config: Config, options: Options, contents: dict[str, bytes] | None) -> tuple[Plan, set[str] | None]:
    """The plan, and the resolved paths of the files named on the command line (None: no paths given)."""
    if not options.paths:
        from .detect import detect_repository

        detection = detect_repository(Path.cwd())
        projects = detection.projects
        files = [f for p in projects for f in project_files(p) if not excluded(f, config)]
        plan = plan_files(files, config, options, projects, contents)
        plan.unclaimed = unclaimed_findings(detection.unclaimed, config)
        return plan, None
    from .detect import projects_for_paths

    walked: dict[str, list[Path]] = {}
    files = expand_paths(options.paths, config, walked)
    projects = projects_for_paths(files)
    given = {real_file(f) for f in files}
    # The given files' projects are read whole (not linted) so the rules see the schema their earlier migrations
    # built: pre-commit passes only the new migration. A file's project follows from its folder.
    by_folder = {os.path.dirname(display_path(f)): f for f in files}
    owners = {id(p): p for f in by_folder.values() if (p := project_of(f, projects)) is not None}
    context = [f for p in owners.values() for f in project_files(p, walked)
               if real_file(f) not in given and not excluded(f, config)]
    return plan_files(files + context, config, options, projects, contents), given


UNCLAIMED = "unclaimed-migrations"


def unclaimed_findings(folders: list[UnclaimedFolder], config: Config) -> list[Finding]:
    """One finding per folder of migration-shaped files no project claims, at its first such file."""
    settings = config.rules.get(UNCLAIMED)
    if not folders or (settings is not None and settings.enabled is False):
        return []
    from .engine.rules import load_rules

    severity = (settings.severity if settings is not None and settings.severity else None) or load_rules()[UNCLAIMED].severity
    findings = []
    for folder in folders:
        files = [f for f in folder.files if not excluded(f, config)]
        if not files:
            continue
        shown = display_path(folder.folder)
        like = f" (their markers suggest {folder.resembles}, but nothing confirms it)" if folder.resembles else ""
        findings.append(Finding(
            rule=UNCLAIMED, severity=severity,  # type: ignore[arg-type]
            location=Location(display_path(files[0]), 1, 1, 1),
            message=(f"{shown}/ holds {len(folder.files)} file(s) shaped like migrations{like}, but no detected project "
                     "claims them and their tool cannot be told from their content: none of them was checked."),
            hint=("Keep the tool's config beside them (knexfile, .sequelizerc, a TypeORM DataSource, alembic.ini), or "
                  f"add \"{shown}\" to `exclude` if they are not database migrations."),
            orm=folder.resembles or "unknown", migration=shown))
    return findings


def _select(plan: Plan, given: set[str] | None, config: Config,
            options: Options) -> tuple[dict[str, list[MigrationUnit]], int]:
    """Per project, the migrations to lint: the given files (or all), minus those at or before the baseline and,
    with --changed-since, those unchanged; and how many the baseline skipped."""
    changed = None
    if options.changed_since is not None:
        from .git import changed_files

        changed = changed_files(options.changed_since)
    selected: dict[str, list[MigrationUnit]] = {}
    skipped = 0
    for name, units in plan.groups.items():
        if given is not None:
            units = [u for u in units if any(real_file(f) in given for f in u.files)]
        before = before_baseline(plan.groups[name], baseline_for(name, plan.groups[name], config))
        if changed is not None:
            units = [u for u in units if any(real_path(f) in changed for f in u.files)]
        kept = [u for u in units if id(u) not in before]
        skipped += len(units) - len(kept)
        if kept:
            selected[name] = kept
    return selected, skipped


def _reuse_verdict(group: Group, cache: MigrationCache | None, findings: list[Finding], linted: list[LintedFile],
                   stats: dict[str, int]) -> bool:
    """Nothing this project's findings depend on changed: no migration is loaded and no rule runs."""
    verdict = cache.load_verdict(group.name, group.keys, group.chosen) if cache is not None else None
    if verdict is None:
        return False
    findings.extend(verdict.findings)
    linted.extend(verdict.linted)
    stats["cache_hits"] += len(group.units)
    stats["projects_judged_from_cache"] += 1
    return True


def _resume_from_checkpoint(group: Group, cache: MigrationCache, stats: dict[str, int]) -> None:
    """When the migrations before the first one linted are unchanged since a run that judged them, their schema
    state comes from the checkpoint (pre-commit: one new migration after hundreds): they are neither loaded nor
    replayed."""
    first = group.chosen.index(True)
    checkpoint = cache.load_checkpoint(group.name, group.keys[:first]) if first else None
    if checkpoint is not None:
        group.checkpoint = checkpoint
        stats["cache_hits"] += first
        stats["resumed"] += first


def _judge(group: Group, extracted: list[Migration], engine: Engine, cache: MigrationCache | None,
           findings: list[Finding], linted: list[LintedFile]) -> None:
    from .schema import SchemaState

    chosen = group.chosen[group.start:]
    skip = {m.id for m, linted_here in zip(extracted, chosen) if not linted_here}
    state = group.checkpoint.state if group.checkpoint is not None else SchemaState()
    # Judged in two steps to keep the state before the newest migration too (see MigrationCache.store_checkpoints).
    group_findings = engine.lint_project(extracted[:-1], skip=skip, state=state)
    before_newest = state.copy()
    group_findings += engine.lint_project(extracted[-1:], skip=skip, state=state)
    group_linted = [LintedFile(path=path, project=group.name, orm=migration.orm)
                    for migration, linted_here in zip(extracted, chosen) if linted_here
                    for path in (migration.sources or [migration.path])]
    findings.extend(group_findings)
    linted.extend(group_linted)
    deps = cache.deps_of(group.name, group.keys[group.start:]) if cache is not None else None
    if cache is None or deps is None:
        return  # without the cache, or a migration that could not be cached (its reads are unknown)
    deps.update(group.checkpoint.deps if group.checkpoint is not None else {})
    cache.store_verdict(group.name, group.keys, group.chosen, group_findings, group_linted, deps)
    cache.store_checkpoints(group.name, [(group.keys, state), (group.keys[:-1], before_newest)], deps)


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


def _open_cache(config: Config, options: Options) -> MigrationCache | None:
    if not options.use_cache:
        return None
    from .cache import MigrationCache

    return MigrationCache.open(config)


def extract_units(work: dict[str, list[MigrationUnit]], options: Options, stats: dict[str, int],
                  cache: MigrationCache | None, keys: dict[str, list[str]],
                  plan_groups: dict[str, list[MigrationUnit]]) -> dict[str, list[Migration]]:
    """Each project's migrations, oldest first: from the cache where their key is known, else parsed (spread over
    processes when there are many) and stored."""
    from .parallel import costly_units, extract_many, worker_count

    flat = [unit for units in work.values() for unit in units]
    groups = [group for group, units in work.items() for _ in units]
    flat_keys = [key for group in work for key in keys[group]] if cache is not None else []
    results: list[Migration | None] = [cache.load(key, group) for key, group in zip(flat_keys, groups)] \
        if cache is not None else [None] * len(flat)
    missing = [i for i, result in enumerate(results) if result is None]
    stats["cache_hits"] += len(flat) - len(missing)
    stats["parsed"] += len(missing)
    stats["processes"] = worker_count(len(missing), options.jobs, costly_units([flat[i] for i in missing])) \
        if missing else 0
    fresh: dict[int, tuple[bytes, dict[str, str]]] = {}
    for i, (migration, payload, deps) in zip(missing, extract_many([flat[i] for i in missing], options.jobs,
                                                                  for_cache=cache is not None)):
        results[i] = migration
        fresh[i] = (payload, deps)
    if cache is not None:
        # Files outside the project's migrations that any extraction read (a knexfile, apps.py, schema.prisma) may be
        # memoized after the first read in a process, so every entry of the project depends on all of them.
        shared: dict[str, dict[str, str]] = {}
        for i, (_, deps) in fresh.items():
            own = cache.project_files(plan_groups[groups[i]])
            shared.setdefault(groups[i], {}).update((d, v) for d, v in deps.items() if d[2:] not in own)
        for i, (payload, deps) in fresh.items():
            cache.store(flat_keys[i], groups[i], payload, {**shared.get(groups[i], {}), **deps})
    out: dict[str, list[Migration]] = {}
    position = 0
    for group, units in work.items():
        out[group] = results[position:position + len(units)]  # type: ignore[assignment]
        position += len(units)
    return out


def candidates_in(folder: Path, walked: dict[str, list[Path]] | None = None) -> list[Path]:
    """The files under a folder that an extractor may claim; `walked` remembers folders already walked this run (a
    folder given on the command line is usually its project's migration folder too)."""
    key = os.path.realpath(folder)
    if walked is not None and key in walked:
        return walked[key]
    files = [p for p in walk_files(folder) if p.suffix.lower() in CANDIDATE_SUFFIXES]
    for path in files:
        refuse_undecodable(path)
    if walked is not None:
        walked[key] = files
    return files


def refuse_undecodable(path: Path) -> None:
    """A migration-named file whose name is not UTF-8 can be neither reported nor matched: exit 2, never a pass."""
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        raise UsageError(f"file name is not UTF-8: {shown} (rename it)") from None


def project_files(project: Project, walked: dict[str, list[Path]] | None = None) -> list[Path]:
    """The candidate files of a project's migration folders. A folder its config names (a knexfile's
    migrations.directory, Drizzle's `out`, package.json's prisma.schema) is read only inside the repository."""
    files: list[Path] = []
    repository = Repository.around(project.root)
    for folder in project.migrations:
        path = Path(folder)
        if path.is_dir() and repository.holds(path):
            files.extend(candidates_in(path, walked))
    setting = project.settings.get("schema") if project.orm == "prisma" else None
    schema = Path(setting) if setting and repository.holds(setting) else None
    if schema is not None and schema.is_file():
        files.append(schema)  # schema.prisma sits outside the migrations folder: checked too (prisma_schema.py)
    elif schema is not None and schema.is_dir():
        files.extend(sorted(schema.glob("*.prisma")))  # prismaSchemaFolder: prisma/schema/*.prisma
    return files
