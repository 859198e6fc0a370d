"""Prisma schema checks: `schema.prisma` read with a small parser of its own grammar (no Prisma engine).

Reports on the schema against the state its migrations (`migrations/*/migration.sql`) leave behind:
- every relation that holds the foreign key (`@relation(fields: [...])`): its onDelete and whether an index covers it
- every @@index/@@unique name (for the index-naming rule)
- a required field without @default on a model whose table the migrations already created: the next
  `prisma migrate dev` would add a NOT NULL column without a default.
Locations point into schema.prisma. Prisma has no down migrations by design.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Migration
from .base import (MigrationUnit, NotText, display_path, in_name_order, not_by_content, read_text, side_text,
                   unreadable_migration)

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported where used: detection asks this module whether it claims every .sql file it sees
    from .. import ir

ORM = "prisma-schema"  # registry key; findings carry the contract's ORM id "prisma"
CONTRACT_ORM = "prisma"
EXTENSIONS = (".prisma",)
owns = not_by_content
order_units = in_name_order
_PROVIDERS = {"postgresql": "postgres", "postgres": "postgres", "cockroachdb": "postgres", "mysql": "mysql",
              "sqlite": "sqlite", "sqlserver": "sqlserver"}
_SCALARS = {"String": "text", "Int": "int", "BigInt": "bigint", "Float": "double precision", "Decimal": "numeric",
            "Boolean": "boolean", "DateTime": "timestamp", "Json": "jsonb", "Bytes": "bytea"}
_BLOCK = re.compile(r"^\s*(model|view|enum|datasource|generator|type)\s+(\w+)\s*\{")
_FIELD = re.compile(r"^(\s*)(\w+)\s+(\w+(?:\.\w+)?(?:\([^)]*\))?)(\[\])?(\?)?\s*(.*)$")


def claims(path: Path, head: str) -> bool:
    return (path.suffix == ".prisma" and (path.name == "schema.prisma" or path.parent.name == "schema")
            and not is_migration_snapshot(path) and not is_generated_client_copy(path))


def is_generated_client_copy(path: Path) -> bool:
    """`prisma generate` copies the schema into the client it writes (`output = "../lib/__generated__"`: index.d.ts,
    runtime/, the query engine): that copy is not the project's schema and is not linted again."""
    folder = path.parent
    return (folder / "index.d.ts").is_file() and (folder / "runtime").is_dir()


def is_migration_snapshot(path: Path) -> bool:
    """A schema kept inside one migration's folder (`migrations/20220101000000_noop/schema.prisma`, a snapshot some
    projects commit beside migration.sql) is not the project's schema."""
    return path.parent.parent.name == "migrations" and path.parent.name[:1].isdigit()


def migration_key(path: Path) -> str:
    return path.name


def _schema_files(path: Path) -> list[Path]:
    """The file itself, and its siblings when the schema is split over a `schema/` folder."""
    if path.parent.name == "schema":
        return sorted(path.parent.glob("*.prisma"))
    return [path]


def dialect_of(path: Path) -> str | None:
    text = ""
    for file in _schema_files(path):
        try:
            text += side_text(file) + "\n"
        except OSError:
            continue
    provider = datasource_provider(text)
    return _PROVIDERS.get(provider) if provider else None


_DATASOURCE = re.compile(r"datasource\s+\w+\s*\{")
_PROVIDER = re.compile(r'provider\s*=\s*"(\w+)"')


def datasource_provider(text: str) -> str | None:
    """The provider of the first Prisma `datasource name { ... }` block that names one. Block by block, not one
    `datasource ... {[^}]*?provider` search, which rescans to the end from every header when no `}` follows."""
    at = 0
    while (header := _DATASOURCE.search(text, at)) is not None:
        end = text.find("}", header.end())
        block_end = len(text) if end < 0 else end
        provider = _PROVIDER.search(text, header.end(), block_end)
        if provider is not None:
            return provider.group(1)
        if end < 0:
            return None
        at = end + 1  # a header inside this block ends at the same "}" and has no provider either
    return None


# --- parsing ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Attribute:
    name: str  # "id", "default", "relation", "db.VarChar", "@index" (block attributes keep one "@")
    args: str  # the text between the parentheses, "" when none
    line: int
    column: int


@dataclass(slots=True)
class Field:
    name: str
    type: str
    optional: bool
    is_list: bool
    attributes: list[Attribute]
    line: int
    column: int
    text: str

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    @property
    def column_name(self) -> str:
        mapped = self.attribute("map")
        return (_first_string(mapped.args) if mapped else None) or self.name


@dataclass(slots=True)
class Model:
    name: str
    line: int
    kind: str = "model"  # or "view": a database view, never altered by migrations
    fields: list[Field] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)

    @property
    def table(self) -> str:
        mapped = next((a for a in self.attributes if a.name == "@map"), None)
        return (_first_string(mapped.args) if mapped else None) or self.name

    def column_of(self, field_name: str) -> str:
        found = next((f for f in self.fields if f.name == field_name), None)
        return found.column_name if found else field_name


