"""Map offsets in a piece of SQL back to lines and columns of the file it came from."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ...ir import Location
from ...location import line_starts


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a piece of SQL starts in its file: the file path and the 1-based line and column of its first character.

    SQL embedded in Python or JS (RunSQL, queryRunner.query) starts inside a string literal, so its first line is
    shifted by the literal's column; later lines start at column 1 of their own file line.
    """

    path: str
    line: int = 1
    column: int = 1


class Positions:
    def __init__(self, text: str, origin: Origin) -> None:
        self.origin = origin
        self._line_starts = line_starts(text)

    def line_col(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self._line_starts, offset) - 1
        column = offset - self._line_starts[index] + 1
        if index == 0:
            column += self.origin.column - 1
        return self.origin.line + index, column

    def location(self, start: int, end: int) -> Location:
        line, column = self.line_col(start)
        end_line, _ = self.line_col(max(start, end))
        return Location(self.origin.path, line, column, end_line)
