"""What a migration's operations do together: the drops and renames of a swap (the data kept), the index drops a
later table drop covers, whether the up changes anything, and the first operation that destroys data."""

from __future__ import annotations

from .. import ir
from ..schema import SchemaState, norm
from .column_types import type_change_safe, type_widens

def swapped_operations(ops: list[ir.Operation]) -> set[int]:
    """ids of the drops and renames of swaps: a table's (column's) data copied into a new one that takes its name in
    the same migration, so the data and the name are kept. Either the copy is renamed to the original's name after
    the original is dropped (`INSERT INTO new SELECT .. FROM t; DROP TABLE t; ALTER TABLE new RENAME TO t`, SQLite's
    table change; `ADD COLUMN c2; UPDATE t SET c2 = c; DROP COLUMN c; RENAME COLUMN c2 TO c`, a type change by copy),
    or the original is renamed away first and dropped once copied into a new one of its name
    (`ALTER TABLE t RENAME TO tmp; CREATE TABLE t ..; INSERT INTO t SELECT .. FROM tmp; DROP TABLE tmp`)."""
    swapped: set[int] = set()
    renames = [(j, key) for j, o in enumerate(ops) if (key := _rename_key(o)) is not None]
    if not renames:
        return swapped
    for i, op in enumerate(ops):
        dropped = _drop_key(op)
        if dropped is None:
            continue
        owner, name = dropped
        for j, (kind, table, old, new) in renames:
            if (kind, table) != owner[:2] or new != name:
                continue
            if j > i and _copies(ops[:i], owner, target=old, source=name):  # the copy renamed back
                swapped |= {id(op), id(ops[j])}
                break
            if j < i and _copies(ops[j + 1:i], owner, target=old, source=name):  # the original renamed away
                swapped |= {id(op), id(ops[j])}
                break
            if j < i and owner[0] == "table" and _read_into_new_table(ops[j + 1:i], source=name):
                # moved row by row by code into a table made for it (Flowise): no data lost with the drop, but the
                # new table has another name, so the rename still breaks code that uses the old one
                swapped.add(id(op))
                break
    return swapped


def readds_with_copy(ops: list[ir.Operation]) -> set[int]:
    """ids of the ADD COLUMNs that take the name of a column renamed away earlier in the migration, which a later
    UPDATE copies into them (`RENAME COLUMN id TO tmp_id; ADD COLUMN id varchar(36); UPDATE t SET id = tmp_id`)."""
    found: set[int] = set()
    renamed: dict[tuple[str, str], str] = {}  # (table, old name) -> the name it was renamed to
    for i, op in enumerate(ops):
        if isinstance(op, ir.RenameColumn):
            renamed[(norm(op.table), norm(op.column))] = norm(op.new_name)
        elif isinstance(op, ir.AddColumn):
            key = (norm(op.table), norm(op.column.name))
            if key in renamed and _copies(ops[i + 1:], ("column", key[0]), target=key[1], source=renamed[key]):
                found.add(id(op))
    return found


_Owner = tuple[str, str]  # ("table", "") or ("column", its table)


def _drop_key(op: ir.Operation) -> tuple[_Owner, str] | None:
    if isinstance(op, ir.DropTable):
        return ("table", ""), norm(op.table)
    if isinstance(op, ir.DropColumn):
        return ("column", norm(op.table)), norm(op.column)
    return None


def _rename_key(op: ir.Operation) -> tuple[str, str, str, str] | None:
    if isinstance(op, ir.RenameTable):
        return "table", "", norm(op.table), norm(op.new_name)
    if isinstance(op, ir.RenameColumn):
        return "column", norm(op.table), norm(op.column), norm(op.new_name)
    return None


def _copies(ops: list[ir.Operation], owner: _Owner, target: str, source: str) -> bool:
    """Some statement of `ops` copies `source` into `target`: `INSERT INTO target ... SELECT ... FROM source` for
    tables; for columns, an UPDATE of their table that names both (`UPDATE t SET c2 = c::bigint`), or code we cannot
    read (Django RunPython, which is how a Django swap copies)."""
    import re

    if owner[0] == "column":
        names = [re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE) for n in (target, source)]
        return any((isinstance(o, ir.Update) and norm(o.table) == owner[1] and all(n.search(o.source) for n in names))
                   or (isinstance(o, ir.RunCode) and o.language != "sql") for o in ops)
    schema = r"(?:[\w:\"`]+\.)?[\"`]?"  # an optional schema (or a placeholder for one: `:SCHEMA.`)
    insert = re.compile(r"\binsert\s+into\s+" + schema + re.escape(target.split(".")[-1]) + r"\b", re.IGNORECASE)
    select = re.compile(r"\bselect\b", re.IGNORECASE)
    read = re.compile(r"\bfrom\s+" + schema + re.escape(source.split(".")[-1]) + r"\b", re.IGNORECASE)

    def copies(text: str) -> bool:  # insert ... select ... from in that order: three scans, not `.*` twice (cubic)
        found = insert.search(text)
        found = found and select.search(text, found.end())
        return bool(found and read.search(text, found.end()))

    return any(isinstance(o, ir.Raw) and o.source and copies(o.source) for o in ops)


