"""Rule selection on the command line, ruff-style, on top of config: `--select`, `--extend-select`, `--ignore`.

Each takes rule ids or tags (`destructive`, `locking`, ...; see engine.rules.TAGS), comma-separated or repeated.
`--select` replaces the set of rules that run, `--extend-select` adds to it, `--ignore` removes from it (last word).
Selecting an opt-in rule (enabled = false in its rule file) switches it on.
"""

from __future__ import annotations

import argparse

from ..config import Config, RuleSettings
from ..errors import UsageError
from ..suggest import did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..engine.rules import Rule

ALL = "all"


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rule selection (ids or tags: destructive, locking, compatibility, style, "
                                      "correctness; comma-separated or repeated)")
    group.add_argument("--select", action="append", metavar="RULES", default=None,
                       help="run only these rules (opt-in rules named here are switched on); `all` for every rule")
    group.add_argument("--extend-select", action="append", metavar="RULES", default=None,
                       help="run these rules as well as the configured ones (switches opt-in rules on)")
    group.add_argument("--ignore", action="append", metavar="RULES", default=None,
                       help="do not run these rules")


def unknown_rule(name: str, rules: dict[str, Rule]) -> UsageError:
    from ..report.escape import printable

    return UsageError(f"unknown rule id '{printable(name)}'{did_you_mean(name, sorted(rules))} "
                      "(see `migrate-guard rules`)")


def _expand(values: list[str] | None, flag: str, rules: dict[str, Rule]) -> set[str] | None:
    if values is None:
        return None
    from ..engine.rules import TAGS
    from ..report.escape import printable

    chosen: set[str] = set()
    for token in (part.strip() for value in values for part in value.split(",")):
        if not token:
            continue
        if token in rules:
            chosen.add(token)
        elif token.lower() == ALL:
            chosen.update(rules)
        elif token in TAGS:
            chosen.update(rule.id for rule in rules.values() if token in rule.tags)
        else:
            suggestion = did_you_mean(token, sorted(rules) + list(TAGS))
            raise UsageError(f"{flag}: unknown rule id or tag '{printable(token)}'{suggestion} "
                             "(see `migrate-guard rules`)")
    return chosen


def apply_selection(config: Config, args: argparse.Namespace) -> set[str] | None:
    """Switch rules on and off in `config` as the selection flags say; returns the rules that run (None: no flag
    given, config alone decides)."""
    select, extend, ignore = (getattr(args, name, None) for name in ("select", "extend_select", "ignore"))
    if select is None and extend is None and ignore is None:
        return None
    from ..engine.rules import load_rules

    rules = load_rules()
    chosen = _expand(select, "--select", rules)
    if chosen is None:
        chosen = {rule.id for rule in rules.values() if _configured(config, rule)}
    chosen |= _expand(extend, "--extend-select", rules) or set()
    chosen -= _expand(ignore, "--ignore", rules) or set()
    for rule_id in rules:
        settings = config.rules.setdefault(rule_id, RuleSettings())
        settings.enabled = rule_id in chosen
    return chosen


def _configured(config: Config, rule: Rule) -> bool:
    settings = config.rules.get(rule.id)
    return rule.enabled if settings is None or settings.enabled is None else settings.enabled
