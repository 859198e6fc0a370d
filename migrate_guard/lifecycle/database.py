"""Which database the native tool will really touch: read from the tool's own configuration in the order the tool
reads it, so a backup hint never names another database. Nothing here runs the project's code."""

from __future__ import annotations

import configparser
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .environment import redact

_READ_LIMIT = 512 * 1024
_QUOTED = r"""['"`]([^'"`\n]+)['"`]"""


@dataclass(frozen=True, slots=True)
class Database:
    url: str | None
    source: str  # where the URL came from: "--database-url", "DATABASE_URL", "alembic.ini sqlalchemy.url", ...
    note: str = ""  # set when DATABASE_URL names another database than the one the tool reads


def _read(path: Path) -> str:
    try:
        if not path.is_file() or path.stat().st_size > _READ_LIMIT:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def dotenv(folder: Path) -> dict[str, str]:
    """KEY=value lines of folder/.env (quotes removed; no interpolation), as dotenv loaders read them."""
    values: dict[str, str] = {}
    for line in _read(folder / ".env").splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", line)
        if match:
            value = match.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif " #" in value:
                value = value.split(" #", 1)[0].rstrip()
            values[match.group(1)] = value
    return values


def target_database(orm: str, cwd: Path, explicit: str | None, environ: Mapping[str, str],
                    settings: Mapping[str, str] | None = None) -> Database:
    """The database URL the tool will use, where it came from, and a note when DATABASE_URL disagrees."""
    if explicit:
        return Database(explicit, "--database-url")
    env_url = environ.get("DATABASE_URL") or None
    reader = _OWN_CONFIG.get(orm)
    if reader is None:  # golang-migrate, goose: the URL is ours to pass (DATABASE_URL)
        if orm == "goose" and environ.get("GOOSE_DBSTRING"):
            return Database(environ["GOOSE_DBSTRING"], "GOOSE_DBSTRING")
        if orm == "dbmate" and not env_url:
            from_file = dotenv(cwd).get("DATABASE_URL")
            return Database(from_file, ".env DATABASE_URL") if from_file else Database(None, "")
        return Database(env_url, "DATABASE_URL") if env_url else Database(None, "")
    own = reader(cwd, environ, dict(settings or {}))
    if own is None:
        return Database(env_url, "DATABASE_URL") if env_url else Database(None, "")
    if own.url is None:  # the config reads a variable that is not set
        return own
    if env_url and own.source != "DATABASE_URL" and own.url != env_url:
        note = (f"DATABASE_URL is set ({redact(env_url)}), but {orm} reads {own.source}: "
                f"the backup is for the database {orm} will migrate")
        return Database(own.url, own.source, note)
    return own


def _env_reference(text: str) -> str | None:
    """The variable a config reads the URL from: process.env.X, env("X"), os.environ["X"], getenv("X")."""
    match = re.search(r"""process\.env(?:\.([A-Za-z_]\w*)|\[\s*['"]([A-Za-z_]\w*)['"]\s*\])"""
                      r"""|\benv\(\s*['"]([A-Za-z_]\w*)['"]|environ(?:\.get)?[\[(]\s*['"]([A-Za-z_]\w*)['"]"""
                      r"""|getenv\(\s*['"]([A-Za-z_]\w*)['"]""", text)
    if not match:
        return None
    return next(group for group in match.groups() if group)


def _from_variable(name: str, cwd: Path, environ: Mapping[str, str]) -> Database:
    value = environ.get(name) or dotenv(cwd).get(name)
    source = name if environ.get(name) else f".env {name}"
    return Database(value or None, "DATABASE_URL" if name == "DATABASE_URL" and environ.get(name) else source)


def _sqlite(path: str) -> str:
    return path if path.startswith(("sqlite:", "file:")) else "sqlite:///" + path


