"""A throw-away PostgreSQL server for tests that need the real database's verdict.

Uses MG_TEST_POSTGRES (a libpq connection string) when set; otherwise starts its own cluster with the machine's
initdb/pg_ctl in a temporary folder (as the `postgres` user when running as root: the server refuses root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(Exception):
    pass


@dataclass
class Postgres:
    host: str
    port: int
    user: str = "postgres"
    dbname: str = "postgres"

    def psql(self, sql: str, *, check: bool = True, dbname: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run SQL with psql (stop at the first error); returns the process (stdout: unaligned tuples)."""
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
             "-U", self.user, "-d", dbname or self.dbname],
            input=sql, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr}\n--- sql ---\n{sql}")
        return result

    def value(self, sql: str, dbname: str | None = None) -> str:
        return self.psql(sql, dbname=dbname).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_postgres() -> tuple[Postgres, callable]:  # type: ignore[valid-type]
    if not shutil.which("psql"):
        raise PostgresUnavailable("psql is not installed")
    dsn = os.environ.get("MG_TEST_POSTGRES")
    if dsn:
        parts = dict(item.split("=", 1) for item in dsn.split())
        return Postgres(parts.get("host", "localhost"), int(parts.get("port", 5432)), parts.get("user", "postgres"),
                        parts.get("dbname", "postgres")), lambda: None
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        raise PostgresUnavailable("initdb/pg_ctl are not installed")
    base = Path(tempfile.mkdtemp(prefix="mg-pg-"))
    data, sock = base / "data", base
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    port = _free_port()
    subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True, timeout=120)
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off", "start"],
                   check=True, capture_output=True, timeout=120)

    def stop() -> None:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)

    return Postgres(str(sock), port), stop
