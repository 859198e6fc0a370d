"""Postgres SQL -> IR with libpg_query, the real Postgres parser (the `[pg]` extra: pglast, GPL-3.0-or-later, so
never a dependency of migrate-guard itself). Only imported when pglast is installed and a migration is Postgres.

The whole text is parsed in C to JSON; each statement whose shape is known here becomes the same operations the
sqlglot path gives. Any other statement (DO, SET with a value of several words, USING expressions, names written
in capitals, ...)
is handed to the sqlglot path alone, at its own position, so findings never differ between the two parsers. A
text libpg_query rejects is left whole to the sqlglot path (it reports each bad statement at its line).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from ... import ir
from .native_convert import CONVERTERS, WRITTEN_TYPES, Make
from .native_text import CharOffsets, Ctx, NotConverted, Piece, pg
from .positions import Origin, Positions

# The sqlglot path for one piece of SQL: (text, origin) -> operations
Fallback = Callable[[str, Origin], list[ir.Operation]]

# First words the sqlglot path judges from its words alone (extract/sql/__init__.py): the same verdicts here.
_RAW_FIRST = {"INSERT", "SELECT", "VALUES", "COMMENT", "GRANT", "REVOKE", "COPY", "CALL", "EXPLAIN", "SHOW",
              "ANALYZE", "LOCK", "REFRESH", "NOTIFY", "LISTEN", "DISCARD", "CHECKPOINT", "RESET", "DECLARE",
              "PREPARE", "EXECUTE", "DEALLOCATE", "SAVEPOINT", "RELEASE"}
_ROUTINE_WORDS = {"FUNCTION", "PROCEDURE", "TRIGGER", "RULE", "AGGREGATE", "VIEW", "MATERIALIZED", "TYPE", "DOMAIN",
                  "EXTENSION", "SEQUENCE", "POLICY", "ROLE", "USER", "SCHEMA", "PUBLICATION", "SUBSCRIPTION", "EVENT"}


# Larger texts are left to the sqlglot path, whose scanner skips the rows of INSERT and COPY without parsing them:
# libpg_query parses every row into JSON (a 10 MB seed INSERT took 12 s and 1.4 GB, against 0.9 s and 75 MB).
MAX_TEXT = 256 * 1024

# Statements (libpg_query's node kinds) that become no operation the schema state replays, on either path: data
# changes, transactions, settings, comments, grants, routines and types (their bodies are not read).
STATELESS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "SelectStmt", "TransactionStmt", "VariableSetStmt",
                       "CommentStmt", "GrantStmt", "CreateFunctionStmt", "CreateTrigStmt", "CreateEnumStmt",
                       "AlterEnumStmt", "TruncateStmt"})


def extract_postgres(text: str, *, origin: Origin, migration: str, direction: ir.Direction,
                     fallback: Fallback, only_state: bool = False) -> list[ir.Operation] | None:
    """All operations of a Postgres text, in order; None when libpg_query rejects the text or it is larger than
    MAX_TEXT (the caller then reads it with sqlglot, which reports each statement it cannot read). `only_state`: the
    text is read for the schema state alone, so statements of the kinds that cannot change it are left out."""
    if len(text) > MAX_TEXT or "\x00" in text:  # libpg_query reads a C string: it would stop at the NUL
        return None
    try:
        document = json.loads(pg.parse_sql_json(text))
    except (pg.ParseError, UnicodeEncodeError):  # a lone surrogate (a Python string's "\udcff") is no UTF-8
        return None
    chars = CharOffsets(text)
    positions = Positions(text, origin)
    ops: list[ir.Operation] = []
    for entry in document.get("stmts", ()):
        node = entry["stmt"]
        if only_state and next(iter(node)) in STATELESS:
            continue
        begin = entry.get("stmt_location", 0)
        length = entry.get("stmt_len", 0)
        begin, end = chars.at(begin), chars.at(begin + length) if length else len(text)
        try:
            piece = Piece.of(text[begin:end], begin)
        except pg.ParseError:  # not seen: the statement's own text is what the whole text's parse delimited
            return None
        if piece is None:
            continue
        start = begin + piece.lead
        source = piece.source
        location = positions.location(start, start + len(source) - 1)

        def make(cls: Any, **fields: Any) -> Any:
            return cls(location=location, migration=migration, direction=direction, source=source, **fields)

        try:
            ops.extend(_statement(node, piece, text, chars, make))
        except (NotConverted, KeyError, TypeError, ValueError, IndexError, AttributeError):  # a JSON shape not foreseen
            line, column = positions.line_col(start)
            ops.extend(fallback(source, Origin(origin.path, line, column)))
    return ops


def _statement(node: dict[str, Any], piece: Piece, text: str, chars: CharOffsets, make: Make) -> list[ir.Operation]:
    w = piece.words(4)
    first = w[0]
    if first in _RAW_FIRST:
        return [make(ir.Raw, keyword=first)]
    if first in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK") and "TransactionStmt" in node:
        if first == "START" and w[1:2] != ["TRANSACTION"]:
            raise NotConverted
        action = "begin" if first in ("BEGIN", "START") else "commit" if first in ("COMMIT", "END") else "rollback"
        return [make(ir.Transaction, action=action)]
    if first == "DO":
        raise NotConverted  # the PL/pgSQL body: the sqlglot path reads the SQL statements in it
    if first == "SET":
        return [_setting(piece, make)]
    if w[:2] == ["ALTER", "TYPE"] and "VALUE" in [piece.written(t).upper() for t in piece.tokens[3:8]]:
        return [_enum_value(piece, make)]
    if w[:2] == ["ALTER", "TYPE"] and len(piece.tokens) >= 6 \
            and [piece.written(t).upper() for t in piece.tokens[-3:-1]] == ["RENAME", "TO"]:
        written = _plain_words(piece)  # ALTER TYPE [schema .] x RENAME TO y
        return [make(ir.RenameType, type_name="".join(written[2:-3]), new_name=written[-1])]
    if first in ("CREATE", "ALTER", "DROP") and _is_routine(w):
        return [make(ir.Raw, keyword=" ".join(w[:2]))]
    type_words = piece.check_names(WRITTEN_TYPES)
    ctx = Ctx(text, chars, piece)
    (kind, body), = node.items()
    convert = CONVERTERS.get(kind)
    if convert is None:
        raise NotConverted
    ops = convert(body, make, ctx)
    if not type_words <= ctx.typed:  # a type's name in capitals used as a name
        raise NotConverted
    source = piece.source
    for name in _names(ops):  # a keyword in capitals used as a name (NAME, KEY) came back folded to lower case
        if any(part not in source for part in name.split(".")):
            raise NotConverted
    return ops


def _names(ops: list[Any]) -> list[str]:
    names: list[str] = []
    for op in ops:
        fields, has_columns, has_references = _name_fields(type(op))
        for field in fields:
            value = getattr(op, field)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, ir.ColumnDef):
                names.append(value.name)
        if has_columns:
            names.extend(op.columns or ())
        if isinstance(op, ir.CreateTable):
            names.extend(column.name for column in op.columns)
            names.extend(_names(op.constraints))
        references = op.references if has_references else None
        if references is not None:
            names.append(references.table)
            names.extend(references.columns)
    return [name for name in names if isinstance(name, str)]


_NAME_FIELDS: dict[type, tuple[tuple[str, ...], bool, bool]] = {}


def _name_fields(cls: type) -> tuple[tuple[str, ...], bool, bool]:
    """An operation class's fields (and properties, Truncate.table) that may hold names, and whether it has
    `columns` and `references`."""
    found = _NAME_FIELDS.get(cls)
    if found is None:
        own = {f.name for f in fields(cls)} | {n for n in dir(cls) if isinstance(getattr(cls, n, None), property)}
        found = _NAME_FIELDS[cls] = (tuple(f for f in ("table", "column", "name", "new_name", "using_index")
                                           if f in own), "columns" in own, "references" in own)
    return found


def _plain_words(piece: Piece) -> list[str]:
    """The statement's words as the sqlglot path's tokenizer would give them, for statements it reads from their
    words (SET, ALTER TYPE ... ADD VALUE): only unquoted names, keywords, numbers, punctuation and plain strings,
    where both tokenizers agree; anything else goes to the sqlglot path."""
    words = []
    for token in piece.tokens:
        written = piece.written(token)
        if token.name == "SCONST":
            if not (written.startswith("'") and written.endswith("'")) or "'" in written[1:-1] or '"' in written:
                raise NotConverted
        elif token.name == "IDENT":
            if written.startswith('"'):
                raise NotConverted
        elif token.kind == "NO_KEYWORD" and token.name not in ("ICONST", "FCONST") \
                and not token.name.startswith("ASCII_"):
            raise NotConverted
        words.append(written)
    return words


def _setting(piece: Piece, make: Make) -> Any:
    """SET [LOCAL | SESSION] name {= | TO} value, or SET name value, with a one-word value."""
    w = _plain_words(piece)[1:]
    if w and w[0].upper() in ("LOCAL", "SESSION"):
        w = w[1:]
    if len(w) == 3 and w[1].upper() in ("=", "TO"):
        value = w[2]
    elif len(w) == 2 and w[1].upper() not in ("=", "TO"):
        value = w[1]
    else:
        raise NotConverted
    return make(ir.Setting, name=w[0].lower(), value=value.strip("'\""))


def _enum_value(piece: Piece, make: Make) -> Any:
    """ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'v' [BEFORE | AFTER 'w'] (RENAME VALUE is not a new value)."""
    written = _plain_words(piece)
    w = [word.upper() for word in written]
    if "ADD" not in w:
        return make(ir.Raw, keyword="ALTER TYPE")
    strings = [word[1:-1] for token, word in zip(piece.tokens, written) if token.name == "SCONST"]
    return make(ir.AddEnumValue, type_name="".join(written[2:w.index("ADD")]), value=strings[0] if strings else "")


def _is_routine(w: list[str]) -> bool:
    rest = w[1:]
    if rest[:2] == ["OR", "REPLACE"]:
        rest = rest[2:]
    return bool(rest) and rest[0] in _ROUTINE_WORDS and not (w[0] == "DROP" and rest[0] == "SCHEMA")
