"""Mutation fuzzing (issue 17): fixtures mutated with a fixed seed (byte flips, truncation, duplication, splicing,
hostile tokens) and checked in-process. Whatever the input: no traceback, an exit code in {0, 1, 2}, and no file
written anywhere but the cache folder.

CI runs MG_FUZZ_N inputs (default 2,000); a longer local run: `MG_FUZZ_N=50000 python -m pytest -q tests/test_fuzz.py`
(MG_FUZZ_SEED picks another sequence). A failure names the seed entry and the mutations, enough to replay it.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migrate_guard.cli import main

FUZZ_N = int(os.environ.get("MG_FUZZ_N", "2000"))
FUZZ_SEED = int(os.environ.get("MG_FUZZ_SEED", "0"))
SPOT_CHECKS = 6  # inputs also run as a real subprocess
MAX_SEED_BYTES = 64 * 1024

HOSTILE_TOKENS = [
    b"'", b'"', b"`", b"$$", b"$tag$", b"$1", b"/*", b"*/", b"--", b"#", b"//", b"\\", b"\x00", b"\xff\xfe", b"\xc3",
    b"\xef\xbb\xbf", b"\r", b"\r\n", b"\x1b[2J", "\u202e".encode(), b";", b";;;;", b"\n" * 64, b"\t",
    b"99999999999999999999999999999999999999", b"-9223372036854775809", b"1e999", b"0x", b"NaN", b"(" * 300,
    b")" * 50, b"[" * 300, b"{" * 300, b"}" * 50, b"((((((((((" * 100, b"a" * 5000, b"\xe2\x80\x8f" * 10,
    b"DROP TABLE x;", b"CREATE TABLE", b"ALTER TABLE t", b"BEGIN", b"END;", b"COPY t FROM stdin;\n", b"\\.\n",
    b"INSERT INTO t VALUES (", b"DELIMITER $$\n", b"CREATE FUNCTION f() RETURNS int AS $$ BEGIN",
    b"-- migrate-guard: ignore-file\n", b"-- migrate-guard: ignore\n", b"# migrate-guard: ignore drop-table\n",
    b"// migrate-guard: ignore nope-rule\n", b"-- +goose Up\n", b"-- +goose Down\n", b"-- +goose StatementBegin\n",
    b"-- migrate:up\n", b"-- migrate:down\n", b"op.drop_table(", b"op.execute(", b"f'{x}'", b'"""', b"'''",
    b"migrations.RunSQL(", b"lambda: ", b"def upgrade():\n", b"revision = ", b"down_revision = (", b"\\N",
    b"await knex.schema.dropTable(", b"queryRunner.query(`", b"${", b"`", b"=>", b"exports.up = ",
    b"model X {\n", b"@@index([", b"datasource db {\n", b'provider = "', b"[tool.migrate-guard]\n", b"dialect = 1\n",
    b"%s", b"{}", b"%(x)s", b"\xf0\x9f\x92\xa9", b"\xed\xa0\x80", b"\x7f", b"\x85", "\u2028".encode(),
]
OPTIONS = [[], ["--format", "text"], ["--format", "github"], ["--format", "sarif"], ["--format", "junit"],
           ["--format", "markdown"], ["--format", "gitlab"], ["--statistics"], ["--quiet", "--select", "destructive"],
           ["--fail-on", "warning"], ["--fail-on", "info"], ["--dialect", "mysql"], ["--dialect", "sqlite"],
           ["--no-cache"], ["--jobs", "2"]]


@dataclass
class Case:
    number: int
    entry: Path  # the fixture entry (a migration file or a small project folder)
    target: str  # the file of the entry that was mutated, relative to the entry
    mutations: list[str]
    argv: list[str]
    detect: bool  # run without paths, from inside the entry (detection), instead of `check ENTRY`

    def describe(self) -> str:
        return (f"case {self.number}: {self.entry.relative_to(FIXTURES)} :: {self.target} mutated by "
                f"{'; '.join(self.mutations)}; argv {self.argv}{' (detection)' if self.detect else ''}")


def seed_entries() -> list[Path]:
    entries = sorted(p for p in FIXTURES.glob("rules/*/*/*") if p.parent.name in ("bad", "good"))
    for fmt in ("alembic", "django", "knex", "prisma", "sequelize", "typeorm", "demo"):
        entries.extend(sorted(p for p in (FIXTURES / fmt).iterdir() if p.is_dir()))
    return [e for e in entries if _text_files(e)]


def _text_files(entry: Path) -> list[Path]:
    files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
    return [f for f in files if f.stat().st_size <= MAX_SEED_BYTES and not f.is_symlink()]


