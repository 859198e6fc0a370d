"""Operations as one line of text, forwards (`+ CREATE TABLE users (...)`) and reversed (`- Dropped table users`),
and the blocks the lifecycle commands print."""

from __future__ import annotations

import re
from typing import Any, Callable

from .. import ir
from ..model import Finding, Migration

SKIPPED_KINDS = frozenset({"migration", "transaction", "setting"})


def _columns(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(columns)


def _reference(column: ir.ColumnDef) -> str:
    ref = column.references
    if ref is None:
        return ""
    target = f"{ref.table}.{ref.columns[0]}" if ref.columns else ref.table
    return f" (FK -> {target}{', ON DELETE ' + ref.on_delete.upper() if ref.on_delete else ''})"


def forward(op: ir.Operation) -> str | None:
    """The operation as the migration applies it."""
    if op.kind in SKIPPED_KINDS:
        return None
    # LIFECYCLE-REPORTS.md: `+ CREATE TABLE "Role" (id, name, createdAt)`, `+ ALTER TABLE "User" ADD COLUMN "roleId"
    # (FK -> Role.id)`: the names, and what a reviewer must see (a foreign key); the safety checks say the rest
    line = _FORWARD.get(type(op))
    if line is not None:
        return line(op)
    first = op.source.strip().splitlines()[0] if op.source.strip() else op.kind
    return f"~ {first}"


def _create_index(op: ir.CreateIndex) -> str:
    unique = "UNIQUE " if op.unique else ""
    concurrently = "CONCURRENTLY " if op.concurrent else ""
    return f"+ CREATE {unique}INDEX {concurrently}{shown_name(op.name) or ''} ON {op.table} ({_columns(op.columns)})".replace("  ", " ")


def _add_constraint(op: ir.AddConstraint) -> str:
    what = op.constraint_type.replace("_", " ").upper()
    text = f"+ ALTER TABLE {op.table} ADD {what}"
    if op.columns:
        text += f" ({_columns(op.columns)})"
    if op.references is not None:
        text += f" REFERENCES {op.references.table}"
        if op.references.on_delete:
            text += f" ON DELETE {op.references.on_delete.upper()}"
    return text


def _set_default(op: ir.SetDefault) -> str:
    default = f"SET DEFAULT {op.default.text}" if op.default else "DROP DEFAULT"
    return f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} {default}"


_Line = Callable[[Any], str]

# operation kind -> its line as the migration applies it (`+` adds, `-` removes, `~` changes)
_FORWARD: dict[type[ir.Operation], _Line] = {
    ir.CreateTable: lambda op: f"+ CREATE TABLE {op.table} ({', '.join(c.name for c in op.columns)})",
    ir.AddColumn: lambda op: f"+ ALTER TABLE {op.table} ADD COLUMN {op.column.name}{_reference(op.column)}",
    ir.CreateIndex: _create_index,
    ir.AddConstraint: _add_constraint,
    ir.DropTable: lambda op: f"- DROP TABLE {op.table}",
    ir.DropColumn: lambda op: f"- ALTER TABLE {op.table} DROP COLUMN {op.column}",
    ir.DropIndex: lambda op: f"- DROP INDEX {shown_name(op.name) or '(unnamed)'}",
    ir.DropConstraint: lambda op: f"- ALTER TABLE {op.table} DROP CONSTRAINT {shown_name(op.name) or '(unnamed)'}",
    ir.Truncate: lambda op: f"- TRUNCATE {op.table}",
    ir.Delete: lambda op: f"- DELETE FROM {op.table}" + ("" if op.has_where else " (every row)"),
    ir.DropSchema: lambda op: f"- DROP SCHEMA {op.name}",
    ir.DropDatabase: lambda op: f"- DROP DATABASE {op.name}",
    ir.RenameTable: lambda op: f"~ ALTER TABLE {op.table} RENAME TO {op.new_name}",
    ir.RenameColumn: lambda op: f"~ ALTER TABLE {op.table} RENAME COLUMN {op.column} TO {op.new_name}",
    ir.AlterColumnType: lambda op: f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} TYPE {op.new_type or '?'}",
    ir.SetNotNull: lambda op: f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} SET NOT NULL",
    ir.DropNotNull: lambda op: f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} DROP NOT NULL",
    ir.SetDefault: _set_default,
    ir.Update: lambda op: f"~ UPDATE {op.table}" + ("" if op.has_where else " (every row)"),
    ir.RunCode: lambda op: f"~ RUN {op.language} code" + ("" if op.has_reverse else " (no reverse)"),
    ir.ParseError: lambda op: f"? could not read: {op.message}",
    ir.Raw: lambda op: f"~ {op.keyword or (op.source.strip().splitlines() or ['statement'])[0]}",
}


