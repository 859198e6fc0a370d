"""Shared test helpers: run the real CLI in a subprocess, build migration trees in temporary folders."""

from __future__ import annotations

import contextlib
import io
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
RULES_DIR = REPO / "rules"
RULE_ID_LINE = re.compile(r'^id\s*=\s*"([^"]+)"', re.MULTILINE)


def rule_ids() -> list[str]:
    """The id of every rule in rules/*.toml, read from the files' `id = "..."` lines: cheap enough for a parametrize
    list (collection starts no CLI). test_rule_fixtures checks that the CLI lists exactly these."""
    return sorted(match.group(1) for path in RULES_DIR.glob("*.toml")
                  for match in RULE_ID_LINE.finditer(path.read_text(encoding="utf-8")))


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


def run_in_process(*args: str, cwd: Path | str) -> Result:
    """`migrate-guard ARGS` in this process (migrate_guard.cli.main, the CLI's own entry point): the same config
    lookup, detection, extraction, engine and reporters as run_cli, without the 0.6 s start of a new interpreter.
    For what the pipeline finds; what only a real process shows (exit status, start-up, signals, the environment)
    stays with run_cli, and so does a test that edits files and runs again: the package memoises some reads by path
    (knexfiles, Django app labels, real paths) for the life of its process. An exception fails the test."""
    from migrate_guard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())


def skip_module_unless_installed(*modules: str) -> None:
    """Skip the calling test module when one of `modules` is not installed, found without importing it: at
    collection, pytest.importorskip("alembic") and ("django") alone took 1.4 s."""
    from importlib.util import find_spec

    missing = [name for name in modules if find_spec(name) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}", allow_module_level=True)


def many_migrations(count: int) -> dict[str, str]:
    """A golang-migrate history of `count` migrations under migrations/, with findings of several rules."""
    files: dict[str, str] = {}
    for n in range(1, count + 1):
        stem = f"migrations/{n:06d}_step_{n}"
        if n % 4 == 1:
            up = f"CREATE TABLE t{n} (id bigint PRIMARY KEY, name varchar(40), owner_id bigint);\n"
        elif n % 4 == 2:
            up = f"ALTER TABLE t{n - 1} ADD COLUMN note text;\nCREATE INDEX t{n}_idx ON t{n - 1} (name);\n"
        elif n % 4 == 3:
            up = (f"ALTER TABLE t{n - 2} ADD CONSTRAINT t{n}_fk FOREIGN KEY (owner_id) REFERENCES t{n - 2} (id);\n"
                  f"ALTER TABLE t{n - 2} ALTER COLUMN name TYPE text;\n")
        else:
            up = f"-- cleanup\nALTER TABLE t{n - 3} DROP COLUMN note;\nUPDATE t{n - 3} SET name = 'x';\n"
        files[f"{stem}.up.sql"] = up
        if n % 5:
            files[f"{stem}.down.sql"] = f"SELECT {n};\n"
    return files


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


# Slow end-to-end tests, marked `e2e` (still run by default; `python -m pytest -m "not e2e"` is the quick loop):
# every test that needs a real Postgres, and the modules that drive real migration tools, git hooks or many CLI runs.
E2E_FIXTURES = frozenset({"postgres", "needs_postgres_binaries"})
E2E_MODULES = frozenset({"test_verify", "test_verify_native", "test_postgres_truth", "test_postgres_locks",
                         "test_lifecycle_first_day", "test_lifecycle_python", "test_lifecycle_knex", "test_precommit",
                         "test_action", "test_fuzz"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__ if getattr(item, "module", None) else ""
        if module in E2E_MODULES or E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _session_cache_home(tmp_path_factory: pytest.TempPathFactory):
    """A cache folder for the session-scoped and module-scoped fixtures, which run before any per-test one: no CLI
    of the suite, in-process or subprocess, ever reads or writes the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache-session")))
        yield


@pytest.fixture(autouse=True)
def _test_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty cache folder of its own (XDG_CACHE_HOME, which run_cli's subprocesses inherit), so a
    re-run tests the rules and not the cache key, and no test sees another's entries. Outside tmp_path, which tests
    use as a project root."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


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
