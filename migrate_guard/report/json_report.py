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
    return json.dumps(document(report), indent=2) + "\n"
