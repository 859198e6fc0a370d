"""What flows between the pipeline's stages: projects, migrations, findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .location import Location

TYPE_CHECKING = False
if TYPE_CHECKING:  # the IR is loaded by extraction; a run served from the cache never needs it
    from .ir import DownState, Operation

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(slots=True)
class Project:
    """A migration project found in the repository (see detect/)."""

    orm: str
    root: str  # relative to the current folder, "/" separators, "." for the current folder
    migrations: list[str]  # migration folders, relative like root
    dialect: str | None = None  # the database the project's own configuration names (see dialects.DATABASES)
    dialect_evidence: str | None = None  # where that came from, for `detect` ("TypeORM data source", "go.mod driver")
    # Extra facts a detector learned that extractors or wrappers need (e.g. "schema": path of schema.prisma).
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Migration:
    """One migration, extracted: its operations in both directions and how it can be undone."""

    id: str
    orm: str
    dialect: str
    path: str  # the main file (the up file where up and down are separate files)
    operations: list[Operation] = field(default_factory=list)
    down: DownState = "present"
    # path -> text of every file this migration was read from; used for inline suppressions.
    sources: dict[str, str] = field(default_factory=dict)
    # The tool runs each migration inside a transaction unless told not to (goose, Alembic, Django atomic).
    transactional: bool = False
    # Where a missing-down finding should point (e.g. Alembic's `def downgrade`); default: the file's first line.
    down_location: Location | None = None
    # Django's `initial = True`: applied with the app's other initial migrations, to tables that hold no rows yet
    # (large apps split their initial migration in parts that add fields and constraints to the first part's tables).
    initial: bool = False


@dataclass(slots=True)
class Finding:
    """One problem found: which rule, how severe, where, and what to write instead."""

    rule: str
    severity: Severity
    location: Location
    message: str
    hint: str
    orm: str
    migration: str

    def sort_key(self) -> tuple[str, int, str, int]:
        return (self.location.path, self.location.line, self.rule, self.location.column)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "end_line": self.location.end_line,
            "message": self.message,
            "hint": self.hint,
            "orm": self.orm,
            "migration": self.migration,
        }


@dataclass(frozen=True, slots=True)
class LintedFile:
    """A file that was linted, and the project (or folder) it belongs to: reporters group by it (JUnit suites)."""

    path: str  # like Finding paths: relative to the current folder, "/" separators
    project: str  # the project root, or the migration folder when no project was detected
    orm: str


@dataclass(slots=True)
class Report:
    """Everything one `check` found, for the reporters."""

    findings: list[Finding]
    files: int
    # Migrations deliberately not linted (baseline); counted, never silently dropped.
    skipped: int = 0
    projects: list[Project] = field(default_factory=list)
    # Every linted file in lint order (empty when the producer does not track them).
    linted: list[LintedFile] = field(default_factory=list)
    # How the work was done, for --verbose: cache hits, migrations parsed, processes used.
    stats: dict[str, int] = field(default_factory=dict)
    # The migrations linted, per project oldest first, when the producer keeps them (the lifecycle's review).
    migrations: list[Migration] = field(default_factory=list)


FindingRow = tuple[str, str, str, int, int, int, str, str, str, str]


def finding_rows(findings: list[Finding]) -> list[FindingRow]:
    """Findings as plain tuples (marshal's format: the cache's verdicts and a replayed run keep them so)."""
    return [(f.rule, f.severity, f.location.path, f.location.line, f.location.column, f.location.end_line,
             f.message, f.hint, f.orm, f.migration) for f in findings]


def findings_of(rows: list[FindingRow]) -> list[Finding]:
    """finding_rows() read back."""
    return [Finding(rule, severity, Location(path, line, column, end), message, hint, orm, migration)  # type: ignore[arg-type]
            for rule, severity, path, line, column, end, message, hint, orm, migration in rows]