@dataclass(slots=True)
class Schema:
    models: list[Model]
    enums: set[str]
    provider: str | None
    relation_mode: str | None
    errors: list[tuple[int, str]]


def strip_comment(line: str) -> str:
    in_string = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", index):
            return line[:index]
    return line


def parse_schema(text: str) -> Schema:
    models: list[Model] = []
    enums: set[str] = set()
    datasource: dict[str, str] = {}  # its settings: provider, relationMode, ...
    errors: list[tuple[int, str]] = []
    block: tuple[str, str] | None = None
    block_line = 0
    model: Model | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = strip_comment(raw)
        stripped = line.strip()
        if not stripped:
            continue
        if block is None:
            match = _BLOCK.match(line)
            if match:
                block, block_line = (match.group(1), match.group(2)), number
                if block[0] in ("model", "view"):
                    model = Model(block[1], number, kind=block[0])
                    models.append(model)
                elif block[0] == "enum":
                    enums.add(block[1])
                if stripped.endswith("}") and stripped.count("{") == stripped.count("}"):
                    block, model = None, None
            else:
                errors.append((number, f"unexpected `{stripped[:40]}` outside a block"))
            continue
        if stripped == "}":
            block, model = None, None
            continue
        kind = block[0]
        if kind == "datasource":
            setting = re.match(r'(\w+)\s*=\s*"([^"]*)"', stripped)
            if setting:
                datasource[setting.group(1)] = setting.group(2)
            continue
        if model is None:
            continue
        column = len(line) - len(line.lstrip()) + 1
        if stripped.startswith("@@"):
            model.attributes.extend(_attributes(stripped, number, column))
            continue
        match = _FIELD.match(line)
        if not match:
            errors.append((number, f"cannot read field `{stripped[:40]}`"))
            continue
        model.fields.append(Field(name=match.group(2), type=match.group(3), is_list=bool(match.group(4)),
                                  optional=bool(match.group(5)),
                                  attributes=_attributes(match.group(6), number, column),
                                  line=number, column=column, text=stripped))
    if block is not None:
        errors.append((block_line, f"{block[0]} {block[1]} is not closed with `}}`"))
    return Schema(models, enums, datasource.get("provider"), datasource.get("relationMode"), errors)


def _attributes(text: str, line: int, column: int) -> list[Attribute]:
    """`@id @default(autoincrement()) @db.VarChar(255)` -> attributes, with balanced parentheses."""
    found: list[Attribute] = []
    index = 0
    while index < len(text):
        if text[index] != "@":
            index += 1
            continue
        match = re.match(r"@(@?[\w.]+)", text[index:])
        if not match:
            index += 1
            continue
        name = match.group(1)
        index += match.end()
        args = ""
        if index < len(text) and text[index] == "(":
            depth, start, in_string = 0, index + 1, False
            while index < len(text):
                char = text[index]
                if char == '"' and text[index - 1] != "\\":
                    in_string = not in_string
                elif not in_string and char == "(":
                    depth += 1
                elif not in_string and char == ")":
                    depth -= 1
                    if depth == 0:
                        break
                index += 1
            args = text[start:index]
            index += 1
        found.append(Attribute(name, args, line, column))
    return found


def _first_string(args: str) -> str | None:
    match = re.search(r'"([^"]*)"', args)
    return match.group(1) if match else None


def _named_arg(args: str, name: str) -> str | None:
    # `\]?`: an unclosed list runs to the end instead of being rescanned from every later `name:` (quadratic)
    match = re.search(r"\b" + name + r"\s*:\s*(\[[^\]]*\]?|\"[^\"]*\"|\w+)", args)
    return match.group(1).strip('"') if match else None


def _field_list(args: str, name: str | None = None) -> list[str]:
    """`[a, b(sort: Desc)]` -> ["a", "b"]; the first positional list, or the named one."""
    text = _named_arg(args, name) if name else None
    if text is None:
        stripped = args.strip()
        if name in (None, "fields") and stripped.startswith("["):
            text = stripped[:stripped.find("]") + 1]
        else:
            return []
    return [re.sub(r"\(.*", "", part).strip() for part in text.strip("[]").split(",") if part.strip()]


# --- operations ------------------------------------------------------------------------------------------------------


