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
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    try:
        from .commands.fast import nothing_to_check

        if nothing_to_check(args_list):
            return 0
        parser = build_parser(args_list[0] if args_list else None)
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            return 2
        return int(args.run(args))
    except UsageError as error:
        from .report.escape import printable

        print(f"migrate-guard: error: {printable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("migrate-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
