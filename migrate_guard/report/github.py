"""`--format github`: GitHub Actions workflow commands, shown as annotations on the pull request's diff.

`::error file=PATH,line=N,endLine=N,col=N,title=migrate-guard [rule]::message` per finding (warning -> `::warning`,
info -> `::notice`), lines 1-based, then a plain summary line for the log.
"""

from __future__ import annotations

from ..model import Report
from .escape import printable
from .summary import counts, plural

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, color: bool = False) -> str:
    lines = []
    for finding in report.findings:
        where = finding.location
        properties = ",".join([
            f"file={_property(printable(where.path))}",
            f"line={max(1, where.line)}",
            f"endLine={max(where.line, where.end_line, 1)}",
            f"col={max(1, where.column)}",
            f"title={_property(f'migrate-guard [{finding.rule}]')}",
        ])
        message = printable(finding.message) + (f"\n{printable(finding.hint)}" if finding.hint else "")
        lines.append(f"::{_COMMAND[finding.severity]} {properties}::{_data(message)}")
    n = counts(report)
    summary = (f"migrate-guard: {plural(report.files, 'file')} checked: {plural(n['error'], 'error')}, "
               f"{plural(n['warning'], 'warning')}, {plural(n['info'], 'info')}")
    if report.skipped:
        summary += f" ({report.skipped} migration{'s' if report.skipped != 1 else ''} before the baseline not linted)"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