def copied_into(ops: list[ir.Operation], table: str, column: str | None) -> str | None:
    """The table an earlier statement copies the column's values into (`INSERT INTO t2 (..) SELECT .. c .. FROM t`),
    or (column None) the table's rows into, or None."""
    inserts = [op for op in ops if isinstance(op, ir.Raw) and op.keyword == "INSERT" and op.source]
    if not inserts:  # most migrations: no pattern to compile (two per dropped column, too many for re's cache)
        return None
    import re

    table_name = re.escape(norm(table).split(".")[-1])
    pattern = re.compile(r"\binsert\s+into\s+(?:[\w\"`]+\.)?[\"`]?([\w$]+)[\"`]?.*?\bselect\b(.*?)\bfrom\s+"
                         r"(?:[\w\"`]+\.)?[\"`]?" + table_name + r"\b", re.IGNORECASE | re.DOTALL)
    wanted = re.compile(r"(?<![\w$])[\"`]?" + re.escape(norm(column)) + r"[\"`]?(?![\w$])", re.IGNORECASE) \
        if column is not None else None
    for op in inserts:
        found = pattern.search(op.source)
        if found and (wanted is None or wanted.search(found.group(2))) \
                and found.group(1).lower() != norm(table).split(".")[-1]:
            return found.group(1)
    return None


def moved_by_code(ops: list[ir.Operation]) -> str | None:
    """Where earlier code of the migration that may have moved a dropped column's or table's data runs: a Django
    RunPython, a JS or Python step whose SQL is built at run time, an ORM bulk insert (`op.bulk_insert`), as
    "line N"; None when there is none. What it does is not known: the finding says its data is lost unless that
    code moved it."""
    for op in ops:
        if (isinstance(op, ir.RunCode) and op.language != "sql") or isinstance(op, ir.Unreadable) \
                or (isinstance(op, ir.Raw) and op.keyword == "INSERT" and not op.source.lstrip()[:6].upper()
                    .startswith("INSERT")):
            return f"line {op.location.line}"
    return None


def _read_into_new_table(ops: list[ir.Operation], source: str) -> bool:
    """Between renaming a table away and dropping it, the migration creates a table and reads the renamed one
    (`SELECT .. FROM temp_role`, its rows then inserted by code, one by one, into the new table)."""
    import re

    read = re.compile(r"^\s*select\b.*?\bfrom\s+(?:[\w\"`]+\.)?[\"`]?" + re.escape(source.split(".")[-1]) + r"\b",
                      re.IGNORECASE | re.DOTALL)
    return any(isinstance(o, ir.CreateTable) for o in ops) and any(
        isinstance(o, ir.Raw) and o.keyword == "SELECT" and read.search(o.source) for o in ops)


def index_drops_before_table_drop(ops: list[ir.Operation], *states: SchemaState) -> set[int]:
    """ids of the DROP INDEX operations whose table the same migration drops later: the index goes with the table
    anyway, and DROP TABLE takes the same lock. The table is the one the statement names, else the one the index was
    created on (from `states`), else a dropped table whose name is a `_`-separated part of the index name."""
    import re

    found: set[int] = set()
    for i, op in enumerate(ops):
        if not isinstance(op, ir.DropIndex):
            continue
        later = {norm(o.table) for o in ops[i + 1:] if isinstance(o, ir.DropTable)}
        if not later:
            continue
        name = norm(op.name)
        table = norm(op.table) or next((s.index_tables[name] for s in states if name in s.index_tables), "")
        if table:
            hit = table in later
        else:
            hit = any(re.search(r"(?:^|_)" + re.escape(t.split(".")[-1]) + r"(?:_|$)", name.split(".")[-1])
                      for t in later)
        if hit:
            found.add(id(op))
    return found


_NO_EFFECT = (ir.MigrationInfo, ir.Raw, ir.Setting, ir.Transaction, ir.ParseError)
_DATA_ONLY = (ir.Delete, ir.Update, ir.RunCode)


def up_effect(ops: list[ir.Operation]) -> str:
    """What a migration's up changes: "schema", only "data" (DML, code; an INSERT is a Raw statement, so a data-only
    migration of INSERTs reads as "nothing" too, which is the same verdict for a missing down), or "nothing" (an
    upgrade() that is only `pass`: there is nothing to undo)."""
    effects = {("data" if isinstance(op, _DATA_ONLY) else "schema") for op in ops if not isinstance(op, _NO_EFFECT)}
    return "schema" if "schema" in effects else "data" if effects else "nothing"


def data_loss(ops: list[ir.Operation], created: set[str], swapped: set[int], state: SchemaState,
              dialect: str) -> str | None:
    """What the first of `ops` that destroys data does, in words ("drops table users"), or None when they only add,
    backfill or change things no rollback needs to restore. Tables created earlier (`created`, updated here as
    `ops` create more) hold no data yet; the drops and renames of a swap keep it."""
    created = set(created)
    for op in ops:
        table = getattr(op, "table", None)
        if isinstance(op, ir.CreateTable):
            created.add(norm(op.table))
        if id(op) in swapped or (isinstance(table, str) and norm(table) in created):
            continue
        if isinstance(op, ir.DropTable):
            return f"drops table {op.table}"
        if isinstance(op, ir.DropColumn):
            return f"drops column {op.table}.{op.column}"
        if isinstance(op, ir.Truncate):
            return f"truncates {op.table}"
        if isinstance(op, ir.Delete):
            return f"deletes rows of {op.table}"
        if isinstance(op, (ir.DropSchema, ir.DropDatabase)):
            return f"drops {'schema' if isinstance(op, ir.DropSchema) else 'database'} {op.name}"
        if isinstance(op, ir.AlterColumnType):
            old = op.old_type or state.column_type(op.table, op.column) or op.old_type_in_down
            if not (type_change_safe(old, op.new_type, op.dialect or dialect) or type_widens(old, op.new_type)):
                return f"changes the type of {op.table}.{op.column}"
    return None

