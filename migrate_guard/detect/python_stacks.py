"""Django and Alembic projects: found from their own files, never by importing them."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from ..dialects import dialect_of_url
from ..model import Project
from .common import find_dirs, is_folder, list_dir, make_project, read_small

# --- Django -------------------------------------------------------------------------------------------------------

_REAL_MANAGE = re.compile(r"DJANGO_SETTINGS_MODULE|execute_from_command_line|from\s+django[\s.]")
_DJANGO_MIGRATION_NAME = re.compile(r"^\d{4}_\w+\.py$")
_DJANGO_MIGRATION_HEAD = re.compile(r"from\s+django\.db\s+import\s+[^\n]*\bmigrations\b|django\.db\.migrations")
_REQUIREMENT = re.compile(r"^[^\S\n]*django\s*(?:[\[<>=!~;@ ]|$)", re.IGNORECASE | re.MULTILINE)
_QUOTED_REQUIREMENT = re.compile(r"""['"]\s*django\s*(?:[\[<>=!~;@ ]|['"])""", re.IGNORECASE)
_SETTINGS_MODULE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]?\s*,\s*['"]([\w.]+)['"]""")
_ENGINE = re.compile(r"django\.db\.backends\.(postgresql|postgresql_psycopg2|postgis|mysql|sqlite3|spatialite|oracle)"
                     r"|contrib\.gis\.db\.backends\.(postgis|mysql|spatialite)")
_DB_URL_DEFAULT = re.compile(r"""(?:default|DATABASE_URL)\s*[=,:]?\s*['"]((?:postgres|postgresql|pgsql|mysql|mariadb|sqlite)"""
                             r"""[a-z0-9+]*://[^'"]*)['"]""", re.IGNORECASE)


def is_django_manage(path: Path) -> bool:
    text = read_small(path)
    return text is not None and _REAL_MANAGE.search(text) is not None


def declares_django(folder: Path, names: list[str]) -> bool:
    """Django among the project's declared dependencies (requirements, PEP 621, Poetry, Pipfile, setup.cfg/py)."""
    for name in names:
        if name.startswith("requirements") and name.endswith((".txt", ".in")):
            text = read_small(folder / name)
            if text and _REQUIREMENT.search(text):
                return True
    if "requirements" in names and (folder / "requirements").is_dir():
        for name in list_dir(folder / "requirements"):
            text = read_small(folder / "requirements" / name) if name.endswith((".txt", ".in")) else None
            if text and _REQUIREMENT.search(text):
                return True
    if "pyproject.toml" in names and _pyproject_declares_django(folder / "pyproject.toml"):
        return True
    if "Pipfile" in names:
        text = read_small(folder / "Pipfile") or ""
        if re.search(r"^[^\S\n]*['\"]?django['\"]?\s*=", text, re.IGNORECASE | re.MULTILINE):
            return True
    if "setup.cfg" in names:
        text = read_small(folder / "setup.cfg") or ""
        match = re.search(r"install_requires\s*=\s*((?:\n[ \t]+[^\n]*)+)", text)
        if match and _REQUIREMENT.search("\n".join(line.strip() for line in match.group(1).splitlines())):
            return True
    if "setup.py" in names:
        text = read_small(folder / "setup.py") or ""
        match = re.search(r"install_requires\s*=\s*\[([^\]]*)(\]?)", text)  # unclosed: to the end, never rescanned
        if match and match.group(2) and _QUOTED_REQUIREMENT.search(match.group(1)):
            return True
    return False


def _pyproject_declares_django(path: Path) -> bool:
    data = _toml(path)
    if data is None:
        return False
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    listed = project.get("dependencies") if isinstance(project, dict) else None
    deps = [str(d) for d in listed] if isinstance(listed, list) else []  # not a list: a broken file, no deps
    if any(_REQUIREMENT.match(d) for d in deps):
        return True
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        sections = [poetry.get("dependencies")]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            sections += [g.get("dependencies") for g in groups.values() if isinstance(g, dict)]
        for section in sections:
            if isinstance(section, dict) and any(str(name).lower() == "django" for name in section):
                return True
    return False


