"""Build a Migration from a TS/JS migration file: shared by the TypeORM, Knex and Sequelize extractors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from ... import ir
from ...dialects import PARTIAL, dialect_word
from ...location import line_starts as _line_starts
from ...model import Migration
from ..base import MigrationUnit, NotText, display_path, read_text, unreadable_migration
from ..sql import Origin, extract_sql
from .source import Source, deeper_than, syntax_errors
from .structure import Entry, down_state, find_entries, later_entries
from .chains import Chain, Link
from .evaluator import Evaluator
from .values import Call, JsString, Unknown

_MAX_PARSE_ERRORS = 5


@dataclass
class Context:
    """What a tool's interpreter needs while reading one direction of one migration."""

    unit: MigrationUnit
    source: Source
    evaluator: Evaluator
    direction: ir.Direction
    ops: list[ir.Operation] = field(default_factory=list)
    elsewhere: set[int] = field(default_factory=set)  # ids of ops in a branch that never runs on this database

    def value(self, node: Node | None) -> Any:
        return self.evaluator.evaluate(node)

    def location(self, node: Node, start: Node | None = None) -> ir.Location:
        return self.source.location(node, start)

    def chain_location(self, chain: Chain, link: Link) -> ir.Location:
        """The chain's start, or the link's own name when the chain spreads over several lines."""
        root_line = chain.root_node.start_point[0]
        start = chain.root_node if link.name_node.start_point[0] == root_line else link.name_node
        return self.source.location(link.node, start)

    def branch(self, node: Node) -> tuple[str | None, bool]:
        """(the database a dialect branch restricts the node to, or None; whether it runs on this project's
        database): `} else {` after `if (client === 'pg')` never runs on a Postgres project."""
        dialect, negated, excluded = branch_dialect(self.source, node)
        return (None, self.unit.dialect not in excluded) if negated else (dialect, True)

    def make(self, cls: Any, location: ir.Location, node: Node, **fields: Any) -> Any:
        dialect, runs_here = self.branch(node)
        op = cls(location=location, migration=self.unit.id, direction=self.direction,
                 source=self.source.first_line(node), dialect=dialect, **fields)
        if not runs_here:
            self.elsewhere.add(id(op))
        return op

    def readable_ops(self) -> list[ir.Operation]:
        """The operations that run on this project's database."""
        return [op for op in self.ops if id(op) not in self.elsewhere] if self.elsewhere else self.ops

    def emit(self, cls: Any, location: ir.Location, node: Node, **fields: Any) -> Any:
        op = self.make(cls, location, node, **fields)
        self.ops.append(op)
        return op

    def sql(self, value: Any, node: Node) -> None:
        """SQL given as a JS string: through the SQL pipeline, with locations in this file. SQL built by a call or
        held in a variable the file does not set is said to be unread (unreadable-operation), never passed silently."""
        branch, runs_here = self.branch(node)
        if not runs_here:
            return  # `if (dialect !== 'postgres')` (or its else) never runs on this project's database
        if not isinstance(value, JsString):
            if isinstance(value, (Unknown, Call)):
                what = self.source.first_line(node)
                self.emit(ir.Unreadable, self.source.location(node), node, what=what[:120],
                          reason="The SQL this statement runs is built at run time")
            return
        ops = extract_sql(value.text, dialect=branch or self.unit.dialect, origin=Origin(self.source.shown, 1, 1),
                          migration=self.unit.id, direction=self.direction)
        starts = _line_starts(value.text)
        for op in ops:
            _relocate(op, value, starts)
            op.dialect = branch  # SQL written for one database runs there only, and is judged by its rules
            for nested in getattr(op, "constraints", ()):
                _relocate(nested, value, starts)
        self.ops.extend(ops)


_DIALECT_TEST = re.compile(r"""^\(?\s*(?:(?P<a>[^=!]+?)\s*(?P<op1>[!=]==?)\s*(?P<q1>['"`])(?P<w1>[\w-]+)(?P=q1)"""
                           r"""|(?P<q2>['"`])(?P<w2>[\w-]+)(?P=q2)\s*(?P<op2>[!=]==?)\s*(?P<b>[^=!]+?))\s*\)?$""")

_MAX_DIALECT_TEST = 200


