"""The default report, as ruff and squawk print it: the file path once, then per finding
`line:col severity [rule] message`, the source lines of the statement with the span marked, the hint; a summary.

`quiet`: only error findings and the summary. `statistics`: a count per rule instead of the findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from itertools import groupby

from ..model import Finding, Report
from .escape import printable
from .source import ExcerptLine, SourceFiles
from .summary import counts, plural

_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "bold": "\033[1m",
           "dim": "\033[2m", "gutter": "\033[1;34m"}
_RESET = "\033[0m"


def render(report: Report, color: bool = False, quiet: bool = False, statistics: bool = False) -> str:
    return "".join(pieces(report, color, quiet, statistics))


def pieces(report: Report, color: bool = False, quiet: bool = False, statistics: bool = False) -> Iterator[str]:
    """The report a file at a time (every line ends with a newline): 65,000 findings with their source lines are
    never one list of lines and one string."""
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color and text else text

    shown = [f for f in report.findings if f.severity == "error"] if quiet else report.findings
    if statistics:
        yield "".join(line + "\n" for line in _statistics(shown, paint))
    else:
        sources = SourceFiles()
        for raw_path, findings in groupby(shown, key=lambda f: f.location.path):
            lines = [paint(printable(raw_path), "bold")]
            for finding in findings:
                lines.extend(_finding(finding, sources, paint))
            lines.append("")
            yield "".join(line + "\n" for line in lines)
    yield _summary(report) + "\n"


def _finding(finding: Finding, sources: SourceFiles, paint) -> list[str]:  # type: ignore[no-untyped-def]
    where = finding.location
    lines = [f"  {where.line}:{where.column} {paint(finding.severity, finding.severity)} "
             f"{paint(f'[{finding.rule}]', 'bold')} {printable(finding.message)}"]
    excerpt = sources.excerpt(where)
    width = max((len(str(line.number)) for line in excerpt if line is not None), default=1)
    blank = " " * (width + 3)
    if excerpt:
        lines.append(paint(f"{blank}|", "gutter"))
        for line in excerpt:
            lines.extend(_excerpt_line(line, width, finding.severity, paint))
        lines.append(paint(f"{blank}|", "gutter"))
    if finding.hint:
        lines.append(f"{blank}{paint('= hint:', 'bold')} {printable(finding.hint)}")
    return lines


def _excerpt_line(line: ExcerptLine | None, width: int, severity: str, paint) -> list[str]:  # type: ignore[no-untyped-def]
    if line is None:
        return [paint(f"  {'...'.rjust(width)}", "gutter")]
    gutter = paint(f"  {str(line.number).rjust(width)} |", "gutter")
    marker = "^" * max(1, line.mark_end - line.mark_start)
    return [f"{gutter} {line.text}".rstrip(),
            f"{paint(' ' * (width + 3) + '|', 'gutter')} {' ' * line.mark_start}{paint(marker, severity)}"]


def _statistics(findings: list[Finding], paint) -> list[str]:  # type: ignore[no-untyped-def]
    tally = Counter((f.rule, f.severity) for f in findings)
    if not tally:
        return []
    rows = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    count_width = max(len(str(n)) for n in tally.values())
    rule_width = max(len(rule) for rule, _ in tally)
    lines = [f"{str(n).rjust(count_width)}  {rule.ljust(rule_width)}  {paint(severity, severity)}"
             for (rule, severity), n in rows]
    return lines + [""]


def _summary(report: Report) -> str:
    n = counts(report)
    files = plural(report.files, "file")
    summary = f"{files} checked: {plural(n['error'], 'error')}, {plural(n['warning'], 'warning')}, {plural(n['info'], 'info')}"
    if report.skipped:
        summary += f" ({report.skipped} migration{'s' if report.skipped != 1 else ''} before the baseline not linted)"
    if not report.findings:
        summary = ("All clear: " if report.files or report.skipped else "No migrations to check: ") + summary
    return summary + "."
