"""`--format markdown`: for pull request comments and `$GITHUB_STEP_SUMMARY`.

A heading with the totals, a summary table (one row per file with findings), then one collapsible `<details>` per
file with each finding, its source lines and hint. Text from migrations is escaped for Markdown and HTML: a table
name cannot open a link, close the table or inject a tag.
"""

from __future__ import annotations

import re
from itertools import groupby

from ..model import Finding, Report
from .escape import printable
from .source import SourceFiles
from .summary import counts, plural

_ICON = {"error": ":x:", "warning": ":warning:", "info": ":information_source:"}
# characters with a meaning in Markdown or HTML, written as numeric character references
_SPECIAL = re.compile(r"[\\`*_{}\[\]()<>#+!|~&]")


def _text(raw: str) -> str:
    """Plain text safe inside a Markdown paragraph, table cell or HTML <summary>."""
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", printable(raw))


def _code_block(lines: list[str]) -> list[str]:
    body = "\n".join(lines)
    fence = "`" * max(3, max((len(run) for run in re.findall("`+", body)), default=0) + 1)
    return [f"{fence}sql", *lines, fence]


def _file_counts(findings: list[Finding]) -> dict[str, int]:
    result = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        result[finding.severity] += 1
    return result


def _finding(finding: Finding, sources: SourceFiles) -> list[str]:
    where = finding.location
    lines = [f"- {_ICON[finding.severity]} **{finding.severity}** `{finding.rule}` line {where.line}, column "
             f"{where.column}: {_text(finding.message)}"]
    excerpt = [line.text if line is not None else "..." for line in sources.excerpt(where)]
    if excerpt:
        lines.extend("  " + line if line else "" for line in _code_block(excerpt))
    if finding.hint:
        lines.append(f"  *Hint:* {_text(finding.hint)}")
    return lines


def render(report: Report, color: bool = False) -> str:
    n = counts(report)
    totals = (f"{plural(report.files, 'file')} checked: {plural(n['error'], 'error')}, "
              f"{plural(n['warning'], 'warning')}, {plural(n['info'], 'info')}")
    if report.skipped:
        totals += f" ({report.skipped} migration{'s' if report.skipped != 1 else ''} before the baseline not linted)"
    verdict = ":x:" if n["error"] else ":warning:" if n["warning"] else ":white_check_mark:"
    out = [f"## {verdict} migrate-guard", "", totals + ".", ""]
    if not report.findings:
        return "\n".join(out)
    by_file = [(path, list(findings)) for path, findings in groupby(report.findings, key=lambda f: f.location.path)]
    out += ["| File | Errors | Warnings | Info |", "|---|---:|---:|---:|"]
    for path, findings in by_file:
        c = _file_counts(findings)
        out.append(f"| {_text(path)} | {c['error']} | {c['warning']} | {c['info']} |")
    out.append("")
    sources = SourceFiles()
    for path, findings in by_file:
        c = _file_counts(findings)
        parts = [plural(c[s], s) for s in ("error", "warning", "info") if c[s]]
        out += ["<details>", f"<summary><code>{_text(path)}</code>: {', '.join(parts)}</summary>", ""]
        for finding in findings:
            out.extend(_finding(finding, sources))
        out += ["", "</details>", ""]
    return "\n".join(out)
