"""Postgres table lock modes: pg_locks names, the documentation's names, and their strength.

Strength is the order of the table in the documentation ("Explicit Locking", table-level lock modes): each mode
conflicts with at least the modes the weaker ones conflict with.
"""

from __future__ import annotations

MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
         "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
STRENGTH = {mode: rank for rank, mode in enumerate(MODES, start=1)}
SHARE = "ShareLock"  # from this mode up, writes to the table wait: worth a finding when no rule predicted it


def display(mode: str) -> str:
    """`AccessExclusiveLock` -> `ACCESS EXCLUSIVE` (the documentation's and LOCK TABLE's name)."""
    name = mode[:-4] if mode.endswith("Lock") else mode
    words: list[str] = []
    for char in name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char.upper())
    return "".join(words)


def blocks_writes(mode: str) -> bool:
    return STRENGTH.get(mode, 0) >= STRENGTH[SHARE]


def strongest(modes: list[str]) -> str | None:
    return max(modes, key=lambda mode: STRENGTH.get(mode, 0)) if modes else None
