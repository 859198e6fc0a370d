"""Where the time of one benchmark case goes: migrate-guard run in this process under cProfile, one process
(--jobs 1, so the workers' parsing is in the profile too), self time summed by area, then the top functions.

    bench/.venv/bin/python bench/profile_case.py sql-cold      # 2,000 SQL files, no cache
    bench/.venv/bin/python bench/profile_case.py sql-warm      # the same with the cache filled first
    bench/.venv/bin/python bench/profile_case.py python|ts     # the Python or TS/JS corpus, no cache

cProfile inflates code that makes many small calls (the pure-Python tokenizer most of all): read the shares as a
guide, and confirm with wall times (bench/run.py).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
from contextlib import redirect_stdout
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "corpus"

AREAS = [  # (label, substrings of the code's file path), first match wins
    ("sqlglot tokenizer", ("sqlglot/tokens", "sqlglot/tokenizer", "'TokenizerCore' objects")),
    ("sqlglot parser + syntax tree", ("sqlglot/parser", "sqlglot/parsers/", "sqlglot/expressions", "sqlglot/helper",
                                      "sqlglot/errors", "'Parser' objects")),
    ("sqlglot generator", ("sqlglot/generator", "sqlglot/generators/")),
    ("sqlglot other", ("sqlglot/",)),
    ("migrate-guard SQL extraction", ("migrate_guard/extract/sql", "migrate_guard/extract/sql_file")),
    ("migrate-guard other extractors", ("migrate_guard/extract/",)),
    ("engine (schema state, facts, rules)", ("migrate_guard/engine/",)),
    ("cache (hashing, pickles, files)", ("migrate_guard/cache", "_pickle", "hashlib", "tempfile", "sha256")),
    ("detection and file walking", ("migrate_guard/detect", "migrate_guard/walk")),
    ("paths (pathlib, resolve)", ("pathlib", "posixpath")),
    ("report (JSON)", ("migrate_guard/report", "json/")),
    ("tree-sitter / Python parsing", ("tree_sitter", "libcst", "ast.py", "'compile'")),
]


def area(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for label, needles in AREAS:
        if any(n in where for n in needles):
            return label
    return "other (CLI, planning, imports, builtins)"


def main() -> int:
    case = sys.argv[1] if len(sys.argv) > 1 else "sql-cold"
    folders = {"sql-cold": ("sql", ["db/migrations", "--no-cache"]), "sql-warm": ("sql", ["db/migrations"]),
               "python": ("python", ["--no-cache"]), "ts": ("ts", ["--no-cache"])}
    if case not in folders:
        sys.exit(f"unknown case {case}; one of {', '.join(folders)}")
    folder, args = folders[case]
    if not (CORPUS / folder).is_dir():
        sys.exit("no corpus: run python bench/generate.py (or bench/run.py) first")
    os.chdir(CORPUS / folder)
    os.environ["XDG_CACHE_HOME"] = str(CORPUS / ".cache" / "profile")
    from migrate_guard.cli import main as cli

    argv = ["check", *args, "--jobs", "1", "--format", "json", "--fail-on", "never"]
    if case == "sql-warm":
        with redirect_stdout(io.StringIO()):
            cli(argv)
    profiler = cProfile.Profile()
    with redirect_stdout(io.StringIO()):
        profiler.runcall(cli, argv)
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        label = area(filename, function)
        totals[label] = totals.get(label, 0.0) + tottime
    whole = sum(totals.values())
    if "--other" in sys.argv:  # what the catch-all area holds
        rows = [(v[2], f"{k[0]}:{k[1]}({k[2]})") for k, v in stats.stats.items()  # type: ignore[attr-defined]
                if area(k[0], k[2]).startswith("other")]
        for seconds, name in sorted(rows, reverse=True)[:25]:
            print(f"  {seconds:7.2f} s  {name}")
    print(f"{case}: {whole:.2f} s of profiled time (one process)\n")
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {100 * seconds / whole:5.1f} %  {seconds:7.2f} s  {label}")
    print()
    stats.sort_stats("cumulative").print_stats(r"migrate_guard", 30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
