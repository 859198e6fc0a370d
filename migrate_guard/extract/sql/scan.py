"""Data-only statements (INSERT, COPY ... FROM stdin and its data) found without tokenizing them.

No rule looks inside an INSERT or a COPY, yet seed data is most of a large migration: a 1M-row INSERT cost more than
a gigabyte of tokens. One pass over the text finds the top-level statement ends with the dialect's own quotes,
identifiers, comments and dollar quotes (read from its sqlglot tokenizer, so both agree on where a string ends) and
the first word of each statement; only what lies between data statements goes to the tokenizer.

The pass gives up (None: tokenize everything, as before) where statement ends depend on more than quoting: a CREATE
FUNCTION/PROCEDURE/TRIGGER/EVENT whose body is a BEGIN ... END block (its inner semicolons end nothing) or a MySQL
DELIMITER. From there on the rest of the text is tokenized whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DATA_WORDS = frozenset({"INSERT", "COPY"})
_ROUTINE_KINDS = frozenset({"FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"})
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NONSPACE = re.compile(r"\S")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_BEGIN = re.compile(r"\bBEGIN\b", re.IGNORECASE)
_STDIN = re.compile(r"\bFROM\s+STDIN\b", re.IGNORECASE)
_COPY_END = re.compile(r"^\\\.[ \t]*$", re.MULTILINE)  # the `\.` line that ends COPY data
# Heavy text is handed to the tokenizer in pieces of about this size (at statement ends), so the tokens of a large
# file of DDL are never all held at once.
PIECE_CHARS = 1 << 20


@dataclass(slots=True)
class Span:
    """A stretch of the text: a data statement (its first words known) or text to tokenize."""

    start: int
    end: int  # exclusive
    data_words: list[tuple[int, str]] | None = None  # (offset, word) of a data statement's first words


@dataclass(frozen=True, slots=True)
class _Syntax:
    quotes: dict[str, str]  # opening -> closing, strings and quoted identifiers
    backslash: frozenset[str]  # openings inside which a backslash escapes the next character
    escape_strings: frozenset[str]  # `E'`: a prefixed quote inside which it does too (Postgres)
    comments: tuple[tuple[str, str | None], ...]  # longest opening first; None: to the end of the line
    nested: bool
    dollar: bool
    interesting: re.Pattern[str]


@lru_cache(maxsize=None)
def _syntax(tokenizer: Any) -> _Syntax:
    quotes = {**tokenizer._QUOTES, **tokenizer._IDENTIFIERS}
    backslash = frozenset(q for q in tokenizer._QUOTES if "\\" in tokenizer._STRING_ESCAPES)
    escape_strings = frozenset(opening for opening, _ in getattr(tokenizer, "BYTE_STRINGS", ()) if len(opening) == 2)
    comments = tuple(sorted(tokenizer._COMMENTS.items(), key=lambda item: -len(item[0])))
    dollar = "$" in getattr(tokenizer, "HEREDOC_STRINGS", ())
    firsts = {";", *(q[0] for q in quotes), *(c[0][0] for c in comments), *(["$"] if dollar else [])}
    interesting = re.compile("[" + "".join(re.escape(c) for c in sorted(firsts)) + "]")
    return _Syntax(quotes, backslash, escape_strings, comments, bool(getattr(tokenizer, "NESTED_COMMENTS", False)), dollar,
                   interesting)


def _plain_stretch(text: str, at: int, stop: int, statement: int, begin_seen: bool) -> tuple[int, bool]:
    """After reading text[at:stop] (nothing quoted in it): where the current statement starts (-1: not yet), and
    whether a BEGIN has been seen in it."""
    if statement < 0:
        first = _NONSPACE.search(text, at, stop)
        if first is not None:
            statement = first.start()
    if statement >= 0 and not begin_seen:
        begin_seen = _BEGIN.search(text, at, stop) is not None
    return statement, begin_seen


def _unless_comment(text: str, position: int, statement: int, syntax: _Syntax) -> int:
    """A statement does not start with a comment: -1 (not started yet) when `statement` is the comment at `position`."""
    return -1 if statement == position and _is_comment(text, position, syntax) else statement


def _quoting_no_longer_ends_statements(kind: str, words: list[tuple[int, str]], begin_seen: bool) -> bool:
    """DELIMITER, or CREATE FUNCTION / PROCEDURE / TRIGGER ... BEGIN: statement ends no longer follow from quoting."""
    return kind == "DELIMITER" or (kind == "CREATE" and begin_seen and bool(_ROUTINE_KINDS.intersection(
        w.upper() for _, w in words)))


def _resume_after(text: str, kind: str, statement: int, position: int) -> int | None:
    """Where the scan goes on after the data statement whose `;` is at `position`: after the `;`, or after the rows
    of a COPY ... FROM STDIN (None: they never end)."""
    if kind == "COPY" and _STDIN.search(text, statement, position):
        data_end = _COPY_END.search(text, position + 1)
        return data_end.end() if data_end is not None else None
    return position + 1


def data_spans(text: str, dialect: Any) -> list[Span] | None:
    """The text cut into data statements and the stretches between them, or None when it holds no data statement
    this pass can be sure of (the caller then tokenizes the whole text, as it always did)."""
    syntax = _syntax(dialect.tokenizer_class)
    spans: list[Span] = []
    heavy_start = 0  # where the text not yet given to a span starts
    statement = -1  # offset of the current statement's first character, -1 before it
    at = 0
    length = len(text)
    found = False
    begin_seen = False  # a BEGIN outside quotes in the current statement (a routine body?)
    while True:
        event = syntax.interesting.search(text, at)
        stop = event.start() if event else length
        statement, begin_seen = _plain_stretch(text, at, stop, statement, begin_seen)
        if event is None:
            break
        char = event.group()
        position = event.start()
        if char == ";":
            if statement >= 0:
                words = _first_words(text, statement, position)
                kind = words[0][1].upper() if words else ""
                if _quoting_no_longer_ends_statements(kind, words, begin_seen):
                    break
                if kind in DATA_WORDS:
                    end = position
                    resume = _resume_after(text, kind, statement, position)
                    if resume is None:
                        break
                    if statement > heavy_start:
                        spans.append(Span(heavy_start, statement))
                    spans.append(Span(statement, end, words))
                    heavy_start = resume
                    found = True
                    at, statement, begin_seen = resume, -1, False
                    continue
                if position + 1 - heavy_start >= PIECE_CHARS:
                    spans.append(Span(heavy_start, position + 1))
                    heavy_start = position + 1
                    found = True
            at, statement, begin_seen = position + 1, -1, False
            continue
        if statement < 0:
            statement = position  # a statement may start with a quoted name or a comment-free string
        skipped = _skip(text, position, syntax)
        if skipped is None:  # a lone `-`, `/`, `$`, `{`: part of the statement
            at = position + 1
            continue
        if skipped < 0:
            break  # an unterminated string, quoted name, comment or dollar quote: the tokenizer reports it
        statement = _unless_comment(text, position, statement, syntax)
        at = skipped
    if not found:
        return None
    if heavy_start < length:
        spans.append(Span(heavy_start, length))
    return spans


def _first_words(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """The statement's first words, when it starts with one (`$1 COPY` starts with no word)."""
    if _WORDS.match(text, start) is None:
        return []
    return [(m.start(), m.group()) for m in _WORDS.finditer(text, start, min(end, start + 200))][:10]


