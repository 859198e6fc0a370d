"""The [pg] extra: Postgres SQL read by libpg_query (pglast) gives exactly the findings the sqlglot path gives, on
every fixture and on a benchmark corpus; positions stay right with non-ASCII text; a text libpg_query rejects is
still linted statement by statement. Skipped when pglast is not installed (.ci/run installs it)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_cli, skip_module_unless_installed, write_tree

skip_module_unless_installed("pglast")

from migrate_guard import ir  # noqa: E402
from migrate_guard.cli import main  # noqa: E402
from migrate_guard.extract.sql import Origin, extract_sql  # noqa: E402


def _check(entry: Path, parser: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`check ENTRY --format json` in this process (a subprocess per fixture and parser took minutes)."""
    monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", parser)
    out = io.StringIO()
    with monkeypatch.context() as local:
        local.chdir(entry.parent)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["check", entry.name, "--format", "json", "--fail-on", "never", "--no-cache"])
    return code, out.getvalue()


def _fixture_entries() -> list[Path]:
    entries: list[Path] = []
    for rule in sorted((FIXTURES / "rules").iterdir()):
        for kind in ("bad", "good"):
            if (rule / kind).is_dir():
                entries += [e for e in sorted((rule / kind).iterdir())
                            if not e.name.startswith(".") and e.name != "README.md"]
    entries += sorted(p for p in (FIXTURES / "dialects").iterdir() if not p.name.startswith("."))
    entries.append(FIXTURES / "demo")
    return entries