def branch_dialect(source: Source, node: Node) -> tuple[str | None, bool, set[str]]:
    """The database the nearest enclosing `if (<...dialect...> === 'mysql')` restricts this node to: ("mysql", False)
    in its then-branch, ("mysql", True) (any other one) in its else-branch; `!==` the other way round. (None, False)
    outside such a branch. Multi-database migrations (Sequelize's getDialect(), knex's client) branch this way, also
    as `client.includes('sqlite3')`, `!...includes(...)` and through a flag (`const isMySQL = ...; if (isMySQL)`).
    Third, in else-branches only, the databases they all rule out (`if (pg) ... else if (mysql) ... else`: both)."""
    if not source.index.of_kind("if_statement"):
        return None, False, set()  # most migrations have no if at all
    branches = list(_enclosing_branches(source, node))
    positive = next((dialect for dialect, negated in branches if not negated), None)
    if positive is not None:
        return positive, False, set()
    return (branches[0][0], True, {dialect for dialect, _ in branches}) if branches else (None, False, set())


def _enclosing_branches(source: Source, node: Node) -> Iterator[tuple[str, bool]]:
    """(database, negated) for each enclosing if whose condition tests the database, nearest first."""
    start, end = node.start_byte, node.end_byte
    if not any(i.start_byte <= start and end <= i.end_byte for i in source.index.of_kind("if_statement")):
        return  # no if around the node (most migrations have none): no walk up the tree
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            test = source.text_of(condition).strip() if condition is not None else ""
            found = _dialect_test(source, test, parent)
            if found is not None:
                dialect, negated = found
                in_else = parent.child_by_field_name("alternative") == child
                yield dialect, negated != in_else
        child, parent = parent, parent.parent


_INCLUDES_TEST = re.compile(r"""^\(?\s*(?P<not>!?)\s*(?P<a>[\w$.?]+)\s*\.\s*(?:includes|startsWith)"""
                            r"""\(\s*(?P<q>['"`])(?P<w>[\w-]+)(?P=q)\s*\)\s*\)?$""")
_FLAG = re.compile(r"^\(?\s*(?P<not>!?)\s*(?P<name>[A-Za-z_$][\w$]*)\s*\)?$")
# a project's own predicate: `isPg(knex)`, `!isSqlite(knex)`, `await utils.isMySQL(db)`
_PREDICATE_TEST = re.compile(r"^\(?\s*(?P<not>!?)\s*\(?\s*(?:await\s+)?(?:[\w$]+\.)*is_?(?P<w>[A-Za-z0-9]+)"
                             r"\s*\([^()]*\)\s*\)?\s*\)?$")


def _dialect_test(source: Source, test: str, at: Node, follow: bool = True) -> tuple[str, bool] | None:
    """(database, negated) when the condition tests which database runs, else None."""
    if len(test) > _MAX_DIALECT_TEST:  # a dialect test is short; the lazy runs of _DIALECT_TEST overlap on long text
        return None
    match = _DIALECT_TEST.match(test)
    if match is not None:
        subject = match.group("a") or match.group("b") or ""
        dialect = dialect_word(match.group("w1") or match.group("w2"))
        if dialect is not None and _names_the_database(subject):
            return dialect, (match.group("op1") or match.group("op2")).startswith("!")
        return None
    included = _INCLUDES_TEST.match(test)
    if included is not None:
        dialect = dialect_word(included.group("w"))
        if dialect is not None and _names_the_database(included.group("a")):
            return dialect, included.group("not") == "!"
        return None
    predicate = _PREDICATE_TEST.match(test)
    if predicate is not None:
        dialect = dialect_word(predicate.group("w"))
        return (dialect, predicate.group("not") == "!") if dialect is not None else None
    flag = _FLAG.match(test)
    if flag is not None and follow:
        value = _flag_value(source, flag.group("name"), at)
        found = _dialect_test(source, value, at, follow=False) if value else None
        if found is not None:
            return found[0], found[1] != (flag.group("not") == "!")
    return None


def _names_the_database(subject: str) -> bool:
    return "dialect" in subject.lower() or "client" in subject.lower()


