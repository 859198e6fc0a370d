"""The suite itself: every test has a cache folder of its own (never the user's), and collecting the tests runs nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_in_process, write_tree

MIGRATIONS = {"db/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
              "db/000001_users.down.sql": "DROP TABLE users;\n"}


def test_each_test_starts_with_an_empty_cache_folder_of_its_own(tmp_path: Path, _test_cache_home: Path) -> None:
    folder = Path(os.environ["XDG_CACHE_HOME"])
    assert folder == _test_cache_home and list(folder.iterdir()) == []
    assert folder != Path.home() / ".cache" and tmp_path not in folder.parents


def test_subprocess_and_in_process_clis_write_their_cache_there(tmp_path: Path, _test_cache_home: Path) -> None:
    import shutil

    root = write_tree(tmp_path, MIGRATIONS)
    for run in (run_cli, run_in_process):
        shutil.rmtree(_test_cache_home / "migrate-guard", ignore_errors=True)
        assert run("check", "db", cwd=root).code == 0
        assert [p for p in (_test_cache_home / "migrate-guard").rglob("*.verdict")], run.__name__


_COUNT_PROCESSES = """
import sys
started = []
sys.addaudithook(lambda event, args: started.append(args[1]) if event == "subprocess.Popen" else None)
import pytest
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"])
print("processes started:", len(started), started[:5])
sys.exit(code)
"""


@pytest.mark.e2e
def test_collecting_the_suite_starts_no_process() -> None:
    """Parametrize lists and module-level code must not run the CLI (collection once started 54 of them)."""
    proc = subprocess.run([sys.executable, "-c", _COUNT_PROCESSES], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "processes started: 0 " in proc.stdout, proc.stdout[-2000:]
