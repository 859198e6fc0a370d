"""JUnit, SARIF and GitHub reports, validated the way CI systems read them; --output and extra report files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from conftest import REPO, run_cli, write_tree

SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"

TREE = {
    "services/billing/migrations/000001_create.up.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY, note text);\n",
    "services/billing/migrations/000001_create.down.sql": "DROP TABLE invoices;\n",
    "services/billing/migrations/000002_cleanup.up.sql": "-- cleanup\nALTER TABLE invoices DROP COLUMN note;\n"
                                                         "UPDATE invoices SET id = id;\n",
    "services/billing/migrations/000002_cleanup.down.sql": "ALTER TABLE invoices ADD COLUMN note text;\n",
    "services/users/migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    "services/users/migrations/000001_users.down.sql": "DROP TABLE users;\n",
    "services/users/migrations/000002_drop.up.sql": "\n\nDROP TABLE users;\n",
    "services/users/migrations/000002_drop.down.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path, TREE)


def findings(repo: Path) -> list[dict]:
    return run_cli("check", "--format", "json", "--fail-on", "never", "--no-cache", cwd=repo).json()["findings"]


def test_junit_suite_per_project_case_per_file_failure_per_error(repo: Path) -> None:
    result = run_cli("check", "--format", "junit", cwd=repo)
    assert result.code == 1
    xml = JUnitXml.fromstring(result.out.encode())
    suites = {suite.name: suite for suite in xml}
    assert len(suites) == 2, list(suites)
    billing = next(s for name, s in suites.items() if "services/billing" in name)
    users = next(s for name, s in suites.items() if "services/users" in name)
    assert sorted(case.name for case in billing) == sorted(p for p in TREE if p.startswith("services/billing"))
    cases = {case.name: case for case in users}
    assert len(cases) == 4
    drop = cases["services/users/migrations/000002_drop.up.sql"]
    failures = [r for r in drop.result if isinstance(r, Failure)]
    assert len(failures) == 1
    assert failures[0].type == "drop-table"
    assert "Dropping table users" in failures[0].message
    assert "services/users/migrations/000002_drop.up.sql:3:1" in failures[0].text
    assert "hint:" in failures[0].text
    assert cases["services/users/migrations/000001_users.up.sql"].is_passed
    # The warning (UPDATE without WHERE) does not fail its case but is visible in system-out.
    cleanup = {case.name: case for case in billing}["services/billing/migrations/000002_cleanup.up.sql"]
    assert [r.type for r in cleanup.result if isinstance(r, Failure)] == ["drop-column"]
    assert "warning [unbounded-update]" in (cleanup.system_out or "")
    assert xml.failures == sum(1 for f in findings(repo) if f["severity"] == "error") == 2
    assert xml.tests == len(TREE)


def test_junit_with_no_migrations_is_valid(tmp_path: Path) -> None:
    result = run_cli("check", "--format", "junit", cwd=tmp_path)
    assert result.code == 0
    xml = JUnitXml.fromstring(result.out.encode())
    assert xml.tests == 0


def test_sarif_validates_against_the_2_1_0_schema(repo: Path) -> None:
    result = run_cli("check", "--format", "sarif", cwd=repo)
    assert result.code == 1
    document = json.loads(result.out)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    listed = run_cli("rules", cwd=repo).out
    assert {"drop-table", "drop-column", "unbounded-update", "parse-error"} <= set(rules)
    assert all(rule_id in listed for rule_id in rules)
    drop = rules["drop-table"]
    assert drop["shortDescription"]["text"] and drop["fullDescription"]["text"] and drop["help"]["text"]
    assert drop["defaultConfiguration"]["level"] == "error"
    assert rules["unbounded-update"]["defaultConfiguration"]["level"] == "warning"
    expected = findings(repo)
    assert len(run["results"]) == len(expected)
    for got, want in zip(run["results"], expected):
        assert got["ruleId"] == want["rule"]
        assert run["tool"]["driver"]["rules"][got["ruleIndex"]]["id"] == want["rule"]
        location = got["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == want["path"]
        assert location["region"]["startLine"] == want["line"]
        assert location["region"]["startColumn"] == want["column"]
        assert got["level"] == {"error": "error", "warning": "warning", "info": "note"}[want["severity"]]


def test_sarif_without_findings_validates(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/000001_a.up.sql": "CREATE TABLE a (id int);\n",
                          "migrations/000001_a.down.sql": "DROP TABLE a;\n"})
    result = run_cli("check", "--format", "sarif", cwd=tmp_path)
    assert result.code == 0
    document = json.loads(result.out)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    assert document["runs"][0]["results"] == []


def test_github_workflow_commands_with_one_based_lines(repo: Path) -> None:
    result = run_cli("check", "--format", "github", cwd=repo)
    assert result.code == 1
    lines = result.out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    expected = findings(repo)
    assert len(commands) == len(expected)
    assert ("::error file=services/users/migrations/000002_drop.up.sql,line=3,endLine=3,col=1,"
            "title=migrate-guard [drop-table]::Dropping table users") in result.out
    assert any(c.startswith("::warning file=services/billing/migrations/000002_cleanup.up.sql,line=3,") for c in commands)
    for command, finding in zip(commands, expected):
        assert f",line={finding['line']}," in command and finding["line"] >= 1
        assert "\n" not in command
    assert lines[-1].startswith("migrate-guard: 8 files checked: 2 errors, ")


def test_github_escapes_property_and_message_data(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mig,rations/000001_a.up.sql": "DROP TABLE a;\n"})
    result = run_cli("check", "--format", "github", "--fail-on", "never", "mig,rations", cwd=tmp_path)
    assert "file=mig%2Crations/000001_a.up.sql," in result.out
    assert "%0A" in result.out  # message and hint on two lines of the annotation


def test_output_file_and_extra_report_files_beside_the_text_report(repo: Path) -> None:
    result = run_cli("check", "--junit-xml", "out/report.xml", "--sarif-output", "report.sarif",
                     "--json-output", "report.json", cwd=repo)
    assert result.code == 2 and "cannot write out/report.xml" in result.err  # missing folder: one clear line
    result = run_cli("check", "--junit-xml", "report.xml", "--sarif-output", "report.sarif",
                     "--json-output", "report.json", cwd=repo)
    assert result.code == 1
    assert "error [drop-table]" in result.out and result.out.rstrip().endswith("info.")  # the text report
    assert JUnitXml.fromfile(str(repo / "report.xml")).failures == 2
    jsonschema.validate(json.loads((repo / "report.sarif").read_text()), json.loads(SCHEMA.read_text()))
    assert [f["rule"] for f in json.loads((repo / "report.json").read_text())["findings"]] == \
        [f["rule"] for f in findings(repo)]
    result = run_cli("check", "--format", "sarif", "--output", "only.sarif", cwd=repo)
    assert result.code == 1 and result.out == ""
    assert json.loads((repo / "only.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2345])
def test_json_written_in_chunks_is_one_document_one_finding_per_line(count: int) -> None:
    """The JSON report goes out a chunk of findings at a time: across chunk boundaries it is still one valid
    document, each finding on its own line, as when it was encoded in one call."""
    from migrate_guard.location import Location
    from migrate_guard.model import Finding, Report
    from migrate_guard.report import json_report, pieces

    findings = [Finding("drop-table", "error", Location(f"db/{n:05d}.sql", n + 1, 1, n + 2), f'Drop "t{n}"\n',
                        "Keep it.", "golang-migrate", f"{n:05d}") for n in range(count)]
    report = Report(findings=findings, files=count)
    text = "".join(pieces("json")(report, color=False))
    assert text == json_report.render(report)
    assert json.loads(text) == json_report.document(report)
    lines = text.splitlines()
    assert [json.loads(line.strip().rstrip(",")) for line in lines[4:4 + count]] == [f.to_json() for f in findings]
    assert lines[3] == '  "findings": [' if count else lines[3] == '  "findings": [],'
