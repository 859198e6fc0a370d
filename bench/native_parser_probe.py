"""Would a native Postgres parser close the cold-run gap? Times pglast (libpg_query, the parser squawk also uses) on
the 2,000-file SQL corpus, next to sqlglot's tokenizer and parser, in one process.

    python -m venv /tmp/pgl && /tmp/pgl/bin/pip install pglast sqlglot
    /tmp/pgl/bin/python bench/native_parser_probe.py      # after `python bench/run.py` generated bench/corpus/

Not part of the test suite or of migrate-guard: it measures only the parsing step, the part of a cold run a native
parser would replace.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "sql" / "db" / "migrations"


def timed(label: str, action) -> object:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    print(f"{label:58s} {time.perf_counter() - start:7.3f} s")
    return result


def main() -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.sql"))]
    print(f"{len(texts)} files, {sum(map(len, texts)) / 1e6:.1f} MB of SQL")
    import logging

    import pglast
    import sqlglot
    from pglast import parser

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back to a Command" notes

    statements = timed("pglast.parse_sql (Python syntax tree objects)",
                       lambda: sum(len(pglast.parse_sql(text)) for text in texts))
    documents = timed("pglast parse_sql_json (C parser, JSON text out)",
                      lambda: [parser.parse_sql_json(text) for text in texts])
    timed("json.loads of that JSON (to get Python objects)", lambda: [json.loads(doc) for doc in documents])
    dialect = sqlglot.Dialect.get_or_raise("postgres")
    timed("sqlglot tokenize + parse (pure Python or sqlglotc)",
          lambda: [dialect.parse(text) for text in texts])
    print(f"{statements} statements; pglast {pglast.__version__}, sqlglot {sqlglot.__version__}")


if __name__ == "__main__":
    main()
