"""JS/TS source read as text (no parser): what detection and the registry's quick looks at file heads need."""

from __future__ import annotations

import re


def strip_js_comments(text: str) -> str:
    text = re.sub(r"/\*.*?(?:\*/|\Z)", "", text, flags=re.DOTALL)  # unterminated: to the end (never rescanned)
    return re.sub(r"(?m)(^|[^:'\"\\])//[^\n]*", r"\1", text)
