"""migrate-guard against squawk, side by side: whole processes timed from the outside, runs alternated A B A B.

    python bench/run.py                 # fresh clone: generates the corpora, builds bench/.venv, prints the table
    python bench/run.py --runs 9        # more runs per tool and case (default 5, after one untimed warm-up)
    python bench/run.py --current       # use the running interpreter's environment instead of bench/.venv
    python bench/run.py --sqlglotc      # also time the SQL cases with sqlglot's compiled build (bench/.venv-sqlglotc)
    python bench/run.py --cases large,monorepo --large-runs 1
                                        # the 20,000-file project (cold, warm, --changed-since with and without a
                                        # cache, cache filling; peak RSS; findings identity) and the 100,000-file
                                        # monorepo, generated on first use under bench/corpus/ (git-ignored)

Not part of the test suite. Needs network access to a PyPI index (or mirror) the first time, for squawk-cli.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS = BENCH / "corpus"
RESULTS = CORPUS / "results.json"
sys.path.insert(0, str(BENCH))

from generate import generate, generate_large, generate_monorepo  # noqa: E402

BIN = "Scripts" if os.name == "nt" else "bin"
NON_MIGRATION_FILES = {  # what a pre-commit run passes when a commit touches no migration
    "README.md": "# shop\n\nThe shop service.\n",
    "Makefile": "test:\n\tgo test ./...\n",
    "docs/deploy.md": "# Deploying\n\nRun the pipeline.\n",
    "src/server.go": "package main\n\nfunc main() {}\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    "package.json": '{"name": "shop", "private": true}\n',
    "config/settings.yaml": "debug: false\n",
    "web/styles.css": "body { margin: 0; }\n",
}


# ---------------------------------------------------------------- environment


@dataclass
class Env:
    python: Path
    bin: Path
    label: str

    def tool(self, name: str) -> str:
        return str(self.bin / name)


def pip_install(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                   check=True)


def installed(python: Path, module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([str(python), "-c", code]).returncode == 0


def sqlglot_version(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sqlglot; print(sqlglot.__version__)"], capture_output=True,
                          text=True, check=True).stdout.strip()


def make_env(folder: Path, sqlglotc: bool = False) -> Env:
    """A venv with migrate-guard (editable, this checkout, with the `pg` extra) and squawk-cli; created once, then
    reused (an older one without pglast gets it)."""
    python = folder / BIN / "python"
    if not python.exists():
        print(f"creating {folder.relative_to(REPO)} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    if not installed(python, "migrate_guard") or not installed(python, "pglast") \
            or not all((folder / BIN / name).exists() for name in ("squawk", "migrate-guard-hook")):
        pip_install(python, "-e", f"{REPO}[pg]", "squawk-cli")  # the targets are with the `pg` extra
    if sqlglotc and not _has_sqlglotc(python):
        # sqlglot[c] pins sqlglotc to its own version: pip picks a sqlglot that has one (sqlglotc can lag behind)
        pip_install(python, "sqlglot[c]")
    return Env(python=python, bin=folder / BIN, label="sqlglotc" if sqlglotc else "sqlglot")


def _has_sqlglotc(python: Path) -> bool:
    code = "import sqlglot.parser as p, sys; sys.exit(not p.__file__.endswith(('.so', '.pyd')))"
    return subprocess.run([str(python), "-c", code]).returncode == 0


def current_env() -> Env:
    python = Path(sys.executable)
    folder = python.parent
    if not installed(python, "migrate_guard"):
        sys.exit("migrate-guard is not installed in this environment (pip install -e .), or drop --current")
    if not (folder / "squawk").exists():
        pip_install(python, "squawk-cli")
    return Env(python=python, bin=folder, label="sqlglot")


# ---------------------------------------------------------------- timing


@dataclass
class Sample:
    wall: float  # seconds
    rss_mb: float  # peak resident set of the largest process in the tree (ru_maxrss of wait4)
    code: int


@dataclass
class Contender:
    name: str
    argv: list[str]
    cwd: Path
    prepare: Callable[[], None] | None = None  # run before every timed run (untimed)
    ok_codes: tuple[int, ...] = (0, 1)
    samples: list[Sample] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)  # on top of the bench's environment


def time_process(argv: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss: KiB on Linux, bytes on macOS; it covers the process and its reaped children (worker processes)
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Sample(wall=wall, rss_mb=rss, code=process.returncode)


def run_case(contenders: list[Contender], runs: int, env: dict[str, str], warm_up: bool = True) -> None:
    """One untimed warm-up each (page cache, .pyc), then `runs` rounds alternating the contenders."""
    for c in contenders if warm_up else []:
        if c.prepare:
            c.prepare()
        time_process(c.argv, c.cwd, {**env, **c.extra_env})
    for _ in range(runs):
        for c in contenders:
            if c.prepare:
                c.prepare()
            sample = time_process(c.argv, c.cwd, {**env, **c.extra_env})
            if sample.code not in c.ok_codes:
                raise RuntimeError(f"{c.name} exited {sample.code}: {' '.join(c.argv[:6])} ...")
            c.samples.append(sample)


def median(c: Contender) -> float:
    return statistics.median(s.wall for s in c.samples)


# ---------------------------------------------------------------- cases


@dataclass
class Row:
    case: str
    tool: str
    samples: list[Sample]
    ratio: str = ""
    note: str = ""


@dataclass
class Target:
    case: str
    goal: str
    measured: str
    met: bool | None  # None: not measurable yet


class Bench:
    def __init__(self, env: Env, runs: int) -> None:
        self.env = env
        self.runs = runs
        self.rows: list[Row] = []
        self.targets: list[Target] = []
        self.cache_dir = CORPUS / ".cache" / env.label
        self.proc_env = dict(os.environ, XDG_CACHE_HOME=str(self.cache_dir), NO_COLOR="1")
        for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
            self.proc_env.pop(name, None)
        self.sql_dir = CORPUS / "sql"
        self.identities: list[tuple[bool, str]] = []
        self.sql_files = sorted(str(p.relative_to(self.sql_dir)) for p in (self.sql_dir / "db" / "migrations").glob("*.sql"))

    # helpers
    def mg(self, *args: str) -> list[str]:
        return [self.env.tool("migrate-guard"), "check", *args, "--format", "json", "--fail-on", "never"]

    def squawk(self, files: list[str]) -> list[str]:
        return [self.env.tool("squawk"), "--reporter", "json", *files]

    def python(self, code: str) -> list[str]:
        return [str(self.env.python), "-c", code]

    def capture(self, argv: list[str], cwd: Path, extra_env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=cwd, env={**self.proc_env, **(extra_env or {})}, capture_output=True,
                              text=True)

    def add(self, case: str, contenders: list[Contender], ratio_to: str | None = None, note: str = "",
            runs: int | None = None, warm_up: bool = True) -> None:
        run_case(contenders, runs or self.runs, self.proc_env, warm_up)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        if load is not None:  # other work on the machine skews absolute times (ratios less: runs alternate)
            note = f"{note}; load {load:.1f}" if note else f"load {load:.1f}"
        base = next((c for c in contenders if c.name == ratio_to), None)
        for c in contenders:
            ratio = f"{median(c) / median(base):.2f}x" if base is not None and c is not base else ""
            self.rows.append(Row(case, c.name, c.samples, ratio, note if c is contenders[0] else ""))

    def fill_cache(self) -> None:
        self.capture(self.mg("db/migrations"), self.sql_dir)

    # the cases of the issue
    def sql_cold(self) -> None:
        mg = Contender("migrate-guard", self.mg("db/migrations", "--no-cache"), self.sql_dir)
        # by default migrate-guard starts one worker per idle core (load average): on a busy machine, often one
        jobs = Contender(f"migrate-guard --jobs {os.cpu_count()}",
                         self.mg("db/migrations", "--no-cache", "--jobs", str(os.cpu_count())), self.sql_dir)
        sq = Contender("squawk", self.squawk(self.sql_files), self.sql_dir)
        self.add("2,000 SQL files, cold", [mg, jobs, sq], ratio_to="squawk")
        ratio = median(mg) / median(sq)
        self.targets.append(Target("2,000 SQL files, cold", "<= 1.5x squawk", f"{ratio:.2f}x", ratio <= 1.5))

    def sql_cold_sqlglot(self) -> None:
        """The same cold run without the `pg` extra: every statement through sqlglot (the environment variable
        forces it even where pglast is installed)."""
        mg = Contender("migrate-guard, sqlglot", self.mg("db/migrations", "--no-cache"), self.sql_dir,
                       extra_env={"MIGRATE_GUARD_SQL_PARSER": "sqlglot"})
        sq = Contender("squawk", self.squawk(self.sql_files), self.sql_dir)
        self.add("2,000 SQL files, cold, without the extra", [mg, sq], ratio_to="squawk")
        ratio = median(mg) / median(sq)
        self.targets.append(Target("2,000 SQL files, cold, without the extra", "<= 4x squawk", f"{ratio:.2f}x",
                                   ratio <= 4))

    def sql_warm(self) -> None:
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        # filled before every timed run: an edit to the installed code (a shared checkout) would turn it cold
        mg = Contender("migrate-guard", self.mg("db/migrations"), self.sql_dir, prepare=self.fill_cache)
        sq = Contender("squawk", self.squawk(self.sql_files), self.sql_dir)
        self.add("2,000 SQL files, cache warm", [mg, sq], ratio_to="squawk")
        ratio = median(mg) / median(sq)
        self.targets.append(Target("2,000 SQL files, cache warm", "<= 0.35x squawk", f"{ratio:.2f}x", ratio <= 0.35))

    def one_sql(self) -> None:
        """One migration file on its own (its project holds only it): start-up, imports and one parse, cold."""
        source = self.sql_dir / self.sql_files[len(self.sql_files) // 2 + 1]  # an up file mid-history
        folder = CORPUS / "one"
        (folder / "db" / "migrations").mkdir(parents=True, exist_ok=True)
        one = f"db/migrations/{source.name}"
        shutil.copyfile(source, folder / one)
        mg = Contender("migrate-guard", self.mg(one, "--no-cache"), folder)
        sq = Contender("squawk", self.squawk([one]), folder)
        imp = Contender('python -c "import sqlglot"', self.python("import sqlglot"), folder, ok_codes=(0,))
        self.add("one SQL file", [mg, sq, imp], ratio_to="squawk", note=source.name)
        ratio = median(mg) / median(imp)
        self.rows[-1].ratio = f"mg {ratio:.2f}x of this"
        self.targets.append(Target("one SQL file", '<= 1.0x python -c "import sqlglot"', f"{ratio:.2f}x",
                                   ratio <= 1.0))

    def one_sql_in_project(self) -> None:
        """What pre-commit does in a big repository: the one new file, judged after the project's 999 earlier
        migrations (served from the cache, as on every commit after the first)."""
        one = self.sql_files[-1]
        mg = Contender("migrate-guard", self.mg(one), self.sql_dir, prepare=self.fill_cache)
        sq = Contender("squawk", self.squawk([one]), self.sql_dir)
        self.add("one SQL file in the 2,000-file project, warm", [mg, sq], ratio_to="squawk", note=one)

    def non_migration(self) -> None:
        # outside this repository: its pyproject.toml names migrate-guard, which makes the fast path parse it with
        # tomllib looking for a [tool.migrate-guard] section (about +20 ms), unlike a repository that only runs the hook
        folder = Path(tempfile.gettempdir()) / "migrate-guard-bench-precommit"
        for name, text in NON_MIGRATION_FILES.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        files = sorted(NON_MIGRATION_FILES)
        # exactly what pre-commit runs: the hook's `entry` (.pre-commit-hooks.yaml) + the file names; text format
        mg = Contender("migrate-guard-hook", [self.env.tool("migrate-guard-hook"), "check", *files], folder,
                       ok_codes=(0,))
        base = Contender("python -c pass", self.python("pass"), folder, ok_codes=(0,))
        # for comparison: the console script pip generates for humans imports `re` before our code runs
        console = Contender("migrate-guard (pip console script)", [self.env.tool("migrate-guard"), "check", *files],
                            folder, ok_codes=(0,))
        floor = Contender('python -c "import re"', self.python("import re"), folder, ok_codes=(0,))
        self.add("only non-migration files (pre-commit)", [mg, base, console, floor], ratio_to="python -c pass",
                 note=f"{len(files)} files")
        ratio = median(mg) / median(base)
        self.targets.append(Target("only non-migration files", "<= 1.5x python -c pass", f"{ratio:.2f}x",
                                   ratio <= 1.5))

    def corpus_case(self, case: str, folder: Path, orms: tuple[str, ...], baseline: str, limit: float) -> None:
        """A whole corpus, linted from its root with project detection (as in CI), cold, against the bare cost of
        reading and parsing its migration files in one process (bench/baselines.py `baseline`), runs alternated."""
        probe = self.capture(self.mg("--no-cache"), folder)
        linted = _linted_orms(probe.stdout)
        missing = [orm for orm in orms if orm not in linted]
        if probe.returncode not in (0, 1) or missing:
            why = (probe.stderr.strip().splitlines() or ["no output"])[-1] if probe.returncode not in (0, 1) \
                else f"no {', '.join(missing)} migration linted"
            self.rows.append(Row(case, "migrate-guard", [], note=f"not available yet ({why[:80]})"))
            self.targets.append(Target(case, f"<= {limit:g}x read + {baseline}", "not available yet", None))
            return
        mg = Contender("migrate-guard", self.mg("--no-cache"), folder)
        bare = Contender(f"read + {baseline}", self.python_script("baselines.py", baseline, str(folder)), folder,
                         ok_codes=(0,))
        files = json.loads(probe.stdout).get("summary", {}).get("files", "?")
        self.add(case, [mg, bare], ratio_to=bare.name,
                 note=f"{files} files linted; with findings: " + ", ".join(f"{orm} {linted[orm]}" for orm in orms))
        ratio = median(mg) / median(bare)
        self.targets.append(Target(case, f"<= {limit:g}x read + {baseline}", f"{ratio:.2f}x", ratio <= limit))

    def python_script(self, name: str, *args: str) -> list[str]:
        return [str(self.env.python), str(BENCH / name), *args]

    # the large cases: generated on first use, one run each by default (--large-runs), no warm-up run

    def large(self, runs: int) -> None:
        """The 20,000-file project (one golang-migrate folder in a git repository whose two newest files are
        edited): cold, cache filling, warm, and --changed-since HEAD with and without a cache; peak RSS of each."""
        folder = generate_large(CORPUS)
        cache = CORPUS / ".cache" / f"{self.env.label}-large"
        env = dict(self.proc_env, XDG_CACHE_HOME=str(cache))

        def fill() -> None:
            subprocess.run(self.mg("db/migrations"), cwd=folder, env=env, capture_output=True)

        def empty() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        cold = Contender("cold (--no-cache)", self.mg("db/migrations", "--no-cache"), folder)
        changed = Contender("--changed-since HEAD, no cache", self.mg("--changed-since", "HEAD", "--no-cache"), folder)
        saved, self.proc_env = self.proc_env, env
        try:
            self.add("20,000-file project: 2 changed files without a cache vs a cold full run", [cold, changed],
                     ratio_to=cold.name, runs=runs, warm_up=False)
            ratio = median(changed) / median(cold)
            self.targets.append(Target("2 changed files in the 20,000-file project, --changed-since, no cache",
                                       "<= 0.25x a cold full run", f"{ratio:.2f}x", ratio <= 0.25))
            filling = Contender("cache filling (empty cache)", self.mg("db/migrations"), folder, prepare=empty)
            warm = Contender("cache warm", self.mg("db/migrations"), folder, prepare=fill)
            cached = Contender("--changed-since HEAD, from the cache", self.mg("--changed-since", "HEAD"), folder,
                               prepare=fill)
            self.add("20,000-file project with the cache, vs filling it", [filling, warm, cached],
                     ratio_to=filling.name, runs=runs, warm_up=False)
        finally:
            self.proc_env = saved
        peak = {c.name: max(s.rss_mb for s in c.samples) for c in (cold, changed, filling, warm, cached)}
        for name, mb in peak.items():
            self.targets.append(Target(f"peak memory, 20,000-file project, {name}", "<= 300 MB", f"{mb:.0f} MB",
                                       mb <= 300))
        self.identities.append(self.identical_across(folder, env, cache, "db/migrations"))

    def monorepo(self, runs: int) -> None:
        """100,000 files, 2% of them migrations in 20 projects: check from the root, with detection, cold."""
        folder = generate_monorepo(CORPUS)
        mg = Contender("migrate-guard", self.mg("--no-cache"), folder)
        self.add("100,000-file monorepo (2,000 migration files in 20 projects), cold", [mg], runs=runs,
                 warm_up=False)
        peak = max(s.rss_mb for s in mg.samples)
        self.targets.append(Target("peak memory, 100,000-file monorepo", "<= 300 MB", f"{peak:.0f} MB", peak <= 300))

    def identical_across(self, folder: Path, env: dict[str, str], cache: Path, *paths: str) -> tuple[bool, str]:
        """Findings with/without the cache and with/without the pool, byte for byte."""
        shutil.rmtree(cache, ignore_errors=True)
        variants = {
            "no cache, 1 process": self.mg(*paths, "--no-cache", "--jobs", "1"),
            "no cache, 2 processes": self.mg(*paths, "--no-cache", "--jobs", "2"),
            "cache filling": self.mg(*paths),
            "cache warm": self.mg(*paths),
            "cache warm, replayed": self.mg(*paths),
        }
        # Written to files and compared there: tens of MB of JSON held in this process would show in the peak RSS
        # of every process it starts later (a forked child inherits its parent's resident pages until exec).
        outputs = {name: CORPUS / ".cache" / f"identity-{n}.json" for n, name in enumerate(variants)}
        codes = {}
        for name, argv in variants.items():
            with outputs[name].open("wb") as handle:
                codes[name] = subprocess.run(argv, cwd=folder, env=env, stdout=handle,
                                             stderr=subprocess.DEVNULL).returncode
        reference = outputs["no cache, 1 process"]
        differ = [name for name, path in outputs.items()
                  if codes[name] not in (0, 1) or not filecmp.cmp(path, reference, shallow=False)]
        label = folder.name
        if differ:
            return False, f"{label}: DIFFERENT in {', '.join(differ)}"
        with reference.open("rb") as handle:
            count = sum(chunk.count(b'"rule": ') for chunk in iter(lambda: handle.read(1 << 20), b""))
        return True, f"{label}: identical across {', '.join(outputs)}: {count} findings"

    def memory_target(self) -> None:
        mg = [s.rss_mb for r in self.rows if r.tool.startswith("migrate-guard") for s in r.samples]
        if mg:
            peak = max(mg)
            self.targets.append(Target("peak memory, any case", "<= 300 MB", f"{peak:.0f} MB", peak <= 300))

    def findings_identical(self) -> tuple[bool, str]:
        """Findings on the SQL corpus: serial and parallel, no cache and warm cache, native parser and sqlglot, must
        be byte-identical."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        variants = {
            "no cache, 1 process": self.mg("db/migrations", "--no-cache", "--jobs", "1"),
            "no cache, parallel": self.mg("db/migrations", "--no-cache", "--jobs", "2"),
            "cache filling, default": self.mg("db/migrations"),
            "cache warm, default": self.mg("db/migrations"),
            "cache warm, replayed": self.mg("db/migrations"),  # the run before kept itself (pipeline/replay.py)
            "cache warm, 1 process": self.mg("db/migrations", "--jobs", "1"),
        }
        outputs = {name: self.capture(argv, self.sql_dir) for name, argv in variants.items()}
        outputs["no cache, sqlglot"] = self.capture(self.mg("db/migrations", "--no-cache", "--jobs", "1"),
                                                    self.sql_dir, {"MIGRATE_GUARD_SQL_PARSER": "sqlglot"})
        bad = [name for name, out in outputs.items() if out.returncode not in (0, 1)]
        if bad:
            return False, f"failed: {', '.join(bad)}"
        reference = outputs["no cache, 1 process"].stdout
        differ = [name for name, out in outputs.items() if out.stdout != reference]
        count = len(json.loads(reference)["findings"])
        if differ:
            return False, f"DIFFERENT in: {', '.join(differ)} ({count} findings in the reference)"
        return True, f"identical across {len(outputs)} runs ({', '.join(outputs)}): {count} findings"


