"""Running the native tool so that its output always reaches the user (redacted), and keeping it when it is read."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import UsageError
from .environment import redact, show_command


@dataclass(slots=True)
class Completed:
    code: int
    output: str  # stdout and stderr as they came (only when captured)


def announce(argv: list[str], cwd: Path) -> None:
    print(f"$ {show_command(argv)}", flush=True)


def stream(argv: list[str], cwd: Path) -> int:
    """Run with the terminal as is: the tool's output goes straight to the user."""
    announce(argv, cwd)
    sys.stdout.flush()
    if not (sys.stdout.isatty() and sys.stderr.isatty()):
        # A log (CI) keeps what it is given: the tool's output passes through redact() on its way there.
        return _piped(argv, cwd, quiet=False, stdin=None).code
    try:
        return subprocess.run(argv, cwd=cwd).returncode
    except (OSError, ValueError) as error:
        raise _cannot_run(argv, error) from None


def _cannot_run(argv: list[str], error: Exception) -> Exception:
    """The one line a native tool that cannot be started gets (exit 2), or the error itself when it is another."""
    if isinstance(error, FileNotFoundError):
        return UsageError(f"cannot run {argv[0]}: not found")
    if isinstance(error, PermissionError):
        return UsageError(f"cannot run {argv[0]}: not executable")
    if isinstance(error, ValueError):  # a NUL byte in an argument (a name, a URL): no program can receive it
        return UsageError("an argument for the native tool contains a NUL byte")
    return error


def tee(argv: list[str], cwd: Path, quiet: bool = False) -> Completed:
    """Run, echoing stdout and stderr as they arrive (unless quiet), and keep the text to read the state from."""
    if not quiet:
        announce(argv, cwd)
    return _piped(argv, cwd, quiet=quiet, stdin=subprocess.DEVNULL)


def _piped(argv: list[str], cwd: Path, quiet: bool, stdin: int | None) -> Completed:
    try:
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin,
                                   text=True, errors="replace", bufsize=1)
    except (OSError, ValueError) as error:
        raise _cannot_run(argv, error) from None
    chunks: list[str] = []
    lock = threading.Lock()

    def pump(source: IO[str], target: IO[str]) -> None:
        for line in source:
            with lock:
                chunks.append(line)
                if not quiet:
                    target.write(redact(line))
                    target.flush()

    threads = [threading.Thread(target=pump, args=(process.stdout, sys.stdout)),
               threading.Thread(target=pump, args=(process.stderr, sys.stderr))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Completed(process.wait(), "".join(chunks))

