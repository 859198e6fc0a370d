"""Split SQL text into statements with sqlglot's tokenizer, so comments and strings never split or match anything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType


@dataclass(slots=True)
class Statement:
    """One statement of a SQL text, with where it starts."""

    start: int  # offset of the first character in the text
    end: int  # offset of the last character (inclusive)
    tokens: list[Token]  # empty when the statement could not be tokenized
    error: str | None = None


def split_statements(text: str, dialect: Any) -> list[Statement]:
    from .scan import data_spans

    spans = data_spans(text, dialect)
    if spans is None:
        return _tokenized(text, dialect)
    statements: list[Statement] = []
    for span in spans:
        if span.data_words is None:
            statements.extend(_tokenized(text[span.start:span.end], dialect, base=span.start))
        else:  # INSERT / COPY: its first words are all a rule reads (no tokens for the data)
            statements.append(_data_statement(text, span.start, span.end, span.data_words))
    return statements


def _tokenized(text: str, dialect: Any, base: int = 0) -> list[Statement]:
    try:
        tokens = dialect.tokenize(text)
    except TokenError:
        return _split_after_token_error(text, dialect, base)
    return _group(tokens, base)


def _data_statement(text: str, start: int, end: int, first_words: list[tuple[int, str]]) -> Statement:
    last = start + len(text[start:end].rstrip()) - 1
    tokens = [Token(TokenType.VAR, word, start=offset, end=offset + len(word) - 1)
              for offset, word in first_words[:3]]
    return Statement(start=start, end=max(start, last), tokens=tokens)


def _group(tokens: list[Token], base: int = 0) -> list[Statement]:
    semicolon = TokenType.SEMICOLON
    ends = [i for i, token in enumerate(tokens) if token.token_type == semicolon]
    if ends and any(token.token_type == TokenType.BEGIN for token in tokens):
        ends = _ends_outside_routine_bodies(tokens, ends)
    ends.append(len(tokens))
    statements: list[Statement] = []
    start = 0
    for end in ends:  # the tokens between two semicolons, when there are any
        if end > start:
            statements.append(_statement(tokens[start:end], base))
        start = end + 1
    return statements


_ROUTINE_KINDS = {"FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"}
_BLOCK_ENDS = {"IF", "LOOP", "WHILE", "REPEAT", "FOR"}


def _ends_outside_routine_bodies(tokens: list[Token], ends: list[int]) -> list[int]:
    """Semicolons that end statements, not those inside the BEGIN ... END body of a routine written in SQL (MySQL
    CREATE FUNCTION/PROCEDURE/TRIGGER/EVENT, Postgres BEGIN ATOMIC): the whole CREATE is one statement."""
    kept: list[int] = []
    start = 0
    resume = 0  # semicolons before this token are inside a body already scanned
    for semicolon in ends:
        if semicolon < resume:
            continue
        if tokens[start].token_type == TokenType.CREATE and not _ROUTINE_KINDS.isdisjoint(
                t.text.upper() for t in tokens[start:min(start + 10, semicolon)]):
            semicolon = _routine_end(tokens, start)
        kept.append(semicolon)
        start = resume = semicolon + 1
        if start >= len(tokens):
            break
    return kept


def _routine_end(tokens: list[Token], start: int) -> int:
    """Index of the semicolon after the routine that starts at `start` (len(tokens) when there is none)."""
    depth = 0
    i = start
    while i < len(tokens):
        kind = tokens[i].token_type
        if kind == TokenType.SEMICOLON and depth == 0:
            return i
        if kind in (TokenType.BEGIN, TokenType.CASE):
            depth += 1
        elif kind == TokenType.END and depth:
            after = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
            if after in _BLOCK_ENDS:  # END IF / END LOOP / ...: closes no BEGIN or CASE
                i += 1
            else:
                depth -= 1
                i += after == "CASE"  # END CASE closes a CASE statement
        i += 1
    return len(tokens)


def _statement(tokens: list[Token], base: int) -> Statement:
    if base:
        for token in tokens:
            token.start += base
            token.end += base
    return Statement(start=tokens[0].start, end=tokens[-1].end, tokens=tokens)


UNTOKENIZABLE = "could not read this statement: an unterminated string, quoted name, dollar quote or comment?"

# A statement ends with ";" at the end of a line: good enough to isolate one untokenizable statement
# (an unterminated string or dollar quote) and still read the others.
_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?(?:\n|$)")


def _split_after_token_error(text: str, dialect: Any, base: int = 0) -> list[Statement]:
    statements: list[Statement] = []
    start = 0
    for match in [*_STATEMENT_END.finditer(text), None]:
        end = match.end() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            try:
                statements.extend(_group(dialect.tokenize(chunk), base=base + start))
            except TokenError:
                lead = len(chunk) - len(chunk.lstrip())
                statements.append(Statement(start=base + start + lead, end=base + max(start + lead, end - 1),
                                            tokens=[], error=UNTOKENIZABLE))
        start = end
    return statements
