"""The little git we need: which files changed since the merge base with a revision (`check --changed-since`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import UsageError


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, and no `git` program was found on PATH") from None


def repository_root(cwd: Path) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd)
    if result.returncode != 0:
        raise UsageError(f"--changed-since needs a git repository, and {cwd} is not inside one")
    return Path(result.stdout.decode().strip())


def merge_base(ref: str, cwd: Path) -> str:
    if ref.startswith("-"):
        raise UsageError(f"--changed-since: '{ref}' is not a git revision")
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd).returncode != 0:
        raise UsageError(f"--changed-since: unknown git revision '{ref}' (fetch it first in shallow CI clones)")
    if _git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd).returncode != 0:
        return ref  # no commit yet on this branch: everything after REF is new
    result = _git(["merge-base", ref, "HEAD"], cwd)
    if result.returncode != 0:
        raise UsageError(f"--changed-since: '{ref}' and HEAD have no common ancestor "
                         "(in a shallow clone, fetch more history)")
    return result.stdout.decode().strip()


def changed_files(ref: str, cwd: Path | None = None) -> set[Path]:
    """Files added, modified or renamed (new name) since the merge base of REF and HEAD, as resolved paths.

    Compares with the working tree, so staged, unstaged and untracked files count too; deleted files do not.
    """
    here = cwd or Path.cwd()
    root = repository_root(here)
    base = merge_base(ref, here)
    diff = _git(["-c", "core.quotepath=off", "diff", "--name-only", "-z", "-M", "--diff-filter=ACMRT", base, "--"],
                root)
    if diff.returncode != 0:
        raise UsageError(f"--changed-since: git diff failed: {diff.stderr.decode(errors='replace').strip()}")
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    names = diff.stdout.split(b"\0") + (untracked.stdout.split(b"\0") if untracked.returncode == 0 else [])
    return {(root / name.decode("utf-8", errors="surrogateescape")).resolve() for name in names if name}
