"""Where we are running (production or not), how to back the database up, and never showing a password."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ENV_VARIABLES = ("NODE_ENV", "APP_ENV", "RAILS_ENV", "ENVIRONMENT", "DJANGO_SETTINGS_MODULE")


@dataclass(frozen=True, slots=True)
class Environment:
    production: bool
    reason: str  # "--env production", "NODE_ENV=production", ...


def detect_environment(explicit: str | None, production_values: list[str],
                       environ: dict[str, str] | None = None) -> Environment:
    """--env wins; otherwise any of ENV_VARIABLES naming a production value (DJANGO_SETTINGS_MODULE by a part)."""
    if explicit:
        return Environment(explicit.lower() in {v.lower() for v in production_values} or
                           explicit.lower() == "production", f"--env {explicit}")
    env = os.environ if environ is None else environ
    values = {v.lower() for v in production_values}
    for variable in ENV_VARIABLES:
        value = env.get(variable, "")
        if not value:
            continue
        parts = {value.lower()} if variable != "DJANGO_SETTINGS_MODULE" else set(re.split(r"[._\-]", value.lower()))
        if parts & values:
            return Environment(True, f"{variable}={value}")
    return Environment(False, "")


def redact(text: str) -> str:
    """A URL (or a command line holding one) with any password replaced by ***."""
    return re.sub(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)([^@\s]*)(@)", r"\1***\3", text)


def show_command(argv: list[str]) -> str:
    return redact(shlex.join(argv))


def goose_connection(database_url: str | None) -> list[str]:
    """goose's DRIVER DBSTRING arguments; none when GOOSE_DRIVER/GOOSE_DBSTRING are set (goose reads them)."""
    if os.environ.get("GOOSE_DRIVER") and os.environ.get("GOOSE_DBSTRING"):
        return []
    if not database_url:
        return []
    scheme = urlsplit(database_url).scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return ["postgres", database_url]
    if scheme == "mysql":
        parts = urlsplit(database_url)
        user = unquote(parts.username or "")
        password = f":{unquote(parts.password)}" if parts.password else ""
        return ["mysql", f"{user}{password}@tcp({parts.hostname or 'localhost'}:{parts.port or 3306}){parts.path}"]
    if scheme in ("sqlite", "sqlite3", "file"):
        return ["sqlite3", sqlite_path(database_url) or ""]
    return []


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL: sqlite:///rel.db, sqlite:////abs.db, file:x.db, sqlite:x.db."""
    for prefix in ("sqlite:///", "sqlite3:///", "sqlite://", "sqlite3://", "sqlite:", "sqlite3:", "file:"):
        if url.startswith(prefix):
            path = url[len(prefix):].split("?", 1)[0]
            return path or None
    return None


def database_url_from_config(orm: str, cwd: Path) -> str | None:
    """The database a tool's own config names, where it can be read without running the project's code."""
    if orm == "alembic" and (cwd / "alembic.ini").is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cwd / "alembic.ini", encoding="utf-8")
            url = parser.get("alembic", "sqlalchemy.url", fallback=None)
        except configparser.Error:
            return None
        return url if url and "%(" not in url else None
    if orm == "django":
        for settings in sorted(cwd.glob("*/settings.py")):
            text = settings.read_text(encoding="utf-8", errors="replace")
            if "django.db.backends.sqlite3" in text:
                match = re.search(r"""['"]NAME['"]\s*:\s*(?:BASE_DIR\s*/\s*)?['"]([^'"]+)['"]""", text)
                if match:
                    return "sqlite:///" + match.group(1)
    if orm == "knex":
        for name in ("knexfile.js", "knexfile.cjs", "knexfile.ts", "knexfile.mjs"):
            path = cwd / name
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                match = re.search(r"""filename\s*:\s*['"]([^'"]+)['"]""", text)
                if match and re.search(r"sqlite", text):
                    return "sqlite:///" + match.group(1)
                match = re.search(r"""['"]((?:postgres|postgresql|mysql)://[^'"]+)['"]""", text)
                if match:
                    return match.group(1)
    if orm == "prisma":
        for schema in (cwd / "prisma" / "schema.prisma", cwd / "schema.prisma"):
            if schema.is_file():
                match = re.search(r"""url\s*=\s*"([^"]+)\"""", schema.read_text(encoding="utf-8", errors="replace"))
                if match:
                    return match.group(1)
    return None


def backup_command(database_url: str | None, cwd: Path) -> str | None:
    """A backup command for the database, ready to paste; the password is never part of it."""
    if not database_url:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = sqlite_path(database_url)
    if path is not None:
        if path == ":memory:":
            return None
        backup = f"{path}.backup-{stamp}"
        return shlex.join(["sqlite3", path, f".backup {_sqlite_quote(backup)}"])
    parts = urlsplit(database_url)
    scheme = parts.scheme.lower().split("+", 1)[0]
    database = parts.path.lstrip("/") or ""
    if scheme in ("postgres", "postgresql"):
        argv = ["pg_dump", "--format=custom"]
        argv += ["--host", parts.hostname] if parts.hostname else []
        argv += ["--port", str(parts.port)] if parts.port else []
        argv += ["--username", unquote(parts.username)] if parts.username else []
        argv += ["--file", f"{database or 'backup'}-{stamp}.dump", database]
        note = "  # password: from PGPASSWORD or ~/.pgpass" if parts.password else ""
        return shlex.join(argv) + note
    if scheme in ("mysql", "mariadb"):
        argv = ["mysqldump", "--single-transaction"]
        argv += ["--host", parts.hostname] if parts.hostname else []
        argv += ["--port", str(parts.port)] if parts.port else []
        argv += ["--user", unquote(parts.username)] if parts.username else []
        argv += ["--password"] if parts.password else []  # prompts: the password is never on the command line
        argv += ["--result-file", f"{database or 'backup'}-{stamp}.sql", database]
        return shlex.join(argv)
    return None


def _sqlite_quote(path: str) -> str:
    return '"' + path.replace('"', '""') + '"'


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