def _toml(path: Path) -> dict | None:  # type: ignore[type-arg]
    import tomllib

    text = read_small(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None


def is_django_migrations_dir(folder: Path, names: list[str]) -> bool:
    if folder.name != "migrations":
        return False
    for name in names:
        if _DJANGO_MIGRATION_NAME.match(name):
            head = read_small(folder / name)
            if head is not None and _DJANGO_MIGRATION_HEAD.search(head[:4096]):
                return True
    return False


def django_migration_dirs(root: Path, max_depth: int = 5) -> list[Path]:
    return sorted(find_dirs(root, is_django_migrations_dir, max_depth))


def django_project(root: Path, names: list[str], migration_dirs: list[Path] | None = None) -> Project | None:
    """A Django project rooted at `root` when root holds Django's manage.py or declares Django, with app migrations."""
    manage = root / "manage.py"
    real_manage = "manage.py" in names and is_django_manage(manage)
    if not real_manage and not declares_django(root, names):
        return None
    dirs = migration_dirs if migration_dirs is not None else django_migration_dirs(root)
    if not dirs:
        return None
    settings: dict[str, Path | str] = {}
    if real_manage:
        settings["manage_py"] = manage
    settings["apps"] = apps_setting(dirs, root)
    settings_file = _settings_file(root, manage if real_manage else None)
    if settings_file is not None:
        settings["settings"] = settings_file
    dialect, evidence = _django_dialect(settings_file, root)
    return make_project("django", root, dirs, dialect, settings, evidence=evidence)


def django_fallback_project(migrations_dir: Path) -> Project:
    """Django migrations with no manage.py or declaration around (a reusable app): the app's parent is the root."""
    root = migrations_dir.parent.parent
    return make_project("django", root, [migrations_dir], None,
                        {"apps": apps_setting([migrations_dir], root)})


def apps_setting(dirs: list[Path], root: Path) -> str:
    """`label=folder,...`: each app's label (AppConfig.label, else its package name) and migrations folder."""
    from ..extract.django import app_label

    return ",".join(f"{app_label(d.parent)}={_rel(d, root)}" for d in dirs)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _settings_file(root: Path, manage: Path | None) -> Path | None:
    if manage is not None:
        match = _SETTINGS_MODULE.search(read_small(manage) or "")
        # A module path no file system can hold (a part over 255 bytes, or the whole over PATH_MAX) names no
        # file: is_file() would raise.
        if match and len(match.group(1)) < 4000 and all(len(part.encode()) <= 255 for part in match.group(1).split(".")):
            module = match.group(1).replace(".", "/")
            for candidate in (root / f"{module}.py", root / module / "__init__.py", root / "src" / f"{module}.py"):
                if candidate.is_file():
                    return candidate
    for folder in find_dirs(root, lambda f, n: "settings.py" in n or "settings" in n, max_depth=3):
        if (folder / "settings.py").is_file():
            return folder / "settings.py"
        for name in ("base.py", "production.py", "__init__.py"):
            if (folder / "settings" / name).is_file():
                return folder / "settings" / name
    return None


_DJANGO_ENGINES = {"postgresql": "postgres", "postgresql_psycopg2": "postgres", "postgis": "postgres",
                   "mysql": "mysql", "sqlite3": "sqlite", "spatialite": "sqlite", "oracle": "oracle"}


def _django_dialect(settings_file: Path | None, root: Path) -> tuple[str | None, str | None]:
    """The database of the settings' DATABASES, and the evidence. Settings that switch the ENGINE on the environment
    (`os.environ.get("DB_ENGINE", "django.db.backends.sqlite3")`, an `if` per database) name several: the server
    database counts over SQLite, the usual local default, and the evidence says both were seen."""
    if settings_file is None:
        return None, None
    texts = [read_small(settings_file) or ""]
    if settings_file.name != "settings.py":  # a settings package: its siblings too
        texts += [read_small(settings_file.parent / n) or "" for n in list_dir(settings_file.parent) if n.endswith(".py")]
    engines: list[str] = []
    for text in texts:
        engines += [d for m in _ENGINE.finditer(text) if (d := _DJANGO_ENGINES.get(m.group(1) or m.group(2)))]
        if not engines:
            match = _DB_URL_DEFAULT.search(text)
            if match and (url_dialect := dialect_of_url(match.group(1))):
                engines.append(url_dialect)
    named = list(dict.fromkeys(engines))
    if len(named) <= 1:
        return (named[0], "Django DATABASES ENGINE") if named else (None, None)
    servers = [d for d in named if d != "sqlite"]
    chosen = servers[0]
    return chosen, f"Django ENGINE, switched on the environment between {', '.join(named)}"


# --- Alembic ------------------------------------------------------------------------------------------------------

ALEMBIC_MARKERS = ("alembic.ini", "pyproject.toml")
_URL_IN_TEXT = re.compile(r"""['"]((?:postgres|postgresql|mysql|mariadb|sqlite)[a-z0-9+]*://[^'"]*)['"]""", re.IGNORECASE)


def alembic_projects(root: Path, names: list[str]) -> list[Project]:
    """alembic.ini (any name ending in alembic.ini) or [tool.alembic] in pyproject.toml, at `root`."""
    projects: list[Project] = []
    seen: set[Path] = set()
    for name in names:
        if name == "alembic.ini" or (name.endswith("alembic.ini") and name.endswith(".ini")):
            project = _from_ini(root, root / name)
            if project is not None and project[0] not in seen:
                seen.add(project[0])
                projects.extend(project[1])
    if "script.py.mako" in names and not projects and _is_script_folder(root):
        # an environment configured in code (ZenML sets script_location on a Config object): no ini names it
        project = _build(root, "%(here)s", None, None, None, None, None)
        if project is not None and project[0] not in seen:
            seen.add(project[0])
            projects.extend(project[1])
    if "pyproject.toml" in names:
        data = _toml(root / "pyproject.toml")
        section = data.get("tool", {}).get("alembic") if isinstance(data, dict) and isinstance(data.get("tool"), dict) else None
        if isinstance(section, dict) and section.get("script_location"):
            built = _build(root, str(section["script_location"]), _as_str(section.get("version_locations")),
                           None, None, root / "pyproject.toml", section.get("path_separator"))
            if built is not None and built[0] not in seen:
                projects.extend(built[1])
    return projects


_DIALECT_FOLDERS = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql",
                    "sqlite": "sqlite"}


