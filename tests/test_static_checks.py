"""ruff (pyflakes, pycodestyle, complexity at most 15) and mypy are clean on the package: part of the suite, so
`python -m pytest` (what .ci/run and the README run) checks them too. Both are in the `test` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=900)


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "migrate_guard")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy", "migrate_guard")
    assert result.returncode == 0, result.stdout + result.stderr
