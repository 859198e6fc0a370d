"""Statements sqlglot keeps as an opaque `exp.Command`, recognised from their tokens.

Postgres has ALTER TABLE actions and utility statements sqlglot does not model (VALIDATE CONSTRAINT, ADD ... USING
INDEX, unnamed ADD CHECK, GENERATED ... AS IDENTITY, DETACH PARTITION, ALTER TYPE ... ADD VALUE, VACUUM, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot.tokens import Token, TokenType

from ... import ir
from ..sql_text import without_comments

Make = Callable[..., Any]
# Parse the text "ALTER TABLE <table> <action>" with sqlglot; used for the actions of a mixed ALTER TABLE.
ParseAction = Callable[[list[Token]], list[Any]]


def words(tokens: Sequence[Token]) -> list[str]:
    return [t.text.upper() for t in tokens]


def _name(token: Token) -> str:
    return token.text


def split_top_level_commas(tokens: Sequence[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        if token.token_type == TokenType.COMMA and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _skip(tokens: Sequence[Token], i: int, *keywords: str) -> int:
    """Skip an optional run of keywords (e.g. IF EXISTS, ONLY) starting at i."""
    for keyword in keywords:
        if i < len(tokens) and tokens[i].text.upper() == keyword:
            i += 1
    return i


def alter_table_command(tokens: list[Token], make: Make, parse_action: ParseAction) -> list[Any] | None:
    """ALTER TABLE [IF EXISTS] [ONLY] name action[, action...] -> operations; None if not an ALTER TABLE."""
    w = words(tokens)
    if len(w) < 4 or w[0] != "ALTER" or w[1] != "TABLE":
        return None
    i = _skip(tokens, 2, "IF", "EXISTS")
    i = _skip(tokens, i, "ONLY")
    # the table name may be schema-qualified: a . b
    name_tokens = [tokens[i]]
    i += 1
    while i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
        name_tokens.append(tokens[i + 1])
        i += 2
    table = ".".join(_name(t) for t in name_tokens)
    ops: list[Any] = []
    for action in split_top_level_commas(tokens[i:]):
        ops.extend(alter_table_action(table, action, make) or parse_action(action))
    return ops


def alter_table_action(table: str, action: list[Token], make: Make) -> list[Any] | None:
    w = words(action)
    if w[:2] == ["VALIDATE", "CONSTRAINT"] and len(w) >= 3:
        return [make(ir.ValidateConstraint, table=table, name=_name(action[2]))]
    if w and w[0] == "ADD":
        return _add_action(table, action, w, make)
    if w[:2] == ["CONVERT", "TO"]:  # MySQL: every row rewritten in the new character set, by a table copy
        return [make(ir.RewriteTable, table=table, command="CONVERT TO CHARACTER SET")]
    if w and w[0] in ("ALGORITHM", "LOCK") and len(w) >= 2:
        value = w[-1]
        return [make(ir.AlterTableOptions, table=table, **{w[0].lower(): value})]
    if w[:3] == ["ALTER", "PRIMARY", "KEY"]:  # CockroachDB: an online primary key change
        return [make(ir.Raw, keyword="ALTER PRIMARY KEY")]
    if w and w[0] in ("UPDATE", "DELETE"):  # ClickHouse mutations: ALTER TABLE t UPDATE c = v WHERE ..., DELETE WHERE
        where = w.index("WHERE") if "WHERE" in w else None
        condition = w[where + 1:] if where is not None else []
        bounded = bool(condition) and condition not in (["1"], ["TRUE"], ["1", "=", "1"])
        kind = ir.Update if w[0] == "UPDATE" else ir.Delete
        return [make(kind, table=table, has_where=bounded)]
    if w[:2] == ["DETACH", "PARTITION"]:
        return [make(ir.Raw, keyword="DETACH PARTITION")]
    if w[:2] == ["ATTACH", "PARTITION"]:
        return [make(ir.Raw, keyword="ATTACH PARTITION")]
    return None


def _add_action(table: str, action: list[Token], w: list[str], make: Make) -> list[Any] | None:
    i = 1
    name = None
    if len(w) > 2 and w[1] == "CONSTRAINT":
        name, i = _name(action[2]), 3
    rest = w[i:]
    not_valid = "VALID" in rest and "NOT" in rest and rest.index("VALID") == rest.index("NOT") + 1
    if "USING" in rest and "INDEX" in rest:
        index_name = _name(action[i + rest.index("INDEX") + 1]) if rest.index("INDEX") + 1 < len(rest) else None
        constraint_type = "primary_key" if rest[:2] == ["PRIMARY", "KEY"] else "unique"
        return [make(ir.AddConstraint, table=table, constraint_type=constraint_type, name=name,
                     using_index=index_name)]
    if rest and rest[0] == "CHECK":
        return [make(ir.AddConstraint, table=table, constraint_type="check", name=name, not_valid=not_valid)]
    if "GENERATED" in rest and "IDENTITY" in rest:
        j = i + 1 if rest[0] == "COLUMN" else i
        j = _skip(action, j, "IF", "NOT", "EXISTS")
        column = ir.ColumnDef(name=_name(action[j]), nullable=False, generated=True)
        return [make(ir.AddColumn, table=table, column=column)]
    return None


# Objects that ALTER/CREATE/DROP may name; anything else after those verbs is a typo, not a statement we skip.
KNOWN_OBJECTS = {
    "TABLE", "INDEX", "TYPE", "SEQUENCE", "VIEW", "MATERIALIZED", "FUNCTION", "PROCEDURE", "ROUTINE", "TRIGGER",
    "SCHEMA", "DATABASE", "ROLE", "USER", "GROUP", "DOMAIN", "EXTENSION", "POLICY", "PUBLICATION", "SUBSCRIPTION",
    "SYSTEM", "DEFAULT", "LARGE", "OPERATOR", "AGGREGATE", "COLLATION", "CONVERSION", "EVENT", "FOREIGN", "LANGUAGE",
    "RULE", "SERVER", "STATISTICS", "TABLESPACE", "TEXT", "CAST", "ACCESS", "TRANSFORM", "UNIQUE", "OR", "TEMP",
    "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "RECURSIVE", "CONSTRAINT", "DEFINER", "ALGORITHM", "SQL", "VIRTUAL",
    "IF", "OWNED", "PARTITION", "ONLY", "CLUSTERED", "NONCLUSTERED", "FULLTEXT", "SPATIAL", "ONLINE", "OFFLINE",
    "PACKAGE", "SYNONYM", "STAGE", "STREAM", "TASK", "WAREHOUSE", "FILE", "EXTERNAL", "SECURE", "PROPERTY", "GRAPH",
}


def other_command(tokens: list[Token], make: Make) -> list[Any]:
    w = words(tokens)
    if w[0] in ("ALTER", "CREATE", "DROP") and (len(w) < 2 or w[1] not in KNOWN_OBJECTS):
        shown = " ".join(t.text for t in tokens[:2])
        return [make(ir.ParseError, message=f"could not parse this statement: unknown statement '{shown} ...'")]
    if w[:2] == ["RENAME", "TABLE"] and len(tokens) >= 5:  # MySQL: RENAME TABLE a TO b[, c TO d]
        ops = []
        for part in split_top_level_commas(tokens[2:]):
            pw = words(part)
            if "TO" in pw:
                k = pw.index("TO")
                ops.append(make(ir.RenameTable, table="".join(t.text for t in part[:k]),
                                new_name="".join(t.text for t in part[k + 1:])))
        return ops
    keyword = " ".join(w[:2]) if w and w[0] in ("ALTER", "CREATE", "DROP") else (w[0] if w else "")
    return [make(ir.Raw, keyword=keyword)]


def maintenance_command(source: str, make: Make) -> Any:
    """VACUUM, CLUSTER, REINDEX (sqlglot's tokenizer keeps their rest as one string, so read from the text): a
    RewriteTable when it rebuilds under a lock (VACUUM FULL, CLUSTER, REINDEX), else (plain VACUUM, which takes no
    exclusive lock) a Raw statement."""
    parts = _UTILITY_WORDS.findall(without_comments(source))
    w = [part.upper() for part in parts]
    options = set(w[1:])
    table = _first_name(parts[1:])
    if w[0] == "VACUUM":
        if "FULL" not in options:
            return make(ir.Raw, keyword="VACUUM")
        return make(ir.RewriteTable, table=table, command="VACUUM FULL")
    if w[0] == "CLUSTER":
        return make(ir.RewriteTable, table=table, command="CLUSTER")
    target = next((word for word in w[1:] if word in ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM")), "")
    return make(ir.RewriteTable, table=table if target in ("TABLE", "INDEX") else "", command="REINDEX",
                concurrent="CONCURRENTLY" in options)


def _first_name(parts: list[str]) -> str:
    """The first (possibly schema-qualified) name among a utility statement's options and keywords."""
    for i, part in enumerate(parts):
        if part[0] in "(),." or part.upper() in _MAINTENANCE_WORDS:
            continue
        name = [part.strip('"')]
        while i + 2 < len(parts) and parts[i + 1] == ".":
            name.append(parts[i + 2].strip('"'))
            i += 2
        return ".".join(name)
    return ""


_UTILITY_WORDS = re.compile(r'"(?:[^"]|"")+"|[\w$]+|[(),.]')
# Words of VACUUM / CLUSTER / REINDEX that are options or keywords, never the table's name.
_MAINTENANCE_WORDS = frozenset({"VACUUM", "CLUSTER", "REINDEX", "FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE",
                                "USING", "INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM", "CONCURRENTLY", "TRUE",
                                "FALSE", "ON", "OFF", "DISABLE_PAGE_SKIPPING", "SKIP_LOCKED", "INDEX_CLEANUP",
                                "PROCESS_TOAST", "PROCESS_MAIN", "TRUNCATE", "PARALLEL", "TABLESPACE", "AUTO",
                                "BUFFER_USAGE_LIMIT", "ONLY_DATABASE_STATS"})
