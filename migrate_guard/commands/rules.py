"""`migrate-guard rules` and `migrate-guard explain RULE`."""

from __future__ import annotations

import argparse
import textwrap


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = sub.add_parser("rules", help="list the rules: id, default severity, what each flags")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(run=run_rules)
    explain = sub.add_parser("explain", help="explain one rule: why it is risky, what to do instead, examples")
    explain.add_argument("rule", metavar="RULE")
    explain.set_defaults(run=run_explain)


def run_rules(args: argparse.Namespace) -> int:
    from ..engine.rules import load_rules

    rules = sorted(load_rules().values(), key=lambda r: r.id)
    if args.format == "json":
        import json

        print(json.dumps([{"id": r.id, "severity": r.severity, "summary": r.summary, "enabled": r.enabled,
                           "tags": list(r.tags)} for r in rules], indent=2))
        return 0
    width = max(len(r.id) for r in rules)
    for rule in rules:
        state = "" if rule.enabled else "(opt-in) "
        print(f"{rule.id.ljust(width)}  {rule.severity.ljust(7)}  {state}{rule.summary}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from ..engine.rules import load_rules

    rules = load_rules()
    rule = rules.get(args.rule)
    if rule is None:
        from .selection import unknown_rule

        raise unknown_rule(args.rule, rules)
    scope = f" ({', '.join(rule.dialects)} only)" if rule.dialects else ""
    opt_in = "" if rule.enabled else f" [off by default: `[rules.{rule.id}] enabled = true`]"
    tags = f" [tags: {', '.join(rule.tags)}]" if rule.tags else ""
    print(f"{rule.id}  [default severity: {rule.severity}]{tags}{scope}{opt_in}\n")
    print(textwrap.fill(rule.summary, 100) + "\n")
    for title, body in (("Why it is risky", rule.why), ("What to do instead", rule.instead)):
        if body.strip():
            print(f"{title}:\n{textwrap.indent(textwrap.dedent(body).strip(), '  ')}\n")
    for title, body in (("Bad", rule.bad), ("Good", rule.good)):
        if body.strip():
            print(f"{title}:\n{textwrap.indent(body.strip(), '    ')}\n")
    print(f"Silence it for one statement: -- migrate-guard: ignore {rule.id} -- reason")
    return 0
