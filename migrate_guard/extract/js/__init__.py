"""Shared reading of TypeScript/JavaScript migrations (TypeORM, Knex, Sequelize) with tree-sitter.

Nothing here imports tree-sitter at module level except `source.py`, which extractors import inside `extract()`:
a run that lints no TS/JS file never loads it. Nothing here ever runs the user's code.
"""
