"""A git repository with a long migration history on main and a branch that adds two migrations."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import write_tree

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
OLD = 50


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True,
                          text=True).stdout


def old_migrations() -> dict[str, str]:
    files: dict[str, str] = {
        "db/migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        "db/migrations/000001_users.down.sql": "DROP TABLE users;\n",
        "db/migrations/000002_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
                                              "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\n",
        "db/migrations/000002_orders.down.sql": "DROP TABLE orders;\n",
        # An old migration that would fail today: history must not block the branch.
        "db/migrations/000003_drop_legacy.up.sql": "DROP TABLE legacy;\n",
        "db/migrations/000003_drop_legacy.down.sql": "CREATE TABLE legacy (id int);\n",
    }
    for n in range(4, OLD + 1):
        files[f"db/migrations/{n:06d}_table_{n}.up.sql"] = f"CREATE TABLE t{n} (id bigint PRIMARY KEY);\n"
        files[f"db/migrations/{n:06d}_table_{n}.down.sql"] = f"DROP TABLE t{n};\n"
    return files


NEW = {
    # Safe thanks to the old migrations: orders.user_id is indexed by 000002.
    "db/migrations/000051_orders_fk.up.sql": "ALTER TABLE orders ADD CONSTRAINT orders_user_fk "
                                             "FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n",
    "db/migrations/000051_orders_fk.down.sql": "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
    "db/migrations/000052_drop_email.up.sql": "-- emails move to the identity service\n"
                                              "ALTER TABLE users DROP COLUMN email;\n",
    "db/migrations/000052_drop_email.down.sql": "ALTER TABLE users ADD COLUMN email text;\n",
}


def make_history(root: Path, branch: bool = True) -> Path:
    """main: 50 migrations (100 files); with branch=True, HEAD is `feature` with the 2 new migrations committed."""
    write_tree(root, old_migrations())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fifty migrations")
    if branch:
        git(root, "checkout", "-q", "-b", "feature")
        write_tree(root, NEW)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "two new migrations")
    return root
