"""Rows that fit every existing table: values by column type, references to rows of the referenced table, columns
with defaults and generated columns left to the database.

Each table is topped up to N rows, parents before children. Values come from one counter for the whole run, so a
later top-up never repeats a unique value. Text gets digits ('7'), which fit any length and convert to numbers: a
cast that fails on them fails on real data too. A table whose rows the database refuses (a CHECK, a multi-column
reference) is retried with only the NOT NULL columns, then reported as not seeded.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .statements import BOOKKEEPING, quote_ident, quote_name

if TYPE_CHECKING:
    from .postgres import PostgresDatabase


@dataclass
class Counter:
    next_value: int = 1

    def take(self) -> int:
        value = self.next_value
        self.next_value += 1
        return value


@dataclass(slots=True)
class Column:
    name: str
    type: str  # Postgres format_type(), or SQLite's declared type
    category: str  # Postgres typcategory of the (base) type; "" for SQLite
    not_null: bool
    skip: bool  # default, identity or generated: left to the database
    enum_label: str | None = None
    references: tuple[str, str] | None = None  # (table, column), single-column foreign keys only


@dataclass(slots=True)
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)
    rows: int = 0
    parents: set[str] = field(default_factory=set)


def _ordered(tables: dict[str, Table]) -> list[Table]:
    done: list[Table] = []
    seen: set[str] = set()

    def visit(table: Table, path: set[str]) -> None:
        if table.name in seen or table.name in path:
            return
        for parent in sorted(table.parents):
            if parent in tables:
                visit(tables[parent], path | {table.name})
        seen.add(table.name)
        done.append(table)

    for table in tables.values():
        visit(table, set())
    return done


def _postgres_value(column: Column, value: int) -> str | None:
    if column.references is not None:
        table, ref = column.references
        return f"(SELECT {quote_ident(ref)} FROM {quote_name(table)} ORDER BY 1 OFFSET {value % 3} LIMIT 1)"
    if column.enum_label is not None:
        return "'" + column.enum_label.replace("'", "''") + "'"
    kind = column.type.split("(")[0].strip()
    if column.type.endswith("[]"):
        return "'{}'"
    if kind == "date":
        return f"DATE '2020-01-01' + {value}"
    if kind.startswith("timestamp"):
        return f"TIMESTAMP '2020-01-01' + interval '{value} days'"
    if kind.startswith("time"):
        return f"TIME '00:00' + interval '{value % 1440} minutes'"
    if kind == "interval":
        return f"interval '{value} days'"
    if kind == "uuid":
        return f"'00000000-0000-4000-8000-{value:012d}'"
    if kind in ("json", "jsonb"):
        return f"'{{\"n\": {value}}}'"
    if kind == "bytea":
        return f"decode('{value % 256:02x}', 'hex')"
    if kind in ("inet", "cidr"):
        return f"'10.{value // 65536 % 256}.{value // 256 % 256}.{value % 256}'"
    if kind == "boolean":
        return "true" if value % 2 else "false"
    if column.category in ("N", "S"):
        length = re.match(r"^(?:character varying|character|bit varying|bit)\((\d+)\)$", column.type)
        text = str(value)
        return f"'{text[-int(length.group(1)):] if length else text}'"
    return None if not column.not_null else f"'{value}'"


_POSTGRES_COLUMNS = """
SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       a.attname, format_type(a.atttypid, a.atttypmod), coalesce(b.typcategory, t.typcategory), a.attnotnull,
       (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')::text,
       coalesce((SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = coalesce(b.oid, t.oid)
                 ORDER BY e.enumsortorder LIMIT 1), '\\N'),
       coalesce((SELECT CASE WHEN rn.nspname = 'public' THEN r.relname ELSE rn.nspname || '.' || r.relname END
                        || '\t' || ra.attname
                   FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
                   JOIN pg_namespace rn ON rn.oid = r.relnamespace
                   JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
                  WHERE k.contype = 'f' AND k.conrelid = c.oid AND k.conkey = ARRAY[a.attnum] LIMIT 1),
                '\\N\t\\N'),
       (SELECT count(*) FROM pg_inherits WHERE inhrelid = c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type b ON b.oid = nullif(t.typbasetype, 0)
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname <> 'mg_verify'
 ORDER BY c.oid, a.attnum;
"""


def seed_postgres(database: PostgresDatabase, rows: int, counter: Counter) -> list[str]:
    """Top every table up to `rows` rows; returns the tables that could not be (with why, in words)."""
    tables: dict[str, Table] = {}
    partitions: set[str] = set()
    for row in database.query(_POSTGRES_COLUMNS):
        _, name, column, type_, category, not_null, skip, label, ref_table, ref_column, inherits = row
        if name in BOOKKEEPING:
            continue
        table = tables.setdefault(name, Table(name))
        if inherits != "0":
            partitions.add(name)  # rows go in through the parent
        reference = (ref_table, ref_column) if ref_table != "\\N" else None
        if reference is not None and reference[0] != name:
            table.parents.add(reference[0])
        table.columns.append(Column(column, type_, category, not_null == "t", skip == "true",
                                    None if label == "\\N" else label,
                                    reference if reference is not None and reference[0] != name else None))
    names = [t for t in tables if t not in partitions]
    if not names:
        return []
    counts = database.query(" UNION ALL ".join(f"SELECT {i}, count(*) FROM {quote_name(n)}"
                                               for i, n in enumerate(names)) + ";")
    for index, count in counts:
        tables[names[int(index)]].rows = int(count)
    script: list[str] = []
    line_owner: list[str] = []  # script line -> table, to tell which table the database refused rows for
    wanting = [t for t in _ordered({n: tables[n] for n in names}) if t.rows < rows]
    for table in wanting:
        tries = _postgres_tries(table, rows, counter)
        script.extend(tries)
        line_owner.extend([table.name] * len(tries))
    if not wanting:
        return []
    result = database.run("\n".join(script) + "\n", stop_on_error=False)
    reasons: dict[str, str] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"psql:<stdin>:(\d+): ERROR:\s*(.*)", line)
        if match and 0 < int(match.group(1)) <= len(line_owner):
            reasons[line_owner[int(match.group(1)) - 1]] = match.group(2)
    counts = database.query(" UNION ALL ".join(f"SELECT {i}, count(*) FROM {quote_name(t.name)}"
                                               for i, t in enumerate(wanting)) + ";")
    return [f"{wanting[int(i)].name} ({reasons.get(wanting[int(i)].name, 'no row fits')})"
            for i, count in counts if int(count) < rows]


def _postgres_tries(table: Table, rows: int, counter: Counter) -> list[str]:
    """One INSERT per missing row, tried with every column and then with only the NOT NULL ones (the second only
    when the first added nothing), run in autocommit without stopping: a refused row leaves the others."""
    target = quote_name(table.name)
    lines = []
    for number in range(table.rows + 1, rows + 1):
        value = counter.take()
        for only_required in (False, True):
            candidates = [(c, _postgres_value(c, value)) for c in table.columns
                          if not c.skip and (c.not_null or not only_required)]
            pairs = [(c, v) for c, v in candidates if v is not None]
            if not pairs:
                lines.append(f"INSERT INTO {target} DEFAULT VALUES;")
                break
            columns = ", ".join(quote_ident(c.name) for c, _ in pairs)
            values = ", ".join(v for _, v in pairs)
            lines.append(f"INSERT INTO {target} ({columns}) SELECT {values} "
                         f"WHERE (SELECT count(*) FROM {target}) < {number};")
    return lines


# --- SQLite ---------------------------------------------------------------------------------------------------


def _sqlite_value(column: Column, value: int) -> object:
    declared = column.type.upper()
    if "INT" in declared:
        return value
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return str(value)
    if "BLOB" in declared:
        return bytes([value % 256])
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return float(value)
    if "BOOL" in declared:
        return value % 2
    if "DATE" in declared or "TIME" in declared:
        return f"2020-01-{value % 28 + 1:02d}"
    return value


def seed_sqlite(connection: sqlite3.Connection, rows: int, counter: Counter) -> list[str]:
    tables: dict[str, Table] = {}
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'").fetchall():
        if name in BOOKKEEPING:
            continue
        table = tables[name] = Table(name)
        references = {row[3]: (row[2], row[4]) for row in connection.execute(f'PRAGMA foreign_key_list({quote_ident(name)})')}
        for _, column, type_, notnull, default, pk in connection.execute(f'PRAGMA table_info({quote_ident(name)})'
                                                                          ).fetchall():
            reference = references.get(column)
            if reference is not None and reference[0] != name:
                table.parents.add(reference[0])
            rowid = pk and "INT" in (type_ or "").upper()
            table.columns.append(Column(column, type_ or "", "", bool(notnull), default is not None or bool(rowid),
                                        references=reference if reference and reference[0] != name else None))
        table.rows = connection.execute(f'SELECT count(*) FROM {quote_ident(name)}').fetchone()[0]
    failed = []
    for table in _ordered(tables):
        reason = ""
        while table.rows < rows:
            value = counter.take()
            inserted = False
            for only_required in (False, True):
                columns = [c for c in table.columns if not c.skip and (c.not_null or not only_required)]
                names = ", ".join(quote_ident(c.name) for c in columns)
                values = []
                for c in columns:
                    if c.references is not None:
                        values.append(f'(SELECT {quote_ident(c.references[1] or "rowid")} FROM {quote_ident(c.references[0])} '
                                      f"ORDER BY 1 LIMIT 1 OFFSET {value % 3})")
                    else:
                        values.append("?")
                params = [_sqlite_value(c, value) for c in columns if c.references is None]
                sql = (f'INSERT INTO {quote_ident(table.name)} ({names}) VALUES ({", ".join(values)})' if columns
                       else f'INSERT INTO {quote_ident(table.name)} DEFAULT VALUES')
                try:
                    connection.execute(sql, params)
                    inserted = True
                    break
                except sqlite3.Error as error:
                    reason = str(error)
            if not inserted:
                failed.append(f"{table.name} ({reason})")
                break
            table.rows += 1
    return failed