def _url_from_parts(dialect: str, host: str | None, port: str | None, user: str | None, database: str | None) -> str | None:
    scheme = {"postgres": "postgresql", "postgresql": "postgresql", "pg": "postgresql", "mysql": "mysql",
              "mysql2": "mysql", "mariadb": "mysql"}.get(dialect.lower())
    if scheme is None or not database:
        return None
    authority = (f"{user}@" if user else "") + (host or "localhost") + (f":{port}" if port else "")
    return f"{scheme}://{authority}/{database}"


def _js_field(text: str, key: str) -> str | None:
    match = re.search(rf"""\b{key}\s*:\s*{_QUOTED}""", text)
    return match.group(1) if match else None


# --- per tool -------------------------------------------------------------------------------------------------


def _alembic(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    ini = Path(settings["config"]) if settings.get("config") else cwd / "alembic.ini"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read(ini))
        url = parser.get("alembic", "sqlalchemy.url", fallback=None)
        location = parser.get("alembic", "script_location", fallback="alembic")
    except configparser.Error:
        url, location = None, "alembic"
    env_py = _read(ini.parent / location.replace("%(here)s", str(ini.parent)) / "env.py")
    variable = _env_reference(env_py)
    if variable and re.search(r"set_main_option|url\s*=|create_engine|engine_from", env_py):
        return _from_variable(variable, cwd, environ)
    if url and "%(" not in url:
        return Database(url, f"{ini.name} sqlalchemy.url")
    return None


