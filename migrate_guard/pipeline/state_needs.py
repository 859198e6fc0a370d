"""Which earlier migrations a run without a cache need not parse at all (--changed-since, pre-commit): those read only
for the schema state, when the state is only ever asked about tables and indexes that they do not name.

The engine asks the state about names the linted migrations' operations hold (a table's columns, types, nullability
and indexes; the table of an index a DROP INDEX names), normalised by schema.norm. An operation that changes what
the state holds for a name comes from a statement that writes that name, so the name (its last part, in lower
case) is in its text, but for three: a table renamed to a wanted name (ALTER TABLE a RENAME TO wanted) makes `a`
wanted for the migrations before it; DROP INDEX / DROP CONSTRAINT n and ALTER TYPE n RENAME TO change tables they
do not name, the ones an earlier statement naming `n` put an index or a column of type `n` on. So, newest first, an
earlier migration whose state text holds no wanted name is not parsed, unless an older one that holds one also
names an index, constraint or type it drops or renames; one that holds a wanted name and renames something is
parsed here, for the names it renames. A drop or type rename written otherwise (quoted, with a comment inside)
makes its migration read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..extract.base import MigrationUnit, NotText
from ..extract.registry import extractor
from ..model import Migration
from .pool import extract_unit

if TYPE_CHECKING:
    from .. import ir


def unneeded(units: list[MigrationUnit], chosen: list[bool]) -> set[int]:
    """ids (id()) of the units not chosen whose parsing cannot change any finding of the chosen ones (oldest first,
    as judged). Empty unless every unit's format can name the text its state comes from (`context_text`), and
    when most of them are linted anyway."""
    linted = sum(chosen)
    if not linted or 2 * linted > len(units):  # the linted ones are parsed twice: worth it for a few of many
        return set()
    readers = [getattr(extractor(unit.orm), "context_text", None) for unit in units]
    if None in readers:
        return set()
    wanted: set[str] = set()
    for unit, linted_here in zip(units, chosen):
        if linted_here and not _add_names(wanted, extract_unit(unit).operations):
            return set()
    skipped: set[int] = set()
    pending: dict[str, list[int]] = {}  # a name dropped or renamed by name -> the unparsed migrations that do it
    for i in reversed(range(len(units))):
        if chosen[i]:
            continue
        try:
            text = readers[i](units[i]).lower()  # type: ignore[misc]
        except NotText:
            continue  # read whole, as without this: its problem is its own
        by_name = _by_name(text)
        if by_name is not None and "u&" not in text and not any(name in text for name in wanted):
            skipped.add(id(units[i]))  # U&"\0061": a name written in escapes
            for name in by_name:
                pending.setdefault(name, []).append(id(units[i]))
            continue
        for name in [name for name in pending if name in text]:
            skipped.difference_update(pending.pop(name))
        if "rename" in text and not _add_renamed(wanted, extract_unit(units[i], context=True)):
            return set()
    return skipped


_DROP_BY_NAME = re.compile(r"\bdrop\s+(?:index|constraint)\b")
_DROPPED = re.compile(r"drop\s+(?:index|constraint)\s+(?:concurrently\s+)?(?:if\s+exists\s+)?"
                      r"([a-z0-9_$.]+(?:\s*,\s*[a-z0-9_$.]+)*)(?![a-z0-9_$.\"]|\s*,)")
_TYPE_RENAME = re.compile(r"\btype\b[^;]*?\brename\b")
_TYPE_RENAMED = re.compile(r"\balter\s+(type)\s+([a-z0-9_$.]+)\s+rename\s+to\b")


def _by_name(text: str) -> set[str] | None:
    """The names (last parts) of the indexes and constraints a lower-cased text drops and of the types it renames,
    or None when it may do so in a way not read here."""
    names: set[str] = set()
    if "drop" in text:
        if re.search(r"\bdrop\s*(?:--|/\*)", text):
            return None
        for found in _DROP_BY_NAME.finditer(text):
            dropped = _DROPPED.match(text, found.start())
            if dropped is None:
                return None
            names.update(part for name in dropped.group(1).split(",") if (part := name.strip().rpartition(".")[2]))
    if "rename" in text:
        renamed = {match.start(1): match.group(2).rpartition(".")[2] for match in _TYPE_RENAMED.finditer(text)}
        for found in _TYPE_RENAME.finditer(text):
            if found.start() not in renamed:
                return None
        names.update(renamed.values())
    return names


def bare_migration(unit: MigrationUnit) -> Migration:
    """What stands for a unit that is not parsed: no operation to replay."""
    from ..extract.base import display_path

    return Migration(id=unit.id, orm=unit.orm, dialect=unit.dialect, path=display_path(unit.files[0]))


def _last_part(name: str) -> str | None:
    """A name's last part as any statement writing it holds it in lower case; None when it may be written otherwise
    (a doubled quote, a character beyond ASCII): then no migration is left unparsed."""
    part = name.rpartition(".")[2].strip('"`[]').lower()
    return part if part and part.isascii() and '"' not in part else None


def _add_names(wanted: set[str], operations: list[ir.Operation]) -> bool:
    from .. import ir

    for op in operations:
        nested: list[Any] = list(op.constraints) if isinstance(op, ir.CreateTable) else []
        for part in (op, *nested):
            names = [getattr(part, field, None) for field in ("table", "new_name", "name")]
            names.extend(getattr(part, "tables", None) or ())
            references = getattr(part, "references", None)
            if references is not None:
                names.append(references.table)
            for name in names:
                if isinstance(name, str) and name:
                    last = _last_part(name)
                    if last is None:
                        return False
                    wanted.add(last)
    return True


def _add_renamed(wanted: set[str], migration: Migration) -> bool:
    """The tables this migration renames to a wanted name become wanted (for the migrations before it)."""
    from .. import ir

    for op in migration.operations:
        if isinstance(op, ir.RenameTable) and _last_part(op.new_name) in wanted:
            last = _last_part(op.table)
            if last is None:
                return False
            wanted.add(last)
    return True
