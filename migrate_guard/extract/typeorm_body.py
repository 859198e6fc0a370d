"""Reading a TypeORM migration's up or down: its QueryRunner (and n8n context) calls, and those of the class's own
methods it calls with them. Imported once extraction starts (tree-sitter is loaded by then)."""

from __future__ import annotations

from typing import Any

from .js.local_helpers import own_method
from .js.structure import aliases, first_param_names, function_param_names
from .js.chains import chain_tops, flatten
from .n8n_dsl import CONTEXT, context_names, function_names, read
from .typeorm_calls import query_runner_call


def interpret(context: Any, entry: Any) -> None:
    dsl: dict[str, str] = {}
    if entry is not None:
        dsl = context_names(context, entry)  # n8n: async up({ runQuery, schemaBuilder: { dropColumns } })
    names = first_param_names(entry) if entry is not None else set()
    _read_body(context, entry.body if entry is not None else context.source.root, names or {"queryRunner"}, dsl, ())


_MAX_METHOD_DEPTH = 3


def _read_body(context: Any, body: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    """The QueryRunner (and n8n context) calls of a body, and of the class's own methods it calls with them
    (`await this.modifyTable(queryRunner)`: the method's body, its parameters standing for what was passed)."""
    source = context.source
    if dsl:
        read(context, body, dsl)
    names = aliases(source, body, names)
    for top in chain_tops(source, body):
        chain = flatten(source, top)
        if chain.root in names:
            query_runner_call(context, chain)
        elif chain.root == "this" and len(following) < _MAX_METHOD_DEPTH:
            _method_call(context, chain, names, dsl, following)


def _method_call(context: Any, chain: Any, names: set[str], dsl: dict[str, str], following: tuple[str, ...]) -> None:
    link = chain.links[0] if chain.links else None
    if link is None or not link.name or link.args is None or link.name in following:
        return
    method = own_method(context.source, chain.top, link.name)
    body = method.child_by_field_name("body") if method is not None else None
    if method is None or body is None:
        return
    text = context.source.text_of
    passed = [text(a) if a.type == "identifier" else None for a in link.args]
    params = function_param_names(context.source, method)
    method_names = {p for p, a in zip(params, passed) if p and a in names}
    method_dsl = {p: dsl[a] for p, a in zip(params, passed) if p and a in dsl}
    if any(a is not None and dsl.get(a) == CONTEXT for a in passed):  # this.backfill(context): read as up is
        method_dsl.update(function_names(context, method, body))
    if method_names or method_dsl:
        _read_body(context, body, method_names or {"\0"}, method_dsl, (*following, link.name))
