"""verify's text report: per project, one line per migration with what was proven, its findings below it."""

from __future__ import annotations

from ..report.escape import printable
from ..report.summary import counts, plural
from .run import VerifyReport

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "bold": "\033[1m", "dim": "\033[2m",
           "ok": "\033[32m"}
_RESET = "\033[0m"


def render(result: VerifyReport, color: bool = False) -> str:
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color else text

    lines: list[str] = []
    for project in result.projects:
        lines.append(paint(f"{printable(project.name)} ({project.orm}, {project.database})", "bold"))
        if project.skipped:
            lines.append(f"  - {project.skipped}")
        lines.extend(f"  - {printable(notice)}" for notice in project.notices)
        for outcome in project.outcomes:
            severities = {f.severity for f in outcome.findings if not f.rule.startswith("verify-not-seeded")}
            if not outcome.checked and not outcome.findings:
                mark, style = "-", "dim"
            elif "error" in severities:
                mark, style = "✗", "error"
            elif "warning" in severities:
                mark, style = "!", "warning"
            else:
                mark, style = "✓", "ok"
            what = ", ".join(outcome.steps) if outcome.checked else ("applied" if outcome.steps else "")
            details = "; ".join(outcome.notes)
            inside = ": ".join(part for part in (what, details) if part)
            lines.append(f"  {paint(mark, style)} {printable(outcome.script.id)}" + (f" ({inside})" if inside else ""))
            for finding in outcome.findings:
                where = f"{printable(finding.location.path)}:{finding.location.line}:{finding.location.column}:"
                lines.append(f"      {where} {paint(finding.severity, finding.severity)} [{finding.rule}] "
                             f"{printable(finding.message)}")
                if finding.hint:
                    lines.append(paint(f"          hint: {printable(finding.hint)}", "dim"))
        lines.append("")
    n = counts(result.report)
    verified = sum(1 for p in result.projects for o in p.outcomes if o.checked)
    summary = (f"{plural(verified, 'migration')} verified: {plural(n['error'], 'error')}, "
               f"{plural(n['warning'], 'warning')}, {plural(n['info'], 'info')}")
    if not result.projects:
        summary = "No migrations to verify: " + summary
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
