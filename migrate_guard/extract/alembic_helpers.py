"""A helper function's call, read as its body would run: the call's arguments bound to the helper's parameters, and
`*args` / `**kwargs` spread where the helper passes them on (`op.create_table(name, *columns, **kw)`). The Alembic
reader inlines helpers of the migration's own file and of the project's other modules through it."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable


def bound_call(function: ast.FunctionDef, call: ast.Call,
               scope: Callable[[ast.Name], ast.expr | None] | None = None
               ) -> tuple[ast.FunctionDef, dict[str, ast.expr], bool]:
    """The helper as this call runs it, each parameter's value (the call's argument, else its default), and whether
    the call passes anything at all. `scope`: the caller's names, for a helper of another module, which would read
    them in its own (`create_index(table, op.f(index), ...)` with `index` a constant of the migration)."""
    if scope is not None:
        call = _in_scope(call, scope)
    parameters = [*function.args.posonlyargs, *function.args.args]
    names = [p.arg for p in (*parameters, *function.args.kwonlyargs)]
    if function.args.vararg is not None or function.args.kwarg is not None:
        function = _spread(function, call, names, len(parameters))
    defaults = dict(zip([p.arg for p in parameters][len(parameters) - len(function.args.defaults):],
                        function.args.defaults))
    defaults.update({p.arg: d for p, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d})
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    given = {p.arg: a for p, a in zip(parameters, positional)}
    given.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    values = {name: value for name in names if (value := given.get(name, defaults.get(name))) is not None}
    return function, values, bool(given)


def _spread(function: ast.FunctionDef, call: ast.Call, names: list[str], positional: int) -> ast.FunctionDef:
    """The helper with `*args` / `**kwargs` passed on (`op.create_table(name, *columns, **kw)`) replaced by what the
    call gives them: its positional arguments after the named parameters, its keywords named by no parameter."""
    extra_args = [a for a in call.args[positional:] if not isinstance(a, ast.Starred)]
    extra_keywords = [k for k in call.keywords if k.arg is not None and k.arg not in names]
    vararg = function.args.vararg.arg if function.args.vararg is not None else None
    kwarg = function.args.kwarg.arg if function.args.kwarg is not None else None
    spread = copy.deepcopy(function)
    for node in ast.walk(spread):
        if not isinstance(node, ast.Call):
            continue
        if vararg is not None and any(isinstance(a, ast.Starred) for a in node.args):
            node.args = [item for a in node.args for item in (
                extra_args if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id == vararg
                else [a])]
        if kwarg is not None and any(k.arg is None for k in node.keywords):
            node.keywords = [item for k in node.keywords for item in (
                extra_keywords if k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwarg else [k])]
    return spread


def _in_scope(call: ast.Call, scope: Callable[[ast.Name], ast.expr | None]) -> ast.Call:
    """The call with the names of its arguments replaced by what they stand for where it is written."""

    class Names(ast.NodeTransformer):
        depth = 0

        def visit_Name(self, node: ast.Name) -> ast.AST:
            found = scope(node) if self.depth < 5 else None
            if found is None:
                return node
            self.depth += 1
            try:
                return self.visit(copy.deepcopy(found))
            finally:
                self.depth -= 1

    arguments = ast.Call(func=call.func, args=call.args, keywords=call.keywords)
    replaced = Names().visit(copy.deepcopy(arguments))
    return ast.copy_location(ast.Call(func=call.func, args=replaced.args, keywords=replaced.keywords), call)
