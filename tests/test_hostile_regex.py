"""Regular expressions on hostile input (issue 17, item 11): each input below took minutes or never finished with the
old pattern. The watchdog is a hang guard, not a timing benchmark: the rewritten scans finish these in milliseconds,
and the same inputs at 1/8 of the size would still have taken seconds before."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from conftest import run_cli, write_tree
from migrate_guard.commands.baseline import _HEADER
from migrate_guard.extract.js.text import strip_js_comments
from migrate_guard.extract.prisma_schema import datasource_provider
from migrate_guard.detect.js_stacks import _migrations_option, _rc_path
from migrate_guard.extract.sql.values import parse_type, type_parts
from migrate_guard.extract.sql_file import has_statements
from migrate_guard.extract.sql_text import without_comments

T = TypeVar("T")
HANG_GUARD_SECONDS = 20


class Hung(Exception):
    pass


@contextmanager
def watchdog(seconds: int = HANG_GUARD_SECONDS) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s: backtracking")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def guarded(call: Callable[[], T]) -> T:
    with watchdog():
        return call()


# --- SQL: blank lines and comments before a down file's first statement ------------------------------------------

def test_blank_lines_before_the_first_statement() -> None:
    assert guarded(lambda: has_statements("\n" * 200_000 + "DROP TABLE t;")) is True
    assert guarded(lambda: has_statements("\n  \t\r\n" * 50_000)) is False
    assert guarded(lambda: has_statements("-- a -- b -- c\n" * 20_000 + "x")) is True


@pytest.mark.parametrize(("text", "statements"), [
    ("", False), ("  \n\t", False), ("-- only a comment", False), ("/* c */\n-- d\n", False),
    ("/* never closed", True), ("-- c\nSELECT 1", True), ("/* a */ /* b */ x", True), ("/**/", False),
    ("--\n--", False), ("/* a */ */", True),  # a stray */ after a closed comment is not a comment
])
def test_has_statements_reads_comments_like_sql(text: str, statements: bool) -> None:
    assert has_statements(text) is statements


def test_unterminated_comments_are_blanked_once() -> None:
    text = "/* " * 100_000
    assert guarded(lambda: without_comments(text)).strip() == ""
    assert without_comments("a /* b */ c -- d\ne") == "a   c  \ne"
    assert guarded(lambda: strip_js_comments("x /* " * 50_000)) == "x "


def test_down_file_of_blank_lines_via_the_cli(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/1_a.up.sql": "CREATE TABLE a (id int);\n",
                          "migrations/1_a.down.sql": "\n" * 60 + "DROP TABLE a;\n"})
    result = run_cli("check", "migrations", "--format", "json", cwd=tmp_path, timeout=60)
    assert "missing-down-migration" not in result.rules()


# --- types: `specificType('int' + blanks + '!')` -----------------------------------------------------------------

def test_type_with_a_long_run_of_blanks() -> None:
    assert guarded(lambda: type_parts("int" + " " * 20_000 + "!")) is None
    assert guarded(lambda: type_parts("int" + " " * 20_000 + "(" + " " * 20_000 + "x")) is None
    assert guarded(lambda: parse_type("double" + " " * 20_000 + "precision")).name == "double precision"


@pytest.mark.parametrize(("written", "name", "params"), [
    ("varchar(255)", "varchar", (255,)), ("NUMERIC(10, 2)", "numeric", (10, 2)), (" text ", "text", ()),
    ("character   varying (40)", "varchar", (40,)), ("int[]", "int[]", ()), ("varchar(10) []", "varchar[]", (10,)),
    ("timestamp with time zone", "timestamptz", ()), ("geometry(Point, 4326)", "geometry", ()),
    ("int!", "int!", ()), ("a(b)c", "a(b)c", ()), ("()", "()", ()),
])
def test_parse_type_reads_types_as_before(written: str, name: str, params: tuple[int, ...]) -> None:
    parsed = parse_type(written)
    assert (parsed.name, parsed.params, parsed.text) == (name, params, written.strip())


# --- JS and Prisma config scans under the 512 KB read limit ------------------------------------------------------

def test_knexfile_with_unclosed_migrations_blocks() -> None:
    hostile = "migrations: {" * 40_000  # 520 KB, no closing brace anywhere
    assert guarded(lambda: _migrations_option(hostile, "directory")) is None
    assert _migrations_option("module.exports = {migrations: { directory: './db/m' }}", "directory") == "./db/m"
    assert _migrations_option("x = {migrations: {tableName: 't'}, y: {directory: 'no'}}", "directory") is None


def test_rc_path_with_unclosed_calls() -> None:
    hostile = "'migrations-path': path.resolve(" * 30_000
    assert guarded(lambda: _rc_path(hostile, "migrations-path")) is None
    tail = hostile + "\n'migrations-path': 'db/m'"  # a quoted value after the unclosed calls is still read
    assert guarded(lambda: _rc_path(tail, "migrations-path")) == "db/m"
    assert _rc_path("'migrations-path': path.resolve('db', 'migrations')", "migrations-path") == "db/migrations"


def test_prisma_datasource_scan() -> None:
    hostile = "datasource db {\n" * 30_000  # 480 KB, no closing brace
    assert guarded(lambda: datasource_provider(hostile)) is None
    assert guarded(lambda: datasource_provider(hostile + 'provider = "mysql"')) == "mysql"
    schema = 'datasource a {\n url = env("X")\n}\ndatasource b {\n provider = "postgresql"\n}\n'
    assert datasource_provider(schema) == "postgresql"
    assert datasource_provider('generator c {\n provider = "prisma-client-js"\n}\n') is None


def test_prisma_project_with_a_hostile_schema(tmp_path: Path) -> None:
    write_tree(tmp_path, {"prisma/schema.prisma": "datasource db {\n" * 30_000,
                          "prisma/migrations/20240101000000_a/migration.sql": "DROP TABLE a;\n"})
    result = run_cli("detect", "--format", "json", cwd=tmp_path, timeout=60)
    assert [p["orm"] for p in result.json()["projects"]] == ["prisma"]


# --- line-anchored patterns whose \s ran across blank lines ------------------------------------------------------

@pytest.mark.parametrize("files", [
    {"alembic.ini": "[alembic]\nscript_location = alembic\n",
     "alembic/versions/a1_x.py": "\n" * 400_000 + "revision = 'a1'\ndown_revision = None\n"},
    {"db/migrations/001_a.sql": "-- +goose Up\n" + "\n" * 400_000 + "DROP TABLE a;\n"},
    {"db/migrations/20240101_a.sql": "-- migrate:up\n" + "\n" * 400_000 + "DROP TABLE a;\n-- migrate:down\n"},
    {".env": "\n" * 400_000 + "X=1\n", "migrations/1_a.up.sql": "DROP TABLE a;\n"},
])
def test_blank_lines_in_files_read_line_by_line(tmp_path: Path, files: dict[str, str]) -> None:
    write_tree(tmp_path, files)
    result = run_cli("check", "--format", "json", "--fail-on", "never", cwd=tmp_path, timeout=120)
    assert result.code == 0


def test_baseline_header_with_a_long_blank_name() -> None:
    assert guarded(lambda: _HEADER.match("[" + " " * 100_000)) is None
    header = _HEADER.match("[[ tool.migrate-guard.baseline ]]  # kept\n")
    assert header is not None and header.group(1).strip() == "tool.migrate-guard.baseline"
    assert _HEADER.match("[[]]") is not None and _HEADER.match("[]") is None


def test_insert_select_copy_scan() -> None:
    from migrate_guard import ir
    from migrate_guard.engine.effects import _copies
    from migrate_guard.location import Location

    def raw(source: str) -> ir.Raw:
        return ir.Raw(location=Location("m.sql", 1, 1, 1), migration="m", source=source, keyword="INSERT")

    hostile = "INSERT INTO t_new VALUES " + "('select', 'from x'), " * 50_000
    assert guarded(lambda: _copies([raw(hostile)], ("table", ""), "t_new", "t")) is False
    assert _copies([raw("INSERT INTO t_new (a) SELECT a FROM t")], ("table", ""), "t_new", "t") is True
    assert _copies([raw('insert into "main"."t_new" select * from main.t;')], ("table", ""), "t_new", "t") is True
    assert _copies([raw("INSERT INTO t_new SELECT a FROM other")], ("table", ""), "t_new", "t") is False


def test_typeorm_data_source_scans_with_unclosed_lists() -> None:
    from migrate_guard.detect.js_paths import _local_array_folder, imports

    assert guarded(lambda: imports("import { " * 60_000)) == {}  # 540 KB: minutes with an unbounded name list
    assert guarded(lambda: imports("const { a = require(" * 30_000)) == {}
    assert guarded(lambda: _local_array_folder("const migrations = [" * 30_000, "migrations", {}, Path("x.ts"))) is None
    assert imports("import { A, B as C } from './m';\nconst { D } = require('./d');") == {
        "A": "./m", "C": "./m", "D": "./d"}


def test_setup_py_and_prisma_attribute_scans_with_unclosed_lists(tmp_path: Path) -> None:
    from migrate_guard.detect.python_stacks import declares_django
    from migrate_guard.extract.prisma_schema import _named_arg

    (tmp_path / "setup.py").write_text("install_requires=[" * 25_000)
    assert guarded(lambda: declares_django(tmp_path, ["setup.py"])) is False
    (tmp_path / "setup.py").write_text("setup(install_requires=['Django>=4.2', 'psycopg'])\n")
    assert declares_django(tmp_path, ["setup.py"]) is True
    assert guarded(lambda: _named_arg("fields: [" * 20_000, "fields")) is not None
    assert _named_arg('fields: [a, b], name: "ix"', "fields") == "[a, b]"
    assert _named_arg('fields: [a, b], name: "ix"', "name") == "ix"
