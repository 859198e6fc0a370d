"""Django projects: each migration's SQL from `sqlmigrate` (and `sqlmigrate --backwards`).

sqlmigrate renders the SQL from the migration graph; it runs in a subprocess of the current Python with a settings
module, written in a temporary folder outside the project, that imports the project's settings and replaces
DATABASES: an in-memory SQLite database, or (Postgres) the throwaway database itself, still empty, through Django's
Postgres driver (psycopg), since the Postgres backend renders SQL with a live connection. That runs the project's
settings and migration files: its code, as `migrate-guard run` does. The SQL is then applied by verify statement by
statement, so on Postgres the locks of each statement are read as for the SQL formats.
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
from .statements import is_control

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


def _databases(database: str, connection: dict[str, str | int] | None) -> str:
    if database == "sqlite":
        return "{'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}"
    from importlib.util import find_spec

    if find_spec("psycopg") is None and find_spec("psycopg2") is None:
        raise CannotApply("Django on Postgres needs Django's Postgres driver in the Python that runs migrate-guard "
                          "(pip install 'migrate-guard[verify]', or psycopg[binary])")
    assert connection is not None
    settings = {"ENGINE": "django.db.backends.postgresql", "NAME": connection["database"],
                "HOST": connection["host"], "PORT": str(connection["port"]), "USER": connection["user"],
                "PASSWORD": connection.get("password", "")}
    return "{'default': " + repr(settings) + "}"


def django_scripts(project: Project, units: list[MigrationUnit], migrations: list[Migration],
                   database: str, connection: dict[str, str | int] | None = None) -> list[Script]:
    databases = _databases(database, connection)
    steps = []
    for unit in units:
        app, name = unit.id.split(".", 1)
        steps += [(app, name, False), (app, name, True)]
    with tempfile.TemporaryDirectory(prefix="mg-verify-django-") as folder:
        Path(folder, "mg_verify_settings.py").write_text(
            f"from {settings_module(project)} import *  # noqa\nDATABASES = {databases}\n",
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
