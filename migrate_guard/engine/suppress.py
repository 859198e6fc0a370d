"""Inline suppressions: `migrate-guard: ignore RULE[, RULE] [-- reason]` and `migrate-guard: ignore-file [RULE, ...]`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"(?:--|#|//|/\*)[ \t]*migrate-guard:[ \t]*(ignore-file|ignore)\b([^\n]*)")
_RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(slots=True)
class Directive:
    """One `migrate-guard: ignore` comment."""

    line: int
    column: int
    rules: tuple[str, ...]  # empty for ignore-file: every rule
    whole_file: bool


@dataclass(slots=True)
class FileSuppressions:
    """The ignore comments of one file."""

    directives: list[Directive] = field(default_factory=list)
    comment_lines: set[int] = field(default_factory=set)

    def silences(self, rule: str, line: int, end_line: int) -> bool:
        for directive in self.directives:
            if directive.whole_file:
                if not directive.rules or rule in directive.rules:
                    return True
            elif rule in directive.rules and self._applies(directive.line, line, end_line):
                return True
        return False

    def _applies(self, directive_line: int, line: int, end_line: int) -> bool:
        if line <= directive_line <= end_line:
            return True
        above = line - 1
        while above >= 1 and above in self.comment_lines:
            if above == directive_line:
                return True
            above -= 1
        return False


def _rules_of(rest: str) -> tuple[str, ...]:
    rest = rest.split("*/")[0]
    rest = re.split(r"\s--\s?|\s—\s", " " + rest, maxsplit=1)[0]  # "-- reason" ends the rule list
    return tuple(part for part in re.split(r"[\s,]+", rest.strip()) if part)


def parse_suppressions(text: str, path: str = "") -> FileSuppressions:
    """The directives of a file, read from its real comments only (the language comes from `path`'s suffix): the
    contract says a directive inside a string literal is not a comment."""
    from .comments import comments

    result = FileSuppressions()
    if "migrate-guard:" not in text:
        return result
    lines = text.split("\n")
    for comment in comments(text, path):
        line_text = lines[comment.line - 1] if comment.line <= len(lines) else ""
        extra_lines = comment.text.count("\n")
        if not line_text[:comment.column].strip():  # the comment starts its line
            result.comment_lines.add(comment.line)
        result.comment_lines.update(range(comment.line + 1, comment.line + extra_lines + 1))
        for match in _DIRECTIVE.finditer(comment.text):
            before = comment.text[:match.start()]
            newlines = before.count("\n")
            column = comment.column + match.start() if not newlines else match.start() - before.rfind("\n") - 1
            result.directives.append(Directive(line=comment.line + newlines, column=column + 1,
                                               rules=_rules_of(match.group(2)),
                                               whole_file=match.group(1) == "ignore-file"))
    return result


def is_rule_id(text: str) -> bool:
    return _RULE_ID.fullmatch(text) is not None
