"""A warm run served whole (pipeline/replay.py): kept by a fully warm run, replayed only while everything it read is
unchanged, and then without detecting, planning or judging anything."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_in_process, write_tree

FILES = {
    "migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text, note text);\n",
    "migrations/000001_users.down.sql": "DROP TABLE users;\n",
    "migrations/000002_cleanup.up.sql": "-- cleanup\nALTER TABLE users DROP COLUMN note;\n",
    "migrations/000002_cleanup.down.sql": "ALTER TABLE users ADD COLUMN note text;\n",
    "migrations/000003_index.up.sql": "CREATE INDEX users_name ON users (name);\nALTER TABLE users ALTER COLUMN name TYPE varchar(20);\n",
    "migrations/000003_index.down.sql": "DROP INDEX users_name;\n",
}
CHECK = ("check", "migrations", "--format", "json", "--fail-on", "never")


def runs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "xdg").rglob("*.run"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", FILES)


def warm(repo: Path, env: dict[str, str]) -> str:
    """The cache filled, then a fully warm run that keeps itself: its output."""
    first = run_cli(*CHECK, cwd=repo, env=env)
    second = run_cli(*CHECK, cwd=repo, env=env)
    assert second.out == first.out
    return second.out


def replayed_modules(repo: Path, env: dict[str, str]) -> tuple[str, list[str]]:
    """The same command in a fresh interpreter through cli.main(argv) (which keeps nothing, but may replay): its
    output and the migrate_guard modules it imported."""
    code = ("import io, sys, contextlib\n"
            "from migrate_guard.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    main({list(CHECK)!r})\n"
            "sys.stderr.write(' '.join(sorted(m for m in sys.modules if m.startswith('migrate_guard'))))\n"
            "sys.stdout.write(out.getvalue())\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, env={**os.environ, **env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout, done.stderr.split()


def test_a_fully_warm_run_is_kept_and_replayed_without_detecting_or_judging(repo: Path, env: dict[str, str],
                                                                            tmp_path: Path) -> None:
    run_cli(*CHECK, cwd=repo, env=env)
    assert not runs(tmp_path)  # that run parsed: it keeps no replay
    out = run_cli(*CHECK, cwd=repo, env=env).out
    assert len(runs(tmp_path)) == 1
    assert json.loads(out)["findings"]
    replay, modules = replayed_modules(repo, env)
    assert replay == out == run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out
    assert "migrate_guard.pipeline.replay" in modules
    for unneeded in ("migrate_guard.detect", "migrate_guard.pipeline.discover", "migrate_guard.pipeline.plan",
                     "migrate_guard.pipeline.run", "migrate_guard.engine.judge", "migrate_guard.ir",
                     "migrate_guard.extract.sql"):
        assert unneeded not in modules


def test_without_a_kept_run_the_pipeline_runs(repo: Path, env: dict[str, str]) -> None:
    run_cli(*CHECK, cwd=repo, env=env)  # fills the cache, keeps no replay
    out, modules = replayed_modules(repo, env)
    assert out == run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out
    assert "migrate_guard.pipeline.discover" in modules


def _edit_same_size(repo: Path) -> None:
    path = repo / "migrations/000002_cleanup.up.sql"
    before = path.stat()
    path.write_text(path.read_text().replace("DROP COLUMN note", "DROP COLUMN name"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # only the content tells


def _new_migration(repo: Path) -> None:
    (repo / "migrations/000004_drop.up.sql").write_text("DROP TABLE users;\n")
    (repo / "migrations/000004_drop.down.sql").write_text("SELECT 1;\n")


def _down_removed(repo: Path) -> None:
    (repo / "migrations/000003_index.down.sql").unlink()


def _mysql_driver(repo: Path) -> None:
    (repo / "go.mod").write_text("module example.com/app\n\nrequire github.com/go-sql-driver/mysql v1.7.1\n")


def _down_emptied(repo: Path) -> None:
    (repo / "migrations/000002_cleanup.down.sql").write_text("\n")  # an empty down is a missing one


@pytest.mark.parametrize("change", [_edit_same_size, _new_migration, _down_removed, _mysql_driver, _down_emptied],
                         ids=lambda change: change.__name__.strip("_"))
def test_a_change_to_anything_the_run_read_is_judged_again(repo: Path, env: dict[str, str], change) -> None:
    before = warm(repo, env)
    change(repo)
    expected = run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out
    assert run_cli(*CHECK, cwd=repo, env=env).out == expected
    assert replayed_modules(repo, env)[0] == expected
    assert expected != before


def test_the_command_line_and_config_are_part_of_the_key(repo: Path, env: dict[str, str]) -> None:
    warm(repo, env)
    assert (run_cli(*CHECK, "--ignore", "drop-column", cwd=repo, env=env).out
            == run_cli(*CHECK, "--ignore", "drop-column", "--no-cache", cwd=repo, env=env).out)
    (repo / ".migrate-guard.toml").write_text("[rules.drop-column]\nseverity = \"info\"\n")
    assert run_cli(*CHECK, cwd=repo, env=env).out == run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out


def test_a_damaged_kept_run_is_a_miss(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    out = warm(repo, env)
    (kept,) = runs(tmp_path)
    data = bytearray(kept.read_bytes())
    data[-10:] = b"\x00" * 10
    kept.write_bytes(bytes(data))
    assert run_cli(*CHECK, cwd=repo, env=env).out == out


def test_only_a_process_of_its_own_keeps_a_run(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    first = run_in_process(*CHECK, cwd=repo)
    second = run_in_process(*CHECK, cwd=repo)
    assert first.out == second.out
    assert not runs(tmp_path)  # earlier runs in this process may have memoized what it would read


def test_changed_since_is_never_kept(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x", "--allow-empty"],
                   cwd=repo, check=True)
    for _ in range(3):
        run_cli(*CHECK, "--changed-since", "HEAD", cwd=repo, env=env)
    assert not runs(tmp_path)


def test_recording_sees_every_kind_of_read_and_puts_the_functions_back(tmp_path: Path) -> None:
    import builtins
    import io as io_module

    from migrate_guard.pipeline.run_reads import recording_run

    write_tree(tmp_path, {"a/one.sql": "SELECT 1;\n", "a/two.sql": "SELECT 2;\n"})
    before = (builtins.open, io_module.open, os.open, os.stat, os.lstat, os.listdir, os.scandir, os.readlink)
    with recording_run((str(tmp_path / "skipped") + os.sep,)) as reads:
        (tmp_path / "a/one.sql").read_text()
        assert (tmp_path / "a/two.sql").is_file() and not (tmp_path / "a/three.sql").exists()
        with os.scandir(tmp_path / "a") as listing:
            assert sorted(entry.name for entry in listing) == ["one.sql", "two.sql"]
        (tmp_path / "skipped").mkdir()
        os.listdir(tmp_path)
        os.listdir(tmp_path / "skipped")
    assert (builtins.open, io_module.open, os.open, os.stat, os.lstat, os.listdir, os.scandir, os.readlink) == before
    assert str(tmp_path / "a/one.sql") in reads.opened
    assert reads.stats[(str(tmp_path / "a/two.sql"), True)][1] == len("SELECT 2;\n")
    assert reads.stats[(str(tmp_path / "a/three.sql"), True)][0] == -1
    assert [name for name, _ in reads.scans[str(tmp_path / "a")]] == ["one.sql", "two.sql"]
    assert reads.listings[str(tmp_path)] == ("a", "skipped") and str(tmp_path / "skipped") not in reads.listings
    assert reads.consistent and not reads.stderr
    paths, digests = reads.digests() or ("", b"")
    assert paths == str(tmp_path / "a/one.sql") and len(digests) == 32 and any(digests)


def test_a_file_changed_while_the_run_read_it_keeps_nothing(tmp_path: Path) -> None:
    from migrate_guard.pipeline.run_reads import recording_run

    path = write_tree(tmp_path, {"one.sql": "SELECT 1;\n"}) / "one.sql"
    with recording_run(()) as reads:
        path.read_text()
    path.write_text("SELECT 22;\n")
    assert reads.digests() is None


def test_a_link_pointed_elsewhere_is_judged_again(tmp_path: Path, env: dict[str, str]) -> None:
    write_tree(tmp_path / "a", {name.replace("migrations/", ""): text for name, text in FILES.items()})
    write_tree(tmp_path / "b", {name.replace("migrations/", ""): text.replace("DROP COLUMN note", "DROP COLUMN name")
                                for name, text in FILES.items()})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "migrations").symlink_to(tmp_path / "a", target_is_directory=True)
    before = warm(repo, env)
    (repo / "migrations").unlink()
    (repo / "migrations").symlink_to(tmp_path / "b", target_is_directory=True)
    expected = run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out
    assert expected != before
    assert run_cli(*CHECK, cwd=repo, env=env).out == expected


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_migration_replaced_by_a_fifo_is_never_waited_on(repo: Path, env: dict[str, str]) -> None:
    warm(repo, env)
    path = repo / "migrations/000003_index.up.sql"
    path.unlink()
    os.mkfifo(path)
    expected = run_cli(*CHECK, "--no-cache", cwd=repo, env=env).out
    assert run_cli(*CHECK, cwd=repo, env=env).out == expected  # run_cli's timeout fails a run that waits


def test_what_planning_hashed_is_not_read_again_to_keep_a_run(tmp_path: Path) -> None:
    from migrate_guard.pipeline.run_reads import recording_run

    one, two = write_tree(tmp_path, {"one.sql": "SELECT 1;\n"}) / "one.sql", tmp_path / "two.sql"
    two.write_text("SELECT 2;\n")
    with recording_run(()) as reads:
        one.read_bytes()
        two.read_bytes()
        reads.known[str(one)] = "ab" * 32  # as planning's digests give it
    paths, digests = reads.digests() or ("", b"")
    assert paths.split("\0") == [str(one), str(two)]
    assert digests[:32] == bytes.fromhex("ab" * 32) and digests[32:] == hashlib.sha256(b"SELECT 2;\n").digest()
