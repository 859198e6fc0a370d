"""SQL -> IR with sqlglot: split with the tokenizer, parse statement by statement, one bad statement never hides the rest.

Reached through migrate_guard.extract.sql.extract_sql (the package), which every extractor that finds SQL calls
and which sends Postgres SQL to libpg_query first when the [pg] extra is installed (native.py).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.tokens import Token, TokenType

from ... import ir
from ...dialects import DISPLAY_NAMES, GRAMMARS, PARTIAL, grammar
from .commands import alter_table_command, maintenance_command, other_command, words
from .convert import Ctx, expression_ops
from .positions import Origin, Positions
from .split import Statement, split_statements

__all__ = ["Origin", "extract_sql", "SQLGLOT_DIALECTS"]

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)

SQLGLOT_DIALECTS = GRAMMARS
# Tried, in this order, on a statement the migration's own grammar rejects: when one reads it, the dialect is
# probably wrong, and the statement is judged as that database's.
_OTHER_GRAMMARS = ("postgres", "mysql", "sqlite")

# First words of statements no rule looks into: not worth a full parse (INSERTs of seed data can be huge).
_NO_PARSE = {"INSERT", "SELECT", "VALUES", "COMMENT", "GRANT", "REVOKE", "COPY", "CALL", "EXPLAIN", "SHOW", "PRAGMA",
             "ANALYZE", "VACUUM", "REINDEX", "LOCK", "CLUSTER", "REFRESH", "NOTIFY", "LISTEN", "DISCARD", "CHECKPOINT",
             "RESET", "USE", "DECLARE", "PREPARE", "EXECUTE", "DEALLOCATE", "SAVEPOINT", "RELEASE", "DELIMITER"}
_BEGIN = {"BEGIN", "START"}
_COMMIT = {"COMMIT", "END"}
_ROUTINE_WORDS = {"FUNCTION", "PROCEDURE", "TRIGGER", "RULE", "AGGREGATE", "VIEW", "MATERIALIZED", "TYPE", "DOMAIN",
                  "EXTENSION", "SEQUENCE", "POLICY", "ROLE", "USER", "SCHEMA", "PUBLICATION", "SUBSCRIPTION", "EVENT"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DOLLAR_QUOTE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@lru_cache(maxsize=None)
def _dialect(name: str) -> Any:
    return sqlglot.Dialect.get_or_raise(grammar(name) if name in GRAMMARS else "postgres")


@lru_cache(maxsize=None)
def _parser(d: Any) -> Any:
    """One parser per dialect, reused: Parser.parse() resets all of its state first, and building one per statement
    showed in the profile."""
    return d.parser(error_level=ErrorLevel.RAISE)


def extract_sql(text: str, *, dialect: str, origin: Origin, migration: str, direction: ir.Direction = "up",
                in_routine: bool = False) -> list[ir.Operation]:
    """All operations of a piece of SQL, in order. `in_routine`: the SQL is the body of a DO block (PL/pgSQL)."""
    d = _dialect(dialect)
    positions = Positions(text, origin)
    ops: list[ir.Operation] = []
    for statement in split_statements(text, d):
        ops.extend(_statement_ops(statement, text, d, dialect, positions, migration, direction, in_routine))
    return ops


def _statement_ops(statement: Statement, text: str, d: Any, dialect: str, positions: Positions, migration: str,
                   direction: ir.Direction, in_routine: bool) -> list[ir.Operation]:
    tokens = statement.tokens
    if in_routine:
        tokens = _routine_statement_tokens(tokens)
        if not tokens:
            return []
        statement = Statement(start=tokens[0].start, end=tokens[-1].end, tokens=tokens)

    location = positions.location(statement.start, statement.end)
    source = text[statement.start:statement.end + 1]

    def make(cls: Any, **fields: Any) -> Any:
        return cls(location=location, migration=migration, direction=direction, source=source, **fields)

    if statement.error is not None:
        return _other_grammar(source, statement.error, dialect, make, in_routine)
    first = words(tokens[:1])[0]
    judged = _judged_by_words(tokens, source, text, dialect, positions, migration, direction, in_routine, make)
    if judged is not None:
        return judged

    try:
        expressions = _parser(d).parse(_without_identity_options(tokens), text)
    except SqlglotError as error:
        if in_routine:  # PL/pgSQL control flow is not SQL; only the SQL statements in it matter
            return []
        return _other_grammar(source, _error_line(error), dialect, make, in_routine)
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        return [make(ir.ParseError, message=f"sqlglot could not read this statement ({type(error).__name__})")]

    ops: list[ir.Operation] = []
    for expression in expressions:
        if expression is None:
            continue
        if isinstance(expression, exp.Condition) and not isinstance(expression, exp.Query):
            # in PL/pgSQL, `x := expr` is an assignment, not a statement of ours; in code, a raw fragment that is a
            # value (`const now = knex.raw('CURRENT_TIMESTAMP')`, `sa.text("now()")`) is not meant as a statement
            if not in_routine and positions.origin.path.lower().endswith(".sql"):
                ops.append(make(ir.ParseError, message=f"not a SQL statement: {first} ..."))
        elif isinstance(expression, exp.Command):
            ops.extend(_command_ops(tokens, text, d, make, dialect))
        else:
            ops.extend(_interpreted(expression, make, dialect, text))
    return ops


def _interpreted(expression: exp.Expression, make: Any, dialect: str, text: str) -> list[ir.Operation]:
    try:
        return list(expression_ops(expression, make, Ctx(grammar(dialect), text)))
    except (AttributeError, KeyError, TypeError, ValueError, RecursionError) as error:
        return [make(ir.ParseError, message=f"could not interpret this statement ({error})")]


def _judged_by_words(tokens: list[Any], source: str, text: str, dialect: str, positions: Positions, migration: str,
                     direction: ir.Direction, in_routine: bool, make: Any) -> list[ir.Operation] | None:
    """The statements judged from their first words, without parsing (maintenance commands, transactions, SET, DO
    blocks, enum values, routines); None for the others."""
    w = words(tokens[:3])
    first = w[0]
    if first in ("VACUUM", "CLUSTER", "REINDEX") and not in_routine:
        return [maintenance_command(source, make)]
    if first in _NO_PARSE:
        return [make(ir.Raw, keyword=first)]
    if not in_routine and (first in _BEGIN or first in _COMMIT or first == "ROLLBACK"):
        if first == "START" and (len(w) < 2 or w[1] != "TRANSACTION"):
            pass
        else:
            action = "begin" if first in _BEGIN else "commit" if first in _COMMIT else "rollback"
            return [make(ir.Transaction, action=action)]
    if first == "SET":
        return [_setting(tokens, make)]
    if first == "DO":
        return _do_block(tokens, text, dialect, positions, migration, direction) or [make(ir.Raw, keyword="DO")]
    if w[:2] == ["ALTER", "TYPE"] and "VALUE" in words(tokens[3:8]):  # ALTER TYPE [schema .] name ADD VALUE
        return [_enum_value(tokens, make)]
    if w[:2] == ["ALTER", "TYPE"] and len(tokens) >= 6 and words(tokens[-3:-1]) == ["RENAME", "TO"]:
        # ALTER TYPE [schema .] x RENAME TO y
        return [make(ir.RenameType, type_name="".join(t.text for t in tokens[2:-3]), new_name=tokens[-1].text)]
    if first in ("CREATE", "ALTER", "DROP") and _is_routine(words(tokens[:4])):  # CREATE OR REPLACE FUNCTION
        return [make(ir.Raw, keyword=" ".join(w[:2]))]
    return None


def _other_grammar(source: str, error: str, dialect: str, make: Any, in_routine: bool) -> list[ir.Operation]:
    """A statement the migration's grammar cannot read. When another database's grammar reads it, the migration's
    dialect is probably wrong: the parse-error says so, and the statement is judged as that database's (so a
    backtick-quoted DROP TABLE in a folder taken for Postgres is still a drop-table). A database read only in part
    (SQL Server, Oracle, H2) gets no parse-error at all: what no grammar reads is left unchecked, and the engine says
    once per folder that the dialect is checked in part."""
    for other in _OTHER_GRAMMARS:
        if other == dialect or (dialect == "cockroachdb" and other == "postgres"):
            continue
        ops = _parsed_as(source, other, make)
        if ops is None:
            continue
        for op in ops:
            op.dialect = op.dialect or (dialect if dialect in PARTIAL else other)
        if dialect in PARTIAL:
            return ops
        shown = DISPLAY_NAMES.get(other, other)
        return [make(ir.ParseError, message=f"{error}; it reads as {shown}: this migration is linted as "
                                            f"{DISPLAY_NAMES.get(dialect, dialect)}, which is probably wrong (set "
                                            f"`dialect` or `dialects` in config, or --dialect)"), *ops]
    if dialect in PARTIAL:
        return [make(ir.ParseError, message=error, dialect=dialect)]
    return [make(ir.ParseError, message=error)]


def _parsed_as(source: str, dialect: str, make: Any) -> list[ir.Operation] | None:
    """The statement's operations in another grammar; None when that grammar cannot read it either."""
    d = _dialect(dialect)
    try:
        expressions = _parser(d).parse(d.tokenize(source), source)
    except (SqlglotError, RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None
    ops: list[ir.Operation] = []
    for expression in expressions:
        if expression is None:
            continue
        if isinstance(expression, exp.Command) or (isinstance(expression, exp.Condition)
                                                   and not isinstance(expression, exp.Query)):
            return None
        try:
            ops.extend(expression_ops(expression, make, Ctx(dialect, source)))
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
    return ops or None


def _without_identity_options(tokens: list[Token]) -> list[Token]:
    """`AS IDENTITY (sequence name "s" INCREMENT BY 1 ... START WITH 1 CACHE 1)` without the parenthesized sequence
    options, which no rule reads: sqlglot takes them only in its own order and without SEQUENCE NAME (Drizzle writes
    them all, LobeChat's migrations gave parse-errors on valid Postgres)."""
    starts = [i for i in range(2, len(tokens) - 1) if tokens[i + 1].token_type == TokenType.L_PAREN
              and tokens[i].text.upper() == "IDENTITY" and tokens[i - 1].text.upper() == "AS"]
    if not starts:
        return tokens
    kept: list[Token] = []
    i = 0
    for start in starts:
        if start < i:
            continue
        kept.extend(tokens[i:start + 1])
        depth, j = 0, start + 1
        while j < len(tokens):
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
            j += 1
            if depth == 0:
                break
        i = j
    kept.extend(tokens[i:])
    return kept


def _command_ops(tokens: list[Token], text: str, d: Any, make: Any, dialect: str) -> list[Any]:
    def parse_action(action: list[Token]) -> list[Any]:
        # One action of a mixed ALTER TABLE that sqlglot could not take as a whole: parse it alone.
        head = tokens[: tokens.index(action[0])]
        head = [t for t in head if t.token_type != TokenType.COMMA]
        head = head[: _alter_head_length(head)]
        try:
            parsed = _parser(d).parse([*head, *action], text)
        except SqlglotError:
            return [make(ir.Raw, keyword="ALTER TABLE")]
        except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:  # as above
            return [make(ir.ParseError, message=f"sqlglot could not read this statement ({type(error).__name__})")]
        result: list[Any] = []
        for expression in parsed:
            if expression is not None and not isinstance(expression, exp.Command):
                result.extend(expression_ops(expression, make, Ctx(grammar(dialect), text)))
        return result or [make(ir.Raw, keyword="ALTER TABLE")]

    ops = alter_table_command(tokens, make, parse_action)
    return ops if ops is not None else other_command(tokens, make)


def _alter_head_length(head: list[Token]) -> int:
    """Length of `ALTER TABLE [IF EXISTS] [ONLY] name` at the start of head."""
    i = 2
    while i < len(head) and head[i].text.upper() in ("IF", "EXISTS", "ONLY"):
        i += 1
    i += 1
    while i + 1 < len(head) and head[i].token_type == TokenType.DOT:
        i += 2
    return i


def _is_routine(w: list[str]) -> bool:
    rest = w[1:]
    if rest[:2] == ["OR", "REPLACE"]:
        rest = rest[2:]
    return bool(rest) and rest[0] in _ROUTINE_WORDS and not (w[0] == "DROP" and rest[0] == "SCHEMA")


def _enum_value(tokens: list[Token], make: Any) -> Any:
    """ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'v' [BEFORE | AFTER 'w'] (RENAME VALUE is not a new value)."""
    w = words(tokens)
    if "ADD" not in w:
        return make(ir.Raw, keyword="ALTER TYPE")
    strings = [t.text for t in tokens if t.token_type == TokenType.STRING]
    name_end = w.index("ADD")
    return make(ir.AddEnumValue, type_name="".join(t.text for t in tokens[2:name_end]),
                value=strings[0] if strings else "")


def _setting(tokens: list[Token], make: Any) -> Any:
    w = [t.text for t in tokens[1:]]
    if w and w[0].upper() in ("LOCAL", "SESSION"):
        w = w[1:]
    name = w[0].lower() if w else ""
    value = " ".join(w[2:]) if len(w) > 2 and w[1].upper() in ("=", "TO") else " ".join(w[1:])
    return make(ir.Setting, name=name, value=value.strip("'\""))


def _do_block(tokens: list[Token], text: str, dialect: str, positions: Positions, migration: str,
              direction: ir.Direction) -> list[ir.Operation]:
    """DO $$ ... $$: the SQL inside runs when the migration runs (Drizzle wraps each foreign key in one)."""
    body_token = next((t for t in tokens[1:] if t.token_type in (TokenType.STRING, TokenType.HEREDOC_STRING)), None)
    if body_token is None:
        return []
    raw = text[body_token.start:body_token.end + 1]
    quote = _DOLLAR_QUOTE.match(raw)
    if quote is None:
        return []
    body_start = body_token.start + quote.end()
    body = raw[quote.end(): len(raw) - len(quote.group(0))] if raw.endswith(quote.group(0)) else raw[quote.end():]
    line, column = positions.line_col(body_start)
    inner_origin = Origin(positions.origin.path, line, column)
    return extract_sql(body, dialect=dialect, origin=inner_origin, migration=migration, direction=direction,
                       in_routine=True)


_ROUTINE_SKIP = {"EXCEPTION", "END", "ELSE", "RETURN", "RAISE", "PERFORM", "NULL", "EXIT", "CONTINUE", "LOOP",
                 "FOR", "WHILE", "GET", "OPEN", "CLOSE", "FETCH", "DECLARE"}


def _routine_statement_tokens(tokens: list[Token]) -> list[Token]:
    """Strip PL/pgSQL around a SQL statement: a leading BEGIN, `IF ... THEN`, `WHEN ... THEN`."""
    while tokens:
        first = tokens[0].text.upper()
        if first == "BEGIN":
            tokens = tokens[1:]
        elif first in ("IF", "ELSIF", "WHEN") or (first == "ELSE" and len(tokens) > 1):
            then = next((i for i, t in enumerate(tokens) if t.text.upper() == "THEN"), None)
            if first == "ELSE":
                tokens = tokens[1:]
            elif then is None:
                return []
            else:
                tokens = tokens[then + 1:]
        elif first in _ROUTINE_SKIP:
            return []
        else:
            return tokens
    return tokens


_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>")
_STATEMENT_POSITION = re.compile(r"(?<!\s)\s*Line \d+, Col: \d+\.?")  # from a run's start only: linear


def _error_line(error: SqlglotError) -> str:
    message = _ANSI.sub("", str(error)).splitlines()[0] if str(error) else type(error).__name__
    message = _STATEMENT_POSITION.sub("", _TOKEN_REPR.sub(r"'\1'", message)).strip()
    return f"could not parse this statement: {message}"

