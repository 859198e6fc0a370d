"""Errors that end the program with exit code 2 and one clear line on stderr."""


class UsageError(Exception):
    """Bad command line: unknown flag, missing path, unknown rule id."""


class ConfigError(UsageError):
    """Bad configuration: unknown key, wrong type."""


def warn(message: str) -> None:
    """One line on stderr for something the run works around (an untrusted cache, an unreadable folder)."""
    import sys

    print(f"migrate-guard: warning: {message}", file=sys.stderr)
