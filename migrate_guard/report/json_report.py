"""`--format json`: the contract's JSON object."""

from __future__ import annotations

import json

from .. import __version__
from ..model import Report
from .summary import counts


def document(report: Report) -> dict[str, object]:
    summary: dict[str, int] = {"files": report.files, **counts(report)}
    if report.skipped:
        summary["skipped"] = report.skipped
    return {
        "version": 1,
        "tool": {"name": "migrate-guard", "version": __version__},
        "findings": [f.to_json() for f in report.findings],
        "summary": summary,
    }


def render(report: Report, color: bool = False) -> str:
    # One finding per line: readable, and all of them go through json's C encoder in one call (indent= falls back
    # to the pure-Python encoder, which took most of a warm run's time on thousands of findings). Every finding
    # object starts with "rule", and a `"` inside a JSON string is always escaped, so `}, {"rule": ` occurs only
    # between two findings.
    doc = document(report)
    findings = json.dumps(doc["findings"])[1:-1].replace('}, {"rule": ', '},\n    {"rule": ')
    if findings:
        findings = "\n    " + findings + "\n  "
    return ("{\n"
            f'  "version": {json.dumps(doc["version"])},\n'
            f'  "tool": {json.dumps(doc["tool"])},\n'
            f'  "findings": [{findings}],\n'
            f'  "summary": {json.dumps(doc["summary"])}\n'
            "}\n")
