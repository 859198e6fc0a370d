"""Light look-ups in a Node project's config files (dialect), without parsing or running them."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..base import side_text

_MAX_LEVELS = 5
_MAX_BYTES = 200_000


@lru_cache(maxsize=256)
def search_upwards(folder: Path, names: tuple[str, ...], pattern: str) -> str | None:
    """First group of `pattern` in the nearest file named in `names` (globs), from `folder` up a few levels.
    A match after a `production` key wins over an earlier one (knexfiles list several environments)."""
    regex = re.compile(pattern)
    current = folder.resolve()
    for _ in range(_MAX_LEVELS):
        for name in names:
            for candidate in sorted(current.glob(name)):
                try:
                    text = side_text(candidate)[:_MAX_BYTES]
                except OSError:
                    continue
                production = re.search(r"\bproduction\b", text)
                if production:
                    later = regex.search(text, production.end())
                    if later:
                        return later.group(1)
                match = regex.search(text)
                if match:
                    return match.group(1)
        if current.parent == current or (current / "package.json").is_file() or (current / ".git").exists():
            break
        current = current.parent
    return None
