"""Where libpg_query's JSON points in the text: its UTF-8 byte offsets as character offsets (CharOffsets), and the
expressions and words written there (Ctx). A shape not modelled exactly raises NotConverted."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any


class NotConverted(Exception):
    """A statement this converter does not model exactly: the sqlglot path takes it."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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



class Ctx:
    def __init__(self, text: str, chars: CharOffsets, source: str, tokens: list[Any]) -> None:
        self.text = text
        self.chars = chars
        self.source = source
        self.tokens = tokens
        self.starts = [t.start for t in tokens]
        self.typed: set[int] = set()  # where the converter read a column type (character offsets)

    def expression_text(self, byte_start: int) -> str:
        """An expression as written from its first token to the end of its clause (a top-level comma or closing
        parenthesis, or a column constraint's keyword)."""
        i = bisect_left(self.starts, self.chars.at(byte_start))
        depth, j = 0, i
        while j < len(self.tokens):
            token = self.tokens[j]
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
        return self.text[self.tokens[i].start:self.tokens[j - 1].end + 1]

    def written_word(self, byte_start: int) -> str:
        match = _WORD.match(self.text, self.chars.at(byte_start))
        return match.group().lower() if match else ""


_CLAUSE_ENDS = {"NOT", "NULL_P", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "CONSTRAINT", "COLLATE", "GENERATED",
                "DEFAULT", "DEFERRABLE", "INITIALLY"}
