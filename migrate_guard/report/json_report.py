"""`--format json`: the contract's JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .. import __version__
from ..model import Report
from .summary import counts

# Findings per json.dumps call: the C encoder's speed without the whole report as one string (65,000 findings were
# 34 MB of text, built and copied four times, plus one dict per finding, at once).
_CHUNK = 1000


def document(report: Report) -> dict[str, object]:
    return {
        "version": 1,
        "tool": {"name": "migrate-guard", "version": __version__},
        "findings": [f.to_json() for f in report.findings],
        "summary": _summary(report),
    }


def _summary(report: Report) -> dict[str, int]:
    summary: dict[str, int] = {"files": report.files, **counts(report)}
    if report.skipped:
        summary["skipped"] = report.skipped
    return summary


def pieces(report: Report, color: bool = False) -> Iterator[str]:
    """The report in pieces that concatenate to render()'s text, a chunk of findings at a time."""
    # One finding per line: readable, and each chunk goes through json's C encoder in one call (indent= falls back
    # to the pure-Python encoder, which took most of a warm run's time on thousands of findings). Every finding
    # object starts with "rule", and a `"` inside a JSON string is always escaped, so `}, {"rule": ` occurs only
    # between two findings.
    tool = {"name": "migrate-guard", "version": __version__}
    yield f'{{\n  "version": 1,\n  "tool": {json.dumps(tool)},\n  "findings": ['
    findings = report.findings
    for start in range(0, len(findings), _CHUNK):
        text = json.dumps([f.to_json() for f in findings[start:start + _CHUNK]])[1:-1]
        yield ("\n    " if start == 0 else ",\n    ") + text.replace('}, {"rule": ', '},\n    {"rule": ')
    close = "\n  ]" if findings else "]"
    yield f'{close},\n  "summary": {json.dumps(_summary(report))}\n}}\n'


def render(report: Report, color: bool = False) -> str:
    return "".join(pieces(report, color))
