"""Operations as one line of text, forwards (`+ CREATE TABLE users (...)`) and reversed (`- Dropped table users`),
and the blocks the lifecycle commands print."""

from __future__ import annotations

import re

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
    if isinstance(op, ir.CreateTable):
        return f"+ CREATE TABLE {op.table} ({', '.join(c.name for c in op.columns)})"
    if isinstance(op, ir.AddColumn):
        return f"+ ALTER TABLE {op.table} ADD COLUMN {op.column.name}{_reference(op.column)}"
    if isinstance(op, ir.CreateIndex):
        unique = "UNIQUE " if op.unique else ""
        concurrently = "CONCURRENTLY " if op.concurrent else ""
        return f"+ CREATE {unique}INDEX {concurrently}{shown_name(op.name) or ''} ON {op.table} ({_columns(op.columns)})".replace("  ", " ")
    if isinstance(op, ir.AddConstraint):
        what = op.constraint_type.replace("_", " ").upper()
        text = f"+ ALTER TABLE {op.table} ADD {what}"
        if op.columns:
            text += f" ({_columns(op.columns)})"
        if op.references is not None:
            text += f" REFERENCES {op.references.table}"
            if op.references.on_delete:
                text += f" ON DELETE {op.references.on_delete.upper()}"
        return text
    if isinstance(op, ir.DropTable):
        return f"- DROP TABLE {op.table}"
    if isinstance(op, ir.DropColumn):
        return f"- ALTER TABLE {op.table} DROP COLUMN {op.column}"
    if isinstance(op, ir.DropIndex):
        return f"- DROP INDEX {shown_name(op.name) or '(unnamed)'}"
    if isinstance(op, ir.DropConstraint):
        return f"- ALTER TABLE {op.table} DROP CONSTRAINT {shown_name(op.name) or '(unnamed)'}"
    if isinstance(op, ir.Truncate):
        return f"- TRUNCATE {op.table}"
    if isinstance(op, ir.Delete):
        return f"- DELETE FROM {op.table}" + ("" if op.has_where else " (every row)")
    if isinstance(op, ir.DropSchema):
        return f"- DROP SCHEMA {op.name}"
    if isinstance(op, ir.DropDatabase):
        return f"- DROP DATABASE {op.name}"
    if isinstance(op, ir.RenameTable):
        return f"~ ALTER TABLE {op.table} RENAME TO {op.new_name}"
    if isinstance(op, ir.RenameColumn):
        return f"~ ALTER TABLE {op.table} RENAME COLUMN {op.column} TO {op.new_name}"
    if isinstance(op, ir.AlterColumnType):
        return f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} TYPE {op.new_type or '?'}"
    if isinstance(op, ir.SetNotNull):
        return f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} SET NOT NULL"
    if isinstance(op, ir.DropNotNull):
        return f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} DROP NOT NULL"
    if isinstance(op, ir.SetDefault):
        default = f"SET DEFAULT {op.default.text}" if op.default else "DROP DEFAULT"
        return f"~ ALTER TABLE {op.table} ALTER COLUMN {op.column} {default}"
    if isinstance(op, ir.Update):
        return f"~ UPDATE {op.table}" + ("" if op.has_where else " (every row)")
    if isinstance(op, ir.RunCode):
        return f"~ RUN {op.language} code" + ("" if op.has_reverse else " (no reverse)")
    if isinstance(op, ir.ParseError):
        return f"? could not read: {op.message}"
    if isinstance(op, ir.Raw):
        return f"~ {op.keyword or (op.source.strip().splitlines() or ['statement'])[0]}"
    first = op.source.strip().splitlines()[0] if op.source.strip() else op.kind
    return f"~ {first}"


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
    if isinstance(op, ir.DropTable):
        return f"- Dropped table: {op.table}"
    if isinstance(op, ir.DropColumn):
        return f"- Dropped column: {op.table}.{op.column}"
    if isinstance(op, ir.DropIndex):
        return f"- Dropped index: {shown_name(op.name) or '(unnamed)'}"
    if isinstance(op, ir.DropConstraint):
        return f"- Dropped constraint: {shown_name(op.name) or '(unnamed)'} on {op.table}"
    if isinstance(op, ir.CreateTable):
        return f"+ Created table: {op.table}"
    if isinstance(op, ir.AddColumn):
        reference = op.column.references
        target = f" (FK -> {reference.table}{'.' + reference.columns[0] if reference.columns else ''})" if reference else ""
        return f"+ Added column: {op.table}.{op.column.name}{target}"
    if isinstance(op, ir.CreateIndex):
        return f"+ Created index: {shown_name(op.name) or _unnamed_index(op)}"
    if isinstance(op, ir.AddConstraint):
        target = (f" -> {op.references.table}" + (f".{', '.join(op.references.columns)}" if op.references.columns else "")
                  if op.references is not None else "")
        return f"+ Added {_constraint_words(op)}: {_constraint_label(op)}{target}"
    if isinstance(op, ir.RenameTable):
        return f"~ Renamed table: {op.table} -> {op.new_name}"
    if isinstance(op, ir.RenameColumn):
        return f"~ Renamed column: {op.table}.{op.column} -> {op.new_name}"
    if isinstance(op, ir.AlterColumnType):
        return f"~ Changed type: {op.table}.{op.column} -> {op.new_type or '?'}"
    if isinstance(op, ir.Truncate):
        return f"- Emptied table: {op.table}"
    if isinstance(op, ir.Delete):
        return f"- Deleted rows: {op.table}" + ("" if op.has_where else " (every row)")
    if isinstance(op, ir.Update):
        return f"~ Updated rows: {op.table}" + ("" if op.has_where else " (every row)")
    return forward(op)


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