def _linted_orms(stdout: str) -> dict[str, int]:
    """ORM -> migrations with at least one finding or linted file, read from the JSON report."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return {}
    counts: dict[str, set[str]] = {}
    for finding in report.get("findings", []):
        counts.setdefault(finding.get("orm", "?"), set()).add(finding.get("path", ""))
    return {orm: len(paths) for orm, paths in counts.items()}


# ---------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def versions(env: Env) -> str:
    mg = subprocess.run([env.tool("migrate-guard"), "--version"], capture_output=True, text=True).stdout.strip()
    squawk = subprocess.run([env.tool("squawk"), "--version"], capture_output=True, text=True).stdout.strip()
    py = subprocess.run([str(env.python), "-c", "import platform; print(platform.python_version())"],
                        capture_output=True, text=True).stdout.strip()
    build = "compiled (sqlglotc)" if _has_sqlglotc(env.python) else "pure Python"
    native = "pglast (the pg extra)" if installed(env.python, "pglast") else "NO pglast: every case without the pg extra"
    return f"{mg}, {squawk}, Python {py}, sqlglot {sqlglot_version(env.python)} {build}, {native}"


def format_table(rows: list[Row]) -> str:
    header = ["case", "tool", "runs", "min s", "median s", "max s", "peak RSS MB", "median ratio", "note"]
    lines = [header]
    for r in rows:
        if not r.samples:
            lines.append([r.case, r.tool, "0", "-", "-", "-", "-", "", r.note])
            continue
        walls = [s.wall for s in r.samples]
        lines.append([r.case, r.tool, str(len(walls)), f"{min(walls):.3f}", f"{statistics.median(walls):.3f}",
                      f"{max(walls):.3f}", f"{max(s.rss_mb for s in r.samples):.0f}", r.ratio, r.note])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def format_targets(targets: list[Target]) -> str:
    lines = ["| target | goal | measured | met |", "|---|---|---|---|"]
    for t in targets:
        met = "n/a" if t.met is None else ("yes" if t.met else "NO")
        lines.append(f"| {t.case} | {t.goal} | {t.measured} | {met} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

CASES = ("sql-cold", "sql-cold-sqlglot", "sql-warm", "one-sql", "one-sql-in-project", "non-migration", "python", "ts")
LARGE_CASES = ("large", "monorepo")  # minutes each: only when asked for (--cases)


def main() -> int:
    parser = argparse.ArgumentParser(description="migrate-guard vs squawk benchmark")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and case (default 5)")
    parser.add_argument("--current", action="store_true", help="use this interpreter's environment")
    parser.add_argument("--sqlglotc", action="store_true",
                        help="also run the SQL cases in a second environment with sqlglotc")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated subset of {','.join(CASES + LARGE_CASES)} (default: all but "
                             f"{', '.join(LARGE_CASES)})")
    parser.add_argument("--large-runs", type=int, default=1, help="timed runs of each large case (default 1)")
    parser.add_argument("--skip-identity", action="store_true", help="skip the findings identity check")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]

    counts = generate(CORPUS)
    if counts:
        print("generated corpus: " + ", ".join(f"{k} {v} files" for k, v in counts.items()), flush=True)
    env = current_env() if args.current else make_env(BENCH / ".venv")
    envs = [env]
    if args.sqlglotc:
        envs.append(make_env(BENCH / ".venv-sqlglotc", sqlglotc=True))

    results: dict[str, object] = {"machine": machine(), "runs": args.runs, "environments": {}}
    print(f"machine: {results['machine']}")
    started = time.time()
    for e in envs:
        bench = Bench(e, args.runs)
        print(f"\n## {e.label}: {versions(e)}", flush=True)
        sql_only = e is not envs[0]
        for case in cases:
            if sql_only and case not in ("sql-cold", "one-sql"):
                continue
            print(f"  running {case} ...", flush=True)
            {"sql-cold": bench.sql_cold, "sql-cold-sqlglot": bench.sql_cold_sqlglot, "sql-warm": bench.sql_warm, "one-sql": bench.one_sql,
             "one-sql-in-project": bench.one_sql_in_project,
             "non-migration": bench.non_migration,
             "python": lambda: bench.corpus_case("1,000 Django/Alembic files, cold", CORPUS / "python",
                                                 ("django", "alembic"), "ast", 3.0),
             "ts": lambda: bench.corpus_case("1,000 TS/JS files, cold", CORPUS / "ts",
                                             ("typeorm", "knex", "sequelize"), "tree-sitter", 3.0),
             "large": lambda: bench.large(args.large_runs),
             "monorepo": lambda: bench.monorepo(args.large_runs)}[case]()
        bench.memory_target()
        identity = (True, "skipped") if args.skip_identity or sql_only else bench.findings_identical()
        for large_identity in bench.identities:
            identity = (identity[0] and large_identity[0], f"{identity[1]}; {large_identity[1]}")
        print()
        print(format_table(bench.rows))
        print()
        print(format_targets(bench.targets))
        print(f"\nfindings on the SQL corpus with/without cache and parallelism: "
              f"{'OK' if identity[0] else 'FAILED'}: {identity[1]}")
        results["environments"][e.label] = {  # type: ignore[index]
            "versions": versions(e),
            "rows": [{"case": r.case, "tool": r.tool, "wall": [s.wall for s in r.samples],
                      "rss_mb": [s.rss_mb for s in r.samples], "ratio": r.ratio, "note": r.note} for r in bench.rows],
            "targets": [t.__dict__ for t in bench.targets],
            "identity": identity,
        }
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"\n{time.time() - started:.0f} s; raw numbers in {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
