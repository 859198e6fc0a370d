"""Where something is in a file: the operations of the IR and the findings both point there.

Its own module so that a run whose findings all come from the cache loads no IR class.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where an operation (or a finding about it) starts and ends in its file."""

    path: str  # relative to the current folder, "/" separators
    line: int  # 1-based
    column: int  # 1-based
    end_line: int


def line_starts(text: str) -> list[int]:
    """The offset where each line of text starts (line 1 at 0): offsets become line numbers by bisection."""
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts
