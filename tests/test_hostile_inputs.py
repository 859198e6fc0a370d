"""Hostile repositories, shared machines and careless configs (issue 17): the cache owns only what it made and runs
no foreign code, the walk reads regular files of the repository only, bad config is one line and exit 2."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import time
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from git_history import git

SIXTY_DAYS = 60 * 86400
MIGRATIONS = {
    "migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    "migrations/000001_users.down.sql": "DROP TABLE users;\n",
    "migrations/000002_drop.up.sql": "DROP TABLE users;\n",
    "migrations/000002_drop.down.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
}


def age(path: Path, seconds: float = SIXTY_DAYS) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def committed_repo(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project")
    return root


def porcelain(root: Path) -> str:
    return git(root, "status", "--porcelain")


def xdg(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


# --- the cache owns only what it made (item 1) ----------------------------------------------------------------------

USER_FILES = {"views/admin/index.html": "<h1>admin</h1>\n", "vendor/acme/acme.go": "package acme\n",
              "v1/keep/notes.txt": "mine\n"}


def test_cache_dir_holding_the_project_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", {**MIGRATIONS, **USER_FILES, ".migrate-guard.toml": 'cache_dir = "."\n'})
    for name in USER_FILES:
        age(repo / name)
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "cache_dir" in result.err and "holds the project" in result.err
    assert all((repo / name).read_text() == text for name, text in USER_FILES.items())
    assert porcelain(repo) == ""
    assert run_cli("check", "README.md", cwd=repo, env=xdg(tmp_path)).code == 2  # the fast path reads config too


def test_cache_dir_above_the_project_is_refused(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = ".."\n'})
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2 and "holds the project" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_foreign_non_empty_cache_dir_is_refused(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = "../shared"\n'})
    shared = write_tree(tmp_path / "shared", {"v1/ab/report.pdf": "%PDF", "v2/cd/data.csv": "a,b\n"})
    for path in shared.rglob("*"):
        age(path)
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2 and "not empty" in result.err and "cache_dir" in result.err
    assert sorted(p.relative_to(shared).as_posix() for p in shared.rglob("*")) == [
        "v1", "v1/ab", "v1/ab/report.pdf", "v2", "v2/cd", "v2/cd/data.csv"]


def test_a_cache_inside_the_repository_leaves_git_status_clean(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = ".mg-cache"\n'})
    cold = run_cli("check", "--format", "json", "-v", cwd=repo, env=xdg(tmp_path))
    warm = run_cli("check", "--format", "json", "-v", cwd=repo, env=xdg(tmp_path))
    assert cold.code == warm.code == 1 and cold.out == warm.out
    assert "judged from the cache" in warm.err and "1 of 1 project(s) judged from the cache" in warm.err
    assert porcelain(repo) == ""
    cache = repo / ".mg-cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not (tmp_path / "xdg").exists()


def test_the_default_cache_is_private_and_marked(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and (cache / "CACHEDIR.TAG").is_file()
    assert all(not p.stat().st_mode & 0o077 for p in cache.rglob("*"))
    assert porcelain(repo) == ""


def test_prune_never_follows_a_planted_link(tmp_path: Path) -> None:
    """Another user (or a careless script) links cache subfolders to a home: nothing there is deleted."""
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    home = write_tree(tmp_path / "alice", {".ssh/id_ed25519": "KEY\n", "notes/todo.txt": "x\n"})
    shard = "c" * 62
    home_files = [*home.rglob("*")]
    for path in home_files:
        age(path)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    (cache / "v1").symlink_to(home)  # vN/<x>/<y>: two levels down in the home
    (cache / "v7").symlink_to(home)
    version = next(cache.glob("v2"))
    (version / "ee").symlink_to(home / ".ssh")
    first_shard = next(p for p in version.iterdir() if not p.is_symlink())
    (first_shard / f"{shard}.pack").symlink_to(home / ".ssh" / "id_ed25519")
    age(cache / ".last-prune")
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users; -- edited\n")
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 1
    assert all(path.exists() for path in home_files) and (home / ".ssh/id_ed25519").read_text() == "KEY\n"


def test_prune_deletes_only_its_own_names(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    mine = cache / "v2" / "ab" / f"{'d' * 62}.verdict"
    mine.parent.mkdir(mode=0o700, exist_ok=True)
    mine.write_bytes(b"old")
    theirs = [cache / "v2" / "ab" / "photo.jpg", cache / "v2" / "ab" / f"{'d' * 62}.pack.bak",
              cache / "v2" / "notes" / f"{'d' * 62}.pack"]
    for path in theirs:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_bytes(b"someone's")
    for path in [mine, *theirs]:
        age(path)
    age(cache / ".last-prune")
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users; -- edited\n")
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert not mine.exists() and all(path.exists() for path in theirs)


# --- no foreign code from a shared cache (item 2) -------------------------------------------------------------------

class _Planted:
    """A pickle that, when loaded, writes a file: proof that foreign code ran."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, (f"open({str(self.proof)!r}, 'w').write('ran')",))


def _plant(cache: Path, proof: Path) -> None:
    """Every cache file replaced by code: as a bare pickle (the format before) and in the current format (magic,
    checksum, marshal pack whose entry is the pickle)."""
    import marshal

    payload = pickle.dumps(_Planted(proof))
    for path in [*cache.rglob("*.pack"), *cache.rglob("*.state"), *cache.rglob("*.verdict")]:
        if path.suffix == ".pack" and path.parent.parent.name == "v2":
            body = marshal.dumps({key: ({}, payload) for key in marshal.loads(path.read_bytes()[52:])})
            path.write_bytes(b"migrate-guard cache\n" + hashlib.sha256(body).digest() + body)
        else:
            path.write_bytes(payload)


@pytest.mark.parametrize("how", ["writable by others", "another user's"])
def test_a_shared_cache_never_runs_foreign_code(tmp_path: Path, how: str) -> None:
    if how == "another user's" and os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    proof = tmp_path / "proof"
    _plant(cache, proof)
    if how == "writable by others":
        for path in [cache, *cache.rglob("*")]:
            path.chmod(0o777)
    else:
        for path in [cache, *cache.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users;\n\n")  # the packs must be read
    result = run_cli("check", "--format", "json", cwd=repo, env=xdg(tmp_path))
    assert not proof.exists()
    assert result.out == run_cli("check", "--format", "json", "--no-cache", cwd=repo).out and result.code == 1
    assert result.err.count("\n") == 1 and "running without the cache" in result.err


def test_corrupt_foreign_and_special_cache_files_are_misses(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    clean = run_cli("check", "--format", "json", "--no-cache", cwd=repo).out
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    files = [*cache.rglob("*.pack"), *cache.rglob("*.state"), *cache.rglob("*.verdict")]
    files[0].write_bytes(files[0].read_bytes()[:30])  # truncated
    for path in files[1:]:
        path.unlink()
        os.mkfifo(path)  # a FIFO in place of a cache file: never opened blocking
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users;\n\n")
    result = run_cli("check", "--format", "json", cwd=repo, env=xdg(tmp_path), timeout=60)
    assert result.out == clean and result.err == ""
