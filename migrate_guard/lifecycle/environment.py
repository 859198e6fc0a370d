"""Where we are running (production or not), how to back the database up, and never showing a password."""

from __future__ import annotations

import configparser
import ipaddress
import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..extract.base import side_text

# The variables that name the environment across ecosystems, in the order their value is reported.
ENV_VARIABLES = (
    "APP_ENV", "ENVIRONMENT", "ENV", "NODE_ENV", "RAILS_ENV", "RACK_ENV", "DJANGO_ENV", "FLASK_ENV", "MIX_ENV",
    "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "APP_ENVIRONMENT", "GO_ENV", "PYTHON_ENV", "DEPLOY_ENV",
    "DEPLOYMENT_ENV", "STAGE", "SPRING_PROFILES_ACTIVE", "DJANGO_CONFIGURATION", "DJANGO_SETTINGS_MODULE",
)
# Variables whose value is a list or a dotted path: any of its words may name production.
_ANY_WORD = frozenset({"SPRING_PROFILES_ACTIVE", "DJANGO_SETTINGS_MODULE", "DJANGO_CONFIGURATION"})
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Environment:
    production: bool
    reason: str  # "--env production", "NODE_ENV=production", "database host prod-db.internal (DATABASE_URL)"


def _names_production(value: str, values: set[str], any_word: bool = False) -> bool:
    """`production`, ` Production `, `prd`, `production-eu`, `eu-prod`: the whole value or its first or last word
    (every word for a list or a dotted path). `preproduction` and `products` are not production."""
    text = value.strip().strip("'\"").strip().lower()
    if not text:
        return False
    if text in values:
        return True
    words = _WORD.findall(text)
    if not words:
        return False
    candidates = words if any_word else [words[0], words[-1]]
    return any(word in values for word in candidates)


def detect_environment(explicit: str | None, production_values: list[str],
                       environ: dict[str, str] | None = None, database_url: str | None = None,
                       url_source: str = "DATABASE_URL") -> Environment:
    """--env wins; otherwise any of ENV_VARIABLES naming a production value, then a database host that is not
    local (or whose name says production)."""
    values = {v.strip().lower() for v in production_values} | ({"prd"} if "prod" in production_values else set())
    if explicit:
        return Environment(_names_production(explicit, values | {"production"}), f"--env {explicit}")
    env = os.environ if environ is None else environ
    for variable in ENV_VARIABLES:
        value = env.get(variable, "")
        if value and _names_production(value, values, any_word=variable in _ANY_WORD):
            return Environment(True, f"{variable}={value.strip()}")
    host = database_host(database_url) if database_url else None
    if host is not None:
        if _names_production(host, values, any_word=True):
            return Environment(True, f"database host {host} ({url_source})")
        if not is_local_host(host):
            return Environment(True, f"database host {host} is not local ({url_source})")
    return Environment(False, "")


def is_local_host(host: str) -> bool:
    """Loopback, a Unix socket, `*.localhost`/`*.local`, or a one-label name (a compose or CI service: `db`)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name or name.startswith("/") or name in ("localhost", "host.docker.internal"):
        return True
    if name.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "." not in name
    return address.is_loopback or address.is_unspecified


@dataclass(frozen=True, slots=True)
class DatabaseAddress:
    scheme: str
    user: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str


def parse_database_url(url: str) -> DatabaseAddress | None:
    """scheme://user:pass@host:port/db?..., golang-migrate's and Go drivers' mysql://user:pass@tcp(host:port)/db
    and @unix(/socket)/db, [::1] hosts. Never raises: a part that does not parse is left out."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
        return None
    before_query = rest.split("?", 1)[0]
    at = before_query.rfind("@")
    userinfo, location = (rest[:at], rest[at + 1:]) if at >= 0 else ("", rest)
    user, has_password, password = userinfo.partition(":")
    host: str | None
    port_text = ""
    wrapped = re.match(r"(tcp|udp|unix)\(([^)]*)\)", location)
    if wrapped:
        inside, path = wrapped.group(2), location[wrapped.end():]
        if wrapped.group(1) == "unix":
            host = inside or None
        else:
            host, port_text = _host_port(inside)
    else:
        slash = location.find("/")
        authority, path = (location[:slash], location[slash:]) if slash >= 0 else (location.split("?", 1)[0], "")
        host, port_text = _host_port(authority)
    return DatabaseAddress(
        scheme=scheme.lower(), user=unquote(user) or None, password=unquote(password) if has_password else None,
        host=unquote(host) if host else None, port=int(port_text) if port_text.isascii() and port_text.isdigit() else None,
        database=unquote(path.split("?", 1)[0].lstrip("/")))


def _host_port(authority: str) -> tuple[str | None, str]:
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        return host or None, after.lstrip(":")
    host, _, port = authority.rpartition(":") if authority.count(":") == 1 else (authority, "", "")
    return host or None, port


def database_host(url: str) -> str | None:
    """The network host of a database URL; None for SQLite files, Unix sockets and URLs without one."""
    if sqlite_path(url) is not None:
        return None
    address = parse_database_url(url)
    if address is None or not address.host or address.host.startswith("/"):
        return None
    return address.host


_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]{0,30}://[^:/@\s]*:)([^\s/]*)(@)")  # bounded scheme: linear
_DSN_HOST = re.compile(r"@(?:tcp|udp|unix)\(")
_DSN_USER = re.compile(r"(?:(?<=[=\s'\"/@])|^)[^:=\s'\"/@]+:")
_KEY_PASSWORD = re.compile(r"(\b(?:password|passwd|pwd)\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s&;'\"]+)", re.I)


