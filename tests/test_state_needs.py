"""Without a cache, earlier migrations that name no table the linted ones name are not parsed
(pipeline/state_needs.py): the findings are those of a run that reads them all (with the cache, which keeps every
migration whole), under either SQL parser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_in_process, write_tree

HISTORY = {
    "db/migrations/000001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL);\n",
    "db/migrations/000002_noise.up.sql": "CREATE TABLE noise (id int);\nINSERT INTO noise VALUES (1);\n",
    # the table the linted migration changes had another name when it was created
    "db/migrations/000003_rename.up.sql": "ALTER TABLE accounts RENAME TO ledgers;\n",
    "db/migrations/000004_index.up.sql": "CREATE INDEX idx_balance ON ledgers (balance);\n",
    # a column added inside a DO block, and one in capitals (read by sqlglot on the native path)
    "db/migrations/000005_do.up.sql": "DO $$ BEGIN ALTER TABLE ledgers ADD COLUMN note varchar(20); END $$;\n"
                                      "ALTER TABLE Ledgers ADD COLUMN Memo smallint;\n",
    "db/migrations/000006_more_noise.up.sql": "ALTER TABLE noise ADD COLUMN x text;\nCREATE INDEX idx_x ON noise (x);\n",
    "db/migrations/000007_change.up.sql": "ALTER TABLE ledgers ALTER COLUMN balance TYPE bigint;\n"
                                          "ALTER TABLE ledgers ALTER COLUMN note TYPE varchar(40);\n"
                                          "ALTER TABLE ledgers ALTER COLUMN memo TYPE int;\n"
                                          "DROP INDEX idx_balance;\nDROP TABLE ledgers;\n",
    "db/migrations/000008_later.up.sql": "DROP TABLE noise;\n",
}
LINTED = "db/migrations/000007_change.up.sql"


@pytest.mark.parametrize("parser", ["native", "sqlglot"])
def test_unparsed_history_gives_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  parser: str) -> None:
    from migrate_guard.sql_parser import pglast_available

    if parser == "native" and not pglast_available():
        pytest.skip("the [pg] extra (pglast) is not installed")
    monkeypatch.setenv("MIGRATE_GUARD_SQL_PARSER", parser)
    repo = write_tree(tmp_path / "repo", HISTORY)
    without = run_in_process("check", LINTED, "--no-cache", "--format", "json", "-v", cwd=repo)
    whole = run_in_process("check", LINTED, "--format", "json", cwd=repo)
    assert without.out == whole.out
    assert re.search(r"; 2 not parsed: they name no table", without.err), without.err
    messages = [f["message"] for f in without.findings()]
    # the state the unparsed files would not have changed: types from before the rename and from the DO block
    assert any("balance from int to bigint" in m for m in messages), messages
    assert any("note from varchar(20) to varchar(40)" in m for m in messages), messages
    assert any("memo from smallint to int" in m for m in messages), messages
    assert not any("its current type" in m for m in messages), messages


def test_a_quoted_name_with_a_doubled_quote_reads_everything(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**HISTORY, LINTED: 'ALTER TABLE "a""b" ALTER COLUMN c TYPE bigint;\n'})
    result = run_in_process("check", LINTED, "--no-cache", "--format", "json", "-v", cwd=repo)
    assert "not parsed" not in result.err, result.err


def test_goose_files_too(tmp_path: Path) -> None:
    goose = {name.replace("db/migrations/", "migrations/").replace(".up.sql", ".sql"):
             f"-- +goose Up\n{text}-- +goose Down\nSELECT 1;\n" for name, text in HISTORY.items()}
    repo = write_tree(tmp_path / "repo", goose)
    linted = LINTED.replace("db/migrations/", "migrations/").replace(".up.sql", ".sql")
    without = run_in_process("check", linted, "--no-cache", "--format", "json", "-v", cwd=repo)
    assert without.out == run_in_process("check", linted, "--format", "json", cwd=repo).out
    assert re.search(r"; 2 not parsed: they name no table", without.err), without.err
    assert any("balance from int to bigint" in f["message"] for f in without.findings())


BY_NAME = {
    "db/migrations/000001_ledgers.up.sql": "CREATE TABLE ledgers (id int PRIMARY KEY, owner int, m text);\n"
                                           "CREATE INDEX idx_owner ON ledgers (owner);\n",
    "db/migrations/000002_mood.up.sql": "CREATE TYPE mood AS ENUM ('a');\nALTER TABLE ledgers ADD COLUMN feel mood;\n",
    "db/migrations/000003_noise.up.sql": "CREATE TABLE noise (id int);\n",
    # neither names the linted table: they change it through the index's and the type's names
    "db/migrations/000004_drop.up.sql": "DROP INDEX IF EXISTS idx_owner;\n",
    "db/migrations/000005_rename.up.sql": "ALTER TYPE mood RENAME TO mood_old;\n",
    "db/migrations/000006_change.up.sql": "ALTER TABLE ledgers ADD CONSTRAINT fk FOREIGN KEY (owner) REFERENCES ledgers (id);\n"
                                          "ALTER TABLE ledgers ALTER COLUMN feel TYPE text;\n",
}


@pytest.mark.parametrize("drop", ["DROP INDEX IF EXISTS idx_owner;\n", 'DROP INDEX "idx_owner";\n',
                                  "DROP /* gone */ INDEX idx_owner;\n"])
def test_drops_and_type_renames_by_name_are_read(tmp_path: Path, drop: str) -> None:
    repo = write_tree(tmp_path / "repo", {**BY_NAME, "db/migrations/000004_drop.up.sql": drop})
    linted = "db/migrations/000006_change.up.sql"
    without = run_in_process("check", linted, "--no-cache", "--format", "json", "-v", cwd=repo)
    assert without.out == run_in_process("check", linted, "--format", "json", cwd=repo).out
    assert "foreign-key-without-index" in without.rules()  # the index on owner was dropped
    assert any("from mood_old to text" in f["message"] for f in without.findings()), without.findings()
    assert re.search(r"; 1 not parsed", without.err), without.err  # the noise alone
