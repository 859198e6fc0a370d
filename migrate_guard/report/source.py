"""The source lines a finding points at, read back from the file for the human-readable reports.

The reporters read the file themselves (findings may come from the cache, where no migration text is kept): a file
that is gone, unreadable or a folder simply gets no excerpt. Lines are shown through `printable`, tabs expanded, so
the span markers line up with what is printed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..location import Location
from .escape import printable

MAX_LINES = 6  # a longer statement shows its first and last lines around a "..."
MAX_WIDTH = 160  # display columns of one shown line; the rest is cut with "..."
TAB = 4
CONTEXT = 20  # characters shown before a span that starts far right


@dataclass(frozen=True, slots=True)
class ExcerptLine:
    number: int
    text: str  # safe to print
    mark_start: int  # display column (0-based) where the marker starts
    mark_end: int  # display column where it ends (exclusive); equal to mark_start: nothing to mark


class SourceFiles:
    """Lines of the files findings point at. Only the last file read is kept: the reporters go through findings
    sorted by path, so each file is read once, and 20,000 files' text is not held until the report ends."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._lines: list[str] | None = None

    def lines(self, path: str) -> list[str] | None:
        if path != self._path:
            self._path, self._lines = path, _read(path)
        return self._lines

    def excerpt(self, location: Location) -> list[ExcerptLine | None]:
        """The lines of the statement at `location`, with the span marked; None stands for lines left out."""
        lines = self.lines(location.path)
        if not lines or not 1 <= location.line <= len(lines):
            return []
        last = min(max(location.end_line, location.line), len(lines))
        numbers: list[int | None] = list(range(location.line, last + 1))
        if len(numbers) > MAX_LINES:
            numbers = numbers[:MAX_LINES - 2] + [None] + numbers[-1:]
        shown: list[ExcerptLine | None] = []
        for number in numbers:
            if number is None:
                shown.append(None)
                continue
            raw = lines[number - 1]
            start = location.column - 1 if number == location.line else len(raw) - len(raw.lstrip())
            shown.append(_display(number, raw, max(0, start)))
        return shown


def _read(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    text = data.decode("utf-8-sig", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _display(number: int, raw: str, start: int) -> ExcerptLine:
    """`raw` as printed, and the display columns of the span from character `start` to the line's last non-blank.
    A span that starts far right (minified SQL) is shown from a little before it, after a "..."."""
    end = len(raw.rstrip())
    parts: list[str] = []
    column = 0
    if start > MAX_WIDTH // 2:
        skip = start - CONTEXT
        raw, start, end = raw[skip:], CONTEXT, end - skip
        parts.append("...")
        column = 3
    mark_start = mark_end = None
    cut = False
    for index, char in enumerate(raw[:end]):
        if index == start:
            mark_start = column
        if char == "\t":
            piece = " " * (TAB - column % TAB)
            width = len(piece)
        else:
            piece = printable(char)
            width = len(piece) if piece != char else _width(char)
        if column + width > MAX_WIDTH:
            cut = True
            break
        parts.append(piece)
        column += width
    mark_end = column
    if mark_start is None:
        mark_start = column
    text = "".join(parts) + ("..." if cut else "")
    return ExcerptLine(number=number, text=text, mark_start=mark_start, mark_end=max(mark_start, mark_end))
