"""Reading TOML files (the config, the rules): the parser is imported only when a file is read."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ConfigError


def toml_parser() -> ModuleType:
    """tomllib (tomli before Python 3.11), imported when a TOML file is read: a run that reads none skips it."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover

    return tomli  # pragma: no cover


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; ConfigError naming the file when it cannot be read or parsed."""
    tomllib = toml_parser()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML: its arrays or tables nest too deeply") from None
    except UnicodeDecodeError as error:  # TOML is UTF-8; tomllib lets the decoding error through
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
