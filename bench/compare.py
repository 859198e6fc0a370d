"""This checkout against another one, runs alternated on the bench corpora (bench/run.py makes them): the paired median
ratio of each case, which holds when the machine itself gets faster or slower between two bench runs.

    python bench/compare.py OTHER_CHECKOUT [--runs 7] [--cases sql-cold,python,ts]

Both checkouts run with this interpreter (its venv's dependencies), each through PYTHONPATH; a ratio below 1 means
this checkout is faster. Make a checkout of a commit with `git worktree add /tmp/old COMMIT`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CORPUS = HERE / "bench" / "corpus"
# case -> (corpus folder, check's arguments, environment; "warm": a cache filled before the timed runs)
CASES: dict[str, tuple[str, list[str], dict[str, str] | str]] = {
    "sql-cold": ("sql", ["db/migrations", "--no-cache"], {}),
    "sql-cold-jobs1": ("sql", ["db/migrations", "--no-cache", "--jobs", "1"], {}),
    "sql-cold-sqlglot": ("sql", ["db/migrations", "--no-cache"], {"MIGRATE_GUARD_SQL_PARSER": "sqlglot"}),
    "sql-warm": ("sql", ["db/migrations"], "warm"),
    "python": ("python", ["--no-cache"], {}),
    "ts": ("ts", ["--no-cache"], {}),
}


def run(code: Path, folder: str, args: list[str], env: dict[str, str]) -> float:
    full = {**os.environ, "PYTHONPATH": str(code), **env}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "migrate_guard", "check", *args, "--format", "json",
                           "--fail-on", "never"], cwd=CORPUS / folder, env=full, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{code}: {' '.join(args)} failed: {done.stderr.strip()[-300:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cases", default=",".join(CASES))
    options = parser.parse_args()
    if not (CORPUS / "sql").is_dir():
        raise SystemExit("no corpora: run `python bench/run.py` once first")
    checkouts = [options.other.resolve(), HERE]
    for name in options.cases.split(","):
        folder, args, setting = CASES[name]
        envs: dict[Path, dict[str, str]] = {}
        for code in checkouts:
            envs[code] = {"XDG_CACHE_HOME": tempfile.mkdtemp()} if setting == "warm" else dict(setting)
            for _ in range(2 if setting == "warm" else 1):  # warm-up (and for "warm", filling the cache)
                run(code, folder, args, envs[code])
        times: dict[Path, list[float]] = {code: [] for code in checkouts}
        for i in range(options.runs):
            for code in checkouts if i % 2 == 0 else checkouts[::-1]:
                times[code].append(run(code, folder, args, envs[code]))
        other, this = (statistics.median(times[code]) for code in checkouts)
        print(f"{name:18} other {other:.3f} s   this {this:.3f} s   this/other {this / other:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
