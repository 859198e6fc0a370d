"""Find the migration projects of a repository: every ORM id of the contract, each with root, folders and dialect.

- detect_projects(root): one bounded walk of the tree (walk.py skips VCS, dependency, virtualenv and build folders),
  then each stack family reads only its own marker files.
- projects_for_paths(files): the projects owning explicitly passed files (pre-commit), found by probing only the
  folders above those files, so the right ORM, dialect and settings apply without walking the repository.

Nothing here imports or runs project code: config files are read as text (TOML/INI/JSON parsed, JS/TS by pattern).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..model import Project
from ..walk import walk_files
from .common import list_dir
from .markers import DJANGO_MARKERS, is_marker as _is_marker
from .sql_stacks import sql_projects, unclaimed_sql_folders

# The Python and JS detectors (and content.py, which uses the JS ones) are imported when a run needs them: a run
# over SQL files alone never does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .content import UnclaimedFolder

__all__ = ["Detection", "UnclaimedFolder", "detect_projects", "detect_repository", "projects_for_paths"]

Probe = Callable[[Path, list[str]], list[Project]]


def _probes() -> tuple[Probe, ...]:
    """Per-folder detectors of the config-driven stacks (Django is handled on its own: its apps nest below its
    root)."""
    from . import js_stacks, python_stacks

    return (python_stacks.alembic_projects, js_stacks.prisma_projects, js_stacks.drizzle_projects,
            js_stacks.typeorm_projects, js_stacks.sequelize_projects, js_stacks.knex_projects)


def __getattr__(name: str) -> object:
    if name == "UnclaimedFolder":
        from .content import UnclaimedFolder

        return UnclaimedFolder
    raise AttributeError(name)


@dataclass(slots=True)
class Detection:
    """What a repository holds: its migration projects, and folders that look like migrations no project claims."""

    projects: list[Project] = field(default_factory=list)
    unclaimed: list[UnclaimedFolder] = field(default_factory=list)
    # Configs naming folders that do not exist yet (`knex init`): not listed nor checked, only the lifecycle uses them.
    planned: list[Project] = field(default_factory=list)


def detect_projects(root: Path) -> list[Project]:
    """Every migration project under root, with those whose folders do not exist yet (for the lifecycle)."""
    detection = detect_repository(root)
    return _unique(detection.projects + detection.planned)


def detect_repository(root: Path) -> Detection:
    """Every migration project under root: from config files first, then from the content of the files in folders
    that look like migration folders (no config needed); and the folders of migration-shaped files left unclaimed."""
    marker_dirs: dict[Path, list[str]] = {}
    sql_files: dict[Path, list[str]] = {}  # folder -> names of its .sql files
    migrations_dirs: set[Path] = set()
    candidates: dict[Path, list[str]] = {}  # folder -> code files whose heads may say they are migrations
    from .content import content_projects, is_candidate

    for path in walk_files(root):
        if path.suffix.lower() == ".sql":
            sql_files.setdefault(path.parent, []).append(path.name)
        elif path.parent.name == "migrations" and path.suffix == ".py":
            migrations_dirs.add(path.parent)
        if _is_marker(path.name):
            marker_dirs.setdefault(path.parent, []).append(path.name)
        if is_candidate(path):
            candidates.setdefault(path.parent, []).append(path.name)
    projects: list[Project] = []
    for folder in sorted(marker_dirs):
        names = list_dir(folder)
        for probe in _probes():
            projects.extend(probe(folder, names))
    projects.extend(_django_projects(marker_dirs, migrations_dirs))
    projects = [part for project in projects for part in _per_database(project)]
    planned = [p for p in projects if _is_planned(p)]
    projects = [p for p in projects if not _is_planned(p)]
    found, unclaimed = content_projects(candidates, _taken(projects), projects + planned, root)
    projects.extend(found)
    # Folders already claimed by a config-driven project (Prisma, Drizzle) are not SQL-tool projects too.
    projects.extend(sql_projects(list(sql_files.items()), root, _taken(projects)))
    unclaimed += unclaimed_sql_folders(list(sql_files.items()), _taken(projects))
    return Detection(_unique(projects), unclaimed, _unique(planned))


def _is_planned(project: Project) -> bool:
    """A config naming only folders that do not exist (yet): no project to check or list, but the lifecycle's
    first migration goes there. Prisma is exempt: its schema is checked before any migration exists."""
    return (project.orm != "prisma" and bool(project.migrations)
            and not any(os.path.isdir(folder) for folder in project.migrations))


# Folder names that mean one database: a project whose folders are all such names keeps one chain per database.
_DATABASE_FOLDERS = frozenset({"postgres", "postgresql", "pg", "mysql", "mariadb", "planetscale", "sqlite", "sqlite3",
                               "mssql", "sqlserver", "cockroach", "cockroachdb", "crdb", "clickhouse", "oracle", "h2"})


def _per_database(project: Project) -> list[Project]:
    """A DataSource or knexfile naming `migration/postgres` and `migration/mysql` (one picked at run time) is one
    project per folder: each folder is its own history, and the same table is created in each."""
    names = [Path(m).name.lower() for m in project.migrations]
    if len(names) < 2 or not all(n in _DATABASE_FOLDERS for n in names):
        return [project]
    return [replace(project, migrations=[m], settings=dict(project.settings)) for m in project.migrations]


def _taken(projects: list[Project]) -> set[Path]:
    return {Path(os.path.abspath(m)).resolve() for p in projects for m in p.migrations}


def _django_projects(marker_dirs: dict[Path, list[str]], migrations_dirs: set[Path]) -> list[Project]:
    """Each Django app's migrations folder goes to the nearest folder above it that is a Django project root."""
    from . import python_stacks

    django_dirs = sorted(d for d in migrations_dirs if python_stacks.is_django_migrations_dir(d, list_dir(d)))
    if not django_dirs:
        return []
    candidates: dict[Path, list[str]] = {}
    for folder, names in marker_dirs.items():
        if any(n in DJANGO_MARKERS or n.startswith("requirements") for n in names):
            candidates[folder] = list_dir(folder)
    owned: dict[Path, list[Path]] = {}
    orphans: dict[Path, list[Path]] = {}
    accepted: dict[Path, bool] = {}
    for migrations in django_dirs:
        owner = None
        for ancestor in migrations.parents:
            if ancestor in candidates:
                if ancestor not in accepted:
                    accepted[ancestor] = _is_django_root(ancestor, candidates[ancestor])
                if accepted[ancestor]:
                    owner = ancestor
                    break
        if owner is None:
            orphans.setdefault(migrations.parent.parent, []).append(migrations)
        else:
            owned.setdefault(owner, []).append(migrations)
    projects = []
    for owner, dirs in owned.items():
        project = python_stacks.django_project(owner, candidates[owner], dirs)
        if project is not None:
            projects.append(project)
    for dirs in orphans.values():
        projects.extend(python_stacks.django_fallback_project(d) for d in dirs)
    return _merge_django(projects)


