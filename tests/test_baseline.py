"""`migrate-guard baseline` and the `baseline` config: adopting the linter on a repository with a long history."""

from __future__ import annotations

from pathlib import Path

from conftest import AMBIENT_RULES, run_cli, write_tree
from git_history import NEW, make_history


def test_baseline_silences_the_history_and_counts_it(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    before = run_cli("check", "--format", "json", cwd=repo)
    assert before.code == 1 and "drop-table" in before.rules()
    made = run_cli("baseline", cwd=repo)
    assert made.code == 0, made.err
    assert "db (golang-migrate): baseline 000050_table_50" in made.out
    assert (repo / ".migrate-guard.toml").read_text() == '[baseline]\n"db" = "000050_table_50"\n'
    after = run_cli("check", "--format", "json", cwd=repo)
    assert after.code == 0
    assert after.findings() == []
    assert after.json()["summary"]["skipped"] == 50
    assert "(50 migrations before the baseline not linted)" in run_cli("check", cwd=repo).out
    # New migrations on top are linted, in the context of the old ones (the FK's column is indexed by 000002).
    write_tree(repo, NEW)
    result = run_cli("check", "--format", "json", cwd=repo)
    assert result.code == 1
    document = result.json()
    # warnings: the two linted migrations' lock-timeout-missing
    assert document["summary"] == {"files": 4, "error": 1, "warning": 2, "info": 0, "skipped": 50}
    assert [(f["rule"], f["path"]) for f in document["findings"] if f["rule"] not in AMBIENT_RULES] == [
        ("drop-column", "db/migrations/000052_drop_email.up.sql")]


def test_baseline_applies_to_explicit_paths_too(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    run_cli("baseline", cwd=repo)
    result = run_cli("check", "--format", "json", "db/migrations/000003_drop_legacy.up.sql", cwd=repo)
    assert result.code == 0
    assert result.json()["summary"]["skipped"] == 1 and result.json()["summary"]["files"] == 0


def test_baseline_updates_pyproject_and_keeps_other_settings(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.migrate-guard]\nfail_on = "warning"\nbaseline = { "db" = "000001_users" }\n'
        '\n[tool.other]\nkey = 1\n')
    assert run_cli("baseline", cwd=repo).code == 0
    text = (repo / "pyproject.toml").read_text()
    assert 'fail_on = "warning"' in text and "[tool.other]" in text and '"000001_users"' not in text
    assert text.endswith('[tool.migrate-guard.baseline]\n"db" = "000050_table_50"\n')
    result = run_cli("check", "--format", "json", cwd=repo)
    assert result.json()["summary"]["skipped"] == 50


def test_baseline_replaces_an_existing_table_and_keeps_other_projects(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    (repo / ".migrate-guard.toml").write_text(
        'dialect = "postgres"\n\n[baseline]\n"db" = "000002_orders"\n"services/gone" = "0007"\n\n'
        '[rules.drop-table]\nseverity = "warning"\n')
    assert run_cli("baseline", cwd=repo).code == 0
    text = (repo / ".migrate-guard.toml").read_text()
    assert text.startswith('dialect = "postgres"\n')
    assert '[rules.drop-table]\nseverity = "warning"' in text
    assert text.endswith('[baseline]\n"db" = "000050_table_50"\n"services/gone" = "0007"\n')


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    result = run_cli("baseline", "--dry-run", cwd=repo)
    assert result.code == 0 and result.out == '[baseline]\n"db" = "000050_table_50"\n'
    assert not (repo / ".migrate-guard.toml").exists()


def test_baseline_without_projects_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("baseline", cwd=tmp_path)
    assert result.code == 2 and "no migration projects found" in result.err


def test_baseline_by_version_or_timestamp_and_by_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "migrations/20240101000000_a.sql": "-- +goose Up\nDROP TABLE a;\n-- +goose Down\nCREATE TABLE a (id int);\n",
        "migrations/20240301000000_b.sql": "-- +goose Up\nDROP TABLE b;\n-- +goose Down\nCREATE TABLE b (id int);\n",
        "migrations/20240501000000_c.sql": "-- +goose Up\nDROP TABLE c;\n-- +goose Down\nCREATE TABLE c (id int);\n",
    })
    (tmp_path / ".migrate-guard.toml").write_text('[baseline]\n"migrations" = "20240301000000"\n')
    result = run_cli("check", "--format", "json", cwd=tmp_path)
    document = result.json()
    assert [f["path"] for f in document["findings"] if f["rule"] not in AMBIENT_RULES if f["rule"] == "drop-table"] == ["migrations/20240501000000_c.sql"]
    assert document["summary"]["skipped"] == 2


def test_baseline_must_be_a_table_of_strings(tmp_path: Path) -> None:
    write_tree(tmp_path, {".migrate-guard.toml": "baseline = { db = 3 }\n"})
    result = run_cli("check", cwd=tmp_path)
    assert result.code == 2 and "baseline" in result.err
