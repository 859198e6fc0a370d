"""The content-hash cache (second run served from it, --no-cache, invalidation, safety) and parallel extraction."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, many_migrations, run_cli, write_tree


def judged_from_cache(err: str) -> tuple[int, int]:
    match = re.search(r"(\d+) of (\d+) project\(s\) judged from the cache", err)
    assert match, err
    return int(match.group(1)), int(match.group(2))


def resumed(err: str) -> int:
    match = re.search(r"(\d+) earlier migration\(s\) stood for by a checkpoint", err)
    assert match, err
    return int(match.group(1))


def stats(err: str) -> tuple[int, int, int, int]:
    match = re.search(r"(\d+) migrations read: (\d+) from the cache, (\d+) parsed by (\d+) process", err)
    assert match, err
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", many_migrations(12))


def tree_listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_second_run_is_served_from_the_cache(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    before = tree_listing(repo)
    cold = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert stats(cold.err) == (12, 0, 12, 1)
    assert judged_from_cache(cold.err) == (0, 1)
    warm = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert stats(warm.err) == (12, 12, 0, 0)
    assert judged_from_cache(warm.err) == (1, 1)  # nothing changed: the findings themselves are reused
    assert warm.out == cold.out and warm.code == cold.code == 1
    assert tree_listing(repo) == before  # nothing written into the repository
    packs = list((tmp_path / "xdg" / "migrate-guard").rglob("*.pack"))
    assert len(packs) == 1  # one pack per project
    assert len(list((tmp_path / "xdg" / "migrate-guard").rglob("*.verdict"))) == 1  # and one verdict
    # Proof that nothing is parsed on a warm run: it works even when neither SQL parser (sqlglot, or pglast of the
    # [pg] extra) can be imported.
    blocker = write_tree(tmp_path / "blocker", {"sqlglot/__init__.py": "raise ImportError('sqlglot was imported')\n",
                                                "pglast/__init__.py": "raise ImportError('pglast was imported')\n"})
    blocked = {**env, "PYTHONPATH": str(blocker)}
    assert run_cli("check", "--format", "json", cwd=repo, env=blocked).out == cold.out
    proc = subprocess.run([sys.executable, "-m", "migrate_guard", "check", "--no-cache"], cwd=repo,
                          env={**os.environ, **blocked}, capture_output=True, text=True, timeout=120)
    assert " was imported" in proc.stderr  # --no-cache really parses


def test_no_cache_neither_reads_nor_writes(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("check", "--no-cache", "-v", cwd=repo, env=env)
    assert stats(result.err) == (12, 0, 12, 1)
    assert not (tmp_path / "xdg").exists()


def test_changed_file_is_parsed_again(repo: Path, env: dict[str, str]) -> None:
    run_cli("check", cwd=repo, env=env)
    (repo / "migrations/000012_step_12.up.sql").write_text("TRUNCATE t9;\n")
    result = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert stats(result.err) == (12, 11, 1, 1)
    assert judged_from_cache(result.err) == (0, 1)
    assert ("truncate", "migrations/000012_step_12.up.sql") in [(f["rule"], f["path"]) for f in result.findings()]
    assert result.out == run_cli("check", "--format", "json", "--no-cache", cwd=repo, env=env).out


def test_editing_an_old_migration_parses_only_that_one(repo: Path, env: dict[str, str]) -> None:
    run_cli("check", cwd=repo, env=env)
    (repo / "migrations/000001_step_1.up.sql").write_text("CREATE TABLE t1 (id bigint PRIMARY KEY, name text);\n")
    result = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert stats(result.err) == (12, 11, 1, 1)
    assert result.out == run_cli("check", "--format", "json", "--no-cache", cwd=repo, env=env).out


def test_a_file_read_beside_the_migration_is_checked(tmp_path: Path, env: dict[str, str]) -> None:
    repo = write_tree(tmp_path / "repo", {"db/000001_a.up.sql": "CREATE TABLE a (id int);\n",
                                          "db/000001_a.down.sql": "DROP TABLE a;\n"})
    first = run_cli("check", "--format", "json", "db/000001_a.up.sql", cwd=repo, env=env)
    assert first.findings() == []
    (repo / "db/000001_a.down.sql").write_text("-- nothing to undo\n")
    second = run_cli("check", "--format", "json", "db/000001_a.up.sql", cwd=repo, env=env)
    assert second.rules() == ["missing-down-migration"]  # the emptied down file was noticed
    (repo / "db/000001_a.down.sql").unlink()
    third = run_cli("check", "--format", "json", "db/000001_a.up.sql", cwd=repo, env=env)
    assert third.findings()[0]["message"] != second.findings()[0]["message"]
    assert third.out == run_cli("check", "--format", "json", "--no-cache", "db/000001_a.up.sql", cwd=repo).out


def test_a_file_read_once_for_the_whole_project_is_in_every_entry(tmp_path: Path, env: dict[str, str]) -> None:
    """Alembic models are parsed once per process: only the first migration that imports them records the read,
    and the project's other entries must depend on the file too (their own keys do not cover it)."""
    head = 'from alembic import op\n\nfrom app.models import SqlUser\n\nrevision = "{0}"\ndown_revision = {1}\n\n\n'
    body = "def upgrade():\n    op.drop_column(SqlUser.__tablename__, '{0}')\n\n\ndef downgrade():\n    pass\n"
    repo = write_tree(tmp_path / "repo", {
        "app/__init__.py": "", "app/models.py": "class SqlUser(Base):\n    __tablename__ = 'users'\n",
        "app/versions/a1_first.py": head.format("a1", "None") + body.format("nick"),
        "app/versions/a2_second.py": head.format("a2", '"a1"') + body.format("email")})
    files = ("app/versions/a1_first.py", "app/versions/a2_second.py")

    def dropped() -> list[str]:
        result = run_cli("check", "--format", "json", "--fail-on", "never", *files, cwd=repo, env=env)
        return [f["message"].split(" deletes")[0] for f in result.findings() if f["rule"] == "drop-column"]

    assert dropped() == ["Dropping column users.nick", "Dropping column users.email"]
    (repo / "app/models.py").write_text("class SqlUser(Base):\n    __tablename__ = 'people'\n")
    assert dropped() == ["Dropping column people.nick", "Dropping column people.email"]


