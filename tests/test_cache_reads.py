"""cache_reads.recording_reads: what an extraction reads besides its own files, whatever API it reads through, on
every Python the package supports (3.10's pathlib and 3.13's glob keep their own copies of os and io functions)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PROBE = """
import sys
from pathlib import Path
from migrate_guard.cache_reads import recording_reads
root = Path(sys.argv[1])
with recording_reads() as reads:
    (root / "apps.py").read_text()
    (root / "schema.prisma").open().read()
    list((root / "migrations").iterdir())
    list(root.glob("journal/*.json"))
deps = reads.dependencies(exclude=[])
import io, pathlib
accessor = getattr(pathlib, "_NormalAccessor", None)
print(sorted(deps))
print(accessor is None or accessor.open is io.open)
"""


def interpreter(version: str) -> str | None:
    """This test's Python, or another one on PATH that runs (a pyenv shim of a version not selected does not)."""
    if version == "this":
        return sys.executable
    path = shutil.which(f"python{version}")
    if path is None or subprocess.run([path, "-c", "pass"], capture_output=True).returncode:
        return None
    return path


@pytest.mark.parametrize("version", ["this", "3.10", "3.11", "3.12", "3.13"])
def test_reads_through_pathlib_open_and_listings_are_recorded(tmp_path: Path, version: str) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no python{version} here")
    for name in ("apps.py", "schema.prisma", "migrations/0001.sql", "journal/_journal.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([python, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    deps, restored = result.stdout.splitlines()
    for wanted in (f"f:{tmp_path / 'apps.py'}", f"f:{tmp_path / 'schema.prisma'}", f"d:{tmp_path / 'migrations'}",
                   f"d:{tmp_path / 'journal'}"):
        assert wanted in deps, f"{python}: {wanted} not recorded"
    assert restored == "True"
