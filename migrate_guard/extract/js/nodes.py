"""The nodes of a file the extractors look for (calls, declarations, the places up/down may be written), found by
one tree-sitter query run in C over the whole tree, instead of a walk in Python over every node for each question.

A walk's order is kept: `within` gives a subtree's nodes of one kind in pre-order (a node before its descendants,
siblings in source order), or in the order of a stack walk that pushes the children in source order (`mirrored`:
a node before its descendants, siblings last first), which the readers written as such walks depend on.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache

from tree_sitter import Language, Node, Query, QueryCursor

KINDS = ("call_expression", "variable_declarator", "if_statement", "shorthand_property_identifier",
         "method_definition", "function_declaration", "generator_function_declaration", "function_expression",
         "function", "pair", "public_field_definition", "field_definition", "assignment_expression")


@lru_cache(maxsize=None)
def _query(language: Language) -> Query:
    # One alternation: compiling a pattern per kind costs several times as much on the TypeScript grammar.
    known = [kind for kind in KINDS if language.id_for_node_kind(kind, True) is not None]
    return Query(language, "[" + " ".join(f"({kind})" for kind in known) + "] @node")


class NodeIndex:
    """The nodes of KINDS in one tree, by kind, in pre-order."""

    def __init__(self, root: Node, language: Language) -> None:
        found = QueryCursor(_query(language)).captures(root).get("node", [])
        by_kind: dict[str, list[Node]] = {}
        for node in sorted(found, key=lambda n: (n.start_byte, -n.end_byte)):
            by_kind.setdefault(node.type, []).append(node)
        self._nodes = by_kind
        self._starts = {kind: [n.start_byte for n in nodes] for kind, nodes in by_kind.items()}
        self._ends = {kind: [n.end_byte for n in nodes] for kind, nodes in by_kind.items()}

    def of_kind(self, kind: str) -> list[Node]:
        return self._nodes.get(kind, [])

    def within(self, kinds: tuple[str, ...], node: Node, mirrored: bool = False) -> list[Node]:
        """The nodes of `kinds` in the subtree of `node` (itself included)."""
        start, end = node.start_byte, node.end_byte
        found: list[Node] = []
        for kind in kinds:
            starts = self._starts.get(kind)
            if not starts:
                continue
            nodes, ends = self._nodes[kind], self._ends[kind]
            low = bisect_left(starts, start)
            high = bisect_left(starts, end if end > start else start + 1, low)
            found.extend(nodes[i] for i in range(low, high) if ends[i] <= end)
        if mirrored:
            found.sort(key=lambda n: (-n.end_byte, n.start_byte))
        elif len(kinds) > 1:
            found.sort(key=lambda n: (n.start_byte, -n.end_byte))
        return found