def _is_comment(text: str, position: int, syntax: _Syntax) -> bool:
    return any(text.startswith(opening, position) for opening, _ in syntax.comments)


def _skip(text: str, position: int, syntax: _Syntax) -> int | None:
    """Offset just past the quoted string, quoted name, comment or dollar quote starting at `position`; None when
    nothing starts there (a lone `-`, `/`, `$`), -1 when it never ends."""
    for opening, closing in syntax.comments:
        if text.startswith(opening, position):
            if closing is None:
                newline = text.find("\n", position)
                return len(text) if newline < 0 else newline
            return _comment_end(text, position, opening, closing, syntax.nested)
    char = text[position]
    if char in syntax.quotes:
        closing = syntax.quotes[char]
        at = position + 1
        while True:
            end = text.find(closing, at)
            if end < 0:
                return -1
            if char in syntax.backslash or _escape_string(text, position, syntax):
                backslashes = 0
                while end - 1 - backslashes >= at and text[end - 1 - backslashes] == "\\":
                    backslashes += 1
                if backslashes % 2:
                    at = end + 1
                    continue
            return end + len(closing)
    if char == "$" and syntax.dollar:
        tag = _DOLLAR_TAG.match(text, position)
        if tag is None:
            return None
        end = text.find(tag.group(), tag.end())
        return -1 if end < 0 else end + len(tag.group())
    return None


def _escape_string(text: str, position: int, syntax: _Syntax) -> bool:
    """The quote at `position` opens an E'...' string: the prefix letter is a token of its own."""
    if text[position - 1:position + 1] not in syntax.escape_strings:
        return False
    before = text[position - 2] if position >= 2 else " "
    return not (before.isalnum() or before == "_")


def _comment_end(text: str, position: int, opening: str, closing: str, nested: bool) -> int:
    if not nested:
        end = text.find(closing, position + len(opening))
        return -1 if end < 0 else end + len(closing)
    depth = 0
    pattern = re.compile(re.escape(opening) + "|" + re.escape(closing))
    for mark in pattern.finditer(text, position):
        depth += 1 if mark.group() == opening else -1
        if depth == 0:
            return mark.end()
    return -1
