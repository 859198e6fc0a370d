"""`migrate-guard detect [--format text|json]`: the projects, and the database of each of their folders, with why."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..detect import UnclaimedFolder
    from ..detect.dialect import DialectChoice, DialectResolver
    from ..model import Project


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("detect", help="list the migration projects found under the current folder")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: found by walking up)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..detect import detect_repository
    from ..detect.dialect import DialectResolver
    from ..report.escape import printable

    resolver = DialectResolver(None, load_config(args.config))
    detection = detect_repository(Path.cwd())
    projects = detection.projects
    folders = {id(p): project_folders(p, resolver) for p in projects}
    if args.format == "json":
        print(json.dumps({"projects": [_project_json(p, folders[id(p)]) for p in projects]}, indent=2))
        return 0
    if not projects:
        print("No migration projects found.")
        _print_unclaimed(detection.unclaimed)
        return 0
    rows = [("ORM", "ROOT", "DIALECT", "MIGRATIONS")]
    for project in projects:
        for folder, choice in folders[id(project)]:
            rows.append((project.orm, printable(project.root), choice.describe(), printable(folder)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    _print_unclaimed(detection.unclaimed)
    return 0


def _print_unclaimed(unclaimed: list[UnclaimedFolder]) -> None:
    """Folders of migration-shaped files no project claims: `check` reports each (unclaimed-migrations)."""
    from ..extract.base import display_path
    from ..report.escape import printable

    for item in unclaimed:
        print(f"not claimed: {printable(display_path(item.folder))}/ holds {len(item.files)} file(s) shaped like "
              "migrations whose tool cannot be told: not checked (check reports unclaimed-migrations)")


def project_folders(project: Project, resolver: DialectResolver) -> list[tuple[str, DialectChoice]]:
    """Each migration folder of the project with its database; a folder holding one sub-folder per database
    (`migrations/{postgres,mysql,sqlite3}/`) is listed as those sub-folders."""
    from ..dialects import canonical

    result = []
    for folder in project.migrations:
        try:
            children = sorted(name for name in os.listdir(folder) if canonical(name) and os.path.isdir(
                os.path.join(folder, name)))
        except OSError:
            children = []
        for shown in [f"{folder}/{child}" for child in children] or [folder]:
            result.append((shown, resolver.for_folder(shown, project)))
    return result


def _project_json(project: Project, folders: list[tuple[str, DialectChoice]]) -> dict[str, Any]:
    first = folders[0][1] if folders else None
    return {"orm": project.orm, "root": project.root, "migrations": project.migrations,
            "dialect": _contract_dialect(first), "database": _database(first),
            "evidence": first.evidence if first else None,
            "folders": [{"path": path, "dialect": _contract_dialect(choice), "database": _database(choice),
                         "evidence": choice.evidence, "conflicts": list(choice.conflicts)}
                        for path, choice in folders]}


def _contract_dialect(choice: DialectChoice | None) -> str | None:
    """The contract's `dialect`: postgres, mysql, sqlite, or null when unknown (assumed, or another database)."""
    from ..dialects import CONTRACT_DIALECT

    return CONTRACT_DIALECT.get(choice.dialect) if choice is not None and _database(choice) else None


def _database(choice: DialectChoice | None) -> str | None:
    from ..detect.dialect import ASSUMED

    return choice.dialect if choice is not None and choice.evidence != ASSUMED else None
