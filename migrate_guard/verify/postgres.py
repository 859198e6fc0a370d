"""A Postgres database verify made on a server (its scratch cluster or the server of --database URL): statements
applied one by one with the locks and rewrites they cause, catalogue queries, and the DDL observer that reads the
locks of statements a native tool sends.

Postgres is driven through psql (it ships with the server binaries), one script per step, so verify needs no
database driver.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from .database import Applied, Effect, Scratch, VerifyFailure
from .locks import STRENGTH
from .statements import BOOKKEEPING, Statement, is_control, quote_ident, quote_name, runs_outside_transaction

_TIMEOUT = 600  # seconds for one psql script: a migration on three rows per table


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
                   + TABLES.replace(" END FROM", " END AS name, c.relfilenode AS node FROM", 1).replace(
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
        return {name: node for name, node in self.query(TABLES.replace("SELECT c.oid,", "SELECT ", 1).replace(
            " END FROM", " END, c.relfilenode FROM", 1))}

    def tables(self) -> dict[str, str]:
        """oid -> table name (schema-qualified outside public) of every table now."""
        return {oid: name for oid, name in self.query(TABLES)}

    def apply(self, statements: list[Statement], transactional: bool) -> Applied:
        tables = self.tables()
        script, observed, wrapped = _apply_script(statements, transactional, ",".join(tables) or "0")
        result = self.run(script)
        applied, started, finished = _read_effects(result.stdout, statements, tables, observed, wrapped)
        if result.returncode != 0:
            if started < 0:
                raise VerifyFailure(f"Postgres: {error_line(result.stderr) or result.stderr.strip()}")
            applied.error = error_line(result.stderr) or result.stderr.strip()
            applied.failed = statements[started] if started > finished else None
        return applied

    def empty_tables(self) -> None:
        names = [name for _, name in self.query(TABLES) if name not in BOOKKEEPING]
        if names:
            self.query("TRUNCATE " + ", ".join(quote_name(n) for n in names) + " CASCADE;")


def _apply_script(statements: list[Statement], transactional: bool, oids: str) -> tuple[str, list[bool], list[bool]]:
    """The psql script that runs the statements in the format's transaction model and, after each one, reads its
    backend's locks (while its transaction is open) and the tables' relfilenodes; which statements' locks are read
    (observed) and which ran in a transaction of their own (wrapped)."""
    locks_query = (f"SELECT 'L', l.relation, l.mode FROM pg_locks l WHERE l.pid = pg_backend_pid() AND "
                   f"l.locktype = 'relation' AND l.granted AND l.relation IN ({oids});")
    files_query = f"SELECT 'F', oid, relfilenode FROM pg_class WHERE oid IN ({oids});"
    own_control = any(is_control(s) for s in statements)
    lines = ["\\echo @@F -1", files_query]
    in_transaction = False
    observed: list[bool] = []
    wrapped: list[bool] = []
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
    return "\n".join(lines) + "\n", observed, wrapped


def _read_effects(stdout: str, statements: list[Statement], tables: dict[str, str], observed: list[bool],
                  wrapped: list[bool]) -> tuple[Applied, int, int]:
    """Each finished statement's effect from the script's output, and the last statement started and finished."""
    applied = Applied()
    files: dict[str, str] = {}
    held: set[tuple[str, str]] = set()
    current: Effect | None = None
    started = finished = -1
    for line in stdout.splitlines():
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
    return applied, started, finished


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

TABLES = ("SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END "
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
