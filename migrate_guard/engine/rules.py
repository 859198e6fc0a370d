"""Load the declarative rules from rules/*.toml (shipped in the wheel as migrate_guard/_rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..toml_files import toml_parser
from ..errors import ConfigError
from ..model import Severity

SEVERITIES = ("error", "warning", "info")
# What a rule is about, for `--select TAG` / `--ignore TAG`; every rule file names one or more (`tags = [...]`).
TAGS = ("destructive", "locking", "compatibility", "style", "correctness")


@dataclass(frozen=True, slots=True)
class Clause:
    """One way a rule matches: an operation kind, conditions on its fields and context facts, and what to say."""

    kinds: tuple[str, ...]
    when: tuple[tuple[str, Any], ...]
    message: str
    hint: str
    severity: Severity | None = None  # None: the rule's (possibly configured) severity
    # The same advice in a tool's own terms (orm id -> hint), e.g. how TypeORM opts out of the transaction.
    hints: tuple[tuple[str, str], ...] = ()

    def hint_for(self, orm: str) -> str:
        return dict(self.hints).get(orm, self.hint)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule file of rules/: its id, severity, clauses and docs."""

    id: str
    severity: Severity
    summary: str
    why: str
    instead: str
    bad: str
    good: str
    clauses: tuple[Clause, ...] = field(default=())
    dialects: tuple[str, ...] = ()  # empty: every dialect
    enabled: bool = True  # false: an opt-in (policy) rule, switched on with [rules.<id>] enabled = true
    tags: tuple[str, ...] = ()


def rules_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    shipped = package / "_rules"
    return shipped if shipped.is_dir() else package.parent / "rules"


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Rule]:
    tomllib = toml_parser()
    rules: dict[str, Rule] = {}
    for path in sorted(rules_dir().glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for entry in data.get("rule", [data] if "id" in data else []):
            rule = _rule(entry, path)
            _validate(entry, path)
            rules[rule.id] = rule
    return rules


def _validate(entry: dict[str, Any], path: Path) -> None:
    from ..extract.registry import MODULES
    from .validate import problems

    found = problems(entry, frozenset(MODULES))
    if found:
        raise ConfigError(f"{path.name}: rule {entry.get('id')}: {found[0]}"
                          + (f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""))


def rules_fingerprint() -> str:
    """Changes whenever a rule file changes: part of the cache key."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(rules_dir().glob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _rule(entry: dict[str, Any], path: Path) -> Rule:
    try:
        severity = entry["severity"]
        if severity not in SEVERITIES:
            raise ConfigError(f"{path.name}: rule {entry['id']}: unknown severity {severity!r}")
        docs = entry.get("docs", {})
        tags = tuple(entry.get("tags", ()))
        unknown = [tag for tag in tags if tag not in TAGS]
        if unknown:
            raise ConfigError(f"{path.name}: rule {entry['id']}: unknown tag {unknown[0]!r} (tags: {', '.join(TAGS)})")
        clauses = tuple(_clause(c) for c in entry.get("match", []))
        return Rule(id=entry["id"], severity=severity, summary=entry["summary"], why=docs.get("why", ""),
                    instead=docs.get("instead", ""), bad=docs.get("bad", ""), good=docs.get("good", ""),
                    clauses=clauses, dialects=tuple(entry.get("dialects", ())), enabled=entry.get("enabled", True), tags=tags)
    except KeyError as missing:
        raise ConfigError(f"{path.name}: a rule lacks the key {missing}") from None


def _clause(entry: dict[str, Any]) -> Clause:
    kinds = entry["kind"]
    return Clause(kinds=tuple(kinds) if isinstance(kinds, list) else (kinds,),
                  when=tuple(entry.get("when", {}).items()), message=entry["message"], hint=entry.get("hint", ""),
                  hints=tuple(entry.get("hints", {}).items()),
                  severity=entry.get("severity"))
