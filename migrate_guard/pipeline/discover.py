"""Step 1: the candidate files of a run, and the projects they belong to: the paths given (with the rest of their
projects as context) or, without paths, every detected project's migration folders."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import UsageError
from ..extract.base import display_path
from ..extract.registry import CANDIDATE_SUFFIXES
from ..location import Location
from ..model import Finding, Project
from ..paths import real_files
from ..walk import Repository, in_skipped_folder, walk_files

if TYPE_CHECKING:
    from ..detect.content import UnclaimedFolder


@dataclass(slots=True)
class Discovered:
    files: list[Path]  # the files named (or found) and the other files of their projects
    projects: list[Project]
    given: set[str] | None  # resolved paths of the files named on the command line; None: no paths given
    unclaimed: list[Finding]  # folders of migration-shaped files no project claims (a path-less run only)


def discover(config: Config, paths: list[str]) -> Discovered:
    if not paths:
        from ..detect import detect_repository

        detection = detect_repository(Path.cwd())
        projects = detection.projects
        files = [f for p in projects for f in project_files(p) if not excluded(f, config)]
        return Discovered(files, projects, None, unclaimed_findings(detection.unclaimed, config))
    from ..detect import projects_for_paths

    walked: dict[str, list[Path]] = {}
    files = expand_paths(paths, config, walked)
    projects = projects_for_paths(files)
    given = set(real_files(files))
    # The given files' projects are read whole (not linted) so the rules see the schema their earlier migrations
    # built: pre-commit passes only the new migration. A file's project follows from its folder.
    by_folder = {os.path.dirname(display_path(f)): f for f in files}
    owners = {id(p): p for f in by_folder.values() if (p := project_of(f, projects)) is not None}
    around = [f for p in owners.values() for f in project_files(p, walked)]
    context = [f for f, real in zip(around, real_files(around)) if real not in given and not excluded(f, config)]
    return Discovered(files + context, projects, given, [])


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


UNCLAIMED = "unclaimed-migrations"


def unclaimed_findings(folders: list[UnclaimedFolder], config: Config) -> list[Finding]:
    """One finding per folder of migration-shaped files no project claims, at its first such file."""
    settings = config.rules.get(UNCLAIMED)
    if not folders or (settings is not None and settings.enabled is False):
        return []
    from ..engine.rules import load_rules

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
            hint=folder.hint or ("Keep the tool's config beside them (knexfile, .sequelizerc, a TypeORM DataSource, "
                                 f"alembic.ini), or add \"{shown}\" to `exclude` if they are not database migrations."),
            orm=folder.resembles or "unknown", migration=shown))
    return findings


def candidates_in(folder: Path, walked: dict[str, list[Path]] | None = None) -> list[Path]:
    """The files under a folder that an extractor may claim; `walked` remembers folders already walked this run (a
    folder given on the command line is usually its project's migration folder too)."""
    key = os.path.realpath(folder)
    if walked is not None and key in walked:
        return walked[key]
    files = list(walk_files(folder, suffixes=CANDIDATE_SUFFIXES, remember=True))
    for path in files:
        if not os.fspath(path).isascii():
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
