"""`--format sarif`: SARIF 2.1.0, loadable by GitHub code scanning (github/codeql-action/upload-sarif).

The run carries the full rule catalogue (id, short and full description, help, default level) and one result per
finding with its physical location (path relative to the current folder, under %SRCROOT%; 1-based lines/columns).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..model import Report
from .escape import printable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/migrate-guard/"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _help(rule) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    text_parts = [rule.why.strip(), rule.instead.strip() and f"Instead: {rule.instead.strip()}"]
    markdown = [rule.why.strip()]
    if rule.instead.strip():
        markdown.append(f"**Instead:** {rule.instead.strip()}")
    if rule.bad.strip():
        markdown.append(f"Bad:\n\n```\n{rule.bad.strip()}\n```")
        text_parts.append(f"Bad:\n{rule.bad.strip()}")
    if rule.good.strip():
        markdown.append(f"Good:\n\n```\n{rule.good.strip()}\n```")
        text_parts.append(f"Good:\n{rule.good.strip()}")
    text = "\n\n".join(p for p in text_parts if p) or rule.summary
    return text, "\n\n".join(p for p in markdown if p) or rule.summary


def _artifact(path: str) -> dict[str, str]:
    """Paths under the current folder are relative to %SRCROOT%; a file outside it gets an absolute file URI."""
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def document(report: Report) -> dict[str, object]:
    from ..engine.rules import load_rules

    rules = load_rules()
    order = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(order)}
    descriptors = []
    for rule_id in order:
        rule = rules[rule_id]
        help_text, help_markdown = _help(rule)
        descriptors.append({
            "id": rule.id,
            "name": _pascal(rule.id),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why.strip() or rule.summary},
            "help": {"text": help_text, "markdown": help_markdown},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"tags": ["migrations", "database"], "severity": rule.severity},
        })
    results = []
    for finding in report.findings:
        where = finding.location
        region = {"startLine": max(1, where.line), "startColumn": max(1, where.column),
                  "endLine": max(where.line, where.end_line, 1)}
        result: dict[str, object] = {
            "ruleId": finding.rule,
            "level": _LEVEL[finding.severity],
            # shown as text by code scanning; the location keeps the exact path (percent-encoded)
            "message": {"text": printable(finding.message + (f" Hint: {finding.hint}" if finding.hint else ""))},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(where.path),
                "region": region,
            }}],
            "properties": {"orm": finding.orm, "migration": finding.migration},
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "migrate-guard", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
