"""Counts shared by every reporter."""

from __future__ import annotations

from ..model import Report


def counts(report: Report) -> dict[str, int]:
    result = {"error": 0, "warning": 0, "info": 0}
    for finding in report.findings:
        result[finding.severity] += 1
    return result


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    return f"{n} {word}" + ("" if n == 1 else "s")