def undone(op: ir.Operation) -> str | None:
    """An up operation as a rollback undoes it."""
    if isinstance(op, ir.CreateTable):
        return f"- Dropped table: {op.table}"
    if isinstance(op, ir.AddColumn):
        return f"- Dropped column: {op.table}.{op.column.name}"
    if isinstance(op, ir.CreateIndex):
        return f"- Dropped index: {shown_name(op.name) or _unnamed_index(op)}"
    if isinstance(op, ir.AddConstraint):
        return f"- Dropped {_constraint_words(op)}: {_constraint_label(op)}"
    if isinstance(op, ir.DropTable):
        return f"+ Re-created table: {op.table} (its old rows are not restored)"
    if isinstance(op, ir.DropColumn):
        return f"+ Re-added column: {op.table}.{op.column} (its old values are not restored)"
    if isinstance(op, ir.RenameTable):
        return f"~ Renamed table: {op.new_name} -> {op.table}"
    if isinstance(op, ir.RenameColumn):
        return f"~ Renamed column: {op.table}.{op.new_name} -> {op.column}"
    if isinstance(op, ir.AlterColumnType):
        return f"~ Changed type: {op.table}.{op.column} -> {op.old_type or 'its old type'}"
    text = forward(op)
    return f"~ Reverted: {text[2:]}" if text else None


def done(op: ir.Operation) -> str | None:
    """An operation as what applying it did: `+ Created table: Role`, `- Dropped column: User.roleId`."""
    if op.kind in SKIPPED_KINDS:
        return None
    line = _DONE.get(type(op))
    return line(op) if line is not None else forward(op)


def _added_column(op: ir.AddColumn) -> str:
    reference = op.column.references
    target = f" (FK -> {reference.table}{'.' + reference.columns[0] if reference.columns else ''})" if reference else ""
    return f"+ Added column: {op.table}.{op.column.name}{target}"


def _added_constraint(op: ir.AddConstraint) -> str:
    target = (f" -> {op.references.table}" + (f".{', '.join(op.references.columns)}" if op.references.columns else "")
              if op.references is not None else "")
    return f"+ Added {_constraint_words(op)}: {_constraint_label(op)}{target}"


# operation kind -> what applying it did, in words (the others: their forward line)
_DONE: dict[type[ir.Operation], _Line] = {
    ir.DropTable: lambda op: f"- Dropped table: {op.table}",
    ir.DropColumn: lambda op: f"- Dropped column: {op.table}.{op.column}",
    ir.DropIndex: lambda op: f"- Dropped index: {shown_name(op.name) or '(unnamed)'}",
    ir.DropConstraint: lambda op: f"- Dropped constraint: {shown_name(op.name) or '(unnamed)'} on {op.table}",
    ir.CreateTable: lambda op: f"+ Created table: {op.table}",
    ir.AddColumn: _added_column,
    ir.CreateIndex: lambda op: f"+ Created index: {shown_name(op.name) or _unnamed_index(op)}",
    ir.AddConstraint: _added_constraint,
    ir.RenameTable: lambda op: f"~ Renamed table: {op.table} -> {op.new_name}",
    ir.RenameColumn: lambda op: f"~ Renamed column: {op.table}.{op.column} -> {op.new_name}",
    ir.AlterColumnType: lambda op: f"~ Changed type: {op.table}.{op.column} -> {op.new_type or '?'}",
    ir.Truncate: lambda op: f"- Emptied table: {op.table}",
    ir.Delete: lambda op: f"- Deleted rows: {op.table}" + ("" if op.has_where else " (every row)"),
    ir.Update: lambda op: f"~ Updated rows: {op.table}" + ("" if op.has_where else " (every row)"),
}


def shown_name(name: str | None) -> str | None:
    """An index or constraint name as the user wrote it: Alembic's op.f("ix_x") is the literal ix_x; an unknown
    name (None, "?", a placeholder for an expression) is None."""
    if not name or name == "?":
        return None
    final = re.fullmatch(r"""\{(?:op\.)?f\((["'])(.+)\1\)\}""", name)
    if final:
        return final.group(2)
    return None if name.startswith("{") else name


def _constraint_label(op: ir.AddConstraint) -> str:
    return shown_name(op.name) or (f"{op.table}({_columns(op.columns)})" if op.columns else op.table)


def _unnamed_index(op: ir.CreateIndex) -> str:
    return f"{op.table}({_columns(op.columns)})"


def _constraint_words(op: ir.AddConstraint) -> str:
    return {"foreign_key": "foreign key", "primary_key": "primary key"}.get(op.constraint_type,
                                                                            op.constraint_type.replace("_", " "))


def applied_view(migration: Migration) -> list[str]:
    """What applying this migration did, in its order."""
    return [line for line in (done(op) for op in migration.operations if op.direction == "up") if line]


