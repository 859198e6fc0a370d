"""The default report: findings grouped per file, `path:line:col: severity [rule] message`, the hint, a summary."""

from __future__ import annotations

from itertools import groupby

from ..model import Report
from .escape import printable
from .summary import counts, plural

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "bold": "\033[1m", "dim": "\033[2m"}
_RESET = "\033[0m"


def render(report: Report, color: bool = False) -> str:
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color else text

    lines: list[str] = []
    for raw_path, findings in groupby(report.findings, key=lambda f: f.location.path):
        path = printable(raw_path)
        lines.append(paint(path, "bold"))
        for finding in findings:
            where = f"{path}:{finding.location.line}:{finding.location.column}:"
            lines.append(f"  {where} {paint(finding.severity, finding.severity)} [{finding.rule}] "
                         f"{printable(finding.message)}")
            if finding.hint:
                lines.append(paint(f"      hint: {printable(finding.hint)}", "dim"))
        lines.append("")
    n = counts(report)
    files = plural(report.files, "file")
    summary = f"{files} checked: {plural(n['error'], 'error')}, {plural(n['warning'], 'warning')}, {plural(n['info'], 'info')}"
    if report.skipped:
        summary += f" ({report.skipped} migration{'s' if report.skipped != 1 else ''} before the baseline not linted)"
    if not report.findings:
        summary = ("All clear: " if report.files or report.skipped else "No migrations to check: ") + summary
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
