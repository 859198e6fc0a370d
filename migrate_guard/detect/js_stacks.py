"""Prisma, Drizzle, TypeORM, Sequelize and Knex projects: package.json plus each tool's own config files.

Config files are JS/TS we never run: the few values needed (paths, client, dialect) are read with patterns, which is
enough for the literal values these files hold in practice.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from ..dialects import dialect_of_url, dialect_word
from ..extract.base import JS_SUFFIXES, display_path
from ..extract.js.text import strip_js_comments
from ..model import Project
from .common import (find_dirs, glob_base, is_a_file, is_folder, js_dependencies, js_string_option, list_dir,
                     make_project, package_json, read_json, read_small)
from .js_paths import data_source_folders, knex_directories, rc_option_path
from .knex_migrator import versions_folder
from .markers import SEQUELIZE_RC_NAMES

_JS_EXTS = JS_SUFFIXES
_LOCK_PROVIDER = re.compile(r'provider\s*=\s*"(\w+)"')


# --- Prisma -------------------------------------------------------------------------------------------------------

def prisma_projects(root: Path, names: list[str]) -> list[Project]:
    schemas: list[Path] = []
    pkg = package_json(root) if "package.json" in names else None
    configured = pkg.get("prisma", {}).get("schema") if pkg and isinstance(pkg.get("prisma"), dict) else None
    if isinstance(configured, str):
        schemas.append(root / configured)
    for name in ("prisma.config.ts", "prisma.config.js", "prisma.config.mjs", "prisma.config.mts"):
        if name in names:  # Prisma 6: `schema: "prisma/schema.prisma"` (or a folder of .prisma files)
            configured = _rc_path(strip_js_comments(read_small(root / name) or ""), "schema")
            if configured:
                schemas.append(root / configured)
    schemas += [root / "prisma" / "schema.prisma", root / "schema.prisma", root / "prisma" / "schema"]
    for schema in schemas:
        if not schema.exists():
            continue
        from ..extract.prisma_schema import is_generated_client_copy, is_migration_snapshot

        if is_migration_snapshot(schema) or is_generated_client_copy(schema):
            continue
        folder = schema if is_folder(schema) else schema.parent
        migrations = folder / "migrations"
        if folder.name == "schema" and not is_folder(migrations):
            migrations = folder.parent / "migrations"
        if not is_folder(migrations) and (is_folder(schema) or not _prisma_dialect(schema, migrations)):
            continue  # a schema with a datasource and no migrations yet: the schema is still checked
        project_root = root if root != folder else (folder.parent if folder.name == "prisma" else folder)
        return [make_project("prisma", project_root, [migrations], _prisma_dialect(schema, migrations),
                             {"schema": schema})]
    return []


def _prisma_dialect(schema: Path, migrations: Path) -> str | None:
    from ..extract.prisma_schema import datasource_provider

    match = _LOCK_PROVIDER.search(read_small(migrations / "migration_lock.toml") or "")
    if match is None:
        files = [schema] if is_a_file(schema) else [schema / n for n in list_dir(schema) if n.endswith(".prisma")]
        for file in files:
            provider = datasource_provider(read_small(file) or "")
            if provider:
                return dialect_word(provider)
    return dialect_word(match.group(1)) if match else None


# --- Drizzle ------------------------------------------------------------------------------------------------------

def drizzle_projects(root: Path, names: list[str]) -> list[Project]:
    projects = []
    for name in names:
        if not re.fullmatch(r"drizzle\.config\.(ts|js|mjs|cjs|mts|cts|json)", name):
            continue
        text = strip_js_comments(read_small(root / name) or "")
        out = js_string_option(text, "out") or "drizzle"
        dialect = dialect_word(js_string_option(text, "dialect") or js_string_option(text, "driver"))
        folder = (root / out).resolve() if not Path(out).is_absolute() else Path(out)
        if dialect is None:
            journal = read_json(folder / "meta" / "_journal.json")
            if isinstance(journal, dict):
                dialect = dialect_word(str(journal.get("dialect") or ""))
        projects.append(make_project("drizzle", root, [folder], dialect, {"config": root / name}))
    return projects


# --- Knex ---------------------------------------------------------------------------------------------------------

def knex_projects(root: Path, names: list[str]) -> list[Project]:
    knexfile = next((root / n for n in names if re.fullmatch(r"knexfile\.(js|ts|mjs|cjs|mts|cts)", n)), None)
    if knexfile is None:
        if "knex" not in js_dependencies(root):
            return []
        versions = versions_folder(root, names)
        if versions is not None:
            dialect, evidence = knex_client_in_json_config(root) or (None, None)
            return [make_project("knex", root, [versions], dialect, {"runner": "knex-migrator"}, evidence=evidence)]
        named = _script_knexfile(root)
        if named is not None and named.parent != root and is_a_file(named):
            return knex_projects(named.parent, list_dir(named.parent))
        folder = root / "migrations"
        if not _has_js_files(folder):
            return []
        dialect, evidence = knex_client_in_json_config(root) or (None, None)
        return [make_project("knex", root, [folder], dialect, evidence=evidence)]
    text = strip_js_comments(read_small(knexfile) or "")
    production = re.search(r"\bproduction\s*:\s*\{", text)  # the environment migrations must be safe for
    client = (js_string_option(text[production.end():], "client") if production else None) or js_string_option(
        text, "client")
    directory = _migrations_option(text, "directory") or "migrations"
    folders = [root / d for d in ([directory] if isinstance(directory, str) else directory)]
    folders = knex_directories(text, knexfile) or folders  # path.join(__dirname, ...), `${__dirname}/...`, arrays
    dialect = dialect_word(client) or dialect_of_url(js_string_option(text, "connection"))
    return [make_project("knex", root, folders, dialect, {"knexfile": knexfile, **({"client": client} if client else {})})]


_KNEXFILE_ARGUMENT = re.compile(r"""--knexfile[=\s]+['"]?([\w./-]*knexfile\.(?:js|ts|mjs|cjs|mts|cts))""")


def _script_knexfile(root: Path) -> Path | None:
    """The knexfile package.json scripts pass (`knex --knexfile ./config/knexfile.js migrate:latest`), also through
    its config (`"config": {"knex": "--knexfile ./config/knexfile.js"}`, used as `$npm_package_config_knex`)."""
    pkg = package_json(root) or {}
    sections = [section for key in ("scripts", "config") if isinstance(section := pkg.get(key), dict)]
    for command in (value for section in sections for value in section.values()):
        match = _KNEXFILE_ARGUMENT.search(command) if isinstance(command, str) else None
        if match:
            return (root / match.group(1)).resolve()
    return None


def _migrations_option(text: str, key: str) -> str | None:
    # `(\}?)`: an unclosed block matches to the end instead of failing and being rescanned from every later
    # `migrations: {` (quadratic); no later block could close either.
    block = re.search(r"migrations\s*:\s*\{([^}]*)(\}?)", text)
    return _rc_path(block.group(1), key) if block and block.group(2) else None  # a string or path.join(...)


def _has_js_files(folder: Path) -> bool:
    return any(n.endswith(_JS_EXTS) for n in list_dir(folder))


# --- Sequelize ----------------------------------------------------------------------------------------------------



def sequelize_projects(root: Path, names: list[str]) -> list[Project]:
    deps = js_dependencies(root)
    rc_name = next((n for n in SEQUELIZE_RC_NAMES if n in names), None)
    if rc_name is None and not deps & {"sequelize", "sequelize-cli"}:
        return []
    rc_text = strip_js_comments(read_small(root / rc_name) or "") if rc_name else ""
    migrations = _rc_path(rc_text, "migrations-path") or "migrations"
    config = _rc_path(rc_text, "config") or "config/config.json"
    folder = rc_option_path(rc_text, "migrations-path", root) or root / migrations
    config_path = rc_option_path(rc_text, "config", root)
    config = os.path.relpath(config_path, root) if config_path is not None else config
    if not is_folder(folder):
        return []
    dialect, evidence = _sequelize_dialect(root / config), None
    if dialect is None:
        dialect, evidence = sequelize_dialect_in_js_config(root) or (None, None)
    return [make_project("sequelize", root, [folder], dialect, {"config": root / config}, evidence=evidence)]


def _rc_path(text: str, key: str) -> str | None:
    option = r"""['"]?""" + re.escape(key) + r"""['"]?\s*:\s*"""
    # `\)?`: an unclosed path.join( matches to the end rather than being rescanned from every later key; after it
    # only a quoted value can still follow (no later call closes either).
    match = re.search(option + r"""(path\.\w+\([^)]*\)?|['"][^'"]*['"])""", text)
    if match and match.group(1).startswith("path.") and not match.group(1).endswith(")"):
        match = re.compile(option + r"""(['"][^'"]*['"])""").search(text, match.start(1))
    if not match:
        return None
    value = match.group(1).strip()
    parts = re.findall(r"""['"]([^'"]+)['"]""", value)
    if value.startswith("path."):  # path.resolve('db', 'migrations') / path.join(__dirname, 'db', 'migrations')
        return "/".join(p.strip("./") or "." for p in parts) if parts else None
    return parts[0] if parts else None


def _sequelize_dialect(config: Path) -> str | None:
    data = read_json(config) if config.suffix == ".json" else None
    if isinstance(data, dict):
        envs = [data.get("production"), data.get("development"), *data.values(), data]  # production is what matters
        for env in envs:
            if isinstance(env, dict) and isinstance(env.get("dialect"), str):
                return dialect_word(env["dialect"])
            if isinstance(env, dict) and isinstance(env.get("url"), str):
                return dialect_of_url(env["url"])
        return None
    text = read_small(config) or ""
    return dialect_word(js_string_option(text, "dialect"))


# --- TypeORM ------------------------------------------------------------------------------------------------------

_DATA_SOURCE = re.compile(r"new\s+DataSource\s*\(|createConnection\s*\(|TypeOrmModule\.forRoot|DataSourceOptions")
_TYPEORM_MIGRATION = re.compile(r"MigrationInterface|queryRunner\s*:\s*QueryRunner|\bup\s*\(\s*queryRunner\b")


def typeorm_projects(root: Path, names: list[str]) -> list[Project]:
    if "typeorm" not in js_dependencies(root) and not any(n.startswith("ormconfig.") for n in names):
        return []
    source = _data_source(root, names)
    text = strip_js_comments(read_small(source) or "") if source else ""
    dialect = dialect_word(js_string_option(text, "type")) or dialect_of_url(js_string_option(text, "url"))
    folders: list[Path] = []
    block = re.search(r"""["']?\bmigrations["']?\s*:\s*\[([^\]]*)(\]?)""", text)  # (\]?): see _migrations_option
    if block and block.group(2) and source is not None:
        base = root if source.name.startswith("ormconfig") else _source_base(root, source)
        for pattern in re.findall(r"""['"`]([^'"`]+)['"`]""", block.group(1)):
            pattern = re.sub(r"\$\{__dirname\}|__dirname\s*\+\s*", "", pattern)
            folder = glob_base(pattern.lstrip("/")) if "__dirname" not in pattern else None
            if folder:
                candidate = (base / folder) if not folder.startswith(("dist", "build")) else root / folder
                folders.append(candidate)
    folders = [f for f in folders if is_folder(f)]
    if not folders and source is not None:  # path expressions, imported classes and arrays of them
        folders = data_source_folders(text, source, root)
    if not folders:
        folders = sorted(find_dirs(root, _is_typeorm_migrations_dir, max_depth=5))
    if not folders:
        return []
    settings: dict[str, Path | str] = {"data_source": source} if source else {}
    return [make_project("typeorm", root, folders, dialect, settings)]


def _source_base(root: Path, source: Path) -> Path:
    return source.parent if source.parent != root and is_folder(source.parent / "migrations") else root


def _data_source(root: Path, names: list[str]) -> Path | None:
    for name in names:
        if name.startswith("ormconfig."):
            return root / name
    candidates = [p for folder in find_dirs(root, lambda f, n: True, max_depth=3) for p in _js_files(folder)]
    preferred = sorted(candidates, key=lambda p: (not re.search(r"data-?source|ormconfig|typeorm|database|db",
                                                                p.name, re.IGNORECASE), len(p.parts)))
    for path in preferred[:200]:
        text = read_small(path)
        if text and _DATA_SOURCE.search(text) and re.search(r"\btype\s*:", text):
            return path
    return None


def _js_files(folder: Path) -> list[Path]:
    if folder.name in ("migrations", "test", "tests", "__tests__"):
        return []
    return [folder / n for n in list_dir(folder) if n.endswith(_JS_EXTS) and not n.endswith(".d.ts")]


def _is_typeorm_migrations_dir(folder: Path, names: list[str]) -> bool:
    if "migration" not in folder.name.lower():
        return False
    for name in names[:50]:
        if name.endswith(_JS_EXTS):
            text = read_small(folder / name)
            if text and _TYPEORM_MIGRATION.search(text[:8192]):
                return True
    return False


# Apps that build their knex config at run time keep the client in JSON config per environment (Ghost:
# core/shared/config/env/config.production.json {"database": {"client": "mysql"}}); production counts first.
_JSON_CONFIGS = ("config.production.json", "production.json", "config.json", "database.json", "default.json")


@lru_cache(maxsize=64)
def knex_client_in_json_config(root: Path) -> tuple[str, str] | None:
    """(dialect, evidence) from a `"client"` in the app's JSON config files, a few folders below root."""
    found: dict[str, tuple[str, str]] = {}
    for folder in _config_folders(root):
        for name in _JSON_CONFIGS:
            data = read_json(folder / name) if name not in found else None
            if not isinstance(data, dict):
                continue
            database = data.get("database")
            section = database if isinstance(database, dict) else data
            dialect = dialect_word(section.get("client")) if isinstance(section.get("client"), str) else None
            if dialect is not None:
                shown = display_path(folder / name)
                found[name] = (dialect, f"knex client in {shown}")
    return next((found[name] for name in _JSON_CONFIGS if name in found), None)


_NOT_CONFIG = frozenset({"node_modules", ".git", "dist", "build", "migrations", "test", "tests", "__tests__"})


def _config_folders(root: Path, depth: int = 4) -> list[Path]:
    """Folders up to `depth` below root that hold one of the JSON config names (`env/` included: here it is where
    the environments' configs live, not a virtualenv)."""
    result: list[Path] = []
    stack = [(root, 0)]
    while stack:
        folder, level = stack.pop()
        names = list_dir(folder)
        if "pyvenv.cfg" in names:
            continue
        if any(n in _JSON_CONFIGS for n in names):
            result.append(folder)
        if level < depth:
            stack.extend((folder / n, level + 1) for n in names
                         if n not in _NOT_CONFIG and not n.startswith(".") and (folder / n).is_dir())
    return result


# A Sequelize config written as code under a name of its own (fbcnms: sequelizeConfig.js, `dialect: MYSQL_DIALECT`
# with `const MYSQL_DIALECT = process.env.MYSQL_DIALECT || 'mysql'`; test environments on sqlite)
_SEQUELIZE_CONFIG = re.compile(r"(?i)^(?:.*sequelize.*|database|db|config)\.(?:c?js|mjs|ts)$")
_DIALECT_VALUE = re.compile(r"""\bdialect\s*:\s*(?:(['"`])(\w+)\1|([A-Za-z_$][\w$]*)\b)""")


@lru_cache(maxsize=64)
def sequelize_dialect_in_js_config(root: Path) -> tuple[str, str] | None:
    """(dialect, evidence) from `dialect:` in a JS config beside the project (root, config/, src/config/); a name is
    followed to its `const NAME = ... 'mysql'`. Several databases: the server one counts over SQLite (tests)."""

    for folder in (root, root / "config", root / "src" / "config", root / "src"):
        for name in list_dir(folder):
            if not _SEQUELIZE_CONFIG.match(name):
                continue
            text = read_small(folder / name) or ""
            named: list[str] = []
            for match in _DIALECT_VALUE.finditer(text):
                value = match.group(2)
                if value is None and match.group(3):
                    const = re.search(r"(?:const|let|var)\s+" + re.escape(match.group(3))
                                      + r"""\s*=[^;\n]*?['"`](\w+)['"`]""", text)
                    value = const.group(1) if const else None
                dialect = dialect_word(value) if value else None
                if dialect is not None and dialect not in named:
                    named.append(dialect)
            if named:
                chosen = next((d for d in named if d != "sqlite"), named[0])
                shown = display_path(folder / name)
                extra = f" (also {', '.join(d for d in named if d != chosen)})" if len(named) > 1 else ""
                return chosen, f"Sequelize dialect in {shown}{extra}"
    return None

