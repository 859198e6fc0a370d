"""Engine: judge each migration's operations with the declarative rules, in context."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..config import Config
from ..dialects import DISPLAY_NAMES, PARTIAL, PARTIAL_RULES
from ..model import Finding, Migration
from .facts import MigrationFacts, SchemaState
from .matcher import matches
from .messages import Namespace, message
from .rules import Clause, Rule, load_rules
from .suppress import FileSuppressions, parse_suppressions

# Rules the engine itself reports (they are in rules/ for their docs and severity, but match no operation).
UNKNOWN_RULE_IN_IGNORE = "unknown-rule-in-ignore"
BARE_IGNORE = "bare-ignore"
DIALECT_PARTLY_CHECKED = "dialect-partly-checked"


@dataclass
class Engine:
    """The rules, the config, and the clauses that apply to each operation kind."""

    config: Config
    rules: dict[str, Rule]
    by_kind: dict[str, list[tuple[Rule, Clause]]]
    # folders whose database is checked in part, already said so in this run (once per folder)
    partial_folders: set[str] = field(default_factory=set)
    # (kind, dialect) -> the clauses of by_kind[kind] whose rules run on that database
    _candidates: dict[tuple[str, str], list[tuple[Rule, Clause]]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def create(cls, config: Config) -> Engine:
        rules = load_rules()
        by_kind: dict[str, list[tuple[Rule, Clause]]] = {}
        for rule in rules.values():
            if not cls._enabled(config, rule):
                continue
            for clause in rule.clauses:
                for kind in clause.kinds:
                    by_kind.setdefault(kind, []).append((rule, clause))
        return cls(config=config, rules=rules, by_kind=by_kind)

    def candidates(self, kind: str, dialect: str) -> list[tuple[Rule, Clause]]:
        key = (kind, dialect)
        found = self._candidates.get(key)
        if found is None:
            partial = dialect in PARTIAL
            found = self._candidates[key] = [
                entry for entry in self.by_kind.get(kind, ())
                if (not entry[0].dialects or dialect in entry[0].dialects)
                and not (partial and entry[0].id not in PARTIAL_RULES)]
        return found

    @staticmethod
    def _enabled(config: Config, rule: Rule) -> bool:
        settings = config.rules.get(rule.id)
        return rule.enabled if settings is None or settings.enabled is None else settings.enabled

    def severity(self, rule: Rule, clause: Clause | None = None) -> str:
        settings = self.config.rules.get(rule.id)
        if clause is not None and clause.severity is not None and clause.severity != rule.severity:
            return clause.severity  # a clause that deliberately differs (e.g. a type change known to be safe)
        if settings is not None and settings.severity:
            return settings.severity
        return rule.severity

    def lint_project(self, migrations: Iterable[Migration], skip: set[str] | None = None,
                     state: SchemaState | None = None) -> list[Finding]:
        """Migrations of one project, oldest first. Those in `skip` only teach the schema state. `state`: where
        earlier migrations left the schema (resuming from a checkpoint); it is updated in place."""
        state = SchemaState() if state is None else state
        findings: list[Finding] = []
        for migration in migrations:
            if not skip or migration.id not in skip:
                findings.extend(self.lint_migration(migration, state))
            state.replay(migration)
        return findings

    def lint_migration(self, migration: Migration, state: SchemaState | None = None) -> list[Finding]:
        dialect = migration.dialect or "postgres"  # resolved once per migration, command line first (detect/dialect.py)
        facts = MigrationFacts(migration, dialect, self.config.postgres_version, state or SchemaState(),
                               self.config.index_name_pattern)
        suppressions = {path: parse_suppressions(text, path) for path, text in migration.sources.items()}
        findings: list[Finding] = []
        info = ir.MigrationInfo(location=migration.down_location or ir.Location(migration.path, 1, 1, 1),
                                migration=migration.id, down=migration.down, orm=migration.orm)
        directions = ("up", "down") if self.config.lint_down else ("up",)
        for direction in directions:
            ops = [op for op in migration.operations if op.direction == direction]
            if direction == "up":
                ops.insert(0, info)
            for op, op_facts in facts.per_operation(ops):
                for rule, clause in self.candidates(op.kind, op_facts["dialect"]):
                    if matches(clause.when, op, op_facts):
                        findings.append(self._finding(rule, clause, op, op_facts, migration))
        if len(findings) > 1:  # a helper's operations all reported at its call can say the same thing twice
            once: dict[tuple[str, ir.Location, str], Finding] = {}
            for finding in findings:
                once.setdefault((finding.rule, finding.location, finding.message), finding)
            findings = list(once.values())
        if any(s.directives for s in suppressions.values()):
            findings = [f for f in findings if not _silenced(f, suppressions)]
        findings.extend(self._suppression_problems(migration, suppressions))
        if dialect in PARTIAL:
            findings.extend(self._partly_checked(migration, dialect))
        return findings

    def _partly_checked(self, migration: Migration, dialect: str) -> list[Finding]:
        """Once per folder: its database has no full grammar and rules here, so only some rules ran."""
        folder = migration.path.rpartition("/")[0] or "."
        if folder in self.partial_folders or not self._enabled(self.config, self.rules[DIALECT_PARTLY_CHECKED]):
            return []
        self.partial_folders.add(folder)
        unread = sum(isinstance(op, ir.ParseError) for op in migration.operations)
        name = DISPLAY_NAMES.get(dialect, dialect)
        message = (f"The migrations in {folder} run on {name}, which migrate-guard checks only in part: destructive "
                   f"statements (drops, truncates, deletes and updates without WHERE, renames) are checked, lock and "
                   f"type rules are not.")
        if unread:
            message += f" {unread} statement(s) of {migration.id} could not be read and were skipped."
        return [self._engine_finding(DIALECT_PARTLY_CHECKED, ir.Location(migration.path, 1, 1, 1), migration, message,
                                     f"If these migrations run on another database, set it: `dialect` or "
                                     f"`[tool.migrate-guard.dialects] \"{folder}\" = \"postgres\"`, or --dialect.")]

    def _finding(self, rule: Rule, clause: Clause, op: ir.Operation, facts: dict[str, Any],
                 migration: Migration) -> Finding:
        namespace = Namespace(op, facts)
        sources = migration.sources.values()
        return Finding(rule=rule.id, severity=self.severity(rule, clause),  # type: ignore[arg-type]
                       location=op.location, message=message(clause.message, namespace, migration.orm, sources),
                       hint=message(clause.hint_for(migration.orm), namespace, migration.orm, sources), orm=migration.orm,
                       migration=migration.id)

    def _suppression_problems(self, migration: Migration,
                              suppressions: dict[str, FileSuppressions]) -> list[Finding]:
        problems: list[Finding] = []
        for path, file_suppressions in suppressions.items():
            for directive in file_suppressions.directives:
                location = ir.Location(path, directive.line, directive.column, directive.line)
                if not directive.rules and not directive.whole_file:
                    problems.append(self._engine_finding(
                        BARE_IGNORE, location, migration,
                        "`migrate-guard: ignore` names no rule, so it silences nothing.",
                        "Name the rules to silence: `migrate-guard: ignore drop-column -- reason`."))
                for rule_id in directive.rules:
                    if rule_id not in self.rules:
                        problems.append(self._engine_finding(
                            UNKNOWN_RULE_IN_IGNORE, location, migration,
                            f"`{rule_id}` is not a migrate-guard rule, so this ignore silences nothing.",
                            "Use an id from `migrate-guard rules`."))
        return problems

    def _engine_finding(self, rule_id: str, location: ir.Location, migration: Migration, message: str,
                        hint: str) -> Finding:
        rule = self.rules[rule_id]
        return Finding(rule=rule_id, severity=self.severity(rule),  # type: ignore[arg-type]
                       location=location, message=message, hint=hint, orm=migration.orm, migration=migration.id)


def _silenced(finding: Finding, suppressions: dict[str, FileSuppressions]) -> bool:
    file_suppressions = suppressions.get(finding.location.path)
    return file_suppressions is not None and file_suppressions.silences(
        finding.rule, finding.location.line, finding.location.end_line)
