"""index-naming: whether an index's name follows the configured pattern (`index_name_pattern`)."""

from __future__ import annotations


def name_follows_pattern(pattern: str | None, name: str) -> bool | None:
    """None when no pattern is configured (the index-naming rule is then off)."""
    if not pattern:
        return None
    import re

    from ..errors import ConfigError

    try:
        return re.search(pattern, name) is not None
    except re.error as error:
        raise ConfigError(f"index_name_pattern is not a valid regular expression: {error}") from None
