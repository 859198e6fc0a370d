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
