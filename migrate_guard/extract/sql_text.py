"""SQL looked at as text, without a parser: what detection, the sqlglot reader and verify use for a quick look at
a statement's words. It loads neither the IR nor a parser."""

from __future__ import annotations

import re

# An unterminated /* comment runs to the end of the text, as in SQL (and a lazy match that may fail would be
# retried at every later "/*": quadratic on a file full of them).
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)


def without_comments(text: str) -> str:
    """SQL text with its -- and /* */ comments blanked (a quick look at its words, not a parse)."""
    return _COMMENTS.sub(" ", text)
