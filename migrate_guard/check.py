"""`migrate-guard check`: find the migrations, extract them, judge them, return a report."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .config import Config
from .errors import UsageError
from .extract.base import MigrationUnit, display_path, read_head
from .extract.registry import CANDIDATE_SUFFIXES, classify, extractor
from .model import Finding, Migration, Project, Report
from .walk import is_skipped_dir, walk_files


@dataclass(slots=True)
class Options:
    paths: list[str] = field(default_factory=list)
    dialect: str | None = None  # --dialect, beats config


def natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def expand_paths(paths: list[str], config: Config) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(p for p in walk_files(path) if p.suffix.lower() in CANDIDATE_SUFFIXES)
        elif path.is_file():
            if path.suffix.lower() in CANDIDATE_SUFFIXES and not any(is_skipped_dir(p) for p in path.parts[:-1]
                                                                     if p not in (".", "..")):
                files.append(path)
        elif path.exists():
            continue  # sockets, fifos: nothing to lint
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


def plan_files(files: list[Path], config: Config, options: Options, projects: list[Project] | None = None) -> Plan:
    plan = Plan(projects=projects or [])
    units: dict[tuple[str, str, str], MigrationUnit] = {}
    for path in files:
        project = project_of(path, plan.projects)
        head = read_head(path) if path.suffix.lower() in (".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts") else ""
        module = classify(path, head, project.orm if project else None)
        if module is None:
            continue
        group = project.root if project else display_path(path.parent)
        key = (group, module.ORM, module.migration_key(path))
        unit = units.get(key)
        if unit is None:
            dialect = (options.dialect or config.dialect or (project.dialect if project else None)
                       or _format_dialect(module, path) or "postgres")
            unit = units[key] = MigrationUnit(orm=module.ORM, id=key[2], files=[], dialect=dialect, project=project,
                                              settings=dict(project.settings) if project else {})
            plan.modules[module.ORM] = module
        unit.files.append(path)
    for (group, _, _), unit in sorted(units.items(), key=lambda item: (item[0][0], natural_key(item[0][2]))):
        plan.groups.setdefault(group, []).append(unit)
    return plan


def _format_dialect(module: ModuleType, path: Path) -> str | None:
    dialect_of = getattr(module, "dialect_of", None)
    return dialect_of(path) if dialect_of else None


def project_of(path: Path, projects: list[Project]) -> Project | None:
    """The project whose migration folder holds this file (the deepest one when folders nest)."""
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
    from .engine import Engine

    if options.paths:
        from .detect import projects_for_paths

        files = expand_paths(options.paths, config)
        plan = plan_files(files, config, options, projects_for_paths(files))
    else:
        from .detect import detect_projects

        projects = detect_projects(Path.cwd())
        files = [f for p in projects for f in project_files(p) if not excluded(f, config)]
        plan = plan_files(files, config, options, projects)
    engine = Engine.create(config)
    findings: list[Finding] = []
    files_linted = 0
    for units in plan.groups.values():
        migrations = [extract_unit(unit) for unit in units]
        files_linted += sum(len(m.sources) or 1 for m in migrations)
        findings.extend(engine.lint_project(migrations))
    findings.sort(key=Finding.sort_key)
    return Report(findings=findings, files=files_linted, projects=plan.projects)


def project_files(project: Project) -> list[Path]:
    files: list[Path] = []
    for folder in project.migrations:
        path = Path(folder)
        if path.is_dir():
            files.extend(p for p in walk_files(path) if p.suffix.lower() in CANDIDATE_SUFFIXES)
    return files