def reversed_view(migration: Migration) -> list[str]:
    """What rolling this migration back does: its down operations when we read them, else its up ones undone."""
    down = [op for op in migration.operations if op.direction == "down" and op.kind not in SKIPPED_KINDS]
    if down:
        return [line for line in (done(op) for op in down) if line]
    up = [op for op in migration.operations if op.direction == "up" and op.kind not in SKIPPED_KINDS]
    return [line for line in (undone(op) for op in reversed(up)) if line]


def down_destroys_data(migration: Migration) -> bool:
    down = [op for op in migration.operations if op.direction == "down"]
    if down:
        return any(op.kind in {"drop_table", "drop_column", "truncate", "delete", "drop_schema"} for op in down)
    return any(isinstance(op, (ir.CreateTable, ir.AddColumn)) for op in migration.operations if op.direction == "up")


def changes(migration: Migration) -> list[str]:
    return [line for line in (forward(op) for op in migration.operations if op.direction == "up") if line]


# --- safety check -------------------------------------------------------------------------------------------

_NO_DOWN_BY_DESIGN = "by_design"


def safety_lines(migrations: list[Migration], findings: list[Finding]) -> list[str]:
    """[PASS]/[WARN]/[FAIL] per check, from the operations and the linter's findings."""
    ups = [op for m in migrations for op in m.operations if op.direction == "up"]
    lines: list[str] = []

    destructive = [f for f in findings if f.severity == "error" and f.rule not in ("not-null-without-default",)]
    if destructive:
        lines += [f"[FAIL] {f.message} ({f.location.path}:{f.location.line}, {f.rule})" for f in destructive]
    else:
        lines.append("[PASS] No destructive operations")

    not_null = [f for f in findings if f.rule == "not-null-without-default"]
    new_columns = [op for op in ups if isinstance(op, ir.AddColumn)]
    if not_null:
        lines += [f"[FAIL] {f.message} ({f.location.path}:{f.location.line})" for f in not_null]
    elif new_columns:
        lines.append("[PASS] New columns are nullable or have a default")
    else:
        lines.append("[PASS] No new columns on existing tables")

    foreign_keys = _foreign_keys(ups)
    without_on_delete = [(table, ref) for table, ref in foreign_keys if not ref.on_delete]
    if not foreign_keys:
        lines.append("[PASS] No new foreign keys")
    elif migrations and all(m.orm == "django" for m in migrations):
        lines.append("[PASS] Foreign keys: Django applies each on_delete itself (the model field requires one)")
    elif without_on_delete:
        lines += [f"[WARN] Foreign key {table} -> {ref.table} has no ON DELETE behaviour (the database default is "
                  f"NO ACTION: deleting a referenced row fails)" for table, ref in without_on_delete]
    else:
        lines.append("[PASS] Foreign keys declare ON DELETE behaviour")

    unindexed = [f for f in findings if f.rule == "foreign-key-without-index"]
    if unindexed:
        lines += [f"[WARN] {f.message} ({f.location.path}:{f.location.line})" for f in unindexed]
    elif foreign_keys:
        lines.append("[PASS] Foreign keys are indexed")

    for migration in migrations:
        if migration.down == "present":
            lines.append(f"[PASS] Down migration exists ({migration.id})")
        elif migration.down == _NO_DOWN_BY_DESIGN:
            lines.append(f"[WARN] No down migration: {migration.orm} cannot roll this back; to undo it, write a new "
                         f"migration that reverses it")
        else:
            lines.append(f"[WARN] No usable down migration ({migration.id}: {migration.down})")

    others = [f for f in findings if f.severity != "error" and f.rule not in ("foreign-key-without-index",
                                                                              "missing-down-migration")]
    lines += [f"[WARN] {f.message} ({f.location.path}:{f.location.line}, {f.rule})" for f in others
              if f.severity == "warning"]
    return lines


def _foreign_keys(ops: list[ir.Operation]) -> list[tuple[str, ir.ForeignKeyRef]]:
    found: list[tuple[str, ir.ForeignKeyRef]] = []
    for op in ops:
        if isinstance(op, ir.CreateTable):
            found += [(op.table, c.references) for c in op.columns if c.references is not None]
            found += [(op.table, c.references) for c in op.constraints if c.references is not None]
        elif isinstance(op, ir.AddColumn) and op.column.references is not None:
            found.append((op.table, op.column.references))
        elif isinstance(op, ir.AddConstraint) and op.references is not None:
            found.append((op.table, op.references))
    unique = {(table, ref.table, ref.columns): (table, ref) for table, ref in found}
    return list(unique.values())


def finding_line(finding: Finding) -> str:
    where = f"{finding.location.path}:{finding.location.line}:{finding.location.column}"
    text = f"  {where}: {finding.severity} [{finding.rule}] {finding.message}"
    return text + (f"\n      hint: {finding.hint}" if finding.hint else "")
