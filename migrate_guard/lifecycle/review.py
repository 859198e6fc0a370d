"""Lint chosen migrations of a project with the whole project as context (so `table_is_new` etc. are right)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model import Finding, Migration
from .project import Context

DESTRUCTIVE_KINDS = frozenset({"drop_table", "drop_column", "truncate", "delete", "drop_schema", "drop_database"})


@dataclass(slots=True)
class Review:
    migrations: list[Migration] = field(default_factory=list)  # the chosen ones, oldest first
    findings: list[Finding] = field(default_factory=list)
    problem: str = ""  # why the migrations could not be read, when they could not

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def review(context: Context, targets: list[Path]) -> Review:
    """The targets linted as `check` lints them, with the whole project as context (pipeline.run.review)."""
    from ..extract.registry import extractor
    from ..pipeline.run import review as review_files

    if not targets:
        return Review()
    if extractor(context.project.orm) is None:
        return Review(problem=f"migrate-guard cannot read {context.project.orm} migrations yet: not linted")
    report = review_files(context.project, targets, context.config, dialect=context.args.dialect)
    return Review(migrations=report.migrations, findings=report.findings)
