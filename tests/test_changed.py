"""`check --changed-since REF`: only migrations added or modified since the merge base with REF."""

from __future__ import annotations

from pathlib import Path

from junitparser import JUnitXml

from conftest import AMBIENT_RULES, run_cli, write_tree
from git_history import NEW, git, make_history


def linted_files(result_out: str) -> set[str]:
    return {case.name for suite in JUnitXml.fromstring(result_out.encode()) for case in suite}


def test_lints_exactly_the_two_new_migrations(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    result = run_cli("check", "--changed-since", "main", "--format", "json", cwd=repo)
    assert result.code == 1
    document = result.json()
    assert document["summary"]["files"] == 4  # two migrations, up and down file each
    assert [(f["rule"], f["path"], f["line"]) for f in document["findings"] if f["rule"] not in AMBIENT_RULES] == [
        ("drop-column", "db/migrations/000052_drop_email.up.sql", 2)]
    # The old DROP TABLE is not reported, and the FK is known to be indexed thanks to the old migrations.
    junit = run_cli("check", "--changed-since", "main", "--format", "junit", cwd=repo)
    assert linted_files(junit.out) == set(NEW)
    # Without --changed-since the whole history is linted.
    everything = run_cli("check", "--format", "json", cwd=repo).json()
    assert everything["summary"]["files"] == 104
    assert "drop-table" in [f["rule"] for f in everything["findings"] if f["rule"] not in AMBIENT_RULES]


def test_counts_from_the_merge_base_not_the_tip_of_ref(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    git(repo, "checkout", "-q", "main")
    write_tree(repo, {"db/migrations/000060_on_main.up.sql": "DROP TABLE t10;\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    result = run_cli("check", "--changed-since", "main", "--format", "junit", cwd=repo)
    assert linted_files(result.out) == set(NEW)


def test_uncommitted_and_untracked_changes_count(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    write_tree(repo, {"db/migrations/000051_new.up.sql": "TRUNCATE t4;\n",
                      "db/migrations/000004_table_4.down.sql": "DROP TABLE t4; -- edited\n"})
    result = run_cli("check", "--changed-since", "main", "--format", "junit", cwd=repo)
    assert linted_files(result.out) == {"db/migrations/000051_new.up.sql", "db/migrations/000004_table_4.up.sql",
                                        "db/migrations/000004_table_4.down.sql"}


def test_renames_are_followed_and_deletions_ignored(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    git(repo, "mv", "db/migrations/000003_drop_legacy.up.sql", "db/migrations/000053_drop_legacy.up.sql")
    git(repo, "mv", "db/migrations/000003_drop_legacy.down.sql", "db/migrations/000053_drop_legacy.down.sql")
    git(repo, "rm", "-q", "db/migrations/000010_table_10.up.sql", "db/migrations/000010_table_10.down.sql")
    git(repo, "commit", "-q", "-m", "renumber one, delete one")
    result = run_cli("check", "--changed-since", "main", "--format", "json", cwd=repo)
    assert result.code == 1
    paths = {f["path"] for f in result.findings()}
    assert "db/migrations/000053_drop_legacy.up.sql" in paths
    assert not any("000010" in p or "000003" in p for p in paths)
    junit = run_cli("check", "--changed-since", "main", "--format", "junit", cwd=repo)
    assert linted_files(junit.out) == set(NEW) | {"db/migrations/000053_drop_legacy.up.sql",
                                                  "db/migrations/000053_drop_legacy.down.sql"}


def test_with_paths_only_changed_files_among_them(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    result = run_cli("check", "--changed-since", "main", "--format", "junit", "db/migrations/000052_drop_email.up.sql",
                     "db/migrations/000001_users.up.sql", cwd=repo)
    assert linted_files(result.out) == {"db/migrations/000052_drop_email.up.sql",
                                        "db/migrations/000052_drop_email.down.sql"}


def test_nothing_changed(tmp_path: Path) -> None:
    repo = make_history(tmp_path, branch=False)
    result = run_cli("check", "--changed-since", "main", "--format", "json", cwd=repo)
    assert result.code == 0
    assert result.json()["summary"]["files"] == 0


def test_unknown_ref_is_a_clear_usage_error(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    result = run_cli("check", "--changed-since", "origin/nope", cwd=repo)
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "migrate-guard: error: --changed-since: unknown git revision 'origin/nope' (fetch it first in shallow CI clones)"]
    assert result.out == ""


def test_not_a_git_repository_is_a_clear_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/000001_a.up.sql": "CREATE TABLE a (id int);\n"})
    result = run_cli("check", "--changed-since", "main", cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.code == 2
    assert "needs a git repository" in result.err and "not inside one" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_earlier_migrations_are_read_for_the_schema_state_only_without_a_cache(tmp_path: Path) -> None:
    """Without a cache, a migration before those linted teaches only the schema state: golang-migrate's
    extract(only_state=True) gives its up operations, the same as extract's, and never parses its down file; the findings of
    --changed-since are the same with the cache and without it."""
    from migrate_guard.extract import golang_migrate
    from migrate_guard.extract.base import MigrationUnit

    repo = make_history(tmp_path)
    files = sorted((repo / "db" / "migrations").glob("000001_*"))
    unit = MigrationUnit(orm=golang_migrate.ORM, id="000001", files=files, dialect="postgres", project=None,
                         settings={})
    full, context = golang_migrate.extract(unit), golang_migrate.extract(unit, only_state=True)
    assert any(op.direction == "down" for op in full.operations)
    assert [op for op in context.operations if op.direction == "down"] == []
    assert repr([op for op in full.operations if op.direction == "up"]) == repr(context.operations)  # eq=False IR
    without = run_cli("check", "--changed-since", "main", "--format", "json", "--no-cache", cwd=repo)
    cached = run_cli("check", "--changed-since", "main", "--format", "json", cwd=repo)
    assert without.code == cached.code == 1
    assert without.out == cached.out
