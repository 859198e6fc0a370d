"""Where libpg_query's JSON points in the text: its UTF-8 byte offsets as character offsets (CharOffsets), one
statement's text and its scanner tokens (Piece), and the expressions and words written there (Ctx). A shape not
modelled exactly raises NotConverted."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from .pglast_import import pglast_parser

pg = pglast_parser()

from pglast import keywords  # noqa: E402 (the package is imported by pglast_parser, without its syntax tree)


class NotConverted(Exception):
    """A statement this converter does not model exactly: the sqlglot path takes it."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The scanner's whitespace, and its identifier characters: letters, digits, _ and $, and every character beyond
# ASCII (written as the ASCII characters they are not: a class of all of Unicode takes 0.1 s to compile)
_SPACE = " \t\n\r\f\v"
_NAME_CHARS = r"^\x00-#%-/:-@\[-^`{-\x7f"
_NAME_START = r"^\x00-@\[-^`{-\x7f"  # letters, _ and beyond ASCII
_CAPITAL = r"^\x00-@\[-\x7f"  # A-Z and beyond ASCII
# A statement's first four tokens when it holds no comment: a quoted name, a plain string, a name or keyword, or
# one other character (what a statement is, is read from the keywords among them: anything else, e.g. a number
# split in three, is no keyword either way)
_TOKEN = rf"\"(?:[^\"]|\"\")*\"|'(?:[^'\\]|'')*'|[{_NAME_START}][{_NAME_CHARS}]*|[^{_SPACE}]"
_HEAD = re.compile(rf"[{_SPACE}]*({_TOKEN})(?:[{_SPACE}]*({_TOKEN}))?(?:[{_SPACE}]*({_TOKEN}))?"
                   rf"(?:[{_SPACE}]*({_TOKEN}))?")
# An expression in a form whose end is plain without tokens: a quoted string without backslashes, a decimal
# number, or a word with empty parentheses, with a one-word cast; then the end of its clause (see Ctx)
_PLAIN_EXPRESSION = re.compile(
    rf"(?:'[^'\\]*'|\d+\.\d+|(\w+)(?:\(\))?)(?:::(\w+)(?:\[\])?)?(?=[{_SPACE}]*(?:[,)]|\Z|(?i:not|null|"
    rf"primary|unique|references|check|constraint|collate|generated|default|deferrable|initially)(?![{_NAME_CHARS}])))")
_CLAUSE_WORDS = {"NOT", "NULL", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "CONSTRAINT", "COLLATE", "GENERATED",
                 "DEFAULT", "DEFERRABLE", "INITIALLY"}
# A run of name characters with a capital or a character beyond ASCII in it (a name the scanner may see as such),
# and a run longer than a name libpg_query keeps whole
_CAPITALIZED_RUN = re.compile(rf"(?<![{_NAME_CHARS}])[{_NAME_CHARS}]*[{_CAPITAL}][{_NAME_CHARS}]*")
_LONG_RUN = re.compile(rf"[{_NAME_CHARS}]{{61}}")
_KEYWORDS = frozenset(word.upper() for group in (keywords.RESERVED_KEYWORDS, keywords.UNRESERVED_KEYWORDS,
                                                 keywords.COL_NAME_KEYWORDS, keywords.TYPE_FUNC_NAME_KEYWORDS)
                      for word in group)
_COMMENTS = {"SQL_COMMENT", "C_COMMENT"}
_SEMICOLON = "ASCII_59"


