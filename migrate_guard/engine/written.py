"""A JS run-time part of a name as the migration wrote it. The JS extractors read a template's `${full.columnName}`, or
a value they cannot know (`nameOf(queryRunner, 'key')`), as the identifier __full_columnName__ so the SQL parses
(extract/js/values.placeholder keeps only its word characters); a message shows it as written, found again in the
migration's source: `${full.columnName}`, not `${full_columnName}`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# __name__ where the name's own characters start with a letter or digit (placeholder() strips the underscores at its
# ends); a hole inside a longer name (pk___tablePrefix__users) starts after the name's own underscores.
_PLACEHOLDER = re.compile(r"__([^\W_]\w*?)__")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


def rewrite_holes(text: str, sources: Iterable[str]) -> str:
    """`text` with each placeholder shown as `${...}`: as written in `sources` where it is found there. One inside a
    longer name (`pk___tablePrefix__users`) only when the source holds it as a template's `${...}`: a name such as
    `fk_run__queue_id__queue` has no placeholder in it."""
    if "__" not in text:
        return text
    texts = tuple(sources)

    def shown(match: re.Match[str]) -> str:
        cleaned = match.group(1)
        inside_name = match.start() > 0 and (text[match.start() - 1].isalnum() or text[match.start() - 1] in "_$")
        for source in texts:
            hole, bare = _written(cleaned, source)
            if hole is not None:
                return "${" + hole + "}"
            if bare is not None and not inside_name:
                return "${" + bare + "}"
        return match.group() if inside_name else "${" + cleaned + "}"

    return _PLACEHOLDER.sub(shown, text)


@lru_cache(maxsize=4096)
def _written(cleaned: str, source: str) -> tuple[str | None, str | None]:
    """(the `${...}` hole whose words are `cleaned`, or None; else the first expression with those words, or None)."""
    words = r"(?:[^\w\n]+|_)".join(re.escape(part) for part in cleaned.split("_"))
    hole = re.search(r"\$\{\s*(" + words + r"[^\w\n{}]*?)\s*\}", source)
    if hole is not None:
        return hole.group(1), None
    bare = re.search(r"(?<![\w$])" + words + r"(?![\w$])", source)
    if bare is None:
        return None, None
    return None, _balanced(bare.group(), source, bare.end())


def _balanced(expression: str, source: str, end: int) -> str:
    """The expression with the brackets it opened closed, when its source closes them right after it (the words of
    `f(a, 'b')` end before `')`), and with the empty parentheses of a call (`collection.tableName()`)."""
    if source.startswith("()", end):
        return expression + "()"
    needed: list[str] = []
    for char in expression:
        if char in _CLOSING:
            needed.append(_CLOSING[char])
        elif needed and char == needed[-1]:
            needed.pop()
    while needed and end < len(source) and source[end] in " '\"`)]}":
        char = source[end]
        expression += char
        end += 1
        if char == needed[-1]:
            needed.pop()
    return expression if not needed else expression.rstrip(" '\"`")
