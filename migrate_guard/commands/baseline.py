"""`migrate-guard baseline`: record the newest migration of each detected project as its baseline in the config.

Adopting the linter on a repository with years of migrations: everything up to the baseline is no longer linted
(but still read, so the rules know the schema), and the summary counts what the baseline skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from ..errors import ConfigError, UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("baseline", help="mark every existing migration as accepted: write `baseline` to the config")
    parser.add_argument("--config", metavar="FILE",
                        help="config file to update (default: the one found by walking up, else .migrate-guard.toml "
                             "in the current folder)")
    parser.add_argument("--dry-run", action="store_true", help="print the baseline table instead of writing it")
    parser.set_defaults(run=run)


def newest_migrations(config) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(project root, newest migration id, orm) for every detected project with migrations."""
    from ..pipeline.discover import excluded, project_files
    from ..pipeline.options import Options
    from ..pipeline.plan import plan_files
    from ..detect import detect_projects

    projects = detect_projects(Path.cwd())
    found = []
    for project in projects:
        files = [f for f in project_files(project) if not excluded(f, config)]
        plan = plan_files(files, config, Options(), [project])
        units = plan.groups.get(project.root, [])
        if units:
            found.append((project.root, units[-1].id, project.orm))
    return found


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def run(args: argparse.Namespace) -> int:
    from ..config import load_config

    config = load_config(args.config)
    newest = newest_migrations(config)
    if not newest:
        raise UsageError(f"no migration projects found under {Path.cwd()}: nothing to baseline")
    target = config.source or Path.cwd() / ".migrate-guard.toml"
    in_pyproject = target.name == "pyproject.toml"
    root = target.parent.resolve()
    entries = dict(config.baseline)
    for project_root, migration_id, _ in newest:
        key = Path(os.path.relpath(Path(project_root).resolve(), root)).as_posix()
        entries = {k: v for k, v in entries.items()
                   if (root / k).resolve() != (root / key).resolve()}  # one entry per project, whatever its spelling
        entries[key] = migration_id
    header = "[tool.migrate-guard.baseline]" if in_pyproject else "[baseline]"
    table = "\n".join([header, *(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in sorted(entries.items()))])
    if args.dry_run:
        sys.stdout.write(table + "\n")
        return 0
    original = target.read_text(encoding="utf-8") if target.is_file() else ""
    updated = _without_baseline(original, in_pyproject).rstrip("\n")
    updated = (updated + "\n\n" if updated else "") + table + "\n"
    _check(updated, target, entries, in_pyproject)
    target.write_text(updated, encoding="utf-8")
    shown = os.path.relpath(target)
    for project_root, migration_id, orm in newest:
        print(f"{project_root} ({orm}): baseline {migration_id}")
    print(f"Wrote the baseline of {len(newest)} project{'s' if len(newest) != 1 else ''} to {shown}; "
          "migrations up to it are no longer linted (the summary counts them).")
    return 0


_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$")  # no blanks around the name: overlapping runs


def _without_baseline(text: str, in_pyproject: bool) -> str:
    """The config text without any existing baseline: its table, or `baseline = {...}` / `baseline.x = ...` keys."""
    own_table = "tool.migrate-guard" if in_pyproject else ""
    baseline_table = f"{own_table}.baseline" if in_pyproject else "baseline"
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    current = ""
    for line in lines:
        header = _HEADER.match(line)
        if header:
            current = re.sub(r"\s+", "", header.group(1)).replace('"migrate-guard"', "migrate-guard")
            if current == baseline_table:
                continue
        if current == baseline_table:
            continue
        if current == own_table and re.match(r"\s*baseline\s*[.=]", line):
            continue
        kept.append(line)
    return "".join(kept)


def _check(text: str, target: Path, entries: dict[str, str], in_pyproject: bool) -> None:
    """Never write a config that does not read back with exactly the intended baseline."""
    from ..config import parse_config
    from ..toml_files import toml_parser

    tomllib = toml_parser()
    try:
        data = tomllib.loads(text)
        section = data.get("tool", {}).get("migrate-guard", {}) if in_pyproject else data
        config = parse_config(section, target)
    except (tomllib.TOMLDecodeError, ConfigError) as error:
        raise ConfigError(f"cannot update {target} automatically ({error}); add the baseline table by hand "
                          "(see `migrate-guard baseline --dry-run`)") from None
    if config.baseline != entries:
        raise ConfigError(f"cannot update {target} automatically; add the baseline table by hand "
                          "(see `migrate-guard baseline --dry-run`)")