def _merge_django(projects: list[Project]) -> list[Project]:
    """Orphan apps sharing a root become one project (their migrations may depend on each other)."""
    merged: dict[str, Project] = {}
    for project in projects:
        existing = merged.get(project.root)
        if existing is None:
            merged[project.root] = project
            continue
        existing.migrations = sorted(set(existing.migrations) | set(project.migrations))
        apps = [a for a in (existing.settings.get("apps"), project.settings.get("apps")) if a]
        existing.settings["apps"] = ",".join(apps)
    return list(merged.values())


def _is_django_root(folder: Path, names: list[str]) -> bool:
    from . import python_stacks

    return (("manage.py" in names and python_stacks.is_django_manage(folder / "manage.py"))
            or python_stacks.declares_django(folder, names))


def _unique(projects: list[Project]) -> list[Project]:
    """One project per tool and folders; of duplicates the one that knows more wins (a knexfile in config/ naming
    ../migrations, with its client, over the package.json default guess at the root)."""
    best: dict[tuple[str, tuple[str, ...]], Project] = {}
    for project in sorted(projects, key=lambda p: (p.root, p.orm, p.migrations)):
        key = (project.orm, tuple(project.migrations))
        kept = best.get(key)
        if kept is None or (kept.dialect is None and project.dialect is not None):
            best[key] = project
    return sorted(best.values(), key=lambda p: (p.root, p.orm, p.migrations))


# --- explicit files -----------------------------------------------------------------------------------------------

_MAX_LEVELS = 16


def _ancestors(path: Path, cwd: Path) -> list[Path]:
    """Folders above a file, nearest first: up to the current folder when the file is under it, else up to the
    repository root (the folder holding .git) or the filesystem root."""
    folders: list[Path] = []
    under_cwd = path == cwd or cwd in path.parents
    for folder in [path.parent, *path.parent.parents][:_MAX_LEVELS]:
        folders.append(folder)
        if folder == cwd or (not under_cwd and (folder / ".git").exists()):
            break
    return folders


