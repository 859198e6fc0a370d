"""The GitHub Action (action.yml) step by step: each `run:` script runs as the runner runs it (bash -eo pipefail) in a
shallow clone of a real git repository, with the environment the action sets, the step outputs passed on through
$GITHUB_OUTPUT and the conditions of the `uses:` steps evaluated. Only the two steps that need the network are not
run: setup-python (this interpreter stands in) and the pip install (the package is installed here already)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import REPO, write_tree
from git_history import GIT_ENV, git

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BASE = {
    "db/migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
    "db/migrations/000001_users.down.sql": "DROP TABLE users;\n",
    # dangerous, but already on the base branch: a pull request that does not touch it is not blamed for it
    "db/migrations/000002_drop_legacy.up.sql": "DROP TABLE legacy;\n",
    "db/migrations/000002_drop_legacy.down.sql": "CREATE TABLE legacy (id int);\n",
}
PULL_REQUEST = {
    "db/migrations/000003_rename.up.sql": "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN name;\n",
    "db/migrations/000003_rename.down.sql": "ALTER TABLE users ADD COLUMN name text;\n",
}
EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$")


def _lookup(context: dict, path: str) -> str:
    value: object = context
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return "" if value is None else str(value)


def _operand(context: dict, text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith("'") and text.endswith("'") else _lookup(context, text)


def evaluate(context: dict, expression: str) -> str:
    """The expressions action.yml uses: `a || b`, `a == 'x' && b != ''`, dotted context paths, string literals."""
    inner = EXPRESSION.match(expression.strip())
    text = inner.group(1) if inner else expression
    if "&&" in text or "==" in text or "!=" in text:
        for condition in text.split("&&"):
            left, op, right = re.split(r"\s*(==|!=)\s*", condition.strip())
            if (_operand(context, left) == _operand(context, right)) != (op == "=="):
                return ""
        return "true"
    for alternative in text.split("||"):
        if value := _operand(context, alternative):
            return value
    return ""


def substitute(context: dict, value: str) -> str:
    return re.sub(r"\$\{\{.*?\}\}", lambda m: evaluate(context, m.group()), str(value))


def run_action(workdir: Path, tmp: Path, inputs: dict[str, str], event: dict) -> dict:
    declared = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    context: dict = {"inputs": {**declared, **inputs}, "github": {"action_path": str(REPO), "event": event},
                     "steps": {}}
    summary = tmp / "step_summary.md"
    summary.touch()
    env = {**os.environ, **GIT_ENV, "RUNNER_TEMP": str(tmp / "runner"), "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NO_COLOR", None)
    (tmp / "runner").mkdir(exist_ok=True)
    log: dict = {"steps": {}, "summary": summary, "uploaded": None, "exit": None}
    for index, step in enumerate(ACTION["runs"]["steps"]):
        if "if" in step and not evaluate(context, step["if"]):
            continue
        if "uses" in step:
            if step["uses"].startswith("github/codeql-action/upload-sarif@"):
                log["uploaded"] = substitute(context, step["with"]["sarif_file"])
            continue
        if step.get("name") == "Install migrate-guard":
            continue  # needs the network; the package is installed in this interpreter's environment
        assert "${{" not in step["run"], f"step {step.get('name')}: expressions belong in env:, not in the script"
        output = tmp / f"output_{index}"
        output.touch()
        step_env = {**env, "GITHUB_OUTPUT": str(output),
                    **{key: substitute(context, value) for key, value in step.get("env", {}).items()}}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workdir,
                              env=step_env, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in proc.stderr, proc.stderr
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        log["steps"][step.get("id", step.get("name"))] = proc
        log["exit"] = proc.returncode
    return log


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """A shallow clone (as actions/checkout makes by default) of a repository whose branch adds one migration."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    write_tree(upstream, BASE)
    git(upstream, "add", ".")
    git(upstream, "commit", "-q", "-m", "base")
    base = git(upstream, "rev-parse", "HEAD").strip()
    git(upstream, "checkout", "-q", "-b", "feature")
    write_tree(upstream, PULL_REQUEST)
    git(upstream, "add", ".")
    git(upstream, "commit", "-q", "-m", "drop a column")
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", upstream.as_uri(), str(work)],
                   env={**os.environ, **GIT_ENV}, check=True, capture_output=True)
    return work, base


def test_action_on_a_pull_request_lints_only_what_it_changes(pull_request: tuple[Path, str], tmp_path: Path) -> None:
    work, base = pull_request
    log = run_action(work, tmp_path, {}, {"pull_request": {"base": {"sha": base}}})
    check = log["steps"]["check"]
    assert check.returncode == 0, check.stderr  # the step records the exit code; the last step fails the job
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert annotations and all("file=db/migrations/000003_rename.up.sql" in line for line in annotations), check.stdout
    assert any(line.startswith("::error ") and "[drop-column]" in line for line in annotations)
    assert log["exit"] == 1  # "Fail on findings"
    summary = log["summary"].read_text(encoding="utf-8")
    assert summary.startswith("## :x: migrate-guard") and "000003&#95;rename.up.sql" in summary
    assert "000002" not in summary
    sarif = json.loads(Path(log["uploaded"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SARIF_SCHEMA)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"drop-column"}


def test_action_inputs_fail_on_paths_and_args(pull_request: tuple[Path, str], tmp_path: Path) -> None:
    work, base = pull_request
    log = run_action(work, tmp_path, {"fail-on": "never", "paths": "db/migrations", "args": "--ignore drop-column",
                                      "upload-sarif": "false"}, {"pull_request": {"base": {"sha": base}}})
    assert log["exit"] == 0 and log["uploaded"] is None
    assert "[drop-column]" not in log["steps"]["check"].stdout


def test_action_without_a_base_lints_everything(pull_request: tuple[Path, str], tmp_path: Path) -> None:
    work, _ = pull_request
    log = run_action(work, tmp_path, {}, {})  # a push event: no pull request
    out = log["steps"]["check"].stdout
    assert "file=db/migrations/000002_drop_legacy.up.sql" in out and "file=db/migrations/000003_rename.up.sql" in out
    assert log["exit"] == 1


def test_action_usage_error_fails_with_exit_2(pull_request: tuple[Path, str], tmp_path: Path) -> None:
    work, base = pull_request
    log = run_action(work, tmp_path, {"args": "--select drop_column"}, {"pull_request": {"base": {"sha": base}}})
    assert "did you mean 'drop-column'" in log["steps"]["check"].stderr
    assert log["exit"] == 2 and log["uploaded"] is None


def test_action_installs_from_its_own_checkout_unless_a_version_is_given() -> None:
    [install] = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Install migrate-guard"]
    assert install["env"] == {"MG_VERSION": "${{ inputs.version }}", "MG_ACTION_PATH": "${{ github.action_path }}"}
    script = install["run"]
    assert 'spec="migrate-guard==$MG_VERSION"' in script and 'spec="$MG_ACTION_PATH"' in script
    assert (REPO / "pyproject.toml").is_file()  # what `pip install $MG_ACTION_PATH` installs
