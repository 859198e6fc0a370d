"""db-migrate (node): `exports.up = function (db, callback) { db.runSql('...', callback) }`, the schema API on the same
parameter (`db.dropTable`, `db.removeColumn`, `db.changeColumn`, ...), and the `sql-file` layout, whose migration
reads `sqls/<name>-up.sql` / `sqls/<name>-down.sql` and hands the text to runSql.

Those SQL files belong to their JS migration (same migration_key), so they are linted once, as its up and down, with
locations in the .sql file. SQL goes through migrate_guard.extract.sql.extract_sql like every other format's.
db-migrate runs each migration in a transaction unless started with --non-transactional (its default).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Migration
from .base import MigrationUnit, NotText, display_path, in_name_order, read_text
from .js.shape import parameter_names, up_parameters
from .js.text import strip_js_comments

ORM = "db-migrate"
EXTENSIONS = (".js", ".cjs", ".mjs", ".ts", ".sql")
order_units = in_name_order
_JS = (".js", ".cjs", ".mjs", ".ts")
# Written only by db-migrate's generated template (`exports.setup = function (options, seedLink)`).
_MARKERS = re.compile(r"options\s*\.\s*dbmigrate\b|\bexports\s*\.\s*_meta\s*=|\bdbm\s*\.\s*dataType\b")
_SCHEMA_API = (r"\s*\.\s*(?:createTable|dropTable|renameTable|addColumn|removeColumn|renameColumn|changeColumn|"
               r"addIndex|removeIndex|addForeignKey|removeForeignKey)\s*\(")
_CALLBACKS = ("cb", "callback", "done", "next")
_SQL_FILE = re.compile(r"-(up|down)\.sql$", re.IGNORECASE)


def owns(head: str) -> bool:
    """Certainly a db-migrate migration: its template's setup/_meta, or up's first parameter calling runSql, or a
    callback-style `up(db, callback)` using the schema API."""
    code = strip_js_comments(head)
    params = up_parameters(code)
    if params is None:
        return False
    # Each pattern only when its words are there: a search tries every position of the head (20-40 us a KB).
    if ("dbmigrate" in code or "_meta" in code or "dataType" in code) and _MARKERS.search(code):
        return True
    names = parameter_names(params)
    if not names or not names[0]:
        return False
    first = r"(?<![\w$.])" + re.escape(names[0])
    if "runSql" in code and re.search(first + r"\s*\.\s*runSql\s*\(", code):
        return True
    return names[1:2] != [] and names[1] in _CALLBACKS and re.search(first + _SCHEMA_API, code) is not None


def claims(path: Path, head: str) -> bool:
    if path.suffix.lower() == ".sql":
        return path.parent.name == "sqls" and _SQL_FILE.search(path.name) is not None
    return owns(head)


def migration_key(path: Path) -> str:
    """`20220607-x.js`, `sqls/20220607-x-up.sql` and `sqls/20220607-x-down.sql` are one migration."""
    if path.suffix.lower() == ".sql":
        return _SQL_FILE.sub("", path.name)
    return path.stem


_DRIVER = r"""(?:"driver"\s*:\s*"|["']db-migrate-)(pg|postgres|mysql|mysql2|sqlite3|sqlite)\b"""


def dialect_of(path: Path) -> str | None:
    """The driver of the nearest database.json (`"driver": "pg"`), else the one db-migrate driver package.json
    depends on (db-migrate-pg)."""
    from ..dialects import dialect_word
    from .js.project import search_upwards

    found = search_upwards(path.parent, ("database.json", "package.json"), _DRIVER)
    return dialect_word(found) if found else None


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    """The migration; without `downs` (a run that reads no down operation), without the down's operations where
    nothing uses them; its down state and location are still read."""
    from .js.migration import extract_js

    files = unit.files if any(f.suffix.lower() in _JS for f in unit.files) else _with_siblings(unit.files)
    scripts = [f for f in files if f.suffix.lower() in _JS]
    sql_files = {match.group(1).lower(): f for f in files if (match := _SQL_FILE.search(f.name))}
    if not scripts:  # only the SQL files were given (pre-commit): lint them as the migration
        return _sql_only(unit, sql_files)
    read: dict[str, str] = {}
    js_unit = MigrationUnit(orm=unit.orm, id=unit.id, files=[scripts[0]], dialect=unit.dialect, project=unit.project,
                            settings=unit.settings)

    def interpret(context: Any, entry: Any) -> None:
        _interpret(context, entry, sql_files, read)

    # the down's reading reads its SQL file, which is then one of the migration's sources
    migration = extract_js(js_unit, ORM, interpret, transactional=lambda source: True,
                           down_needed=lambda up: "down" in sql_files, downs=downs)
    migration.sources.update(read)
    return migration


def _with_siblings(files: list[Path]) -> list[Path]:
    """A `sqls/<name>-up.sql` passed alone (pre-commit) is read with its JS migration and down file, as in a full
    run: the same findings, and its down is not missing."""
    first = files[0]
    key = migration_key(first)
    found = [first.parent.parent / (key + ext) for ext in _JS if (first.parent.parent / (key + ext)).is_file()][:1]
    found += [first.parent / f"{key}-{d}.sql" for d in ("up", "down") if (first.parent / f"{key}-{d}.sql").is_file()]
    return found or files


def _interpret(context: Any, entry: Any, sql_files: dict[str, Path], read: dict[str, str]) -> None:
    from .js.chains import chains_from
    from .js.structure import aliases, first_param_names

    source = context.source
    body = entry.body if entry is not None else source.root
    dbs = aliases(source, body, (first_param_names(entry, 0) if entry is not None else set()) or {"db"})
    for chain in chains_from(source, body, dbs):
        link = chain.links[0]
        if link.name == "runSql" and link.args:
            value = context.value(link.args[0])
            from .js.values import JsString

            if isinstance(value, JsString):
                context.sql(value, link.args[0])
            elif context.direction in sql_files:  # runSql(data) with data read from sqls/<name>-<direction>.sql
                _sql_file(context, sql_files.pop(context.direction), read)
        else:
            _call(context, chain, link)


def _sql_file(context: Any, path: Path, read: dict[str, str]) -> None:
    from .sql import Origin, extract_sql

    shown = display_path(path)
    try:
        text = read_text(path)
    except NotText:
        return
    read[shown] = text
    context.ops.extend(extract_sql(text, dialect=context.unit.dialect, origin=Origin(shown, 1, 1),
                                   migration=context.unit.id, direction=context.direction))


def _sql_only(unit: MigrationUnit, sql_files: dict[str, Path]) -> Migration:
    from .sql import Origin, extract_sql

    operations = []
    sources: dict[str, str] = {}
    for direction, path in sorted(sql_files.items(), key=lambda item: item[0] != "up"):
        shown = display_path(path)
        try:
            text = read_text(path)
        except NotText:
            continue
        sources[shown] = text
        operations.extend(extract_sql(text, dialect=unit.dialect, origin=Origin(shown, 1, 1), migration=unit.id,
                                      direction=direction))  # type: ignore[arg-type]
    first = sql_files.get("up") or next(iter(sql_files.values()))
    return Migration(id=unit.id, orm=ORM, dialect=unit.dialect, path=display_path(first), operations=operations,
                     down="present" if "down" in sql_files else "missing", sources=sources, transactional=True)


def _call(context: Any, chain: Any, link: Any) -> None:
    """The schema API: createTable(t, {col: spec}), dropTable(t), renameTable(a, b), addColumn(t, c, spec),
    removeColumn(t, c), renameColumn(t, a, b), changeColumn(t, c, spec), addIndex(t, name, cols, unique),
    removeIndex([t,] name), addForeignKey(t, ref, name, mapping, rules), removeForeignKey(t, name)."""
    from .. import ir
    from .js.values import JsArray, JsObject, is_truthy, name_of, names_of

    if link.args is None or link.name is None:
        return
    args = [context.value(a) for a in link.args]
    location = context.chain_location(chain, link)
    node = chain.top
    method = link.name

    def arg(index: int) -> Any:
        return args[index] if index < len(args) else None

    table = name_of(arg(0)) or "?"
    if method == "createTable" and len(args) >= 2:
        _create_table(context, location, node, table, arg(1))
    elif method == "dropTable" and args:
        context.emit(ir.DropTable, location, node, table=table)
    elif method == "renameTable" and len(args) >= 2:
        context.emit(ir.RenameTable, location, node, table=table, new_name=name_of(arg(1)) or "?")
    elif method == "addColumn" and len(args) >= 3:
        context.emit(ir.AddColumn, location, node, table=table, column=_column(name_of(arg(1)) or "?", arg(2)))
    elif method == "removeColumn" and len(args) >= 2:
        context.emit(ir.DropColumn, location, node, table=table, column=name_of(arg(1)) or "?")
    elif method == "renameColumn" and len(args) >= 3:
        context.emit(ir.RenameColumn, location, node, table=table, column=name_of(arg(1)) or "?",
                     new_name=name_of(arg(2)) or "?")
    elif method == "changeColumn" and len(args) >= 3:
        _change_column(context, location, node, table, name_of(arg(1)) or "?", arg(2))
    elif method == "addIndex" and len(args) >= 3:
        columns = names_of(arg(2)) if isinstance(arg(2), JsArray) else tuple(filter(None, [name_of(arg(2))]))
        context.emit(ir.CreateIndex, location, node, table=table, name=name_of(arg(1)), columns=columns,
                     unique=is_truthy(arg(3)) is True)
    elif method == "removeIndex" and args:  # removeIndex([table,] name, callback)
        from .js.values import JsString as _String

        name = name_of(arg(1)) if isinstance(arg(1), _String) else None
        context.emit(ir.DropIndex, location, node, name=name or table, table=table if name else None)
    elif method == "addForeignKey" and len(args) >= 4:
        mapping, rules = arg(3), arg(4)
        on_delete = rules.get("onDelete") if isinstance(rules, JsObject) else None
        local = tuple(mapping.entries) if isinstance(mapping, JsObject) else ()
        remote = tuple(name_of(v) or "?" for v in mapping.entries.values()) if isinstance(mapping, JsObject) else ()
        context.emit(ir.AddConstraint, location, node, table=table, constraint_type="foreign_key",
                     name=name_of(arg(2)), columns=local,
                     references=ir.ForeignKeyRef(table=name_of(arg(1)) or "?", columns=remote,
                                                 on_delete=name_of(on_delete) if on_delete is not None else None))
    elif method == "removeForeignKey" and len(args) >= 2:
        context.emit(ir.DropConstraint, location, node, table=table, name=name_of(arg(1)) or "?")


def _create_table(context: Any, location: Any, node: Any, table: str, spec: Any) -> None:
    """createTable(t, {col: spec}) or createTable(t, {columns: {col: spec}, ifNotExists: ...})."""
    from .. import ir
    from .js.values import JsObject

    columns = spec.get("columns") if isinstance(spec, JsObject) and isinstance(spec.get("columns"), JsObject) \
        else spec
    create = context.emit(ir.CreateTable, location, node, table=table)
    if isinstance(columns, JsObject):
        create.columns.extend(_column(key, value) for key, value in columns.entries.items())


def _change_column(context: Any, location: Any, node: Any, table: str, name: str, spec: Any) -> None:
    """changeColumn(t, c, spec): the type it restates, and NOT NULL when the spec says so."""
    from .. import ir
    from .js.values import JsObject, is_truthy

    column = _column(name, spec)
    if column.type is not None:
        context.emit(ir.AlterColumnType, location, node, table=table, column=column.name, new_type=column.type,
                     restated=True)
    if isinstance(spec, JsObject) and is_truthy(spec.get("notNull")) is True:
        context.emit(ir.SetNotNull, location, node, table=table, column=column.name)


def _column(name: str, value: Any) -> Any:
    """A column spec: `'string'` or `{ type: 'string', length: 40, notNull: true, defaultValue: ..., primaryKey,
    autoIncrement, unique }` (db-migrate's type names are SQL-like: string, text, int, bigint, boolean, ...)."""
    from .. import ir
    from .js.columns import default_of
    from .js.values import JsObject, is_truthy

    if not isinstance(value, JsObject):
        return ir.ColumnDef(name=name, type=_type(value, None))
    column_type = _type(value.get("type"), value.get("length"))
    primary = is_truthy(value.get("primaryKey")) is True
    has_default = "defaultValue" in value.entries
    return ir.ColumnDef(name=name, type=column_type, nullable=not (is_truthy(value.get("notNull")) is True or primary),
                        default=default_of(value.get("defaultValue")) if has_default else None, primary_key=primary,
                        unique=is_truthy(value.get("unique")) is True,
                        generated=is_truthy(value.get("autoIncrement")) is True)


def _type(kind: Any, length: Any) -> Any:
    """`'string'`, `dbm.dataType.STRING` or `type.STRING` (the template's `type = dbm.dataType`) as a SQL type."""
    from .js.columns import sql_type
    from .js.values import JsString, Ref

    word = kind.text if isinstance(kind, JsString) else kind.path[-1] if isinstance(kind, Ref) and kind.path else None
    if not word:
        return None
    text = _TYPES.get(word.lower(), word)
    if isinstance(length, int) and not isinstance(length, bool):
        return sql_type(text, length)
    return sql_type(text, 255) if text == "varchar" else sql_type(text)


# db-migrate's dataType names (dbm.dataType.STRING is 'string') as SQL types.
_TYPES = {"string": "varchar", "char": "char", "text": "text", "smallint": "smallint", "int": "integer",
          "integer": "integer", "bigint": "bigint", "real": "real", "decimal": "numeric", "boolean": "boolean",
          "date": "date", "datetime": "timestamp", "time": "time", "timestamp": "timestamp", "blob": "bytea",
          "binary": "bytea", "json": "json", "jsonb": "jsonb", "uuid": "uuid"}
