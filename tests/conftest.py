"""Shared test helpers: run the real CLI in a subprocess, build migration trees in temporary folders."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)

    def rules(self) -> list[str]:
        """The rules of the JSON findings, in order, without the AMBIENT_RULES (see lint_json)."""
        return [f["rule"] for f in self.findings()]

    def findings(self) -> list[dict]:
        """The JSON findings without the AMBIENT_RULES (see lint_json)."""
        return [f for f in self.json()["findings"] if f["rule"] not in AMBIENT_RULES]


def run_cli(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120) -> Result:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "migrate_guard", *args], cwd=cwd, env=full_env, input=input,
                          capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def tree(tmp_path: Path):
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)

    return make


@pytest.fixture(scope="session")
def postgres():
    from pg import PostgresUnavailable, start_postgres

    try:
        server, stop = start_postgres()
    except PostgresUnavailable as why:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not available: {why}")
    yield server
    stop()


EXPECT_MARKER = re.compile(r"expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")
TEXT_SUFFIXES = {".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".prisma"}


def expect_markers(entry: Path, base: Path | None = None) -> set[tuple[str, int, str]]:
    """(path relative to base, line, rule) for every `expect: RULE[, RULE]` comment in the files of entry."""
    base = base or entry
    files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
    found = set()
    for path in files:
        if path.suffix not in TEXT_SUFFIXES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in EXPECT_MARKER.finditer(line):
                for rule in match.group(1).split(","):
                    found.add((path.relative_to(base).as_posix(), number, rule.strip()))
    return found


# Rules that accompany most schema changes of the fixtures (one per migration that locks an existing table without
# a lock_timeout): the fixture suites about other rules leave them out of their exact comparisons; each has its own
# fixtures under fixtures/rules/<rule>/ and truth tests (tests/test_postgres_locks.py).
AMBIENT_RULES = frozenset({"lock-timeout-missing"})


def lint_json(*args: str, cwd: Path | str, ambient: bool = False) -> list[dict]:
    """Findings of `check ARGS --format json --fail-on never`, which must exit 0; without the AMBIENT_RULES unless
    `ambient`."""
    result = run_cli("check", *args, "--format", "json", "--fail-on", "never", cwd=cwd)
    assert result.code == 0, result.err
    findings = result.json()["findings"]
    return findings if ambient else [f for f in findings if f["rule"] not in AMBIENT_RULES]
