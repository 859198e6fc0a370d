"""The three checks, migration by migration, oldest first: existing rows, locks and rewrites, round trip.

For each migration: top every table up to N rows, snapshot, apply the up (a failure is classified by trying again on
the same schema without rows), snapshot; then on a copy of that database run the down and compare with the
snapshot from before the up, run the up again and compare with the first. The main database goes on from the state
after the first up, so later migrations see what production would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Union

from ..engine.judge import Engine, _silenced
from ..engine.suppress import parse_suppressions
from ..location import Location
from ..model import Finding
from .apply import Script, Statement
from .database import Applied, Effect, SqliteDatabase
from .postgres import PostgresDatabase
from .locks import blocks_writes, display
from .seed import Counter, seed_postgres, seed_sqlite
from .snapshot import Snapshot, differences, postgres_snapshot, sqlite_snapshot

ROUND_TRIP = "verify-round-trip"
FAILS_ON_ROWS = "verify-fails-on-rows"
MIGRATION_FAILS = "verify-migration-fails"
UNPREDICTED_LOCK = "verify-unpredicted-lock"
NOT_SEEDED = "verify-not-seeded"
NOT_SUPPORTED = "verify-not-supported"
RULES = (ROUND_TRIP, FAILS_ON_ROWS, MIGRATION_FAILS, UNPREDICTED_LOCK, NOT_SEEDED, NOT_SUPPORTED)

Database = Union[SqliteDatabase, PostgresDatabase]


class Progress(Protocol):
    def __call__(self, done: int, total: int, name: str) -> None: ...


@dataclass(slots=True)
class Outcome:
    """What verify found for one migration: the steps it ran, a one-line summary, its findings."""

    script: Script
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "schema equal", "SHARE on orders", ...
    findings: list[Finding] = field(default_factory=list)
    checked: bool = True
    stopped: bool = False  # the up failed: later migrations were not applied


def apply_step(database: Database, script: Script, direction: str) -> Applied:
    """The up or the down of one migration: its statements one by one, or its own tool's run."""
    if script.native is not None:
        return script.native.apply(database, direction)
    return database.apply(script.up if direction == "up" else script.down or [], script.transactional)


def snapshot(database: Database) -> Snapshot:
    if isinstance(database, PostgresDatabase):
        return postgres_snapshot(database)
    connection = database.connect()
    try:
        return sqlite_snapshot(connection)
    finally:
        connection.close()


def seed(database: Database, rows: int, counter: Counter) -> list[str]:
    if isinstance(database, PostgresDatabase):
        return seed_postgres(database, rows, counter)
    connection = database.connect()
    try:
        return seed_sqlite(connection, rows, counter)
    finally:
        connection.close()


