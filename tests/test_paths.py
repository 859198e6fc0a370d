"""paths.py: what the walk tells real_file and display_path about the files it listed must be exactly what they
would have worked out themselves (links resolved, folders given any way, a file turned into a link since)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import write_tree
from migrate_guard.paths import display_path, real_file, real_files
from migrate_guard.walk import walk_files


def _expected(path: Path, cwd: Path) -> tuple[str, str]:
    real = os.path.realpath(path)
    root = os.path.realpath(cwd)
    shown = os.path.relpath(real, root).replace(os.sep, "/") if real.startswith(root + os.sep) else path.as_posix()
    return real, shown


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_walked_files_resolve_as_they_would_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"repo/.git/HEAD": "ref: refs/heads/main\n", "repo/db/migrations/001_a.up.sql": "SELECT 1;\n",
                          "repo/shared/002_b.up.sql": "SELECT 2;\n", "outside/003_c.up.sql": "SELECT 3;\n"})
    repo = tmp_path / "repo"
    (repo / "db" / "migrations" / "002_b.up.sql").symlink_to(repo / "shared" / "002_b.up.sql")
    (repo / "linked").symlink_to(repo / "db")  # a folder reached through a link: its real path is db/...
    monkeypatch.chdir(repo)
    for given in (Path("db/migrations"), Path("linked/migrations"), repo / "db" / "migrations", Path("./db/../db/migrations")):
        walked = list(walk_files(given, remember=True))
        assert [p.name for p in walked] == ["001_a.up.sql", "002_b.up.sql"]
        for path in walked:
            assert (real_file(path), display_path(path)) == _expected(path, repo), path
        assert real_files(walked) == [real_file(p) for p in walked]
    # A file the walk saw as regular that is a link now: the next walk says so.
    regular = repo / "db" / "migrations" / "001_a.up.sql"
    regular.unlink()
    regular.symlink_to(repo / "shared" / "002_b.up.sql")
    walked = list(walk_files(Path("db/migrations"), remember=True))
    assert real_file(walked[0]) == os.path.realpath(repo / "shared" / "002_b.up.sql")
    assert display_path(walked[0]) == "shared/002_b.up.sql"
    # Walked from outside the current folder: shown as given, resolved for real.
    outside = tmp_path / "outside"
    walked = list(walk_files(outside, remember=True))
    assert [(real_file(p), display_path(p)) for p in walked] == [_expected(p, repo) for p in walked]


def test_walk_keeps_only_the_suffixes_asked_for(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/001.up.SQL": "", "m/notes.md": "", "m/.sql": "", "m/x.sql.": "", "m/sub/002.py": ""})
    found = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, suffixes=frozenset({".sql", ".py"}))]
    assert found == ["m/001.up.SQL", "m/sub/002.py"]
