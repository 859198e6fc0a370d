"""Text taken from migrations (identifiers, file names, SQL) made safe to print where people read it.

A quoted identifier may hold any character: an ESC sequence in a table name would otherwise clear the terminal or
rewrite the report around it, a carriage return would overwrite its own line, a newline would forge a finding of its
own, and a bidi override would show the text in an order other than the one it has. Every human-readable format
prints such text through `printable`; JSON output keeps the exact text (JSON escapes it anyway).
"""

from __future__ import annotations

import re

# C0 controls but the tab, DEL, C1 controls, and the Unicode format characters that reorder or break what follows:
# the Arabic letter mark, LRM/RLM, the line and paragraph separators, the bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every unsafe character written as a visible escape (`\\x1b`, `\\x0a`, `\\u202e`); a line of its
    own stays one line."""
    return _UNSAFE.sub(_escaped, text) if _UNSAFE.search(text) else text
