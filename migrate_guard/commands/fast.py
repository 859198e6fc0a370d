"""The pre-commit fast path: `check FILE...` where no file can be a migration exits 0 before anything is imported.

pre-commit passes every staged file that matches the hook's pattern; when none of them could be a migration, paying
for argparse and the parsers would make every commit slower for nothing.
"""

from __future__ import annotations

import os

_SUFFIXES = (".sql", ".py", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".prisma")


def nothing_to_check(argv: list[str]) -> bool:
    if len(argv) < 2 or argv[0] != "check":
        return False
    for arg in argv[1:]:
        if arg.startswith("-") or arg.lower().endswith(_SUFFIXES) or not os.path.isfile(arg):
            return False  # flags, candidates, folders and missing paths take the normal route
    return True
