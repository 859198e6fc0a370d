"""`--format gitlab`: GitLab Code Quality (a JSON array of issues), shown in merge request widgets and diffs.

Each issue: description, check_name (the rule id), fingerprint, severity, location.path and location.lines.begin
(https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format). The fingerprint is stable while the
finding stays the same: rule, path and message, plus its rank among identical ones, not its line, so a merge request
that only moves a statement neither resolves nor adds an issue.
"""

from __future__ import annotations

import hashlib
import json

from ..model import Report
from .escape import printable

SEVERITY = {"error": "critical", "warning": "major", "info": "info"}


def document(report: Report) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for finding in report.findings:
        where = finding.location
        key = (finding.rule, where.path, finding.message)
        rank = seen[key] = seen.get(key, -1) + 1
        fingerprint = hashlib.sha256(json.dumps([*key, rank]).encode()).hexdigest()
        description = printable(finding.message + (f" Hint: {finding.hint}" if finding.hint else ""))
        issues.append({
            "description": description,
            "check_name": finding.rule,
            "fingerprint": fingerprint,
            "severity": SEVERITY[finding.severity],
            "location": {"path": where.path, "lines": {"begin": max(1, where.line),
                                                        "end": max(1, where.line, where.end_line)}},
        })
    return issues


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
