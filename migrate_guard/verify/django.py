"""Django projects on SQLite: each migration's SQL from `sqlmigrate` (and `sqlmigrate --backwards`).

sqlmigrate renders the SQL from the migration graph without touching a database; it runs in a subprocess of the
current Python with a settings module that imports the project's settings and replaces DATABASES by an in-memory
SQLite database. That runs the project's settings and migration files: its code, as `migrate-guard run` does.
Postgres needs Django's Postgres driver and a connection for sqlmigrate, which verify does not provide yet.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ..extract.base import MigrationUnit, display_path, read_text
from ..location import Location
from ..model import Migration, Project
from .apply import CannotApply, Script, generated_statements, place_at_operations
from .database import is_control

_SETTINGS_DEFAULT = re.compile(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]")

_RUNNER = r"""
import io, json, sys
import django
from django.core.management import call_command

django.setup()
out = []
for app, name, backwards in json.loads(sys.argv[1]):
    buffer = io.StringIO()
    try:
        call_command("sqlmigrate", app, name, backwards=backwards, stdout=buffer, no_color=True)
        out.append({"sql": buffer.getvalue()})
    except BaseException as error:
        out.append({"error": f"{type(error).__name__}: {error}"})
print(json.dumps(out))
"""


def settings_module(project: Project) -> str:
    manage = project.settings.get("manage_py")
    if manage and os.path.isfile(manage):
        match = _SETTINGS_DEFAULT.search(read_text(Path(manage)))
        if match:
            return match.group(1)
    settings = project.settings.get("settings")
    if settings:
        relative = os.path.relpath(settings, project.root)
        return relative[:-3].replace(os.sep, ".") if relative.endswith(".py") else relative.replace(os.sep, ".")
    raise CannotApply("verify found no Django settings module (manage.py's DJANGO_SETTINGS_MODULE)")


def django_scripts(project: Project, units: list[MigrationUnit], migrations: list[Migration],
                   database: str) -> list[Script]:
    if database != "sqlite":
        raise CannotApply("Django on Postgres needs sqlmigrate with Django's Postgres driver and a connection, which "
                          "verify does not set up yet (SQLite projects are verified)")
    steps = []
    for unit in units:
        app, name = unit.id.split(".", 1)
        steps += [(app, name, False), (app, name, True)]
    with tempfile.TemporaryDirectory(prefix="mg-verify-django-") as folder:
        Path(folder, "mg_verify_settings.py").write_text(
            f"from {settings_module(project)} import *  # noqa\n"
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n",
            encoding="utf-8")
        root = os.path.abspath(project.root)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mg_verify_settings",
               "PYTHONPATH": os.pathsep.join([folder, root, os.environ.get("PYTHONPATH", "")])}
        try:
            result = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(steps)], cwd=root, env=env,
                                    capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            raise CannotApply("Django's sqlmigrate took more than 600s") from None
    try:
        outputs = json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CannotApply(f"Django's sqlmigrate failed: {last}") from None
    scripts = []
    for index, (unit, migration) in enumerate(zip(units, migrations)):
        up, down = outputs[2 * index], outputs[2 * index + 1]
        path = unit.files[0]
        if "error" in up:
            raise CannotApply(f"sqlmigrate failed for {display_path(path)}: {up['error']}")
        up_statements = generated_statements(up["sql"], path, database)
        down_statements = [] if "error" in down else generated_statements(down["sql"], path, database)
        place_at_operations(up_statements, migration, "up")
        scripts.append(Script(migration, up_statements,
                              down_statements if [s for s in down_statements if not is_control(s)] else None,
                              Location(display_path(path), 1, 1, 1), transactional=False))
    return scripts
