"""The native path reads a statement without comments from its text (extract/sql/native_text.py Piece: its first
words, the names check, plain expressions): each shortcut gives what its scanner tokens give, on statements chosen
to be hard for it (capitals, quotes, escapes, casts that end at a keyword, non-ASCII, odd whitespace)."""

from __future__ import annotations

from conftest import skip_module_unless_installed

skip_module_unless_installed("pglast")

from pglast import parser as pg  # noqa: E402

from migrate_guard.extract.sql.native_text import CharOffsets, Ctx, NotConverted, Piece  # noqa: E402
from migrate_guard.extract.sql.native_convert import WRITTEN_TYPES  # noqa: E402

DEFAULTS = ["0", "12.5", "-1", "''", "'a''b'", "'x'::text", "'{}'::jsonb", "'{}'::int[]", "now()", "NULL",
            "null::text", "CURRENT_TIMESTAMP", "gen_random_uuid()", "nextval('s'::regclass)", "E'a\\'b'", "'a\\b'",
            "true", "(1)", "1e5", "0x1F", "1_000", "'x'::generated", "'x'::Generated", "public.fn()", "now()::date",
            "now() AT TIME ZONE 'utc'", "'a'\n'b'", "$$x$$", "'é'", "x$y", "Now()", "'x' || 'y'", "U&'\\0041'",
            "B'101'", "'naïve'", "5 COLLATE \"C\"", "'x'::character varying", "no_t", "nullif(a, b)"]
TAILS = ["", " NOT NULL", " not null", " PRIMARY KEY", " CHECK (c > 0)", ",\n  d int", " UNIQUE", " REFERENCES t(id)",
         " DEFERRABLE", " GENERATED ALWAYS AS (1) STORED", " Null", "\f", "\xa0"]
NAMES = ["users", "Users", '"Users"', "USERS", "public.users", '"public"."users"', "usérs", "Name", "NAME", "key",
         '"a""b"', "u" * 70, "_1", "x$y", "TABLE", "Create", "表", "1e5", "'Str'"]


def _statements() -> list[str]:
    found = []
    for default in DEFAULTS:
        for tail in TAILS:
            found.append(f"CREATE TABLE x (c int DEFAULT {default}{tail})")
            found.append(f"ALTER TABLE x ALTER COLUMN c TYPE int USING {default}{tail}")
    for name in NAMES:
        found += [f"CREATE TABLE {name} (id int)", f"ALTER TABLE t ADD COLUMN {name} int", f"DROP TABLE {name}",
                  f"Create Table t (c text DEFAULT {name})", f"CREATE OR REPLACE FUNCTION {name}() RETURNS int"]
    return found


def _both(statement: str) -> tuple[Piece, Piece]:
    fast = Piece.of(statement, 0)
    assert fast is not None and fast.plain
    scanned = Piece(statement, 0, 0, fast.source, pg.scan(fast.source))
    assert not scanned.plain
    return fast, scanned


def _outcome(read: object) -> object:
    try:
        return read() if callable(read) else read
    except NotConverted:
        return NotConverted


def test_a_statement_read_from_its_text_reads_as_its_tokens() -> None:
    checked = 0
    for statement in _statements():
        try:
            pg.parse_sql_json(statement)
        except pg.ParseError:
            continue  # the whole text's parse failed: it goes to the sqlglot path, no Piece is made
        checked += 1
        fast, scanned = _both(statement)
        assert fast.words(4) == scanned.words(4), statement
        assert _outcome(lambda: fast.check_names(WRITTEN_TYPES)) == _outcome(lambda: scanned.check_names(WRITTEN_TYPES)), \
            statement
        chars = CharOffsets(statement)
        for token in pg.scan(statement):  # an expression starting at any token, as a byte offset
            at = len(statement[:token.start].encode("utf-8"))
            assert _outcome(lambda: Ctx(statement, chars, fast).expression_text(at)) \
                == _outcome(lambda: Ctx(statement, chars, scanned).expression_text(at)), statement[token.start:]
    assert checked > 600


def test_a_statement_with_a_comment_is_scanned() -> None:
    piece = Piece.of("-- lead\nALTER TABLE t /* why */ ADD COLUMN c int DEFAULT 0 -- tail\n", 0)
    assert piece is not None and not piece.plain
    assert piece.source == "ALTER TABLE t /* why */ ADD COLUMN c int DEFAULT 0"
