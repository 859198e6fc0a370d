"""Large inputs (issue 17, item 14): data-only statements are found without tokenizing their data, heavy SQL is
tokenized in pieces, and the statements are the ones the full tokenizer gives. Bounds here are on work and memory
(tokens made, bytes allocated), never on time."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
import sqlglot

from conftest import run_cli, write_tree
from migrate_guard.extract.sql import scan
from migrate_guard.extract.sql.split import _tokenized, split_statements


def _dialect(name: str):  # type: ignore[no-untyped-def]
    return sqlglot.Dialect.get_or_raise(name)


def _shape(statements):  # type: ignore[no-untyped-def]
    return [(s.start, s.error, [t.text.upper() for t in s.tokens[:3]]) for s in statements]


def test_a_large_insert_makes_three_tokens_and_little_memory() -> None:
    rows = ",\n".join(f"({i}, 'name {i}; $$ /* -- ')" for i in range(40_000))
    text = f"INSERT INTO users (id, name) VALUES\n{rows};\nDROP TABLE legacy;\n"
    tracemalloc.start()
    statements = split_statements(text, _dialect("postgres"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [s.tokens[0].text for s in statements] == ["INSERT", "DROP"]
    assert len(statements[0].tokens) == 3
    assert text[statements[0].end] == ")" and text[statements[1].start:statements[1].end + 1] == "DROP TABLE legacy"
    assert peak < 2 * len(text)  # the full tokenizer held ~50 bytes of tokens per byte of data


def test_copy_from_stdin_data_is_skipped_and_what_follows_is_linted(tmp_path: Path) -> None:
    data = "\n".join(f"{i}\tit's; $$ /* {i}\t\\N" for i in range(2_000))
    write_tree(tmp_path, {
        "migrations/1_seed.up.sql": f"CREATE TABLE t (id int, a text, b text);\nCOPY t (id, a, b) FROM stdin;\n{data}\n"
                                    "\\.\nDROP TABLE legacy; -- expect\n",
        "migrations/1_seed.down.sql": "DROP TABLE t;\n",
    })
    findings = run_cli("check", "--format", "json", "--fail-on", "never", cwd=tmp_path).json()["findings"]
    assert [(f["rule"], f["line"]) for f in findings if f["rule"] in ("drop-table", "parse-error")] == [
        ("drop-table", 2_004)]  # was: one parse-error over the data, and the DROP TABLE after it unseen


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_routine_bodies_are_left_to_the_tokenizer(dialect: str) -> None:
    text = ("INSERT INTO a VALUES (1);\nCREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW BEGIN\n"
            "  INSERT INTO log VALUES ('x;');\n  UPDATE b SET n = n + 1;\nEND;\nINSERT INTO a VALUES (2);\nDROP TABLE c;\n")
    statements = split_statements(text, _dialect(dialect))
    assert _shape(statements) == _shape(_tokenized(text, _dialect(dialect)))
    assert [s.tokens[0].text.upper() for s in statements] == ["INSERT", "CREATE", "INSERT", "DROP"]


def test_mysql_delimiter_scripts_are_left_to_the_tokenizer() -> None:
    text = "INSERT INTO a VALUES (1);\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\n"
    assert _shape(split_statements(text, _dialect("mysql"))) == _shape(_tokenized(text, _dialect("mysql")))


def test_heavy_text_is_tokenized_in_pieces_with_the_same_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"CREATE TABLE t{i} (id int);\n-- note {i}\nALTER TABLE t{i} ADD COLUMN c text;\n"
                   for i in range(200))
    monkeypatch.setattr(scan, "PIECE_CHARS", 300)
    spans = scan.data_spans(text, _dialect("postgres"))
    assert spans is not None and len(spans) > 20
    assert _shape(split_statements(text, _dialect("postgres"))) == _shape(_tokenized(text, _dialect("postgres")))


_PIECES = ["INSERT INTO t VALUES (1, 'a')", ";", ";\n", " ", "\n", "'x;y'", "'it''s;'", "'a\\'b;'", '"q;"', "`b;`",
           "-- c;\n", "/* c; */", "/* a /* b; */ c; */", "$$ ; $$", "$t$ ; $t$", "$1", "#h;\n", "CREATE TABLE x (a int)",
           "DROP TABLE y", "SELECT 1", "[id;]", "E'\\';'", "{# j; #}", "-", "/", "BEGIN", "x", "COPY t FROM 'f'"]


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite", "tsql", "clickhouse"])
def test_statement_ends_agree_with_the_tokenizer(dialect: str) -> None:
    """Quotes, identifiers, comments (nested where the dialect nests them), dollar quotes, backslash escapes and E''
    strings: wherever the tokenizer reads the whole text, the data pass cuts it at the same places."""
    d = _dialect(dialect)
    rnd = random.Random(17)
    compared = 0
    for _ in range(700):
        text = "INSERT INTO t VALUES (1);" + "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 12)))
        try:
            d.tokenize(text)
        except sqlglot.errors.TokenError:
            continue
        compared += 1
        assert _shape(split_statements(text, d)) == _shape(_tokenized(text, d)), text
    assert compared > 200


@pytest.mark.parametrize(("name", "body"), [
    ("alembic/versions/a1_seed.py", 'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
                                    '    op.drop_table("users")\n    op.execute("""{data}""")\n\n\ndef downgrade():\n    pass\n'),
    ("migrations/20240101000000_seed.js", 'exports.up = async (knex) => {{ await knex.schema.dropTable("users"); '
                                          'await knex.raw(`{data}`); }};\nexports.down = async () => {{}};\n'),
])
def test_python_and_js_above_the_size_limit_are_one_finding(tmp_path: Path, name: str, body: str) -> None:
    from migrate_guard.extract.base import MAX_PARSED_BYTES

    data = "INSERT INTO t VALUES (1);\n" * (MAX_PARSED_BYTES // 26 + 1)
    write_tree(tmp_path, {"alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/env.py": "",
                          "package.json": '{"dependencies": {"knex": "3"}}', "knexfile.js": "module.exports = {};",
                          name: body.format(data=data)})
    findings = run_cli("check", "--format", "json", "--fail-on", "never", cwd=tmp_path).json()["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [("parse-error", name)]
    assert "larger than 4 MB" in findings[0]["message"] and "nothing in it was checked" in findings[0]["message"]


def test_columns_on_a_minified_line_with_non_ascii_text(tmp_path: Path) -> None:
    line = ('exports.up=async function(knex){await knex.raw("SELECT \'é€𝄞\'");' * 50
            + 'await knex.schema.dropTable("legacy");};exports.down=async function(knex){};')
    write_tree(tmp_path, {"package.json": '{"dependencies": {"knex": "3"}}', "knexfile.js": "module.exports = {};",
                          "migrations/20240101000000_min.js": line + "\n"})
    findings = run_cli("check", "--format", "json", "--fail-on", "never", cwd=tmp_path).json()["findings"]
    drop = next(f for f in findings if f["rule"] == "drop-table")
    assert (drop["line"], drop["column"]) == (1, line.index('knex.schema.dropTable') + 1)  # in characters


def test_a_deep_expression_in_one_action_of_a_mixed_alter_is_a_parse_error() -> None:
    """Found by the fuzz test: SQLite's grammar takes this ALTER TABLE as a command, its actions are parsed one by
    one, and a deeply nested default there raised RecursionError out of check (a traceback)."""
    from migrate_guard.extract.sql import Origin, extract_sql

    deep = "(" * 400 + "1" + ")" * 400
    ops = extract_sql(f"ALTER TABLE t ADD COLUMN a int, ALTER COLUMN b SET DEFAULT {deep};", dialect="sqlite",
                      origin=Origin("m.sql"), migration="m")
    assert [op.kind for op in ops] == ["add_column", "parse_error"]
