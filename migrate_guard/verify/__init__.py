"""`migrate-guard verify`: apply each migration for real on a throwaway database and prove three things.

- database.py: the throwaway databases (a SQLite file, a scratch Postgres cluster or a temporary database on a
  server given by URL), cloned for each round trip and always removed.
- apply.py: each format's up and down SQL, statement by statement, with its transaction model.
- alembic.py: Alembic revisions' SQL from its offline mode.
- snapshot.py: the schema as normalised catalogue rows, and the differences between two snapshots in words.
- seed.py: rows that fit every existing table's types and constraints.
- locks.py: Postgres lock modes, their strength and what the documentation says each statement takes.
- checks.py: the three checks per migration (round trip, existing rows, locks and rewrites) as findings.
"""
