"""The names of the files that mark a stack's project folder, apart from the stacks' detectors, so that a run over
SQL files only does not import the Python and JS detectors to know them."""

from __future__ import annotations

DJANGO_MARKERS = ("manage.py", "pyproject.toml", "Pipfile", "setup.cfg", "setup.py")
JS_MARKERS = ("package.json", "schema.prisma", ".sequelizerc")
# The real rc first; a committed example (the real one is often git-ignored) says the same paths.
SEQUELIZE_RC_NAMES = (".sequelizerc", ".sequelizerc.js", ".sequelizerc.cjs", ".sequelizerc.example",
                      ".sequelizerc.sample", ".sequelizerc.dist")


def is_js_marker(name: str) -> bool:
    return (name in JS_MARKERS or name.startswith(("drizzle.config.", "knexfile.", "ormconfig.", "prisma.config."))
            or name.endswith(".prisma") or name in SEQUELIZE_RC_NAMES)


def is_marker(name: str) -> bool:
    """A file some stack's detector reads (Django, Alembic, Prisma, Drizzle, TypeORM, Sequelize, knex)."""
    return (name in DJANGO_MARKERS or name.startswith("requirements") or name.endswith("alembic.ini")
            or name == "script.py.mako" or is_js_marker(name))
