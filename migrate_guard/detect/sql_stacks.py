"""SQL-file tools (golang-migrate, goose, dbmate, Flyway; Prisma and Drizzle folders without their JS config):
recognised by their files' names and annotations, grouped per folder."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..dialects import dialect_of_url, dialect_word
from ..extract.base import display_path, read_head
from ..extract.registry import MODULES, SUFFIXES, classify
from ..extract.sql_text import without_comments
from ..model import Project
from .common import list_dir, make_project, read_small

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .content import UnclaimedFolder

# Files that mark the root of a SQL-migrations project (where its tool is run from).
_ROOT_MARKERS = ("go.mod", "flyway.conf", "flyway.toml", "dbconfig.yml", ".env", "package.json", "pom.xml",
                 "build.gradle", "build.gradle.kts", "docker-compose.yml", "compose.yaml", "Makefile")
_GO_DRIVERS = (
    (re.compile(r"github\.com/(lib/pq|jackc/pgx|jackc/pgconn)|gorm\.io/driver/postgres"), "postgres"),
    (re.compile(r"github\.com/go-sql-driver/mysql|gorm\.io/driver/mysql"), "mysql"),
    (re.compile(r"github\.com/mattn/go-sqlite3|modernc\.org/sqlite|glebarez/go-sqlite|gorm\.io/driver/sqlite"), "sqlite"),
)
_ENV_URL = re.compile(r"^[^\S\n]*(?:export\s+)?(?:DATABASE_URL|DB_URL|GOOSE_DBSTRING|FLYWAY_URL)\s*=\s*['\"]?([^'\"\s]+)",
                      re.MULTILINE)
_GOOSE_DRIVER = re.compile(r"^[^\S\n]*(?:export\s+)?GOOSE_DRIVER\s*=\s*['\"]?(\w+)", re.MULTILINE)
_ENV_FILES = (".env", ".env.example", ".env.sample", ".env.dist")
_COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
_COMPOSE_IMAGE = re.compile(r"""^[^\S\n]*image:\s*['"]?([\w.\-/]+)""", re.MULTILINE)
_IMAGE_DIALECTS = {"postgres": "postgres", "postgis": "postgres", "timescaledb": "postgres", "mysql": "mysql",
                   "mariadb": "mysql", "percona-server": "mysql", "cockroach": "cockroachdb",
                   "clickhouse-server": "clickhouse", "mssql-server-linux": "mssql"}
_SNIFFED_FILES = 20
_SQL_MARKERS = (
    ("clickhouse", re.compile(r"\bENGINE\s*=\s*(?:Replicated|Replacing|Summing|Aggregating|Collapsing)?MergeTree\b"
                              r"|\bON\s+CLUSTER\b|\bLowCardinality\(", re.I)),
    ("cockroachdb", re.compile(r"\bALTER\s+PRIMARY\s+KEY\b|\bINTERLEAVE\s+IN\s+PARENT\b|\bcrdb_internal\b", re.I)),
    ("mssql", re.compile(r"^[^\S\n]*GO[^\S\n]*$|\[dbo\]|\bNVARCHAR\s*\(\s*MAX\b|\bIDENTITY\s*\(\s*1\s*,\s*1\s*\)", re.I | re.M)),
    ("oracle", re.compile(r"\bVARCHAR2\b|\bNUMBER\s*\(|\bEXECUTE\s+IMMEDIATE\b", re.I)),
    ("mysql", re.compile(r"`\w+`|\bENGINE\s*=|\bAUTO_INCREMENT\b|\bMODIFY\s+COLUMN\b|\bUNSIGNED\b", re.I)),
    ("sqlite", re.compile(r"\bAUTOINCREMENT\b|\bWITHOUT\s+ROWID\b|\bPRAGMA\b", re.I)),
    ("postgres", re.compile(r"\b(?:BIG)?SERIAL\b|::\w|\bCONCURRENTLY\b|\$\$|\bJSONB\b|\bTIMESTAMPTZ\b", re.I)),
)
# A database whose own markers also match a more general one's (ClickHouse's ENGINE = MergeTree is MySQL-like
# syntax too, CockroachDB's SQL is Postgres'): the specific one wins.
_SPECIFIC = (("clickhouse", "mysql"), ("cockroachdb", "postgres"))
_FLYWAY_URL = re.compile(r"""^[^\S\n]*(?:flyway\.)?url\s*[=:]\s*['"]?(jdbc:[^'"\s]+)""", re.MULTILINE)


@lru_cache(maxsize=1)
def sql_file_formats() -> frozenset[str]:
    """The formats whose migrations are .sql files alone (golang-migrate, goose, dbmate, Flyway, Prisma, Drizzle): a
    folder of them is a project of its own. Plain SQL folders are found apart (is_plain_migrations_folder)."""
    return frozenset(orm for orm in MODULES if orm != PLAIN_SQL and SUFFIXES[orm] == {".sql"})


def sql_projects(folders: list[tuple[Path, list[str]]], stop: Path, taken: set[Path]) -> list[Project]:
    """One project per folder of recognised SQL migrations (given as folders with the names of their .sql files);
    folders in `taken` belong to a project found already."""
    if not folders:
        return []  # and no extractor module is imported to know which formats are SQL-only
    sql_formats = sql_file_formats()
    by_folder: dict[Path, tuple[str, Path]] = {}
    resolved: dict[Path, Path] = {}
    plain: list[Path] = []
    for parent, names in folders:
        other = False  # a file another format claims (db-migrate's sqls/<name>-up.sql): not a plain SQL folder
        for name in names:  # the folder's tool is known from its first migration
            path = parent / name
            module = classify(path, read_head(path))
            if module is None or module.ORM not in sql_formats:
                other = other or (module is not None and module.ORM != PLAIN_SQL)
                continue
            folder = parent.parent if module.ORM == "prisma" else parent
            if folder not in resolved:
                resolved[folder] = folder.resolve()
            if resolved[folder] not in taken and folder not in by_folder:
                by_folder[folder] = (module.ORM, path)
            break
        else:
            if not other and is_plain_migrations_folder(parent, names):
                plain.append(parent)
    projects = []
    for folder in sorted(plain):
        if folder.resolve() not in taken and not any(folder == f or f in folder.parents for f in by_folder):
            root = project_root(folder, stop)
            dialect, evidence = plain_sql_dialect(root, folder)
            projects.append(make_project(PLAIN_SQL, root, [folder], dialect, evidence=evidence))
    for folder, (orm, sample) in sorted(by_folder.items()):
        root = project_root(folder, stop)
        module = classify(sample, read_head(sample))
        own = module.dialect_of(sample) if module is not None else None
        dialect, evidence = (own, f"{orm} configuration") if own else sql_dialect(root, folder)
        projects.append(make_project(orm, root, [folder], dialect, evidence=evidence))
    return projects


# Plain SQL files applied in name order by a tool that keeps no down (Supabase CLI `supabase/migrations/<ts>_x.sql`,
# Cloudflare wrangler D1 `migrations/0001_x.sql`, procrastinate's `00.05.00_02_x.sql`): ORM id `sql`, up only.
PLAIN_SQL = "sql"
_PLAIN_FOLDER = re.compile(r"migrat", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"^\d+(?:[._]\d+)*(?:[_-][\w.-]*)?\.sql$", re.IGNORECASE)
_PADDED_NUMBER = re.compile(r"^\d{3,}\.sql$")  # graphile-worker's sql/000001.sql
_MIN_PADDED = 3
_WRANGLER_FILES = ("wrangler.toml", "wrangler.json", "wrangler.jsonc")


def is_plain_migrations_folder(folder: Path, names: list[str]) -> bool:
    """A folder named for migrations (or just below one) whose .sql files are (nearly) all numbered: `0001_init.sql`,
    `20250103114225_init.sql`, `00.05.00_02_drop.sql`; or any folder of three or more files named only by a
    zero-padded number. Its tool is unknown, its order is the names'."""
    if not (_PLAIN_FOLDER.search(folder.name) or _PLAIN_FOLDER.search(folder.parent.name)):  # chroma's migrations/sysdb
        # A folder of only zero-padded numbers (`sql/000001.sql` ... `000019.sql`, graphile-worker) is one too.
        return len(names) >= _MIN_PADDED and all(_PADDED_NUMBER.match(name) for name in names)
    numbered = sum(1 for name in names if _PLAIN_NAME.match(name))
    return numbered >= 1 and numbered * 10 >= len(names) * 9


def unclaimed_sql_folders(folders: list[tuple[Path, list[str]]], taken: set[Path]) -> list[UnclaimedFolder]:
    """Folders named for migrations holding three or more .sql files that no project claims and whose names give
    no order (uptime-kuma's db/old_migrations/patch-*.sql, applied in an order its code keeps): said, not passed."""
    from .content import UnclaimedFolder

    found = []
    for folder, names in sorted(folders):
        if len(names) < _MIN_PADDED or not _PLAIN_FOLDER.search(folder.name) or folder.resolve() in taken:
            continue
        if any(parent.resolve() in taken for parent in folder.parents):
            continue
        shown = display_path(folder)
        found.append(UnclaimedFolder(folder, [folder / name for name in sorted(names)], hint=(
            f"Their names give no order, so they are not taken for a migration folder. To check them anyway, pass "
            f"the folder: `migrate-guard check {shown}`; or add \"{shown}\" to `exclude`.")))
    return found


def plain_sql_dialect(root: Path, folder: Path) -> tuple[str | None, str | None]:
    """Supabase's CLI layout is Postgres; a wrangler config beside the folder with d1_databases is SQLite (D1);
    else what sql_dialect reads."""
    if folder.name == "migrations" and folder.parent.name == "supabase":
        return "postgres", "supabase CLI layout"
    for base in dict.fromkeys((folder.parent, root)):
        for name in _WRANGLER_FILES:
            if re.search(r"""\bd1_databases\b""", read_small(base / name) or ""):
                return "sqlite", f"{name} d1_databases"
    from .dialect import file_name_dialect

    named = {file_name_dialect(name) for name in list_dir(folder) if name.lower().endswith(".sql")}
    if len(named) == 1 and None not in named:  # every file says it: `00001-collections.sqlite.sql`
        return named.pop(), "file names"
    return sql_dialect(root, folder)


def project_root(folder: Path, stop: Path) -> Path:
    """The nearest folder at or above the migrations' parent that holds a tool or build file; else that parent."""
    start = folder.parent if folder.parent != folder else folder
    current = start
    stop = stop.resolve()
    while True:
        names = set(list_dir(current))
        if any(marker in names for marker in _ROOT_MARKERS):
            return current
        if current.resolve() == stop or current.parent == current:
            return start
        current = current.parent


def sql_dialect(root: Path, folder: Path) -> tuple[str | None, str | None]:
    """The database of a SQL-migrations project and where it was read: the tool's config, an env file (the committed
    example counts), the Go driver in go.mod, the database image in a compose file, and last the SQL itself."""
    bases = tuple(dict.fromkeys((root, folder.parent, folder)))
    for base in bases:
        for name in ("flyway.conf", "flyway.toml", "conf/flyway.conf"):
            match = _FLYWAY_URL.search(read_small(base / name) or "")
            if match:
                return dialect_of_url(match.group(1)), f"{name} url"
        for name in _ENV_FILES:
            env = read_small(base / name) or ""
            match = _GOOSE_DRIVER.search(env)
            if match:
                return dialect_word(match.group(1)), f"{name} GOOSE_DRIVER"
            match = _ENV_URL.search(env)
            if match:
                return dialect_of_url(match.group(1)), f"{name} database URL"
        gomod = read_small(base / "go.mod")
        if gomod:
            for pattern, dialect in _GO_DRIVERS:
                if pattern.search(gomod):
                    return dialect, "go.mod driver"
    for base in bases:
        for name in _COMPOSE_FILES:
            images = {_IMAGE_DIALECTS.get(image.rsplit("/", 1)[-1].split(":")[0]) for image in _COMPOSE_IMAGE.findall(
                read_small(base / name) or "")} - {None}
            if len(images) == 1:
                return images.pop(), f"{name} image"
    sniffed = _dialect_of_sql(folder)
    return (sniffed, "SQL syntax") if sniffed else (None, None)


def _dialect_of_sql(folder: Path) -> str | None:
    """The database the migrations' own SQL is written for, when its syntax names exactly one: backticks and
    ENGINE= (MySQL), AUTOINCREMENT (SQLite), ENGINE = MergeTree (ClickHouse), ALTER PRIMARY KEY (CockroachDB),
    SERIAL / ::casts / $$ bodies (Postgres), ...; None when it names none or several."""
    found: set[str] = set()
    names = sorted(name for name in list_dir(folder) if name.lower().endswith(".sql"))[:_SNIFFED_FILES]
    for name in names:
        text = without_comments(read_head(folder / name))
        found.update(dialect for dialect, pattern in _SQL_MARKERS if pattern.search(text))
    for specific, general in _SPECIFIC:
        if specific in found:
            found.discard(general)
    return found.pop() if len(found) == 1 else None