def _django(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    files = [Path(settings["settings"])] if settings.get("settings") else sorted(cwd.glob("*/settings.py"))
    for path in files:
        text = _read(path)
        if not text:
            continue
        variable = _env_reference(text) if re.search(r"dj_database_url|db_url|env\.db|DATABASE_URL", text) else None
        if variable:
            return _from_variable(variable, cwd, environ)
        engine = re.search(r"""['"]ENGINE['"]\s*:\s*['"]django\.db\.backends\.(\w+)['"]""", text)
        name = re.search(r"""['"]NAME['"]\s*:\s*(?:BASE_DIR\s*/\s*|os\.path\.join\(\s*BASE_DIR\s*,\s*)?['"]([^'"]+)['"]""", text)
        if engine and name:
            source = f"{path.name} DATABASES"
            if engine.group(1) == "sqlite3":
                return Database(_sqlite(name.group(1)), source)
            field = {key: re.search(rf"""['"]{key}['"]\s*:\s*['"]([^'"]*)['"]""", text) for key in ("HOST", "PORT", "USER")}
            host, port, user = (m.group(1) or None if m else None for m in field.values())
            url = _url_from_parts(engine.group(1).replace("postgresql_psycopg2", "postgresql"), host, port, user,
                                  name.group(1))
            if url:
                return Database(url, source)
    return None


def _knex(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    paths = [Path(settings["knexfile"])] if settings.get("knexfile") else [
        cwd / f"knexfile.{ext}" for ext in ("js", "cjs", "mjs", "ts")]
    for path in paths:
        text = _read(path)
        if not text:
            continue
        filename = _js_field(text, "filename")
        if filename and "sqlite" in text:
            return Database(_sqlite(filename), f"{path.name} connection.filename")
        literal = re.search(r"""['"`]((?:postgres|postgresql|mysql)://[^'"`]+)['"`]""", text)
        if literal:
            return Database(literal.group(1), f"{path.name} connection")
        variable = _env_reference(text)
        if variable:
            return _from_variable(variable, cwd, environ)
    return None


def _prisma(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    schemas = [Path(settings["schema"])] if settings.get("schema") else [cwd / "prisma" / "schema.prisma",
                                                                          cwd / "schema.prisma"]
    for schema in schemas:
        text = _read(schema)
        block = re.search(r"datasource\s+\w+\s*\{([^}]*)\}", text)
        if not block:
            continue
        url = re.search(r"""\burl\s*=\s*(?:env\(\s*"([^"]+)"\s*\)|"([^"]+)")""", block.group(1))
        if url and url.group(1):
            found = _from_variable(url.group(1), schema.parent, environ)
            return found if found.url or url.group(1) == "DATABASE_URL" else _from_variable(url.group(1), cwd, environ)
        if url and url.group(2):
            return Database(url.group(2), f"{schema.name} datasource url")
    return None


def _typeorm(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    source = settings.get("data_source")
    path = Path(source) if source else next((cwd / p for p in ("src/data-source.ts", "data-source.ts", "src/data-source.js")
                                             if (cwd / p).is_file()), None)
    if path is None:
        return None
    text = _read(path)
    kind = _js_field(text, "type") or ""
    if "sqlite" in kind:
        database = _js_field(text, "database")
        return Database(_sqlite(database), f"{path.name} database") if database else None
    url = re.search(r"""\burl\s*:\s*(?:['"`]([^'"`]+)['"`]|process\.env\.(\w+))""", text)
    if url and url.group(1):
        return Database(url.group(1), f"{path.name} url")
    if url and url.group(2):
        return _from_variable(url.group(2), cwd, environ)
    built = _url_from_parts(kind, _js_field(text, "host"), _js_number(text, "port"), _js_field(text, "username"),
                            _js_field(text, "database"))
    return Database(built, f"{path.name} connection options") if built else None


def _js_number(text: str, key: str) -> str | None:
    match = re.search(rf"""\b{key}\s*:\s*['"]?(\d+)""", text)
    return match.group(1) if match else None


def _sequelize(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    path = Path(settings["config"]) if settings.get("config") else cwd / "config" / "config.json"
    try:
        data = json.loads(_read(path) or "null")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    environment = environ.get("NODE_ENV") or "development"
    section = data.get(environment)
    if not isinstance(section, dict):
        return None
    where = f"{path.name} {environment}"
    if isinstance(section.get("use_env_variable"), str):
        return _from_variable(section["use_env_variable"], cwd, environ)
    if isinstance(section.get("url"), str):
        return Database(section["url"], f"{where}.url")
    dialect = str(section.get("dialect") or "")
    if dialect == "sqlite":
        storage = section.get("storage")
        return Database(_sqlite(str(storage)), f"{where}.storage") if storage else None
    built = _url_from_parts(dialect, _text(section.get("host")), _text(section.get("port")),
                            _text(section.get("username")), _text(section.get("database")))
    return Database(built, where) if built else None


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _drizzle(cwd: Path, environ: Mapping[str, str], settings: dict[str, str]) -> Database | None:
    path = Path(settings["config"]) if settings.get("config") else next(
        (cwd / f"drizzle.config.{ext}" for ext in ("ts", "js", "mjs", "cjs", "mts") if (cwd / f"drizzle.config.{ext}").is_file()),
        None)
    if path is None:
        return None
    text = _read(path)
    block = re.search(r"dbCredentials\s*:\s*\{([^}]*)\}", text)
    if not block:
        return None
    credentials = block.group(1)
    dialect = _js_field(text, "dialect") or _js_field(text, "driver") or ""
    url = re.search(r"""\burl\s*:\s*(?:['"`]([^'"`]+)['"`]|process\.env\.(\w+)|process\.env\[['"](\w+)['"]\])""",
                    credentials)
    if url:
        variable = url.group(2) or url.group(3)
        found = _from_variable(variable, cwd, environ) if variable else Database(url.group(1), f"{path.name} dbCredentials.url")
        if found.url and dialect in ("sqlite", "turso") and "://" not in found.url:
            return Database(_sqlite(found.url.removeprefix("file:")), found.source)
        return found
    built = _url_from_parts(dialect, _js_field(credentials, "host"), _js_number(credentials, "port"),
                            _js_field(credentials, "user"), _js_field(credentials, "database"))
    return Database(built, f"{path.name} dbCredentials") if built else None


_OWN_CONFIG = {"alembic": _alembic, "django": _django, "knex": _knex, "prisma": _prisma, "typeorm": _typeorm,
               "sequelize": _sequelize, "drizzle": _drizzle}
