"""Command line: `migrate-guard COMMAND ...` (and `python -m migrate_guard`).

Each command is a module in commands/ with `add_parser(subparsers)` and `run(args) -> int`; heavy imports happen
inside `run`, never here.
"""

from __future__ import annotations

import sys

from .errors import UsageError

# argparse (and the `re`, `gettext` and `typing` it pulls in) costs more than Python's own start-up: it is imported
# only after the pre-commit fast path (commands/fast.py) has had its chance to exit.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

# command name -> module in migrate_guard.commands
COMMANDS = {
    "check": "check",
    "detect": "detect",
    "rules": "rules",
    "explain": "rules",
    "baseline": "baseline",
    "create": "lifecycle",
    "run": "lifecycle",
    "rollback": "lifecycle",
    "status": "lifecycle",
    "verify": "verify",
}


# command name -> an example for its --help (check has its own, with the exit codes)
EXAMPLES = {
    "detect": "migrate-guard detect --format json",
    "rules": "migrate-guard rules --format json",
    "explain": "migrate-guard explain drop-column",
    "baseline": "migrate-guard baseline --dry-run",
    "create": "migrate-guard create add_user_email",
    "run": "migrate-guard run",
    "rollback": "migrate-guard rollback",
    "status": "migrate-guard status",
    "verify": "migrate-guard verify db/migrations",
}
SHORT_USAGE = """\
usage: migrate-guard COMMAND [OPTIONS]
commands: {commands}
try `migrate-guard check` to lint every migration here, or `migrate-guard --help` for more
"""


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse
    from typing import NoReturn

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(message)

    return _Parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` (a known command name), only that command's module is imported and
    added: `migrate-guard check ...` does not pay for the other commands' imports and arguments."""
    import importlib

    from . import __version__

    _Parser = _parser_class()
    parser = _Parser(prog="migrate-guard", description="Stops dangerous database migrations before production.")
    parser.add_argument("--version", action="version", version=f"migrate-guard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    seen = set()
    for module_name in [COMMANDS[command]] if command in COMMANDS else COMMANDS.values():
        if module_name in seen:
            continue
        seen.add(module_name)
        importlib.import_module(f"migrate_guard.commands.{module_name}").add_parser(sub)
    _describe(sub)
    return parser


def _describe(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Every command's --help starts with its one-line description and ends with an example."""
    import argparse

    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, command in sub.choices.items():
        if not command.description and helps.get(name):
            line = str(helps[name])
            command.description = line[0].upper() + line[1:] + "."
        if not command.epilog and name in EXAMPLES:
            command.epilog = f"example:\n  {EXAMPLES[name]}"
            command.formatter_class = argparse.RawDescriptionHelpFormatter


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    try:
        from .commands.fast import nothing_to_check

        if nothing_to_check(args_list):
            return 0
        if not args_list:
            return _short_usage()
        parser = build_parser(args_list[0])
        args = parser.parse_args(args_list)
        if args.command is None:
            return _short_usage()
        args.own_process = argv is None  # the command line's own process: nothing memoized by an earlier run
        code = _with_fewer_collections(args)
        if argv is None and args.command == "check":
            _exit_now(code)
        return code
    except UsageError as error:
        from .report.escape import printable

        print(f"migrate-guard: error: {printable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("migrate-guard: interrupted", file=sys.stderr)
    except BrokenPipeError:
        return 1
    # Interrupted. Out of the handler, the interrupted frames (and the workers they held) are gone. Returning 130 is
    # not enough under `python -m migrate_guard`: when the interrupt was raised inside code run from a string (a
    # dataclass being made by a module imported on the way), CPython notes it as unhandled though it was caught and
    # ends the process by SIGINT instead (pythonrun.c run_eval_code_obj, then Py_RunMain).
    if argv is None:
        _exit_now(130)
    return 130


def _with_fewer_collections(args: argparse.Namespace) -> int:
    """The command, with the cyclic garbage collector run less often: a run builds hundreds of thousands of
    operations and facts, almost none of them in cycles, and the default thresholds spent about 5% of a cold run of
    2,000 SQL files traversing them."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        return int(args.run(args))
    finally:
        gc.set_threshold(*before)


def _exit_now(code: int) -> None:
    """The process ends here, once its output is flushed: freeing every object of a large run one by one (the
    interpreter's shutdown) took a tenth of a second, for nothing. Only for `check` from the command line, whose
    files (report, cache) are all closed by now and which leaves no process or temporary file behind."""
    import os

    threading, processes = sys.modules.get("threading"), sys.modules.get("multiprocessing")
    if (threading is not None and threading.active_count() > 1) or (processes is not None and processes.active_children()):
        return  # a worker or a thread still running is waited for by the usual exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # the usual exit reports it (a closed pipe)
    os._exit(code)


def _short_usage() -> int:
    """No command: a few lines on stderr and exit 2 (a usage error), not the whole help on stdout."""
    sys.stderr.write(SHORT_USAGE.format(commands=", ".join(COMMANDS)))
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
