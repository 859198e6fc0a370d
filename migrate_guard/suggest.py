""""Did you mean" for a mistyped name (a rule id, a tag): the closest known one, by difflib."""

from __future__ import annotations


def did_you_mean(name: str, candidates: list[str]) -> str:
    """` (did you mean 'drop-column'?)` for the closest candidate, or "" when none is close."""
    import difflib

    normalized = name.strip().lower().replace("_", "-").replace(" ", "-")
    if normalized != name and normalized in candidates:
        return f" (did you mean '{normalized}'?)"
    close = difflib.get_close_matches(normalized, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
