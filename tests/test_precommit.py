"""The pre-commit hook, for real: a git repository whose .pre-commit-config.yaml points at this checkout.

pre-commit clones the hook repository at a revision, builds a virtualenv and pip-installs the package into it, so the
test snapshots the working tree (package, rules, pyproject, hook manifest) into a throwaway git repository first:
what is tested is the code on disk, not the last commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, write_tree

HOOKS = REPO / ".pre-commit-hooks.yaml"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV, **(env or {})}, text=True,
                          capture_output=True, check=check, timeout=900)


def test_manifest_declares_the_hook() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    hook = next(h for h in hooks if h["id"] == "migrate-guard")
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["entry"] == "migrate-guard-hook check"


def test_hook_launcher_is_the_same_program(tmp_path: Path) -> None:
    launcher = Path(sys.executable).parent / "migrate-guard-hook"
    assert launcher.is_file(), "pip install the package first: the launcher is one of its scripts"
    write_tree(tmp_path, {"migrations/000001_drop.up.sql": "DROP TABLE users;\n"})
    via_launcher = subprocess.run([str(launcher), "check", "--format", "json"], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=120)
    via_module = subprocess.run([sys.executable, "-m", "migrate_guard", "check", "--format", "json"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
    assert via_launcher.returncode == via_module.returncode == 1
    assert via_launcher.stdout == via_module.stdout and '"drop-table"' in via_launcher.stdout


def test_commit_without_migrations_costs_only_python(tmp_path: Path) -> None:
    """The hook's launcher on files that cannot be migrations imports nothing beyond Python's own start-up: no
    `re` (what pip's console-script wrapper imports), no argparse, no parser."""
    write_tree(tmp_path, {"README.md": "hi\n", "src/app.go": "package main\n"})
    launcher = REPO / "scripts" / "migrate-guard-hook"
    result = subprocess.run([sys.executable, "-X", "importtime", str(launcher), "check", "README.md", "src/app.go"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    baseline = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True,
                              timeout=120)
    python_own = {line.split("|")[-1].strip() for line in baseline.stderr.splitlines()
                  if line.startswith("import time:")}
    extra = imported - python_own
    assert extra <= {"migrate_guard", "migrate_guard.cli", "migrate_guard.errors", "migrate_guard.commands",
                     "migrate_guard.commands.fast", "__future__"}, sorted(extra)


MIGRATIONS = [
    "migrations/000001_init.up.sql", "migrations/000001_init.down.sql", "db/migrations/20240101120000_add.sql",
    "drizzle/0000_brave_hulk.sql", "src/main/resources/db/migration/V1_2__init.sql", "sql/U3__undo.sql",
    "db/migration/R__views.sql", "prisma/migrations/20240101000000_init/migration.sql", "shop/migrations/0001_initial.py",
    "alembic/versions/ab12cd34ef56_add_users.py", "src/migrations/1680000000000-AddUser.ts",
    "db/migrations/20230101120000_create_users.js", "migrations/20230101120000-create-user.cjs",
    "prisma/schema.prisma", "services/billing/migrations/00002_more.sql",
    # folders only the project's config names: a knexfile `directory`, .sequelizerc, Django MIGRATION_MODULES
    "db/changes/20240101120000_drop_legacy.js", "src/db/schema/20240110120000-remove-user-nickname.js",
    "shop/db_migrations/0002_remove_legacy.py", "sql/000002.sql", "DB/Migrations/0003_Upper.SQL",
]
NOT_MIGRATIONS = [
    "README.md", "package.json", "prisma/migrations/migration_lock.toml", "scripts/build.sh", "docs/migrations.md",
    "src/types/migration.d.ts", "go.mod", "db/schema.rb",
]


def _hook_selects(path: str) -> bool:
    """pre-commit's own selection: `files` and not `exclude`, both with re.search on the path."""
    hook = yaml.safe_load(HOOKS.read_text())[0]
    return bool(re.search(hook["files"], path)) and not re.search(hook.get("exclude", "^$"), path)


@pytest.mark.parametrize("path", MIGRATIONS)
def test_files_pattern_matches_migration_layouts(path: str) -> None:
    assert _hook_selects(path), path


@pytest.mark.parametrize("path", NOT_MIGRATIONS)
def test_files_pattern_leaves_other_files_alone(path: str) -> None:
    assert not _hook_selects(path), path


def test_files_pattern_passes_every_file_a_format_may_claim() -> None:
    """Every suffix an extractor reads, and every migration of every fixture: the hook never keeps a migration from
    `check` (which skips what is not one)."""
    from migrate_guard.extract.registry import CANDIDATE_SUFFIXES

    assert all(_hook_selects(f"any/folder/name{suffix}") for suffix in CANDIDATE_SUFFIXES)
    fixtures = [p.relative_to(REPO).as_posix() for p in (REPO / "fixtures").rglob("*")
                if p.is_file() and p.suffix.lower() in CANDIDATE_SUFFIXES and not p.name.endswith(".d.ts")]
    assert fixtures and [p for p in fixtures if not _hook_selects(p)] == []


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git snapshot of the working tree that pre-commit can clone and install."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    shutil.copytree(REPO / "migrate_guard", snapshot / "migrate_guard",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(REPO / "rules", snapshot / "rules")
    shutil.copytree(REPO / "scripts", snapshot / "scripts")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, snapshot / name)
    git("init", "-q", "-b", "main", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot).stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def make_project(root: Path, hook_repo: tuple[Path, str], home: Path) -> dict[str, str]:
    path, rev = hook_repo
    write_tree(root, {
        ".pre-commit-config.yaml": f"repos:\n  - repo: {path.as_posix()}\n    rev: {rev}\n"
                                   "    hooks:\n      - id: migrate-guard\n",
        "README.md": "a service\n",
        "migrations/000001_create_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        "migrations/000001_create_users.down.sql": "DROP TABLE users;\n",
    })
    env = {"PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "init", cwd=root)
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=root, env={**os.environ, **GIT_ENV, **env},
                   check=True, capture_output=True, timeout=120)
    return env


def test_commit_with_dangerous_migration_is_refused(tmp_path: Path, hook_repo: tuple[Path, str],
                                                    pre_commit_home: Path) -> None:
    env = make_project(tmp_path, hook_repo, pre_commit_home)
    write_tree(tmp_path, {
        "migrations/000002_drop_users.up.sql": "-- no longer needed\nDROP TABLE users;\n",
        "migrations/000002_drop_users.down.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    })
    git("add", "migrations", cwd=tmp_path)
    result = git("commit", "-m", "drop users", cwd=tmp_path, env=env, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "migrate-guard" in output and "Failed" in output, output
    assert "migrations/000002_drop_users.up.sql\n  2:1 error [drop-table]" in output, output
    assert "Traceback" not in output
    # The commit did not happen.
    assert git("log", "--oneline", cwd=tmp_path).stdout.count("\n") == 1


def test_commit_with_safe_migration_passes(tmp_path: Path, hook_repo: tuple[Path, str],
                                           pre_commit_home: Path) -> None:
    env = make_project(tmp_path, hook_repo, pre_commit_home)
    write_tree(tmp_path, {
        "migrations/000002_add_name.up.sql": "ALTER TABLE users ADD COLUMN name text;\n",
        "migrations/000002_add_name.down.sql": "ALTER TABLE users DROP COLUMN name;\n",
        "notes.txt": "not a migration\n",
    })
    git("add", "-A", cwd=tmp_path)
    result = git("commit", "-m", "add name", cwd=tmp_path, env=env, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"migrate-guard\.+Passed", output), output
    assert git("log", "--oneline", cwd=tmp_path).stdout.count("\n") == 2
