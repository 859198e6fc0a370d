"""A run that keeps nothing, judged across two processes (pipeline/split.py): the same report as one process, whole
projects taken by the worker from the last back, one project's history shared, a worker that dies mid-way."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import many_migrations, run_cli, run_in_process, write_tree
from migrate_guard.pipeline import split, split_board

pytestmark = pytest.mark.skipif(not split._can_fork() or not Path("/proc/self/task").exists(),
                                reason="the split forks its worker; the interrupt test reads /proc")


def processes(err: str) -> int:
    match = re.search(r"parsed by (\d+) process", err)
    assert match, err
    return int(match.group(1))


def in_projects(*sizes: int) -> dict[str, str]:
    files: dict[str, str] = {}
    for number, size in enumerate(sizes):
        files.update({f"p{number}/{name}": text for name, text in many_migrations(size).items()})
    return files


@pytest.mark.parametrize("sizes", [(450,), (300, 150, 60)], ids=["one project", "three projects"])
def test_a_split_run_reports_what_one_process_does(tmp_path: Path, sizes: tuple[int, ...]) -> None:
    repo = write_tree(tmp_path / "repo", in_projects(*sizes))
    for fmt in ("json", "text", "junit"):
        serial = run_cli("check", "--no-cache", "--format", fmt, "--jobs", "1", "-v", cwd=repo)
        both = run_cli("check", "--no-cache", "--format", fmt, "--jobs", "2", "-v", cwd=repo)
        assert processes(serial.err) == 1 and processes(both.err) == 2
        assert both.code == serial.code == 1 and both.out == serial.out
    assert len(run_cli("check", "--no-cache", "--format", "json", cwd=repo).findings()) > 200


def test_a_partly_checked_database_is_said_so_once_when_its_history_is_shared(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", many_migrations(450))
    serial = run_cli("check", "--no-cache", "--format", "json", "--jobs", "1", "--dialect", "mssql", cwd=repo)
    both = run_cli("check", "--no-cache", "--format", "json", "--jobs", "2", "--dialect", "mssql", cwd=repo)
    said = [f for f in both.json()["findings"] if f["rule"] == "dialect-partly-checked"]
    assert len(said) == 1 and said[0]["migration"] == "000001_step_1"
    assert both.out == serial.out


@pytest.mark.parametrize("claim", ["last project", "middle of one"])
def test_what_a_dead_worker_took_is_judged_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 claim: str) -> None:
    """The worker takes its share (the last project whole, or the second half of the only one's history, which this
    process must then replay up to) and is killed: this process judges it, with the same findings."""
    repo = write_tree(tmp_path / "repo", in_projects(300, 150) if claim == "last project" else many_migrations(450))
    expected = run_in_process("check", "--no-cache", "--format", "json", "--jobs", "1", cwd=repo)

    def take_and_die(parent: int) -> bytes:
        assert split._WORK is not None
        board = split._WORK[0]
        if claim == "last project":
            assert board.next_project(1) == len(board.starts) - 2
        else:  # claims the second half as help_at does once its replay is far enough ahead (here: at once)
            while board.values[split_board._NEXT] == 0:  # this process has begun the only project
                time.sleep(0.001)
            middle, end = board.starts[-1] // 2, board.starts[-1]
            with board.locked():
                assert board.values[split_board._NEXT] < middle
                board.values[split_board._END] = middle
                board.values[split_board._NEXT + 1], board.values[split_board._END + 1] = middle, end
        os.kill(os.getpid(), signal.SIGKILL)
        return b""

    monkeypatch.setattr(split, "_judge_theirs", take_and_die)
    result = run_in_process("check", "--no-cache", "--format", "json", "--jobs", "2", "-v", cwd=repo)
    assert processes(result.err) == 2
    assert result.code == expected.code == 1 and result.out == expected.out


def test_the_board_hands_out_each_position_once() -> None:
    board = split_board.Board([0, 4, 10, 12])  # three projects: 0-3, 4-9, 10-11
    assert board.next_project(0) == 0 and board.next_project(1) == 2 and board.next_project(0) == 1
    assert board.next_project(1) is None  # no whole project left
    assert board.take(0, 4) and board.take(0, 5)
    assert board.other_range(1) == (6, 10)
    assert board.help_at(1, 6) is False  # this process would have 0 left, the helper 4
    assert board.help_at(1, 8) is True  # 2 against 2: both end together
    assert board.take(0, 7) and not board.take(0, 8)  # stopped at the claim
    assert board.take(1, 8) and board.take(1, 9) and not board.take(1, 10)
    assert board.help_at(0, 9) is None  # its range is taken to the end


def test_an_interrupted_run_stops_its_worker(tmp_path: Path) -> None:
    """Ctrl-C reaching only this process (a parent that signals its child) ends the run at once, worker included."""
    repo = write_tree(tmp_path / "repo", many_migrations(5000))
    proc = subprocess.Popen([sys.executable, "-m", "migrate_guard", "check", "--no-cache", "--jobs", "2"], cwd=repo,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while not children.read_text().split() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    worker = children.read_text().split()
    assert worker, "the run never forked its worker"
    proc.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - interrupted < 3  # not after the worker has judged its part
    assert proc.returncode == 130 and err.strip() == "migrate-guard: interrupted"
    assert not Path(f"/proc/{worker[0]}").exists() or "zombie" in Path(f"/proc/{worker[0]}/status").read_text()


@pytest.mark.parametrize("cache", [False, True], ids=["split (no cache)", "extraction pool (cache filled)"])
def test_a_run_that_cannot_fork_is_judged_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         cache: bool) -> None:
    """fork() refused (EAGAIN: the user's process limit; ENOMEM): the same report from one process, no traceback."""
    import errno
    import multiprocessing.process

    repo = write_tree(tmp_path / "repo", many_migrations(450))
    expected = run_in_process("check", "--no-cache", "--format", "json", "--jobs", "1", cwd=repo)

    def refuse(self: object) -> None:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    flags = [] if cache else ["--no-cache"]
    result = run_in_process("check", *flags, "--format", "json", "--jobs", "2", cwd=repo)
    assert result.code == expected.code == 1 and result.out == expected.out


def test_a_worker_whose_parent_is_gone_ends_instead_of_waiting_to_send(tmp_path: Path) -> None:
    """The worker closes its copy of the pipe's reading end: a Ctrl-C that landed while it was being forked left it
    blocked for ever sending its findings to a pipe only it still held open (found under load: an orphan, asleep)."""
    repo = write_tree(tmp_path / "repo", many_migrations(1000))
    code = ("import os, sys\n"
            "from migrate_guard.pipeline import split\n"
            "real = split._judge_theirs\n"
            "def orphaned(parent):\n"
            "    os.kill(parent, 9)\n"  # the parent dies without stopping its worker
            "    while os.getppid() == parent: pass\n"
            "    return real(parent) + bytes(1 << 20)\n"  # more than a pipe holds: sending waits for a reader
            "split._judge_theirs = orphaned\n"
            "from migrate_guard.cli import main\n"
            "sys.exit(main(['check', '--no-cache', '--jobs', '2']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=repo, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=120)  # stderr stays open while the worker lives: this waits for it too
    assert proc.returncode == -signal.SIGKILL, err