class CharOffsets:
    """libpg_query's JSON speaks UTF-8 byte offsets; pglast's scanner and the IR speak character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self._ascii = len(self.data) == len(text)
        self._byte_starts: list[int] = []
        if not self._ascii:
            offset = 0
            for char in text:
                self._byte_starts.append(offset)
                offset += len(char.encode("utf-8"))

    def at(self, byte: int) -> int:
        if self._ascii:
            return byte
        return bisect_left(self._byte_starts, byte)


class Piece:
    """One statement: `span`, the text libpg_query gives it (from `begin` in the whole text), and `source`, from its
    first token to its last (no comment, no semicolon), at `lead` in the span. Its scanner tokens (offsets in the
    span) are only made when something needs them: a statement without comments, quotes or capitals is read from
    its text alone."""

    __slots__ = ("span", "begin", "lead", "source", "_tokens", "plain")

    def __init__(self, span: str, begin: int, lead: int, source: str, tokens: list[Any] | None) -> None:
        self.span, self.begin, self.lead, self.source, self._tokens = span, begin, lead, source, tokens
        self.plain = tokens is None  # no comment in it: words and plain expressions are read from the text

    @classmethod
    def of(cls, span: str, begin: int) -> Piece | None:
        """None when the span holds no token."""
        if "--" not in span and "/*" not in span and span[:1] not in _SPACE:
            source = span.rstrip(_SPACE)
            if source and not source.endswith(";"):
                return cls(span, begin, 0, source, None)
        tokens = pg.scan(span)
        first, last = 0, len(tokens) - 1
        while first <= last and tokens[first].name in _COMMENTS:
            first += 1
        while last >= first and (tokens[last].name in _COMMENTS or tokens[last].name == _SEMICOLON):
            last -= 1
        if first > last:
            return None
        lead = tokens[first].start
        return cls(span, begin, lead, span[lead:tokens[last].end + 1], tokens[first:last + 1])

    @property
    def tokens(self) -> list[Any]:
        if self._tokens is None:
            self._tokens = pg.scan(self.source)  # no comment in it: its tokens are the statement's
        return self._tokens

    def written(self, token: Any) -> str:
        return self.span[token.start:token.end + 1]

    def words(self, count: int) -> list[str]:
        """The first `count` tokens as written, in capitals."""
        if self._tokens is None and count <= 4:
            head = _HEAD.match(self.source)
            return [word.upper() for word in head.groups()[:count] if word is not None] if head else []
        return [self.written(t).upper() for t in self.tokens[:count]]

    def check_names(self, type_names: set[str] | frozenset[str] | dict[str, str]) -> set[int]:
        """libpg_query folds unquoted names to lower case, sqlglot keeps them as written: a name with capitals (or a
        keyword in mixed case, which may be a name) goes to sqlglot, so both give the same names. Read from the text
        when it holds no quote, no long run and no run with capitals but keywords (the tokens' verdict then). A
        built-in type's name in capitals (TypeORM writes `"id" SERIAL NOT NULL`) is no name: its offset in the whole
        text is returned, and the converter must have read a column type there."""
        source = self.source
        type_words: set[int] = set()
        if self._tokens is None and '"' not in source and _LONG_RUN.search(source) is None \
                and _KEYWORDS.issuperset(_CAPITALIZED_RUN.findall(source)):
            return type_words
        for token in self.tokens:
            if token.name == "IDENT" or token.kind != "NO_KEYWORD":
                written = self.written(token)
                if len(written) > 60:  # libpg_query truncates names to 63 bytes, as Postgres does (a rule reports it)
                    raise NotConverted
                if written.islower() or (token.kind != "NO_KEYWORD" and written.isupper()) \
                        or not _has_letters(written):
                    continue
                if token.name == "IDENT" and written.startswith('"'):
                    if '""' in written:
                        raise NotConverted
                    continue
                if token.name == "IDENT" and written.isupper() and written.lower() in type_names:
                    type_words.add(self.begin + token.start)
                    continue
                raise NotConverted
        return type_words


def _has_letters(word: str) -> bool:
    return any(c.isalpha() for c in word)


class Ctx:
    def __init__(self, text: str, chars: CharOffsets, piece: Piece) -> None:
        self.text = text
        self.chars = chars
        self.piece = piece
        self.source = piece.source
        self.typed: set[int] = set()  # where the converter read a column type (character offsets)

    def expression_text(self, byte_start: int) -> str:
        """An expression as written from its first token to the end of its clause (a top-level comma or closing
        parenthesis, or a column constraint's keyword)."""
        piece = self.piece
        at = self.chars.at(byte_start) - piece.begin
        if piece.plain:
            plain = _PLAIN_EXPRESSION.match(piece.span, at)
            if plain is not None:
                word, cast = plain.groups()
                if word and word.upper() in _CLAUSE_WORDS:
                    raise NotConverted  # the clause ends at its first token (DEFAULT NULL)
                if not (cast and cast.upper() in _CLAUSE_WORDS):  # else it ends before the cast's type
                    return plain.group()
        tokens = piece.tokens
        i = bisect_left(tokens, at, key=_start)
        depth, j = 0, i
        while j < len(tokens):
            token = tokens[j]
            if token.name == "ASCII_40":
                depth += 1
            elif token.name == "ASCII_41":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (token.name == "ASCII_44" or token.name in _CLAUSE_ENDS):
                break
            j += 1
        if j == i:
            raise NotConverted
        return piece.span[tokens[i].start:tokens[j - 1].end + 1]

    def written_word(self, byte_start: int) -> str:
        match = _WORD.match(self.text, self.chars.at(byte_start))
        return match.group().lower() if match else ""


def _start(token: Any) -> int:
    return int(token.start)


_CLAUSE_ENDS = {"NOT", "NULL_P", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "CONSTRAINT", "COLLATE", "GENERATED",
                "DEFAULT", "DEFERRABLE", "INITIALLY"}