def _dialect_folders(versions: Path) -> list[tuple[Path, str]]:
    """versions/postgresql/ + versions/sqlite/ and no revision beside them (Prefect: env.py picks one by dialect)."""
    names = list_dir(versions)
    if any(name.endswith(".py") and name != "__init__.py" for name in names):
        return []
    return [(versions / name, _DIALECT_FOLDERS[name.lower()]) for name in sorted(names)
            if name.lower() in _DIALECT_FOLDERS and (versions / name).is_dir()]


def _is_script_folder(folder: Path) -> bool:
    """An Alembic environment: env.py, script.py.mako and a versions/ folder."""
    names = list_dir(folder)
    return "env.py" in names and "script.py.mako" in names and (folder / "versions").is_dir()


def _as_str(value: object) -> str | None:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value) if value else None


def _from_ini(root: Path, ini: Path) -> tuple[Path, list[Project]] | None:
    text = read_small(ini)
    if text is None:
        return None
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    section = "alembic" if parser.has_section("alembic") else next(
        (s for s in parser.sections() if parser.has_option(s, "script_location")), None)
    if section is None:
        return None
    get = lambda key: parser.get(section, key, fallback=None)  # noqa: E731
    location = get("script_location")
    if not location and _is_script_folder(ini.parent):
        location = "%(here)s"  # Flask-Migrate: migrations/alembic.ini beside env.py, the location given in code
    if not location:
        return None
    return _build(root, location, get("version_locations"), get("sqlalchemy.url"), get("version_path_separator")
                  or get("path_separator"), ini, None)


def _expand(value: str, root: Path) -> Path:
    value = value.replace("%(here)s", str(root.resolve())).replace("%%", "%").strip()
    if ":" in value and not re.match(r"^[A-Za-z]:[\\/]", value) and not value.startswith("/"):
        value = value.replace(":", "/").replace(".", "/")  # package:resource form, resolved from the project root
    path = Path(value)
    return path if path.is_absolute() else root / path


def _split(value: str, separator: str | None) -> list[str]:
    seps = {"space": " ", "newline": "\n", "colon": ":", "semicolon": ";", "os": None}
    sep = seps.get(separator or "", separator) if separator else None
    if sep is None:
        return [v for v in re.split(r"[\s,]+", value) if v]
    return [v.strip() for v in value.split(sep) if v.strip()]


