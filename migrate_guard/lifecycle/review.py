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
    from ..check import Options, excluded, extract_unit, plan_files, project_files
    from ..engine.judge import Engine
    from ..extract.registry import extractor

    wanted = {path.resolve() for path in targets}
    if not wanted:
        return Review()
    if extractor(context.project.orm) is None:
        return Review(problem=f"migrate-guard cannot read {context.project.orm} migrations yet: not linted")
    files = [f for f in project_files(context.project) if not excluded(f, context.config)]
    files += [f for f in targets if f.resolve() not in {x.resolve() for x in files}]
    plan = plan_files(files, context.config, Options(dialect=context.args.dialect), [context.project])
    engine = Engine.create(context.config)
    result = Review()
    for units in plan.groups.values():
        migrations = [extract_unit(unit) for unit in units]
        chosen = {m.id for m, unit in zip(migrations, units) if any(f.resolve() in wanted for f in unit.files)}
        if not chosen:
            continue
        result.findings.extend(engine.lint_project(migrations, skip={m.id for m in migrations} - chosen))
        result.migrations.extend(m for m in migrations if m.id in chosen)
    result.findings.sort(key=Finding.sort_key)
    return result

