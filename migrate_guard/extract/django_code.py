"""What a Django RunPython function of the migration's own file does to the database, as far as `ast` can read it:
the SQL it runs, the models it drops, the querysets it deletes or updates whole. A function imported from the project
cannot be read: it is reported as such."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .. import ir
from .django_state import State
from .pyast import dotted, expression_text, last_name, literal
from .pystrings import StringReader, sql_ops

if TYPE_CHECKING:
    from .django_replay import Replay


def function_ops(replay: Replay, node: ast.expr | None, direction: ir.Direction, state: State) -> list[ir.Operation]:
    """What a RunPython function of this file does to the database, as far as it can be read: the SQL it runs
    (`schema_editor.execute(sql)`, `cursor.execute(...)`), `schema_editor.delete_model(M)`, and querysets
    deleted or updated (`M.objects.all().delete()`, `M.objects.update(x=1)`: no filter, every row;
    `M.objects.filter(..).update(..)`: some rows).
    A function imported from a project module cannot be read: an Unreadable operation says so."""
    module = project_import(replay.source.tree, node)
    if module is not None:
        assert node is not None
        return [replay.make(ir.Unreadable, node, what=expression_text(replay.source, node), direction=direction,
                            reason=f"The code this RunPython runs is in another module ({module})")]
    if not isinstance(node, ast.Name):
        return []
    function = next((f for f in replay.source.tree.body if isinstance(f, ast.FunctionDef) and f.name == node.id), None)
    if function is None:
        return []
    assigns, loops, calls = _parts(function)
    bindings: dict[str, ast.expr] = {}
    for assign in sorted(assigns, key=lambda n: (n.lineno, n.col_offset)):
        for target in assign.targets:
            if isinstance(target, ast.Name):
                bindings[target.id] = assign.value  # the last: `qs = qs.filter(...)` narrows it

    def lookup(name: ast.Name) -> ast.expr | None:
        return bindings.get(name.id, replay.source.constants.get(name.id))

    strings = StringReader(replay.source, lookup)
    every_row: dict[int, ast.expr] = {}  # `for obj in M.objects.all(): obj.delete()`: that delete() -> M
    for loop in loops:
        if isinstance(loop.target, ast.Name) \
                and (model := _whole_queryset(loop.iter, strings)) is not None:
            every_row.update({id(c): model for statement in loop.body for c in ast.walk(statement)
                              if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                              and isinstance(c.func.value, ast.Name) and c.func.value.id == loop.target.id})
    ops: list[ir.Operation] = []
    for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        method = call.func.attr  # type: ignore[attr-defined]
        if method == "execute" and call.args:
            ops += sql_ops(replay.source, call.args[0], dialect=replay.dialect, migration=replay.node.id,
                           direction=direction, lookup=lookup, what="this execute()", at=call)
        elif method == "delete_model" and call.args:
            ops.append(replay.make(ir.DropTable, call, table=model_table(replay, call.args[0], strings, state),
                                   direction=direction))
        elif method in ("delete", "update") and not (method == "delete" and (call.args or call.keywords)):
            owner = call.func.value  # type: ignore[attr-defined]
            model, filtered = (every_row[id(call)], False) if method == "delete" and id(call) in every_row \
                else queryset_model(owner, strings)
            if model is not None:  # a filtered one is bounded, but still a backfill (backfill-in-ddl-transaction)
                cls = ir.Delete if method == "delete" else ir.Update
                ops.append(replay.make(cls, call, table=model_table(replay, model, strings, state),
                                       has_where=filtered, direction=direction))
    return ops


def _parts(function: ast.FunctionDef) -> tuple[list[ast.Assign], list[ast.For], list[ast.Call]]:
    """The function's assignments, for loops and method calls, in one walk."""
    assigns: list[ast.Assign] = []
    loops: list[ast.For] = []
    calls: list[ast.Call] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                calls.append(node)
        elif isinstance(node, ast.Assign):
            assigns.append(node)
        elif isinstance(node, ast.For):
            loops.append(node)
    return assigns, loops, calls


def model_table(replay: Replay, node: ast.expr, strings: StringReader, state: State) -> str:
    """`apps.get_model("shop", "Order")` (maybe through a name) -> the model's table, from the replayed state."""
    value = strings.resolve(node)
    if isinstance(value, ast.Call) and last_name(value.func) == "get_model":
        names = [literal(a) for a in value.args[:2]]
        if len(names) == 1 and isinstance(names[0], str) and "." in names[0]:
            names = names[0].split(".", 1)
        if len(names) == 2 and all(isinstance(n, str) for n in names):
            app, model = names[0], names[1].lower()
            known = state.get(f"{app}.{model}")
            return known.table if known is not None else f"{app}_{model}"
    return "{" + expression_text(replay.source, node) + "}"


def project_import(tree: ast.Module, node: ast.expr | None) -> str | None:
    """The project module a name (`forwards`, `data.forwards`) is imported from; None for a function of this file,
    Django's, the standard library's, or anything else."""
    import sys

    root = dotted(node).split(".")[0] if node is not None else ""
    if not root or root.endswith("()"):
        return None
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == root:
            return None
        if isinstance(statement, ast.ImportFrom):
            module = "." * statement.level + (statement.module or "")
            names = [a.asname or a.name for a in statement.names]
        elif isinstance(statement, ast.Import):
            module = ""
            names = [a.asname or a.name.split(".")[0] for a in statement.names]
            if root in names:
                module = next(a.name for a in statement.names if (a.asname or a.name.split(".")[0]) == root)
        else:
            continue
        if root in names:
            top = module.split(".")[0]
            return module if module.startswith(".") or (top not in ("django", "__future__")
                                                        and top not in sys.stdlib_module_names) else None
    return None



# Queryset methods that keep every row of the table, and the manager attributes a queryset starts from.
_KEEPS_ROWS = {"all", "using", "order_by", "select_related", "prefetch_related", "only", "defer", "annotate",
               "distinct", "alias"}
_MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _whole_queryset(node: ast.expr, strings: StringReader) -> ast.expr | None:
    """`M.objects.all()` / `M.objects.using(db)` / `M.objects`: the model M when the queryset is every row of its
    table, else None (a filter, a custom method, anything else)."""
    model, filtered = queryset_model(node, strings)
    return model if not filtered else None


def queryset_model(node: ast.expr, strings: StringReader) -> tuple[ast.expr | None, bool]:
    """The model M of a queryset of `M.objects` (None for anything else: a dict's update(), a custom method), and
    whether a filter() or exclude() with arguments limits it to some rows."""
    current, filtered = strings.resolve(node), False
    for _ in range(32):
        if isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute) and (
                current.func.attr in _KEEPS_ROWS or current.func.attr in ("filter", "exclude")):
            filtered |= current.func.attr in ("filter", "exclude") and bool(current.args or current.keywords)
            current = strings.resolve(current.func.value)
        elif isinstance(current, ast.Attribute) and current.attr in _MANAGERS:
            return current.value, filtered
        else:
            return None, filtered
    return None, filtered
