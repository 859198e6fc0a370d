"""`--format json`: the contract's JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain

from .. import __version__
from ..model import Finding, Report
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
        chunk = findings[start:start + _CHUNK]
        text = _lines(chunk)
        if text is None:
            text = json.dumps([f.to_json() for f in chunk])[1:-1].replace('}, {"rule": ', '},\n    {"rule": ')
        yield ("\n    " if start == 0 else ",\n    ") + text
    close = "\n  ]" if findings else "]"
    yield f'{close},\n  "summary": {json.dumps(_summary(report))}\n}}\n'


_LINE = ('{"rule": "%s", "severity": "%s", "path": "%s", "line": %d, "column": %d, "end_line": %d, "message": "%s", '
         '"hint": "%s", "orm": "%s", "migration": "%s"}')


def _lines(findings: list[Finding]) -> str | None:
    """What json.dumps of their to_json() gives (one finding a line), with each distinct string escaped once, all
    in one call of the C encoder, and every line filled by one `%`: a dict built and walked per finding took twice
    as long. Inside a JSON string every `"` is escaped, so `", "` separates two strings of the list and nothing
    else. None when a field is not a plain str or int (then json.dumps decides how it looks)."""
    if not findings:
        return ""
    columns = list(zip(*[(f.rule, f.severity, f.location.path, f.message, f.hint, f.orm, f.migration,
                          f.location.line, f.location.column, f.location.end_line) for f in findings]))
    strings = dict.fromkeys(chain(*columns[:7]))
    if set(map(type, strings)) != {str} or set(map(type, chain(*columns[7:]))) != {int}:
        return None
    escaped = dict(zip(strings, json.dumps(list(strings))[2:-2].split('", "'))).__getitem__
    text = [map(escaped, column) for column in columns[:7]]
    fields = zip(text[0], text[1], text[2], columns[7], columns[8], columns[9], text[3], text[4], text[5], text[6])
    return ",\n    ".join([_LINE] * len(findings)) % tuple(chain.from_iterable(fields))


def render(report: Report, color: bool = False) -> str:
    return "".join(pieces(report, color))
