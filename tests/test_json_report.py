"""`--format json`'s findings: the lines written without a dict per finding are exactly json.dumps's."""

from __future__ import annotations

import json

from migrate_guard.location import Location
from migrate_guard.model import Finding, Report
from migrate_guard.report.json_report import _lines, pieces, render

TRICKY = ["", "plain", 'a", "b', "ends with \\", '\\", "', '", "', '"', "naïve – “quoted” ✓", "tab\tline\nnul\x00",
          '}, {"rule": "x"', "\ud800 lone surrogate", "emoji 🙂"]


def findings() -> list[Finding]:
    found = []
    for index, text in enumerate(TRICKY):
        for other in (TRICKY[-1 - index], "same hint"):
            found.append(Finding(rule=f"rule-{index % 3}", severity="error", location=Location(
                f"db/{text}.sql", index + 1, 2, index + 3), message=text, hint=other, orm="sql", migration=text))
    return found


def test_lines_are_what_json_dumps_writes() -> None:
    found = findings()
    expected = json.dumps([f.to_json() for f in found])[1:-1].replace('}, {"rule": ', '},\n    {"rule": ')
    assert _lines(found) == expected
    assert _lines([]) == ""


def test_the_report_parses_back_to_the_findings() -> None:
    found = findings() * 300  # several chunks
    text = "".join(pieces(Report(findings=found, files=2)))
    assert text == render(Report(findings=found, files=2))
    document = json.loads(text)
    assert document["findings"] == [f.to_json() for f in found]
    assert text.count("\n    {\"rule\": ") == len(found)


def test_a_field_that_is_not_a_plain_string_or_number_goes_through_json_dumps() -> None:
    odd = [Finding(rule="r", severity="error", location=Location("a.sql", 1, 1, None), message="m", hint="h",  # type: ignore[arg-type]
                   orm="sql", migration="a"),
           Finding(rule="r", severity="error", location=Location("a.sql", True, 1, 1), message="m", hint="h",  # type: ignore[arg-type]
                   orm="sql", migration="a")]
    assert _lines(odd) is None
    document = json.loads(render(Report(findings=odd, files=1)))
    assert document["findings"][0]["end_line"] is None and document["findings"][1]["line"] is True
