"""`migrate-guard detect [--format text|json]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("detect", help="list the migration projects found under the current folder")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..detect import detect_projects

    projects = detect_projects(Path.cwd())
    if args.format == "json":
        print(json.dumps({"projects": [{"orm": p.orm, "root": p.root, "migrations": p.migrations,
                                        "dialect": p.dialect} for p in projects]}, indent=2))
        return 0
    if not projects:
        print("No migration projects found.")
        return 0
    rows = [("ORM", "ROOT", "DIALECT", "MIGRATIONS")]
    rows += [(p.orm, p.root, p.dialect or "-", ", ".join(p.migrations)) for p in projects]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    return 0