def mutate(data: bytes, rnd: random.Random, splice_from: bytes) -> tuple[bytes, str]:
    choice = rnd.randrange(7)
    at = rnd.randint(0, len(data))
    if choice == 0 and data:
        position = rnd.randrange(len(data))
        flipped = bytes([data[position] ^ (1 << rnd.randrange(8))])
        return data[:position] + flipped + data[position + 1:], f"flip byte {position}"
    if choice == 1:
        return data[:at], f"truncate at {at}"
    if choice == 2 and data:
        end = min(len(data), at + rnd.randint(1, 400))
        times = rnd.choice((2, 3, 50))
        return data[:at] + data[at:end] * times + data[end:], f"repeat {at}:{end} x{times}"
    if choice == 3 and splice_from:
        start = rnd.randrange(len(splice_from))
        piece = splice_from[start:start + rnd.randint(1, 2000)]
        return data[:at] + piece + data[at:], f"splice {len(piece)} bytes at {at}"
    if choice == 4 and data:
        end = min(len(data), at + rnd.randint(1, 200))
        return data[:at] + data[end:], f"delete {at}:{end}"
    token = rnd.choice(HOSTILE_TOKENS)
    return data[:at] + token + data[at:], f"insert {token[:20]!r} at {at}"


def run_in_process(argv: list[str], cwd: Path) -> tuple[int | None, str, str, str | None]:
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: int | None = main(argv)
            except SystemExit as stop:  # argparse
                code = stop.code if isinstance(stop.code, int) else 2
            except BaseException:  # noqa: BLE001 - any escape is the finding
                return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue(), None


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            state[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size)
    return state


def test_mutated_fixtures_never_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("NO_COLOR", "1")
    for variable in ("MIGRATE_GUARD_CONFIG", "DATABASE_URL", "NODE_ENV", "APP_ENV"):
        monkeypatch.delenv(variable, raising=False)
    entries = seed_entries()
    rnd = random.Random(FUZZ_SEED)
    problems: list[str] = []
    spot: list[tuple[Case, Path]] = []
    for number in range(FUZZ_N):
        entry = rnd.choice(entries)
        files = _text_files(entry)
        target_file = rnd.choice(files)
        target = "." if entry.is_file() else str(target_file.relative_to(entry))
        data = target_file.read_bytes()
        mutations = []
        for _ in range(rnd.choice((1, 1, 2, 3, 5))):
            data, mutation = mutate(data, rnd, rnd.choice(_text_files(rnd.choice(entries))).read_bytes())
            mutations.append(mutation)
        options = rnd.choice(OPTIONS)
        # one process unless the case asks for more: a worker pool per input would be most of the budget
        case = Case(number, entry, target, mutations, ["check", *options, *([] if "--jobs" in options else ["--jobs", "1"])],
                    detect=entry.is_dir() and rnd.random() < 0.25)
        work = tmp_path / "cases" / str(number)
        work.mkdir(parents=True)
        copy = work / entry.name
        if entry.is_file():
            copy.write_bytes(data)
        else:
            shutil.copytree(entry, copy, symlinks=True)
            (copy / target).write_bytes(data)
        argv = case.argv if case.detect else [*case.argv, "--fail-on", "never", entry.name]
        if case.detect and "--fail-on" not in argv:
            argv = [*argv, "--fail-on", "never"]
        before = snapshot(work)
        code, out, err, crash = run_in_process(argv, copy if case.detect else work)
        if crash is not None or "Traceback" in err:
            problems.append(f"{case.describe()}\n{crash or err}")
        elif code not in (0, 1, 2):
            problems.append(f"{case.describe()}\nexit code {code}: {err[-500:]}")
        elif snapshot(work) != before:
            problems.append(f"{case.describe()}\nwrote into the project: "
                            f"{sorted(set(snapshot(work).items()) ^ set(before.items()))[:5]}")
        elif code == 2 and not err.strip():
            problems.append(f"{case.describe()}\nexit 2 without a message")
        if len(spot) < SPOT_CHECKS and number % max(1, FUZZ_N // SPOT_CHECKS) == 0:
            spot.append((case, work))
        else:
            shutil.rmtree(work)
        if len(problems) >= 20:
            break
    assert {p.name for p in tmp_path.iterdir()} <= {"cache", "cases"}, "files written beside the project"
    assert not problems, f"{len(problems)} of {number + 1} inputs failed:\n\n" + "\n\n".join(problems)
    for case, work in spot:  # the same inputs as a real process: the same contract
        result = run_cli(*case.argv, "--fail-on", "never", case.entry.name, cwd=work, env={"XDG_CACHE_HOME": str(cache)})
        assert result.code in (0, 1, 2), case.describe()
