"""--format markdown (PR comments, $GITHUB_STEP_SUMMARY) and --format gitlab (GitLab Code Quality JSON, validated
against the documented format in tests/data/gitlab-code-quality.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from conftest import run_cli

SCHEMA = Path(__file__).parent / "data" / "gitlab-code-quality.schema.json"
FILES = {
    "db/001_drop.sql": "DROP TABLE legacy;\nDROP TABLE legacy;\n",
    "db/002_rename.sql": "ALTER TABLE users RENAME COLUMN a TO b;\n",
    "db/003_hostile.sql": 'DROP TABLE "x|y</details><script>`[a](http://e)`";\n',
    "db/004_fine.sql": "CREATE TABLE t (id bigint PRIMARY KEY);\n",
}


@pytest.fixture
def root(tree) -> Path:
    return tree(FILES)


def test_gitlab_report_matches_the_documented_format(root: Path) -> None:
    result = run_cli("check", "db", "--format", "gitlab", cwd=root)
    assert result.code == 1
    issues = json.loads(result.out)
    jsonschema.validate(issues, json.loads(SCHEMA.read_text(encoding="utf-8")))
    drops = [i for i in issues if i["check_name"] == "drop-table"]
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in drops] == [
        ("db/001_drop.sql", 1, "critical"), ("db/001_drop.sql", 2, "critical"), ("db/003_hostile.sql", 1, "critical")]
    assert {i["severity"] for i in issues if i["check_name"] == "rename-column"} == {"major"}
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # two identical drops still differ


def test_gitlab_fingerprint_survives_a_moved_statement(root: Path) -> None:
    before = {i["check_name"]: i["fingerprint"] for i in json.loads(
        run_cli("check", "db/002_rename.sql", "--format", "gitlab", cwd=root).out)}
    (root / "db/002_rename.sql").write_text("\n\n-- moved\nALTER TABLE users RENAME COLUMN a TO b;\n")
    after = {i["check_name"]: (i["fingerprint"], i["location"]["lines"]["begin"]) for i in json.loads(
        run_cli("check", "db/002_rename.sql", "--format", "gitlab", cwd=root).out)}
    assert after["rename-column"] == (before["rename-column"], 4)


def test_gitlab_report_without_findings_is_an_empty_array(tree) -> None:
    root = tree({"db/001.sql": "CREATE TABLE t (id bigint PRIMARY KEY);\n"})
    result = run_cli("check", "db", "--format", "gitlab", cwd=root)
    assert (result.code, json.loads(result.out)) == (0, [])


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_markdown_report_has_a_summary_table_and_details_per_file(root: Path) -> None:
    result = run_cli("check", "db", "--format", "markdown", cwd=root)
    assert result.code == 1
    out = result.out
    assert out.startswith("## :x: migrate-guard\n\n4 files checked: 3 errors, 4 warnings, 0 info.\n")
    html = _html(out)
    rows = [row for row in html.split("<tr>")[2:]]
    assert len(rows) == 3  # one row per file with findings; the clean file has none
    cell = '<td style="text-align:right">{}</td>'
    assert f"<td>db/001_drop.sql</td>\n{cell.format(2)}\n{cell.format(1)}\n{cell.format(0)}" in html
    assert html.count("<details>") == 3 and html.count("</details>") == 3  # a </details> in SQL stays code
    assert "<summary><code>db/001&#95;drop.sql</code>: 2 errors, 1 warning</summary>" in out
    assert "  ```sql\n  DROP TABLE legacy;\n  ```" in out  # the source line


def test_markdown_escapes_text_from_migrations(root: Path) -> None:
    html = _html(run_cli("check", "db/003_hostile.sql", "--format", "markdown", cwd=root).out)
    assert "<script>" not in html.replace("&lt;script&gt;", "")
    assert html.count("</details>") == 1 and '<a href="http://e"' not in html
    assert html.count("<tr>") == 2  # the | in the table name did not split the row


def test_markdown_without_findings(tree) -> None:
    root = tree({"db/001.sql": "CREATE TABLE t (id bigint PRIMARY KEY);\n"})
    result = run_cli("check", "db", "--format", "markdown", cwd=root)
    assert result.code == 0
    assert result.out == "## :white_check_mark: migrate-guard\n\n1 file checked: 0 errors, 0 warnings, 0 info.\n"


def test_markdown_side_report_beside_the_main_format(root: Path) -> None:
    result = run_cli("check", "db", "--format", "github", "--markdown-output", "summary.md", cwd=root)
    assert result.code == 1 and result.out.startswith("::error ")
    assert (root / "summary.md").read_text(encoding="utf-8").startswith("## :x: migrate-guard")
