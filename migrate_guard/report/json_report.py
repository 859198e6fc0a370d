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
    # One finding per line: readable, and each line goes through json's C encoder (indent= falls back to the
    # pure-Python encoder, which took most of a warm run's time on thousands of findings).
    doc = document(report)
    findings = "".join(("\n    " if i == 0 else ",\n    ") + json.dumps(f) for i, f in enumerate(doc["findings"]))
    if findings:
        findings += "\n  "
    return ("{\n"
            f'  "version": {json.dumps(doc["version"])},\n'
            f'  "tool": {json.dumps(doc["tool"])},\n'
            f'  "findings": [{findings}],\n'
            f'  "summary": {json.dumps(doc["summary"])}\n'
            "}\n")