def _differences(entries: list[Path], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    different = []
    for entry in entries:
        by_sqlglot, by_native = _check(entry, "sqlglot", monkeypatch), _check(entry, "native", monkeypatch)
        if by_sqlglot != by_native:
            different.append(f"{entry}:\n  sqlglot {by_sqlglot}\n  native  {by_native}")
    return different


def test_every_fixture_gives_identical_findings_with_both_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = _fixture_entries()
    assert len(entries) > 200
    assert _differences(entries, monkeypatch) == []


def test_benchmark_corpus_gives_identical_findings_with_both_parsers(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_generate", generate)  # its dataclasses look their module up
    spec.loader.exec_module(generate)
    monkeypatch.setattr(generate, "SQL_MIGRATIONS", 150)  # 300 files: every statement kind of the 2,000
    generate.generate_sql(tmp_path, random.Random(generate.SEED))
    code, out = _check(tmp_path / "sql", "native", monkeypatch)
    assert code == 0 and len(json.loads(out)["findings"]) > 300
    assert _differences([tmp_path / "sql"], monkeypatch) == []
    for path in sorted((tmp_path / "sql").rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        assert _shown_without_written_text(_ops(text, "native", monkeypatch)) == \
            _shown_without_written_text(_ops(text, "sqlglot", monkeypatch)), path


def _ops(text: str, parser: str, monkeypatch: pytest.MonkeyPatch) -> list[ir.Operation]:
    monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", parser)
    return extract_sql(text, dialect="postgres", origin=Origin("m.sql", 3, 5), migration="m")


def _same(native: list[ir.Operation], sqlglot: list[ir.Operation]) -> bool:
    return [repr(op) for op in native] == [repr(op) for op in sqlglot]  # operations compare by identity


def test_positions_after_non_ascii_text_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ("-- café, naïve, 日本語\nCOMMENT ON TABLE t IS 'ünïcödé';\n"
            "ALTER TABLE t ADD COLUMN c text DEFAULT 'é';  ALTER TABLE t DROP COLUMN d;\n")
    native, sqlglot = _ops(text, "native", monkeypatch), _ops(text, "sqlglot", monkeypatch)
    assert [type(op).__name__ for op in native] == ["Raw", "AddColumn", "DropColumn"]
    assert _same(native, sqlglot)
    assert native[2].location.line == 5 and native[2].location.column == 47
    assert native[1].column.default is not None and native[1].column.default.text == "'é'"


def test_a_statement_postgres_rejects_is_a_parse_error_and_the_rest_is_linted(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "DROP TABLE a;\nDROP TABLE;\nDROP TABLE c;\n"
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert [type(op).__name__ for op in native] == ["DropTable", "ParseError", "DropTable"]
    assert native[1].location.line == 4


def test_names_keep_their_case_and_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """libpg_query folds unquoted names to lower case and cuts them at 63 bytes; the findings name them as
    written, as the sqlglot path does."""
    long_name = "a" * 70
    text = (f'ALTER TABLE Users DROP COLUMN "Email";\nDROP TABLE {long_name};\nDROP TABLE "Mixed"."T";\n'
            "ALTER TABLE t ADD COLUMN NAME text;\n")  # a keyword in capitals as a name
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert [getattr(op, "table", None) for op in native] == ["Users", long_name, "Mixed.T", "t"]
    assert native[3].column.name == "NAME"


def test_sql_parser_config_is_validated(tmp_path: Path) -> None:
    write_tree(tmp_path, {".migrate-guard.toml": 'sql_parser = "fast"\n', "db/migrations/1_a.up.sql": "SELECT 1;\n"})
    result = run_cli("check", "db/migrations", cwd=tmp_path)
    assert result.code == 2
    assert "sql_parser" in result.err and len(result.err.strip().splitlines()) == 1


def test_forcing_sqlglot_gives_the_same_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {"db/migrations/1_a.up.sql": "DROP TABLE users;\n",
                          "db/migrations/1_a.down.sql": "SELECT 1;\n"})
    native = run_cli("check", "db/migrations", "--format", "json", "--no-cache", cwd=tmp_path)
    forced = run_cli("check", "db/migrations", "--format", "json", "--no-cache", cwd=tmp_path,
                     env={"MIGRATE_GUARD_SQL_PARSER": "sqlglot"})
    (tmp_path / ".migrate-guard.toml").write_text('sql_parser = "sqlglot"\n')
    configured = run_cli("check", "db/migrations", "--format", "json", "--no-cache", cwd=tmp_path)
    assert native.code == forced.code == configured.code == 1
    assert native.json()["findings"] == forced.json()["findings"] == configured.json()["findings"]


def test_the_cache_key_names_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate_guard.cache import MigrationCache
    from migrate_guard.config import Config

    contexts = set()
    for parser in ("sqlglot", "native"):
        monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", parser)
        contexts.add(MigrationCache(store=None, config=Config()).context)  # type: ignore[arg-type]
    assert len(contexts) == 2
    assert os.environ["MIGRATE_GUARD_SQL_PARSER"] == "native"


def test_a_postgres_file_the_converter_reads_whole_never_imports_sqlglot(tmp_path: Path) -> None:
    write_tree(tmp_path, {"db/migrations/1_a.up.sql": "CREATE TABLE t (id bigint PRIMARY KEY, c text NOT NULL);\n"
                                                       "CREATE INDEX CONCURRENTLY t_c ON t (c);\nDROP TABLE old;\n",
                          "db/migrations/1_a.down.sql": "DROP TABLE t;\n"})
    blocker = write_tree(tmp_path / "blocker", {"sqlglot/__init__.py": "raise ImportError('sqlglot was imported')\n"})
    result = run_cli("check", "db/migrations", "--format", "json", "--no-cache", cwd=tmp_path,
                     env={"PYTHONPATH": str(blocker)})
    assert result.code == 1 and "drop-table" in result.rules()


def test_pglast_is_imported_without_its_syntax_tree_which_still_works_when_asked_for() -> None:
    """pglast.enums and pglast.ast (two thirds of pglast's import time) are not executed by a Postgres run, and any
    later user of pglast's syntax tree in the process still gets the real modules."""
    code = ("import sys\n"
            "from migrate_guard.extract.sql import Origin, extract_sql\n"
            "ops = extract_sql('ALTER TABLE t ADD COLUMN c int NOT NULL;', dialect='postgres',"
            " origin=Origin('m.sql'), migration='m')\n"
            "assert [type(o).__name__ for o in ops] == ['AddColumn'], ops\n"
            "assert 'pglast.parser' in sys.modules\n"
            "assert not [m for m in sys.modules if m.startswith(('pglast.enums.', 'sqlglot'))], sorted(sys.modules)\n"
            "import pglast\n"
            "from pglast.enums import ObjectType\n"
            "assert type(pglast.parse_sql('DROP TABLE x')[0].stmt).__name__ == 'DropStmt'\n"
            "assert ObjectType.OBJECT_TABLE.name == 'OBJECT_TABLE'\n"
            "print('ok')\n")
    env = {k: v for k, v in os.environ.items() if k != "MIGRATE_GUARD_SQL_PARSER"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert result.stdout == "ok\n", result.stderr


def test_a_pool_is_used_only_when_the_measured_costs_say_it_pays(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether workers pay is measured on the run's own migrations: extraction against decoding what a worker sends
    back (natively read Postgres SQL is cheap to extract). The same migrations, in order, either way."""
    from migrate_guard.extract.base import MigrationUnit
    from migrate_guard.pipeline import pool

    assert pool.pool_pays(0.0007, 0.0002, 1000)  # libpg_query: 0.7 ms to extract, 0.2 ms to decode
    assert not pool.pool_pays(0.0004, 0.0005, 100_000)  # decoding dearer than extracting: never
    assert not pool.pool_pays(0.0010, 0.0002, 200)  # too few left to pay for starting the pool

    folder = tmp_path / "db"
    folder.mkdir()
    units = []
    for i in range(pool.PARALLEL_MIN_UNITS + 20):
        path = folder / f"{i:04d}_a.up.sql"
        path.write_text(f"CREATE TABLE t{i} (id bigint PRIMARY KEY);\nALTER TABLE t{i} ADD COLUMN c{i} text;\n")
        (folder / f"{i:04d}_a.down.sql").write_text(f"DROP TABLE t{i};\n")
        units.append(MigrationUnit(orm="golang-migrate", id=f"{i:04d}", files=[path], dialect="postgres"))
    monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", "native")
    monkeypatch.setattr(pool, "_idle_cores", lambda: 2)
    measured: list[tuple[float, float, int]] = []
    serial_stats: dict[str, int] = {}
    monkeypatch.setattr(pool, "pool_pays", lambda *costs: measured.append(costs) or False)
    serial = [repr(m.operations) for m, _, _ in pool.extract_many(units, for_cache=False, stats=serial_stats)]
    (extract_s, decode_s, rest), = measured
    assert extract_s > 0 and decode_s > 0 and rest == len(units) - 1 - pool.SAMPLE_UNITS
    assert serial_stats["processes"] == 1
    pooled_stats: dict[str, int] = {}
    monkeypatch.setattr(pool, "pool_pays", lambda *costs: True)
    pooled = [repr(m.operations) for m, _, _ in pool.extract_many(units, for_cache=False, stats=pooled_stats)]
    assert pooled_stats["processes"] == 2 and pooled == serial and len(serial) == len(units)
    assert "direction='down'" in serial[0]
    # a run that reads no downs: the workers skip them as this process does (extract(unit, downs=False))
    pooled_up = [repr(m.operations) for m, _, _ in pool.extract_many(units, for_cache=False, downs=False)]
    serial_up = [repr(m.operations) for m, _, _ in pool.extract_many(units, jobs=1, for_cache=False, downs=False)]
    assert pooled_up == serial_up and not any("direction='down'" in ops for ops in pooled_up)


def test_without_pglast_auto_uses_sqlglot_and_native_is_a_config_error(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate_guard import sql_parser

    monkeypatch.setattr(sql_parser, "pglast_available", lambda: False)
    monkeypatch.setattr(sql_parser, "_configured", "auto")  # restored after: check sets it from the config
    monkeypatch.delenv("MIGRATE_GUARD_SQL_PARSER", raising=False)
    write_tree(tmp_path, {"db/migrations/1_a.up.sql": "DROP TABLE users;\n",
                          "db/migrations/1_a.down.sql": "SELECT 1;\n"})
    assert '"drop-table"' in _check(tmp_path / "db", "auto", monkeypatch)[1]
    assert sql_parser.parser_name() == "sqlglot"
    (tmp_path / ".migrate-guard.toml").write_text('sql_parser = "native"\n')
    monkeypatch.delenv("MIGRATE_GUARD_SQL_PARSER")  # set by _check; it would win over the config
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", "db", "--no-cache"])
    assert code == 2 and "pip install 'migrate-guard[pg]'" in err.getvalue()


# Two fields the native converter keeps as written where the sqlglot path keeps sqlglot's own rendering: a column
# default ('{}'::jsonb, false; sqlglot: '{}', FALSE) and an ALTER COLUMN TYPE's USING (x::text; sqlglot:
# CAST(x AS TEXT)). Both read the same volatility from them and no rule reads either text.
_AS_WRITTEN = re.compile(r"(using=|Default\(text=)(None|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _shown_without_written_text(ops: list[ir.Operation]) -> list[str]:
    return [_AS_WRITTEN.sub(r"\1?", repr(op)) for op in ops]


def test_every_sql_fixture_gives_the_same_operations_but_for_text_kept_as_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(FIXTURES.rglob("*.sql"))
    assert len(files) > 150
    different = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        shown = [_shown_without_written_text(_ops(text, parser, monkeypatch)) for parser in ("native", "sqlglot")]
        if shown[0] != shown[1]:
            different.append(str(path))
    assert different == []


def test_defaults_and_using_are_kept_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ("ALTER TABLE t ADD COLUMN a jsonb NOT NULL DEFAULT '{}'::jsonb, ADD COLUMN b boolean DEFAULT false;\n"
            "ALTER TABLE t ALTER COLUMN c TYPE text USING c::text;\n")
    native, sqlglot = _ops(text, "native", monkeypatch), _ops(text, "sqlglot", monkeypatch)
    assert [op.column.default.text for op in native[:2]] == ["'{}'::jsonb", "false"]
    assert [op.column.default.text for op in sqlglot[:2]] == ["'{}'", "FALSE"]
    assert (native[2].using, sqlglot[2].using) == ("c::text", "CAST(c AS TEXT)")
    assert _shown_without_written_text(native) == _shown_without_written_text(sqlglot)


def test_column_types_read_as_the_sqlglot_path_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ("CREATE TABLE u (a real, b double precision, c int2, d int8, e bytea, f character varying(20), g timestamp,"
            " h timestamp with time zone, i timestamp(3), j numeric, k decimal(5,2), l smallserial, m json, n date,"
            " o bool, p int4[], q varchar(9)[], r integer, s float, t char(2), u mood, v time, w interval);")
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert [(c.type.name, c.type.params) for c in native[0].columns][:6] == [
        ("real", ()), ("double precision", ()), ("smallint", ()), ("bigint", ()), ("bytea", ()), ("varchar", (20,))]


def test_a_large_seed_file_is_left_to_the_sqlglot_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    """libpg_query would parse every row into JSON (12 s and 1.4 GB for 10 MB); sqlglot's scanner skips them."""
    from migrate_guard.extract.sql.native import MAX_TEXT, extract_postgres

    rows = ",\n".join(f"({i}, 'name {i}')" for i in range(MAX_TEXT // 16))
    text = f"INSERT INTO t VALUES\n{rows};\nDROP TABLE old;\n"
    assert len(text) > MAX_TEXT
    assert extract_postgres(text, origin=Origin("m.sql"), migration="m", direction="up", fallback=lambda *a: []) is None
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert [type(op).__name__ for op in native] == ["Raw", "DropTable"]


def test_a_nul_character_hides_nothing_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "SELECT 1;\n-- \x00\nDROP TABLE users;\n"
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert "DropTable" in [type(op).__name__ for op in native]


def test_nesting_too_deep_for_sqlglot_is_read_by_libpg_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the real grammar is right and sqlglot gives up, the native converter reads the statement."""
    text = "ALTER TABLE t ADD CONSTRAINT c CHECK (" + "(" * 5000 + "1" + ")" * 5000 + ");"
    assert [type(op).__name__ for op in _ops(text, "sqlglot", monkeypatch)] == ["ParseError"]
    assert [type(op).__name__ for op in _ops(text, "native", monkeypatch)] == ["AddConstraint"]


def test_a_lone_surrogate_is_read_by_sqlglot(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQL from a Python string literal may hold one ("\\udcff"); libpg_query takes UTF-8 only."""
    text = "DROP TABLE a; -- \udcff\nDROP TABLE b;"
    native = _ops(text, "native", monkeypatch)
    assert _same(native, _ops(text, "sqlglot", monkeypatch))
    assert [type(op).__name__ for op in native] == ["DropTable", "DropTable"]


def test_type_names_in_capitals_are_read_natively_and_names_in_capitals_are_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """TypeORM writes `"id" SERIAL NOT NULL` and `"at" TIMESTAMP`: a built-in type in capitals is read by libpg_query
    (sqlglot is never asked); the same word used as a name keeps its capitals through the sqlglot path."""
    import migrate_guard.extract.sql as sql

    asked: list[str] = []
    with_sqlglot = sql._with_sqlglot
    monkeypatch.setattr(sql, "_with_sqlglot", lambda text, *rest: asked.append(text) or with_sqlglot(text, *rest))
    typed = ['CREATE TABLE "p" ("id" SERIAL NOT NULL, "u" UUID, "j" JSONB NOT NULL, "at" TIMESTAMPTZ, '
             'CONSTRAINT "PK_p" PRIMARY KEY ("id"))',
             'ALTER TABLE "p" ADD "b" BIGSERIAL', 'ALTER TABLE "p" ALTER COLUMN "u" TYPE BYTEA']
    for text in typed:
        native = _ops(text, "native", monkeypatch)
        assert asked == [], text
        assert _same(native, _ops(text, "sqlglot", monkeypatch)), text
        asked.clear()
    named = ["ALTER TABLE p ADD COLUMN UUID uuid", "CREATE TABLE SERIAL (a int)", "ALTER TABLE p RENAME COLUMN JSONB TO b",
             "CREATE INDEX i ON p (UUID)"]
    for text in named:
        native = _ops(text, "native", monkeypatch)
        assert asked == [text], text
        assert _same(native, _ops(text, "sqlglot", monkeypatch)), text
        asked.clear()
    assert _ops(named[0], "native", monkeypatch)[0].column.name == "UUID"