@dataclass
class Verifier:
    """Runs the checks over one project's scripts on one database."""

    engine: Engine
    database: Database
    rows: int
    predicted: dict[tuple[str, int], list[Finding]]  # check's findings by (path, line) of their statement
    counter: Counter = field(default_factory=Counter)
    clones: int = 0

    def run(self, scripts: list[Script], first_checked: int, progress: Progress | None = None) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for index, script in enumerate(scripts):
            if progress is not None:
                progress(index, len(scripts), script.id)
            if index < first_checked:
                outcome = Outcome(script, checked=False)
                applied = apply_step(self.database, script, "up")
                outcome.steps.append("up")
                if not applied.ok:
                    outcome.findings.append(self._failure(script, applied, MIGRATION_FAILS, "fails"))
                    outcome.stopped = True
            else:
                outcome = self.verify(script)
            outcomes.append(outcome)
            if outcome.stopped:
                for later in scripts[index + 1:]:
                    outcomes.append(Outcome(later, checked=False, notes=["not applied: an earlier migration failed"]))
                break
        return outcomes

    def _clone(self, purpose: str) -> Database:
        self.clones += 1
        return self.database.clone(f"{purpose}{self.clones}")

    def verify(self, script: Script) -> Outcome:
        outcome = Outcome(script)
        if self.rows:
            for table in seed(self.database, self.rows, self.counter):
                outcome.findings.append(self._finding(
                    NOT_SEEDED, script.up[0].location if script.up else Location(script.migration.path, 1, 1, 1),
                    script, f"Table {table} could not be given rows, so this migration was checked without them "
                            "there.",
                    "Nothing to change in the migration; the rows verify writes fit types and simple constraints."))
        before = snapshot(self.database)
        # A migration without a transaction of its own leaves part of its work behind when it fails: classify the
        # failure on a copy taken before it. With a transaction, the database is back where it was.
        spare = None if script.transactional else self._clone("before")
        applied = apply_step(self.database, script, "up")
        outcome.steps.append("up")
        if not applied.ok:
            retry_on = spare if spare is not None else self._clone("before")
            retry_on.empty_tables()
            retried = apply_step(retry_on, script, "up")
            retry_on.drop()
            if retried.ok and self.rows:
                outcome.findings.append(self._failure(script, applied, FAILS_ON_ROWS, "fails on tables with rows"))
            else:
                outcome.findings.append(self._failure(script, applied, MIGRATION_FAILS, "fails"))
            outcome.stopped = True
            return outcome
        if spare is not None:
            spare.drop()
        self._locks(script, applied, outcome)
        after = snapshot(self.database)
        if script.down is None:
            outcome.notes.insert(0, "no down to check")
            return outcome
        self._round_trip(script, before, after, outcome)
        return outcome

    def _round_trip(self, script: Script, before: Snapshot, after: Snapshot, outcome: Outcome) -> None:
        copy = self._clone("roundtrip")
        try:
            down = apply_step(copy, script, "down")
            outcome.steps.append("down")
            where = script.down_location or Location(script.migration.path, 1, 1, 1)
            if not down.ok:
                outcome.findings.append(self._finding(
                    ROUND_TRIP, down.failed.location if down.failed else where, script,
                    f"The down migration fails: {down.error}",
                    "Run the down on a copy of the schema the up leaves and make it succeed."))
                return
            problems = differences(before, snapshot(copy), missing="down does not restore {what}",
                                   extra="{what} survives the down",
                                   changed="down leaves {what} as {now} (before the up: {was})")
            up_again = apply_step(copy, script, "up")
            outcome.steps.append("up")
            if not up_again.ok:
                problems.append(f"up fails after the down: {up_again.error}")
            else:
                problems += differences(after, snapshot(copy), missing="up after the down does not create {what}",
                                        extra="up after the down leaves {what} the first up did not",
                                        changed="up after the down gives {what} as {now} (first up: {was})")
            if problems:
                outcome.notes.insert(0, "schema differs")
                outcome.findings.append(self._finding(
                    ROUND_TRIP, where, script, "The down migration does not undo the up: " + "; ".join(problems)
                    + ".", "Make the down the exact inverse of the up (drop what it creates, re-create what it "
                           "drops, with the same types, defaults and indexes)."))
            else:
                outcome.notes.insert(0, "schema equal")
        finally:
            copy.drop()

    def _locks(self, script: Script, applied: Applied, outcome: Outcome) -> None:
        """Evidence on check's findings, and a finding for each write-blocking lock no rule predicted."""
        strongest: dict[str, str] = {}
        rewritten: list[str] = []
        from .locks import STRENGTH

        guarded = False  # a lock_timeout set earlier in the migration: the author has bounded the wait
        for effect in applied.effects:
            guarded = guarded or "lock_timeout" in effect.statement.sql.lower()
            for table, mode in effect.locks.items():
                if STRENGTH.get(mode, 0) > STRENGTH.get(strongest.get(table, ""), 0):
                    strongest[table] = mode
            rewritten += [t for t in effect.rewritten if t not in rewritten]
            evidence = _evidence(effect)
            if not evidence:
                continue
            key = (effect.statement.location.path, effect.statement.location.line)
            predicted = self.predicted.get(key, [])
            attach = predicted
            if effect.report_at is not None:  # which operation sent it is not known: any prediction in its file counts
                predicted = [f for (path, _), found in self.predicted.items() if path == key[0] for f in found]
                attach = []
            for finding in attach:
                if "(verified:" not in finding.message:
                    finding.message += f" (verified: {evidence})"
                if all(finding is not kept for kept in outcome.findings):
                    outcome.findings.append(finding)
            unpredicted = [t for t, mode in effect.locks.items() if blocks_writes(mode)]
            if unpredicted and not predicted and not guarded:
                outcome.findings.append(self._finding(
                    UNPREDICTED_LOCK, effect.report_at or effect.statement.location, script,
                    f"`{effect.statement.first_line}` took {evidence}, which blocks writes"
                    f"{' and reads' if any(effect.locks[t] == 'AccessExclusiveLock' for t in unpredicted) else ''}"
                    " while it runs, and no check rule predicted it.",
                    "Make sure the table is small or the statement quick, set lock_timeout before it, and report "
                    "the statement to migrate-guard so a rule can predict it."))
        for table, mode in sorted(strongest.items()):
            outcome.notes.append(f"{display(mode)} on {table}" + (" (rewritten)" if table in rewritten else ""))
        outcome.notes += [f"{table} rewritten" for table in rewritten if table not in strongest]

    def _failure(self, script: Script, applied: Applied, rule: str, verb: str) -> Finding:
        statement: Statement | None = applied.failed
        location = statement.location if statement else (script.up[0].location if script.up else
                                                          Location(script.migration.path, 1, 1, 1))
        what = f"`{statement.first_line}`" if statement else "The migration"
        rows = f" ({self.rows} rows in every table)" if rule == FAILS_ON_ROWS else ""
        hint = ("Make it work on existing rows: add the column nullable or with a default, backfill, then add the "
                "constraint; clean up duplicates before a UNIQUE; give a USING that converts every value."
                if rule == FAILS_ON_ROWS else "Fix the statement; later migrations were not applied.")
        return self._finding(rule, location, script, f"{what} {verb}{rows}: {applied.error}", hint)

    def _finding(self, rule: str, location: Location, script: Script, message: str, hint: str) -> Finding:
        return self.engine._engine_finding(rule, location, script.migration, message, hint)


def _evidence(effect: Effect) -> str:
    parts = [f"{display(mode)} on {table}" for table, mode in sorted(effect.locks.items())]
    if effect.rewritten:
        parts.append(("table " if len(effect.rewritten) == 1 else "tables ") + ", ".join(effect.rewritten)
                     + " rewritten")
    return "; ".join(parts)


def kept(findings: list[Finding], engine: Engine, scripts: list[Script]) -> list[Finding]:
    """Without the disabled rules and what inline ignores silence (in the migration's own files)."""
    suppressions = {}
    for script in scripts:
        for path, text in script.migration.sources.items():
            suppressions[path] = parse_suppressions(text, path)
    out = []
    for finding in findings:
        settings = engine.config.rules.get(finding.rule)
        if settings is not None and settings.enabled is False:
            continue
        if _silenced(finding, suppressions):
            continue
        out.append(finding)
    return out