def extract(unit: MigrationUnit, downs: bool = True, only_state: bool = False) -> Migration:
    from .. import ir

    path = unit.files[0]
    shown = display_path(path)
    try:
        text = read_text(path)
    except NotText as error:
        migration = unreadable_migration(unit, path, str(error))
        migration.orm = CONTRACT_ORM
        return migration
    schema = parse_schema(text)
    ops: list[ir.Operation] = []

    def at(line: int, column: int = 1) -> ir.Location:
        return ir.Location(shown, line, column, line)

    for line, message in sorted(schema.errors):
        ops.append(ir.ParseError(location=at(line), migration=unit.id, message=f"cannot parse {shown}: {message}"))
    model_names = {m.name for m in schema.models}
    for sibling in _schema_files(path):
        if sibling != path:
            try:
                sibling_text = side_text(sibling)
            except OSError:
                continue
            for kind, name in re.findall(r"(?m)^[^\S\n]*(model|view|enum|type)\s+(\w+)\s*\{", sibling_text):
                (schema.enums.add(name) if kind == "enum" else model_names.add(name))
    existing = _migrated_columns(path, unit)
    for model in (m for m in schema.models if m.kind == "model"):
        ops.extend(_model_ops(model, model_names, schema, existing, unit.id, at))
    return Migration(id=unit.id, orm=CONTRACT_ORM, dialect=unit.dialect, path=shown, operations=ops,
                     down="by_design", sources={shown: text})


def _model_ops(model: Model, model_names: set[str], schema: Schema, existing: dict[str, set[str]] | None,
               migration: str, location: Callable[[int, int], ir.Location]) -> list[ir.Operation]:
    from .. import ir
    from ..schema import norm
    from .sql.values import make_default, parse_type

    ops: list[ir.Operation] = []
    indexes: list[list[str]] = []  # column lists of @@index/@@unique/@@id and single @id/@unique
    for attribute in model.attributes:
        if attribute.name in ("@index", "@unique", "@id"):
            columns = [model.column_of(f) for f in _field_list(attribute.args, "fields")]
            indexes.append(columns)
            if attribute.name in ("@index", "@unique"):
                name = _named_arg(attribute.args, "map") or _named_arg(attribute.args, "name") or "_".join(
                    [model.table, *columns, "idx" if attribute.name == "@index" else "key"])
                ops.append(ir.IndexName(location=location(attribute.line, attribute.column), migration=migration,
                                        source=f"@{attribute.name}({attribute.args})", table=model.table, name=name))
    for item in model.fields:
        if item.attribute("id") or item.attribute("unique"):
            indexes.append([item.column_name])
    table_columns = existing.get(norm(model.table)) if existing is not None else None
    for item in model.fields:
        relation = item.attribute("relation")
        if item.type in model_names or relation is not None:
            scalars = _field_list(relation.args, "fields") if relation else []
            if not scalars:
                continue  # the other side of the relation: no foreign key here
            columns = [model.column_of(s) for s in scalars]
            indexed = any(set(cols[:len(columns)]) == set(columns) for cols in indexes)
            on_delete = _named_arg(relation.args, "onDelete") if relation else None
            ops.append(ir.RelationField(location=location(item.line, item.column), migration=migration,
                                        source=item.text, table=model.table, column=", ".join(columns),
                                        on_delete=on_delete, indexed=indexed,
                                        relation_mode=schema.relation_mode))
            continue
        if table_columns is None or item.is_list or item.optional or norm(item.column_name) in table_columns:
            continue
        if item.type.startswith("Unsupported") or item.attribute("id") or item.attribute("ignore"):
            continue
        if item.type not in _SCALARS and item.type not in schema.enums:
            continue  # a type we do not know (a composite type, a model of a file we did not read): not a column
        default = item.attribute("default")
        native = next((a for a in item.attributes if a.name.startswith("db.")), None)
        type_text = native.name[3:] + (f"({native.args})" if native.args else "") if native else \
            _SCALARS.get(item.type, item.type if item.type in schema.enums else item.type)
        generated = default is not None and default.args.strip().startswith(("autoincrement", "sequence"))
        column = ir.ColumnDef(name=item.column_name, type=parse_type(type_text), nullable=False,
                              default=make_default(default.args) if default is not None else None,
                              generated=generated)
        ops.append(ir.AddColumn(location=location(item.line, item.column), migration=migration, source=item.text,
                                table=model.table, column=column))
    return ops


def _migrated_columns(path: Path, unit: MigrationUnit) -> dict[str, set[str]] | None:
    """Table -> columns after every migration of the project; None when there are no migrations to compare with."""
    folders = [Path(m) for m in unit.project.migrations] if unit.project is not None else []
    folders += [path.parent / "migrations", path.parent.parent / "migrations"]
    folder = next((f for f in folders if f.is_dir()), None)
    if folder is None:
        return None
    files = sorted(folder.glob("*/migration.sql"))
    if not files:
        return None
    from ..schema import SchemaState
    from .sql import Origin, extract_sql

    state = SchemaState()
    for file in files:
        try:
            sql = read_text(file)
        except NotText:
            continue
        for op in extract_sql(sql, dialect=unit.dialect, origin=Origin(display_path(file)), migration=file.parent.name):
            state.apply(op)
    return {table: set(columns) for table, columns in state.columns.items()}