def _flag_value(source: Source, name: str, at: Node) -> str | None:
    """The text of `const <name> = <value>` in a function enclosing `at` (or at the top of the file)."""
    scope = at.parent
    while scope is not None:
        for statement in scope.named_children:
            if statement.type not in ("lexical_declaration", "variable_declaration"):
                continue
            for declarator in statement.named_children:
                target, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if target is not None and value is not None and source.text_of(target) == name:
                    return source.text_of(value).strip()
        scope = scope.parent
    return None


def _relocate(op: ir.Operation, value: JsString, starts: list[int]) -> None:
    loc = op.location
    offset = starts[min(loc.line, len(starts)) - 1] + loc.column - 1
    line, column = value.position(offset)
    end_offset = starts[min(loc.end_line, len(starts)) - 1]
    end_line, _ = value.position(max(offset, end_offset))
    op.location = ir.Location(loc.path, line, column, max(line, end_line))


Interpreter = Callable[[Context, Entry | None], None]


# Reading a tree recurses about once per level (a down of 400 nested calls, 800 levels, still read): well under the
# limit of 1,000 Python frames up to this depth, with room for the method bodies and helpers reading follows.
_SAFE_DEPTH = 96


def _down_used(unit: MigrationUnit, source: Source, entries: dict[str, Entry], up: list[ir.Operation],
               down_needed: Callable[[list[ir.Operation]], bool]) -> bool:
    """Whether the down's reading can change the findings of a run that reads no down operations: a partly checked
    database's note counts the statements it could not read in either direction; without an up, a down's reading
    may give the up's operations (a knex-migrator helper's export); a down whose reading could overflow the stack
    is a `parse-error` of the file, whichever direction it is in."""
    return unit.dialect in PARTIAL or "up" not in entries or down_needed(up) or deeper_than(source.root, _SAFE_DEPTH)


def extract_js(unit: MigrationUnit, orm: str, interpret: Interpreter,
               transactional: Callable[[Source], bool] = lambda source: False,
               down_needed: Callable[[list[ir.Operation]], bool] = lambda up: False, downs: bool = True) -> Migration:
    """Without `downs` (a run that reads no down operations: extract(unit, downs=False)), the down is read only where
    its reading can change the findings (_down_used). `down_needed`: whether the tool uses what its reading of the
    down gives besides the down's operations, given the up's (the old column definitions knex and Sequelize
    restate, the down SQL file db-migrate reads)."""
    path: Path = unit.files[0]
    shown = display_path(path)
    try:
        text = read_text(path)
    except NotText as error:
        return unreadable_migration(unit, path, str(error))
    source = Source(path, shown, text)
    try:
        evaluator = Evaluator(source)
    except RecursionError:
        evaluator = Evaluator(source, collect=False)
    entries = find_entries(source)
    operations: list[ir.Operation] = []
    for broken in syntax_errors(source.root)[:_MAX_PARSE_ERRORS]:
        location = source.location(broken)
        snippet = source.first_line(broken)[:40]
        what = f"missing `{broken.type}`" if broken.is_missing else f"unexpected `{snippet}`" if snippet else \
            "unexpected end of file"
        operations.append(ir.ParseError(location=location, migration=unit.id, source=snippet,
                                        message=f"cannot parse {shown} at line {location.line}: {what}; "
                                                "the rest of the file is still linted"))
    try:
        if entries:
            for direction in ("up", "down"):
                context = Context(unit, source, evaluator, direction)  # type: ignore[arg-type]
                entry = entries.get(direction)
                if entry is not None and (direction == "up" or downs
                                         or _down_used(unit, source, entries, operations, down_needed)):
                    for each in (entry, *later_entries(entries, direction)):
                        interpret(context, each)
                    operations.extend(context.readable_ops())
        else:
            # No up/down found (a damaged or unusual file): read every call of the whole file as `up`.
            context = Context(unit, source, evaluator, "up")
            interpret(context, None)
            operations.extend(context.readable_ops())
    except RecursionError:
        operations.append(ir.ParseError(location=ir.Location(shown, 1, 1, 1), migration=unit.id,
                                        message=f"cannot lint {shown}: expressions nested too deeply to read"))
    down_entry = entries.get("down")
    down = down_state(source, down_entry)
    down_location = source.location(down_entry.name_node) if down_entry is not None and down != "present" else None
    return Migration(id=unit.id, orm=orm, dialect=unit.dialect, path=shown, operations=operations, down=down,
                     sources={shown: text}, transactional=transactional(source), down_location=down_location)
