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


def _pre_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def _mirrored(node: Node) -> tuple[int, int]:
    return -node.end_byte, node.start_byte


class NodeIndex:
    """The nodes of KINDS in one tree, by kind, in pre-order."""

    def __init__(self, root: Node, language: Language) -> None:
        # matches, not captures: the same nodes for less (captures orders them across matches; sorted here anyway)
        found = [node for _, captured in QueryCursor(_query(language)).matches(root) for node in captured["node"]]
        found.sort(key=_pre_order)  # they come in no order a walk would give
        by_kind: dict[str, list[Node]] = {}
        for node in found:
            nodes = by_kind.get(node.type)
            if nodes is None:
                by_kind[node.type] = [node]
            else:
                nodes.append(node)
        self._all = found
        self._nodes = by_kind
        self._root = root.start_byte, root.end_byte
        self._spans: dict[str, tuple[list[int], list[int]]] = {}  # per kind, made on first use

    def of_kind(self, kind: str) -> list[Node]:
        return self._nodes.get(kind, [])

    def _span_lists(self, kind: str, nodes: list[Node]) -> tuple[list[int], list[int]]:
        spans = self._spans.get(kind)
        if spans is None:
            spans = self._spans[kind] = [n.start_byte for n in nodes], [n.end_byte for n in nodes]
        return spans

    def _whole(self, kinds: tuple[str, ...]) -> list[Node] | None:
        """Every node of `kinds`, in pre-order; None where two of different kinds span the same bytes (the order of
        `kinds` would decide between them)."""
        if len(kinds) == 1:
            return list(self._nodes.get(kinds[0], ()))
        wanted = set(kinds)
        found = [n for n in self._all if n.type in wanted]
        spans = [(n.start_byte, n.end_byte) for n in found]
        return found if len(set(spans)) == len(spans) else None

    def within(self, kinds: tuple[str, ...], node: Node, mirrored: bool = False) -> list[Node]:
        """The nodes of `kinds` in the subtree of `node` (itself included)."""
        start, end = node.start_byte, node.end_byte
        if (start, end) == self._root and node.parent is None:  # the whole tree
            found = self._whole(kinds)
            if found is not None:
                limit = end if end > start else start + 1
                while found and found[-1].start_byte >= limit:  # as the bisection below: none starts at the end
                    found.pop()
                if mirrored:
                    found.sort(key=_mirrored)
                return found
        found = []
        for kind in kinds:
            nodes = self._nodes.get(kind)
            if not nodes:
                continue
            starts, ends = self._span_lists(kind, nodes)
            low = bisect_left(starts, start)
            high = bisect_left(starts, end if end > start else start + 1, low)
            found.extend(nodes[i] for i in range(low, high) if ends[i] <= end)
        if mirrored:
            found.sort(key=_mirrored)
        elif len(kinds) > 1:
            found.sort(key=_pre_order)
        return found
