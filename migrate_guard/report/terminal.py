"""Whether a report printed to a stream gets colour."""

from __future__ import annotations

import os


def use_color(stream: object) -> bool:
    """no-color.org and force-color.org, in the order Python's own colouring uses: a non-empty NO_COLOR turns colour
    off, else a non-empty FORCE_COLOR turns it on, else TERM=dumb turns it off, else colour on a terminal only."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
