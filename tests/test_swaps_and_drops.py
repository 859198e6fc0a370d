"""Swaps (a table's or a column's data copied into a new one that takes its name) and indexes dropped with their table:
the whole list of findings per fixture, so both what must appear and what must not are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, lint_json, write_tree

RULES = FIXTURES / "rules"
# what these cases are about: whatever else a rule added later says about the same files is not
ABOUT = {"drop-table", "drop-column", "rename-table", "rename-column", "unbounded-update", "non-concurrent-index",
         "missing-down-migration"}


def rules_at(entry: Path) -> list[tuple[str, int]]:
    return sorted((f["rule"], f["line"]) for f in lint_json(entry.name, cwd=entry.parent) if f["rule"] in ABOUT)


@pytest.mark.parametrize("entry,expected", [
    # the copy is still judged (an UPDATE without WHERE), the drop and the rename of the swap are not
    ("drop-column/good/swap_column_by_copy.sql", [("unbounded-update", 3)]),
    ("drop-column/good/a1b2_swap_column.py", [("unbounded-update", 11)]),
    ("drop-column/good/20240101_knex_swap_column.js", [("unbounded-update", 5)]),
    ("drop-column/good/django_swap_field", []),  # the copy is a RunPython with a no-op reverse: a backfill
    ("rename-table/good/table_swap_renamed_away.sql", []),
    # nothing copied into the new column: the data is gone, and the rename is a rename
    ("drop-column/bad/swap_without_copy.sql", [("drop-column", 3), ("rename-column", 4)]),
])
def test_swaps_keep_data_and_name(entry: str, expected: list[tuple[str, int]]) -> None:
    assert rules_at(RULES / entry) == expected


def test_a_copy_from_another_column_is_no_swap(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.sql": "ALTER TABLE users ADD COLUMN age_big bigint;\n"
                                   "UPDATE users SET age_big = 0 WHERE id > 0;\n"
                                   "ALTER TABLE users DROP COLUMN age;\n"
                                   "ALTER TABLE users RENAME COLUMN age_big TO age;\n"})
    assert rules_at(tmp_path / "m.sql") == [("drop-column", 3), ("rename-column", 4)]


@pytest.mark.parametrize("entry,expected", [
    ("non-concurrent-index/good/drop_index_then_its_table.sql", [("drop-table", 4)]),
    ("non-concurrent-index/good/golang_drop_index_then_table", [("drop-table", 3)]),  # index known from 000001
    ("non-concurrent-index/good/a1b4_drop_index_then_table.py", [("drop-table", 10), ("missing-down-migration", 13)]),
    ("non-concurrent-index/bad/drop_index_table_kept.sql", [("drop-table", 3), ("non-concurrent-index", 2)]),
])
def test_index_dropped_before_its_table_is_no_lock_problem(entry: str, expected: list[tuple[str, int]]) -> None:
    assert rules_at(RULES / entry) == expected


def test_alembic_table_rebuild_and_knex_index_dropped_with_its_table(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "r1_rebuild.py": (
            "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'r1'\ndown_revision = None\n\n\n"
            "def upgrade():\n"
            "    op.rename_table('accounts', 'accounts_old')\n"
            "    op.create_table('accounts', sa.Column('id', sa.BigInteger(), primary_key=True))\n"
            "    op.execute('INSERT INTO accounts (id) SELECT id FROM accounts_old')\n"
            "    op.drop_table('accounts_old')\n\n\n"
            "def downgrade():\n    raise NotImplementedError\n"),
        "20240101_knex_drop.js": (
            "exports.up = async (knex) => {\n"
            "  await knex.schema.table('sessions', (t) => { t.dropIndex(['user_id'], 'sessions_user_idx'); });\n"
            "  await knex.schema.table('tokens', (t) => { t.dropIndex(['user_id'], 'tokens_user_idx'); });\n"
            "  await knex.schema.dropTable('sessions');\n"
            "};\n"
            "exports.down = async () => { throw new Error('no way back'); };\n"),
    })
    assert rules_at(tmp_path / "r1_rebuild.py") == [("missing-down-migration", 15)]
    # the index of sessions goes with it; the one of tokens (which stays) is a lock problem
    assert rules_at(tmp_path / "20240101_knex_drop.js") == [
        ("drop-table", 4), ("missing-down-migration", 6), ("non-concurrent-index", 3)]
