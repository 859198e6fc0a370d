"""Alembic projects: each revision's up and down SQL from Alembic's offline mode (`upgrade PREV:REV --sql`).

Offline mode needs only the database's dialect, never a connection or a driver, so the SQL runs through the same
machinery as the SQL formats (locks per statement included). It runs the project's env.py and revision files, in a
subprocess of the current Python: that is running the user's code, as `migrate-guard run` does. Linear histories
only (the revisions in the order check reads them); a branch point is applied in that order too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ..extract.base import MigrationUnit, display_path, read_text
from ..location import Location
from ..model import Migration, Project
from .apply import CannotApply, Script, generated_statements, place_at_operations
from .statements import is_control

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_URLS = {"postgres": "postgresql://", "sqlite": "sqlite://"}

# Runs in the project's folder: every step's offline SQL, as JSON on stdout.
_RUNNER = r"""
import io, json, sys
from alembic import command
from alembic.config import Config

ini, url, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = []
for direction, target in steps:
    buffer = io.StringIO()
    config = Config(ini, output_buffer=buffer)
    config.set_main_option("sqlalchemy.url", url)
    try:
        (command.upgrade if direction == "up" else command.downgrade)(config, target, sql=True)
        out.append({"sql": buffer.getvalue()})
    except BaseException as error:
        out.append({"error": f"{type(error).__name__}: {error}"})
print(json.dumps(out))
"""


def revision_of(path: Path) -> str | None:
    match = _REVISION.search(read_text(path))
    return match.group(1) if match else None


def alembic_scripts(project: Project, units: list[MigrationUnit], migrations: list[Migration],
                    database: str) -> list[Script]:
    ini = project.settings.get("config") or os.path.join(project.root, "alembic.ini")
    if not os.path.isfile(ini):
        raise CannotApply(f"Alembic's offline mode needs {ini}")
    revisions = [revision_of(unit.files[0]) for unit in units]
    steps: list[tuple[str, str]] = []
    for index, revision in enumerate(revisions):
        previous = revisions[index - 1] if index else "base"
        steps.append(("up", f"{previous}:{revision}" if index else str(revision)))
        steps.append(("down", f"{revision}:{previous}"))
    try:
        result = subprocess.run([sys.executable, "-c", _RUNNER, os.path.abspath(ini), _URLS[database],
                                 json.dumps(steps)], cwd=os.path.dirname(os.path.abspath(ini)), capture_output=True,
                                text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise CannotApply("Alembic's offline mode took more than 600s") from None
    try:
        outputs = json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CannotApply(f"Alembic's offline mode (alembic upgrade --sql) failed: {last}") from None
    scripts = []
    silent: list[Path] = []  # revisions with operations whose offline SQL is empty
    for index, (unit, migration) in enumerate(zip(units, migrations)):
        up, down = outputs[2 * index], outputs[2 * index + 1]
        if "error" in up:
            raise CannotApply(f"alembic upgrade --sql failed for {display_path(unit.files[0])}: {up['error']}")
        path = unit.files[0]
        up_statements = generated_statements(up["sql"], path, database)
        down_statements = [] if "error" in down else generated_statements(down["sql"], path, database)
        if not [s for s in up_statements if not is_control(s)] and any(
                op.direction == "up" and op.kind != "migration" for op in migration.operations):
            silent.append(path)
        place_at_operations(up_statements, migration, "up")
        place_at_operations(down_statements, migration, "down")
        scripts.append(Script(migration, up_statements, down_statements or None, Location(display_path(path), 1, 1, 1),
                              transactional=False))
    if silent and len(silent) == len(scripts):  # one revision may do nothing on this database (`if dialect == ...`)
        raise CannotApply(f"alembic upgrade --sql gave no SQL for {display_path(silent[0])} (does env.py call "
                          "context.run_migrations() in offline mode?)")
    return scripts