def test_config_changes_apply_on_a_warm_cache(repo: Path, env: dict[str, str]) -> None:
    run_cli("check", cwd=repo, env=env)
    (repo / ".migrate-guard.toml").write_text('[rules.drop-column]\nseverity = "info"\n')
    result = run_cli("check", "--format", "json", cwd=repo, env=env)
    assert {f["severity"] for f in result.findings() if f["rule"] == "drop-column"} == {"info"}


def test_cache_dir_from_config_relative_to_the_config_file(repo: Path, tmp_path: Path) -> None:
    (repo / ".migrate-guard.toml").write_text('cache_dir = "../elsewhere"\n')
    (repo / "sub").mkdir()
    run_cli("check", "../migrations", cwd=repo / "sub", env={"XDG_CACHE_HOME": str(tmp_path / "unused")})
    assert list((tmp_path / "elsewhere").rglob("*.pack"))
    assert not (tmp_path / "unused").exists()


def test_corrupt_entries_are_misses(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    clean = run_cli("check", "--format", "json", cwd=repo, env=env).out
    for entry in [*(tmp_path / "xdg").rglob("*.pack"), *(tmp_path / "xdg").rglob("*.verdict")]:
        entry.write_bytes(entry.read_bytes()[:20])
    result = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert result.out == clean and stats(result.err)[2] == 12


def test_a_corrupt_verdict_is_judged_again(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    clean = run_cli("check", "--format", "json", cwd=repo, env=env).out
    for verdict in (tmp_path / "xdg").rglob("*.verdict"):
        verdict.write_bytes(b"\x80\x05garbage")
    result = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)
    assert result.out == clean
    assert stats(result.err) == (12, 12, 0, 0) and judged_from_cache(result.err) == (0, 1)
    again = run_cli("check", "--format", "json", "-v", cwd=repo, env=env)  # the verdict was written anew
    assert again.out == clean and judged_from_cache(again.err) == (1, 1)


def test_a_verdict_is_only_reused_for_the_same_selection(repo: Path, env: dict[str, str]) -> None:
    """pre-commit passes one file: its findings alone, not the whole project's judged earlier (and back)."""
    whole = run_cli("check", "--format", "json", cwd=repo, env=env)
    one = run_cli("check", "--format", "json", "-v", "migrations/000004_step_4.up.sql", cwd=repo, env=env)
    assert one.out == run_cli("check", "--format", "json", "--no-cache", "migrations/000004_step_4.up.sql",
                              cwd=repo).out
    assert {f["path"] for f in one.findings()} == {"migrations/000004_step_4.up.sql"}
    assert judged_from_cache(one.err) == (0, 1)
    assert run_cli("check", "--format", "json", cwd=repo, env=env).out == whole.out


def test_unwritable_cache_folder_does_not_fail_the_run(repo: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_cli("check", "--format", "json", cwd=repo, env={"XDG_CACHE_HOME": str(folder)})
        assert result.code == 1 and result.json()["summary"]["files"] > 0
    finally:
        folder.chmod(0o755)


def test_concurrent_cold_runs_agree(tmp_path: Path, env: dict[str, str]) -> None:
    repo = write_tree(tmp_path / "repo", many_migrations(80))
    expected = run_cli("check", "--format", "json", "--no-cache", cwd=repo).out
    procs = [subprocess.Popen([sys.executable, "-m", "migrate_guard", "check", "--format", "json"], cwd=repo,
                              env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for out, err in outputs:
        assert "Traceback" not in err and out == expected
    assert run_cli("check", "--format", "json", cwd=repo, env=env).out == expected
    assert not [p for p in (tmp_path / "xdg").rglob(".tmp-*")]  # no temporary file left behind


def test_parallel_output_is_identical_to_serial(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", many_migrations(300))
    outputs = {}
    for jobs in ("1", "2"):
        for fmt in ("json", "junit", "text"):
            result = run_cli("check", "--no-cache", "--format", fmt, "--jobs", jobs, "-v", cwd=repo)
            assert stats(result.err)[3] == int(jobs)
            outputs[(jobs, fmt)] = result.out
    for fmt in ("json", "junit", "text"):
        assert outputs[("1", fmt)] == outputs[("2", fmt)]
    auto = run_cli("check", "--no-cache", "--format", "json", "-v", cwd=repo)
    assert auto.out == outputs[("1", "json")]  # processes by default: as many idle cores, so it varies
    assert len(run_cli("check", "--format", "json", "--no-cache", cwd=repo).findings()) > 100


def test_jobs_must_be_positive(repo: Path) -> None:
    result = run_cli("check", "--jobs", "0", cwd=repo)
    assert result.code == 2 and "--jobs" in result.err


def test_start_up_stays_light() -> None:
    code = ("import sys, migrate_guard.pipeline.run, migrate_guard.cache, migrate_guard.git, migrate_guard.pipeline.pool, "
            "migrate_guard.commands.check, migrate_guard.commands.baseline, migrate_guard.lifecycle.review; "
            "heavy = [m for m in ('sqlglot', 'junit_xml', 'concurrent.futures', 'multiprocessing', 'tree_sitter') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_packs_unused_for_a_month_are_pruned(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    run_cli("check", cwd=repo, env=env)
    cache = tmp_path / "xdg" / "migrate-guard"
    stale = cache / "v2" / "ab" / f"{'c' * 62}.pack"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    month_ago = stale.stat().st_mtime - 31 * 86400
    os.utime(stale, (month_ago, month_ago))
    os.utime(cache / ".last-prune", (month_ago, month_ago))
    (repo / "migrations/000001_step_1.up.sql").write_text("CREATE TABLE t1 (id bigint PRIMARY KEY);\n")
    run_cli("check", cwd=repo, env=env)  # writes a pack, so it may prune
    assert not stale.exists()
    assert len(list(cache.rglob("*.pack"))) == 1


def test_a_new_migration_resumes_after_the_earlier_ones(repo: Path, env: dict[str, str]) -> None:
    """pre-commit with one new migration: the schema its 12 predecessors leave comes from a checkpoint, and the
    findings are those of a run without any cache (the new NOT NULL column is on a table 12 migrations old)."""
    run_cli("check", cwd=repo, env=env)
    write_tree(repo, {"migrations/000013_step_13.up.sql": "ALTER TABLE t9 ADD COLUMN code text NOT NULL;\n"
                                                          "ALTER TABLE t9 ALTER COLUMN name TYPE varchar(10);\n"})
    new = "migrations/000013_step_13.up.sql"
    result = run_cli("check", "--format", "json", "-v", new, cwd=repo, env=env)
    assert stats(result.err) == (13, 12, 1, 1) and resumed(result.err) == 12
    assert result.out == run_cli("check", "--format", "json", "--no-cache", new, cwd=repo).out
    assert {f["rule"] for f in result.findings()} >= {"not-null-without-default", "column-type-change"}
    # Edited again before committing: it resumes from the state before it.
    write_tree(repo, {new: "ALTER TABLE t9 ALTER COLUMN name TYPE varchar(10);\n"})
    again = run_cli("check", "--format", "json", "-v", new, cwd=repo, env=env)
    assert resumed(again.err) == 12
    assert again.out == run_cli("check", "--format", "json", "--no-cache", new, cwd=repo).out


def test_the_state_before_the_newest_migration_keeps_which_table_each_index_is_on(tmp_path: Path,
                                                                                 env: dict[str, str]) -> None:
    """The newest migration edited again resumes from the checkpoint before it: that state still knows that index
    by_email is on accounts, so dropping both together is no non-concurrent-index finding, as without the cache."""
    repo = write_tree(tmp_path / "repo", {
        "migrations/000001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n",
        "migrations/000002_by_email.up.sql": "CREATE INDEX CONCURRENTLY by_email ON accounts (email);\n",
        "migrations/000003_drop.up.sql": "DROP INDEX by_email;\nDROP TABLE accounts;\n"})
    newest = "migrations/000003_drop.up.sql"
    run_cli("check", cwd=repo, env=env)
    write_tree(repo, {newest: "-- edited\nDROP INDEX by_email;\nDROP TABLE accounts;\n"})
    result = run_cli("check", "--format", "json", "-v", newest, cwd=repo, env=env)
    assert resumed(result.err) == 2
    assert "non-concurrent-index" not in {f["rule"] for f in result.findings()}
    assert result.out == run_cli("check", "--format", "json", "--no-cache", newest, cwd=repo).out


def test_an_edited_earlier_migration_is_never_resumed_over(repo: Path, env: dict[str, str]) -> None:
    run_cli("check", cwd=repo, env=env)
    write_tree(repo, {"migrations/000013_step_13.up.sql": "ALTER TABLE t9 ALTER COLUMN name TYPE varchar(10);\n"})
    run_cli("check", "migrations/000013_step_13.up.sql", cwd=repo, env=env)
    # t9.name was varchar(40) then text (migration 11); now migration 11 leaves it alone: the narrowing is judged
    # from varchar(40), not from the checkpoint's text.
    write_tree(repo, {"migrations/000011_step_11.up.sql": "SELECT 11;\n"})
    result = run_cli("check", "--format", "json", "-v", "migrations/000013_step_13.up.sql", cwd=repo, env=env)
    assert resumed(result.err) == 0
    assert result.out == run_cli("check", "--format", "json", "--no-cache", "migrations/000013_step_13.up.sql",
                                 cwd=repo).out


def test_resuming_from_a_checkpoint_parses_nothing_already_cached(repo: Path, env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    """The newest migration alone after a full run: the checkpoint stands for the others and the newest comes from
    its pack, so the SQL parser is never imported (it would cost more than the whole rest of the run)."""
    run_cli("check", cwd=repo, env=env)
    newest = "migrations/000012_step_12.up.sql"
    expected = run_cli("check", "--format", "json", "--no-cache", newest, cwd=repo).out
    blocker = write_tree(tmp_path / "blocker", {"sqlglot/__init__.py": "raise ImportError('sqlglot was imported')\n"})
    result = run_cli("check", "--format", "json", "-v", newest, cwd=repo, env={**env, "PYTHONPATH": str(blocker)})
    assert resumed(result.err) == 11 and result.out == expected
