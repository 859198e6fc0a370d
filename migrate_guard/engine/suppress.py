"""Inline suppressions: `migrate-guard: ignore RULE[, RULE] [-- reason]` and `migrate-guard: ignore-file [RULE, ...]`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"(?:--|#|//|/\*)[ \t]*migrate-guard:[ \t]*(ignore-file|ignore)\b([^\n]*)")
_COMMENT_LINE = re.compile(r"^\s*(?:--|#|//|/\*|\*)")
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


def parse_suppressions(text: str) -> FileSuppressions:
    result = FileSuppressions()
    if "migrate-guard:" not in text:
        return result
    for number, line in enumerate(text.splitlines(), start=1):
        if _COMMENT_LINE.match(line):
            result.comment_lines.add(number)
        match = _DIRECTIVE.search(line)
        if match:
            result.directives.append(Directive(line=number, column=match.start() + 1, rules=_rules_of(match.group(2)),
                                               whole_file=match.group(1) == "ignore-file"))
    return result


def is_rule_id(text: str) -> bool:
    return _RULE_ID.fullmatch(text) is not None
