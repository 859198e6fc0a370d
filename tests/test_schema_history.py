"""The schema state across a long history: what later migrations see after indexes are dropped (the per-table index
lookup is kept in step with the list, not rebuilt)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_in_process, write_tree


def _fk(n: int, column: str) -> str:
    return f"ALTER TABLE tokens ADD CONSTRAINT fk_{n} FOREIGN KEY ({column}) REFERENCES users (id);\n"


def test_dropped_indexes_leave_the_foreign_key_check(tmp_path: Path) -> None:
    ups = [
        "CREATE TABLE users (id bigint PRIMARY KEY);\n"
        "CREATE TABLE tokens (id bigint PRIMARY KEY, user_id bigint, org_id bigint);\n"
        "CREATE INDEX tokens_a ON tokens (user_id);\nCREATE INDEX tokens_b ON tokens (user_id);\n",
        _fk(2, "org_id"),  # no index: reported (and the lookup is now built)
        "DROP INDEX CONCURRENTLY tokens_a;\n",
        _fk(4, "user_id"),  # tokens_b still covers it
        "DROP INDEX CONCURRENTLY tokens_b;\n",
        _fk(6, "user_id"),  # nothing covers it any more
        "CREATE INDEX CONCURRENTLY tokens_c ON tokens (user_id, org_id);\n",
        _fk(8, "user_id"),
        "DROP INDEX CONCURRENTLY tokens_missing;\n",  # an index no migration here created changes nothing
        _fk(10, "user_id"),
    ]
    files = {}
    for n, up in enumerate(ups, 1):
        files[f"db/migrations/{n:06d}_m.up.sql"] = up
        files[f"db/migrations/{n:06d}_m.down.sql"] = "SELECT 1;\n"
    write_tree(tmp_path, files)
    result = run_in_process("check", "db/migrations", "--format", "json", "--fail-on", "never", "--no-cache",
                            cwd=tmp_path)
    assert result.code == 0, result.err
    found = [f["path"].rsplit("/", 1)[-1] for f in result.json()["findings"]
             if f["rule"] == "foreign-key-without-index"]
    assert found == ["000002_m.up.sql", "000006_m.up.sql"]