def projects_for_paths(files: list[Path]) -> list[Project]:
    """Projects owning the given files, found by probing only the folders above them (cheap: no repository walk)."""
    cwd = Path.cwd().resolve()
    probed: dict[tuple[Path, Probe], list[Project]] = {}
    django_roots: dict[Path, Project | None] = {}
    django_apps: dict[tuple[Path, str], Project] = {}
    listings: dict[Path, list[str]] = {}
    marked: dict[Path, bool] = {}  # folder -> does it hold a marker file of any stack
    projects: list[Project] = []
    # Files are probed per folder and suffix: thousands of files share a few folders, and the same folders give the
    # same projects.
    by_folder: dict[tuple[str, str], list[str]] = {}
    absolute: dict[str, str] = {}
    for file in files:
        given, name = os.path.split(os.fspath(file))
        parent = absolute.get(given)
        if parent is None:
            parent = absolute[given] = os.path.abspath(given)
        by_folder.setdefault((parent, os.path.splitext(name)[1].lower()), []).append(name)
    sql_folders: dict[Path, list[tuple[Path, list[str]]]] = {}  # stop -> folders of .sql files, with their names
    for (folder_name, suffix), names in by_folder.items():
        folder = Path(folder_name)
        ancestors = _ancestors(folder / names[0], cwd)
        if suffix == ".sql":
            sql_folders.setdefault(ancestors[-1], []).append((folder, names))
        for above in ancestors:
            if above not in listings:
                listings[above] = list_dir(above)
                marked[above] = any(_is_marker(n) for n in listings[above])
            if not marked[above]:
                continue  # no stack's config here: no probe finds anything
            for probe in _probes_for(suffix):
                if (above, probe) not in probed:
                    probed[(above, probe)] = probe(above, listings[above])
                projects.extend(probed[(above, probe)])
        if suffix == ".py" and "migrations" in folder.name:
            found = _django_for(folder / names[0], ancestors, django_roots, django_apps)
            projects.extend([found] if found is not None else [])
    projects.extend(_content_for_paths(by_folder, projects, cwd))
    taken = {Path(os.path.abspath(m)).resolve() for p in projects for m in p.migrations}
    for stop, folders in sql_folders.items():
        projects.extend(sql_projects(folders, stop, taken))
    return _unique(projects)


def _content_for_paths(by_folder: dict[tuple[str, str], list[str]], projects: list[Project],
                       cwd: Path) -> list[Project]:
    """The given files' folders no project claims, read as a path-less run reads them (their own content): the
    same project, history and claims as `check` without paths. Only those folders are listed."""
    code = [(Path(folder), names) for (folder, suffix), names in by_folder.items()
            if suffix in (".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")]
    if not code:
        return []
    from .content import content_projects, is_candidate

    candidates: dict[Path, list[str]] = {}
    stops: dict[Path, Path] = {}
    for folder, names in code:
        if folder in candidates:
            continue
        if not any(is_candidate(folder / name) for name in names):
            continue
        candidates[folder] = [n for n in list_dir(folder) if is_candidate(folder / n)]
        stops[folder] = _ancestors(folder / names[0], cwd)[-1]
    if not candidates:
        return []
    found: list[Project] = []
    taken = _taken(projects)
    for folder, names in candidates.items():
        more, unclaimed = content_projects({folder: names}, taken, projects, stops[folder])
        if unclaimed:  # its siblings may settle it, as in a path-less run (Ghost's versions/<release>/ folders)
            siblings = {folder: names, **_sibling_candidates(folder)}
            more = [p for p in content_projects(siblings, taken, projects, stops[folder])[0]
                    if Path(p.migrations[0]).resolve() == folder.resolve()]
        found.extend(more)
    return found


_MAX_SIBLINGS = 64


def _sibling_candidates(folder: Path) -> dict[Path, list[str]]:
    from .content import is_candidate

    siblings: dict[Path, list[str]] = {}
    for name in list_dir(folder.parent)[:_MAX_SIBLINGS]:
        sibling = folder.parent / name
        if sibling != folder and sibling.is_dir():
            names = [n for n in list_dir(sibling) if is_candidate(sibling / n)]
            if names:
                siblings[sibling] = names
    return siblings


def _probes_for(suffix: str) -> tuple[Probe, ...]:
    """Only the stacks whose migrations can have this suffix are asked (a .py file is never TypeORM's)."""
    from . import js_stacks, python_stacks

    if suffix == ".py":
        return (python_stacks.alembic_projects,)
    if suffix in (".sql", ".prisma"):
        return (js_stacks.prisma_projects, js_stacks.drizzle_projects)
    return (js_stacks.typeorm_projects, js_stacks.sequelize_projects, js_stacks.knex_projects)


def _django_for(path: Path, ancestors: list[Path], cache: dict[Path, Project | None],
                fallback: dict[tuple[Path, str], Project]) -> Project | None:
    from . import python_stacks

    if not python_stacks.is_django_migrations_dir(path.parent, list_dir(path.parent)):
        return None
    for folder in ancestors[2:]:  # above <app>/migrations/
        if folder not in cache:
            names = list_dir(folder)
            cache[folder] = (python_stacks.django_project(folder, names, python_stacks.django_migration_dirs(folder, 4))
                             if _is_django_root(folder, names) else None)
        if cache[folder] is not None:
            return cache[folder]
    # No Django root above: the apps beside this one (a reusable app, or no manage.py) form the project.
    key = path.parent.parent.parent
    if (key, "apps") not in fallback:
        dirs = python_stacks.django_migration_dirs(key, 2) or [path.parent]
        fallback[(key, "apps")] = python_stacks.make_project("django", key, dirs, None,
                                                             {"apps": python_stacks.apps_setting(dirs, key)})
    return fallback[(key, "apps")]