def _resolve(value: str, root: Path) -> Path:
    """A relative location is relative to where `alembic` runs, which may be above the ini file (MLflow ships
    `script_location = mlflow/store/db_migrations` in mlflow/store/db_migrations/alembic.ini): the first of root and
    its parents where the folder exists."""
    path = _expand(value, root)
    if is_folder(path) or "%(here)s" in value:
        return path
    relative = path.relative_to(root) if path.is_relative_to(root) else None
    if relative is not None:
        # `package:resource` is found from the folder holding the package, however deep the ini sits in it (Dagster:
        # dagster/_core/storage/runs/sqlite/alembic/alembic.ini names dagster:_core/storage/alembic)
        levels = None if ":" in value else 4
        for parent in list(root.resolve().parents)[:levels]:
            if is_folder(parent / relative):
                return root / os.path.relpath(parent / relative, root.resolve())
    return path


def _build(root: Path, location: str, versions: str | None, url: str | None, separator: str | None,
           config: Path | None, _unused: object) -> tuple[Path, list[Project]] | None:
    script = _resolve(location, root)
    if not is_folder(script):
        return None
    folders = [_resolve(v, root) for v in _split(versions, separator)] if versions else [script / "versions"]
    folders = [f for f in folders if is_folder(f)] or [script / "versions"]
    dialect = dialect_of_url(url) if url and "driver://" not in url else None
    if dialect is not None and config is not None and _url_set_in_code(config.parent):
        dialect = None  # a library's shipped ini (Optuna): its URL is replaced by the one the user's code is given
    evidence = "alembic.ini sqlalchemy.url" if dialect else None
    if dialect is None:
        dialect = _dialect_from_env_py(script)
        evidence = "env.py's URL" if dialect else None
    if dialect is None:
        from .py_dependencies import dialect_from_dependencies

        found = dialect_from_dependencies(root, Path.cwd())
        dialect, evidence = found if found is not None else (None, None)
    if dialect in (None, "sqlite") and _mysql_options_in(folders):
        # MySQL-only table options (mysql_engine="InnoDB") in the revisions: written for MySQL; an ini's
        # sqlite:///x.db is then a placeholder (Keystone, Glance)
        evidence = "mysql_engine= options in the revisions" + (", alembic.ini names sqlite" if dialect else "")
        dialect = "mysql"
    settings: dict[str, Path | str] = {"script_location": script}
    if config is not None and config.name == "pyproject.toml":  # [tool.alembic]: `alembic` reads it itself; -c
        settings["pyproject"] = config  # takes only an .ini
        if (root / "alembic.ini").is_file():
            settings["config"] = root / "alembic.ini"
    elif config is not None:
        settings["config"] = config
    by_dialect = _dialect_folders(folders[0]) if not versions and dialect is None else []
    if by_dialect:  # one project per folder, rooted there: each its own revision chain and dialect (check groups
        # migrations by project root, so two projects sharing a root would mix their chains)
        return script.resolve(), [make_project("alembic", f, [f], d, settings) for f, d in by_dialect]
    return script.resolve(), [make_project("alembic", root, folders, dialect, settings, evidence=evidence)]


_MYSQL_OPTIONS = re.compile(r"\bmysql_(?:engine|charset|collate)\s*=")
_SNIFFED_REVISIONS = 30


def _mysql_options_in(folders: list[Path]) -> bool:
    """Do the first revisions pass MySQL table options (and none for Postgres: postgresql_*= means several)?"""
    texts = [read_small(folder / name) or "" for folder in folders
             for name in sorted(list_dir(folder))[:_SNIFFED_REVISIONS] if name.endswith(".py")]
    return any(_MYSQL_OPTIONS.search(t) for t in texts) and not any("postgresql_" in t for t in texts)


_URL_SET = re.compile(r"""set_main_option\(\s*['"]sqlalchemy\.url['"]""")


def _url_set_in_code(folder: Path) -> bool:
    """Whether a module beside the ini sets `sqlalchemy.url` itself, so the ini's URL is only a placeholder."""
    modules = [name for name in list_dir(folder) if name.endswith(".py")][:30]
    return any(_URL_SET.search(read_small(folder / name) or "") for name in modules)


def _dialect_from_env_py(script: Path) -> str | None:
    match = _URL_IN_TEXT.search(read_small(script / "env.py") or "")
    return dialect_of_url(match.group(1)) if match else None
