"""The shape of a JS/TS migration read from its first bytes, with patterns only: does it define `up` (and `down`), and
what are up's parameters. Detection uses it to tell a file's tool from its content, wherever the file is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

# `up` defined, not called: `exports.up =`, `function up(`, `up: async (`, `async up(`, `up = knex =>`, ES5's
# `X.prototype.up = function (queryRunner)`. A `.up(` call (`migrator.up()`) is not a definition; `exports.up` is.
_TYPED = r"(?::\s*[A-Za-z_$][\w$.]*(?:<[^>=\n]*>)?\s*(?==))?"  # `export const up: Migration = async (...)`
_UP = re.compile(r"(?:(?<![\w$.])|(?<=exports\.)|(?<=prototype\.))up\s*" + _TYPED +
                 r"(?:[:=]\s*(?:async\s+)?(?:function\b\s*[\w$]*\s*)?)?"
                 r"(?:\(\s*(?P<params>[^)]*)\)|(?P<bare>[A-Za-z_$][\w$]*)\s*=>)")
_DOWN = re.compile(r"(?:(?<![\w$.])|(?<=exports\.)|(?<=prototype\.))down\s*" + _TYPED +
                   r"(?:[:=]\s*(?:async\s+)?(?:function\b\s*[\w$]*\s*)?)?"
                   r"(?:\(|[A-Za-z_$][\w$]*\s*=>)|\bexports\.down\s*=|(?<![\w$.])down\s*[,}]")
_EXPORTED = re.compile(r"\bexports\b|\bexport\s|\bmodule\.exports\b")


@lru_cache(maxsize=16)  # each format's owns() and the registry ask it of the same head in turn
def up_parameters(head: str) -> str | None:
    """The text between up's parentheses (`knex: Knex`, `queryInterface, Sequelize`, `{ context }`), "" for `up()`,
    or None when the head defines no exported `up`."""
    if "up" not in head or "export" not in head or not _EXPORTED.search(head):  # (each alternative's word)
        return None
    for match in _up_matches(head):
        before = head[max(0, match.start() - 12):match.start()]
        if re.search(r"\b(?:await|return)\s*$|[(,]\s*$", before):
            continue  # `await up(...)`, `run(up(...))`: a call
        params = match.group("params")
        return params.strip() if params is not None else match.group("bare")
    return None


def _up_matches(head: str) -> Iterator[re.Match[str]]:
    """_UP.finditer(head), trying only where "up" is written: a search tries every position (its lookbehinds leave
    it no word to look for first)."""
    at = head.find("up")
    while at != -1:
        match = _UP.match(head, at)
        if match is None:
            at = head.find("up", at + 1)
        else:
            yield match
            at = head.find("up", match.end())


_BRACKETS = re.compile(r"[{}\[\]<>()]")
_NAME_END = re.compile(r"[\s:=?]")


def parameter_names(params: str) -> list[str]:
    """`knex: Knex` -> ["knex"]; `queryInterface, Sequelize` -> both; `{ context: qi }` -> ["qi"] (umzug passes an
    object: the name it is bound to); `{ context }` -> ["context"]."""
    if _BRACKETS.search(params) is None:  # nothing nested: every comma separates
        names = params.split(",")
    else:
        names = []
        depth, current = 0, ""
        for ch in params:
            depth += ch in "{[<(" and 1 or 0
            depth -= ch in "}]>)" and 1 or 0
            if ch == "," and depth == 0:
                names.append(current)
                current = ""
            else:
                current += ch
        names.append(current)
    result = []
    for name in names:
        name = name.strip()
        if name.startswith("{"):
            first = name[1:].split("}")[0].split(",")[0]
            result.append(first.split(":")[-1].strip())
        elif name:
            result.append(_NAME_END.split(name, maxsplit=1)[0])
    return result


def parameter_types(params: str) -> list[str]:
    """`knex: Knex` -> ["Knex"]; `queryRunner: QueryRunner` -> ["QueryRunner"]."""
    return re.findall(r":\s*([A-Z][\w$.]*)", params)


def defines_down(head: str) -> bool:
    return _DOWN.search(head) is not None


_MIGRATION_CLASS = re.compile(r"\bclass\s+[\w$]+\s+extends\s+[\w$.]*Migration\b[^{]*\{")


def looks_like_migration(head: str) -> bool:
    """Exports both `up` and `down`, the shape every JS migration tool shares, whichever tool runs it; or a class
    extending a framework's Migration with an `up` (NocoBase's `class X extends Migration { async up() {...} }`)."""
    if up_parameters(head) is None:
        return False
    return defines_down(head) or _MIGRATION_CLASS.search(head) is not None