def redact(text: str) -> str:
    """Text with every password we know the shape of replaced by ***: in a URL (scheme://user:pw@...), a Go
    driver DSN (user:pw@tcp(host)/db), and key=value strings and query parameters (password=pw)."""
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    text = _redact_dsns(text)
    return _KEY_PASSWORD.sub(r"\1***", text)


def _redact_dsns(text: str) -> str:
    """`user:pw@tcp(host)/db` -> `user:***@tcp(host)/db`, found from each `@tcp(` back to the start of its token. The
    user and password hold no '/' or '@', so the search is confined to what follows the last of those: linear, where a
    pattern that guessed the password first backtracked quadratically on hostile text."""
    parts: list[str] = []
    done = 0
    for match in _DSN_HOST.finditer(text):
        at = match.start()
        token = max(text.rfind(c, done, at) for c in " \t\n'\"") + 1
        start = max(token, text.rfind("/", token, at) + 1, text.rfind("@", token, at) + 1)
        user = _DSN_USER.search(text, start, at)
        if user is None:
            continue
        parts += [text[done:user.end()], "***"]
        done = at
    parts.append(text[done:])
    return "".join(parts)


def show_command(argv: list[str]) -> str:
    return redact(shlex.join(argv))


def goose_connection(database_url: str | None) -> list[str]:
    """goose's DRIVER DBSTRING arguments; none when GOOSE_DRIVER/GOOSE_DBSTRING are set (goose reads them)."""
    if os.environ.get("GOOSE_DRIVER") and os.environ.get("GOOSE_DBSTRING"):
        return []
    if not database_url:
        return []
    if sqlite_path(database_url) is not None:
        return ["sqlite3", sqlite_path(database_url) or ""]
    address = parse_database_url(database_url)
    if address is None:
        return []
    if address.scheme in ("postgres", "postgresql"):
        return ["postgres", database_url]
    if address.scheme == "mysql":
        if "@tcp(" in database_url or "@unix(" in database_url:  # already a Go driver DSN after the scheme
            return ["mysql", database_url.split("://", 1)[1]]
        user = address.user or ""
        password = f":{address.password}" if address.password is not None else ""
        query = f"?{database_url.split('?', 1)[1]}" if "?" in database_url else ""
        return ["mysql", f"{user}{password}@tcp({address.host or 'localhost'}:{address.port or 3306})/"
                         f"{address.database}{query}"]
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
    read = _CONFIG_URLS.get(orm)
    return read(cwd) if read is not None else None


def _alembic_url(cwd: Path) -> str | None:
    if not (cwd / "alembic.ini").is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(cwd / "alembic.ini", encoding="utf-8")
        url = parser.get("alembic", "sqlalchemy.url", fallback=None)
    except configparser.Error:
        return None
    return url if url and "%(" not in url else None


def _django_url(cwd: Path) -> str | None:
    for settings in sorted(cwd.glob("*/settings.py")):
        try:
            text = side_text(settings)  # regular files only: a FIFO named settings.py would block
        except OSError:
            continue
        if "django.db.backends.sqlite3" in text:
            match = re.search(r"""['"]NAME['"]\s*:\s*(?:BASE_DIR\s*/\s*)?['"]([^'"]+)['"]""", text)
            if match:
                return "sqlite:///" + match.group(1)
    return None


def _knex_url(cwd: Path) -> str | None:
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
    return None


def _prisma_url(cwd: Path) -> str | None:
    for schema in (cwd / "prisma" / "schema.prisma", cwd / "schema.prisma"):
        if schema.is_file():
            match = re.search(r"""url\s*=\s*"([^"]+)\"""", schema.read_text(encoding="utf-8", errors="replace"))
            if match:
                return match.group(1)
    return None


# tool -> how its own config names the database
_CONFIG_URLS: dict[str, Callable[[Path], str | None]] = {
    "alembic": _alembic_url, "django": _django_url, "knex": _knex_url, "prisma": _prisma_url,
}


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
    address = parse_database_url(database_url)
    if address is None:
        return None
    scheme = address.scheme.split("+", 1)[0]
    database = address.database
    host = address.host if address.host and not address.host.startswith("/") else None
    if scheme in ("postgres", "postgresql"):
        argv = ["pg_dump", "--format=custom"]
        argv += ["--host", host] if host else []
        argv += ["--port", str(address.port)] if address.port else []
        argv += ["--username", address.user] if address.user else []
        argv += ["--file", f"{database or 'backup'}-{stamp}.dump", database]
        note = "  # password: from PGPASSWORD or ~/.pgpass" if address.password else ""
        return shlex.join(argv) + note
    if scheme in ("mysql", "mariadb"):
        argv = ["mysqldump", "--single-transaction"]
        argv += ["--host", host] if host else []
        argv += ["--socket", address.host] if address.host and address.host.startswith("/") else []
        argv += ["--port", str(address.port)] if address.port else []
        argv += ["--user", address.user] if address.user else []
        argv += ["--password"] if address.password else []  # prompts: the password is never on the command line
        argv += ["--result-file", f"{database or 'backup'}-{stamp}.sql", database]
        return shlex.join(argv)
    return None


def _sqlite_quote(path: str) -> str:
    return '"' + path.replace('"', '""') + '"'


def without_password(url: str) -> str:
    return redact(url)
