"""Details of the Python readers that the fixtures do not pin down: the window a coding declaration is looked for in,
a Django migration's graph key, an Alembic downgrade's state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from migrate_guard.extract.alembic import down_state
from migrate_guard.extract.django import _node_key
from migrate_guard.extract.django_graph import app_label
from migrate_guard.extract.pyast import read_python


def test_a_coding_declaration_counts_on_the_first_two_lines_only(tmp_path: Path) -> None:
    utf8_e = "é".encode()  # valid UTF-8, and two characters in latin-1
    second = tmp_path / "second.py"
    second.write_bytes(b"# a migration\n# -*- coding: latin-1 -*-\nname = '" + utf8_e + b"'\n")
    third = tmp_path / "third.py"
    third.write_bytes(b"# a migration\n\n# -*- coding: latin-1 -*-\nname = '" + utf8_e + b"'\n")
    assert read_python(second).endswith("name = 'Ã©'\n")  # as Python reads it
    assert read_python(third).endswith("name = 'é'\n")  # too late to count: UTF-8


@pytest.mark.parametrize("path", ["shop/migrations/0001_initial.py", "./shop/migrations/0002.py",
                                  "/srv/app/shop/migrations/.hidden.py", "shop/migrations/..py",
                                  "migrations/0001.py", "0001.py", "shop//migrations//0003_x.py",
                                  "shop/./migrations/0004.tar.py"])
def test_a_migrations_graph_key_is_its_app_and_stem(path: str) -> None:
    assert _node_key(Path(path)) == (app_label(Path(path).parent.parent), Path(path).stem)


@pytest.mark.parametrize(("body", "state"), [
    ("pass", "noop"),
    ('"""Nothing to undo."""\n    logger.info("no")\n    return None', "noop"),
    ("raise NotImplementedError", "raises"),
    ('print("irreversible")\n    raise RuntimeError("no")', "raises"),
    ("raise RuntimeError\n    op.drop_table('t')", "present"),
    ("op.drop_table('t')\n    raise RuntimeError", "present"),
])
def test_down_state_of_a_downgrade(body: str, state: str) -> None:
    function = ast.parse(f"def downgrade():\n    {body}\n").body[0]
    assert isinstance(function, ast.FunctionDef)
    assert down_state(function.body) == state
