"""`--format junit`: JUnit XML (junit-xml package) for CI test report views (GitLab, Jenkins, Azure, CircleCI).

One test suite per migration project (or migration folder), one test case per linted file. Each error finding is a
<failure> (rule id, message, hint and path:line). Warnings and info findings do not fail the case: they are listed in
the case's <system-out>, which GitLab and Jenkins show beside the case, so they stay visible without turning the
pipeline red. A file with no finding is a passing case.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import Finding, LintedFile, Report
from .escape import printable


def _finding_text(finding: Finding) -> str:
    where = f"{printable(finding.location.path)}:{finding.location.line}:{finding.location.column}"
    text = f"{where}: {finding.severity} [{finding.rule}] {printable(finding.message)}"
    return text + (f"\n  hint: {printable(finding.hint)}" if finding.hint else "")


def _label(project: str) -> str:
    return project if project not in ("", ".") else "(repository root)"


def _suite_name(project: str, orms: set[str]) -> str:
    return f"migrate-guard: {_label(project)} ({', '.join(sorted(orms))})"


def render(report: Report, color: bool = False) -> str:
    from junit_xml import TestCase, TestSuite, to_xml_report_string

    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_path[finding.location.path].append(finding)
    files: list[LintedFile] = list(report.linted)
    known = {f.path for f in files}
    # Findings in a file the producer did not list (or a producer that lists none) still get a case.
    files.extend(LintedFile(path=path, project=".", orm=findings[0].orm)
                 for path, findings in by_path.items() if path not in known)
    suites: dict[str, list[LintedFile]] = {}
    for linted in files:
        suites.setdefault(linted.project, []).append(linted)
    result = []
    for project, members in suites.items():
        cases = []
        for linted in members:
            findings = by_path.get(linted.path, [])
            shown = printable(linted.path)  # XML 1.0 cannot hold most control characters at all
            case = TestCase(name=shown, classname=f"{linted.orm} {printable(_label(project))}", file=shown,
                            allow_multiple_subelements=True)
            for finding in findings:
                if finding.severity == "error":
                    case.add_failure_info(message=f"[{finding.rule}] {printable(finding.message)}",
                                          output=_finding_text(finding),
                                          failure_type=finding.rule)
            others = [_finding_text(f) for f in findings if f.severity != "error"]
            if others:
                case.stdout = "\n".join(others)
            cases.append(case)
        result.append(TestSuite(printable(_suite_name(project, {m.orm for m in members})), cases))
    return to_xml_report_string(result, prettyprint=True, encoding="utf-8")
