"""Which project a lifecycle command acts on, and the values its native commands need."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import UsageError
from ..model import Project
from .environment import goose_connection
from .tools import Tool, ToolSpec, find_upwards, resolve_prefix, spec_for


@dataclass(slots=True)
class Context:
    project: Project
    spec: ToolSpec
    tool: Tool
    config: Config
    args: argparse.Namespace

    @property
    def root(self) -> Path:
        return Path(self.project.root)

    def migration_dirs(self) -> list[Path]:
        return [Path(folder) for folder in self.project.migrations]


def select_project(args: argparse.Namespace) -> Project:
    """The detected project matching --project/--orm; exactly one must remain."""
    from ..detect import detect_projects

    wanted_root = _normal(args.project) if args.project else None
    projects = [p for p in detect_projects(Path.cwd())
                if (wanted_root is None or _normal(p.root) == wanted_root) and (not args.orm or p.orm == args.orm)]
    if not projects and wanted_root is None:
        projects = [p for p in _projects_around_cwd() if not args.orm or p.orm == args.orm]
    if not projects:
        projects = [p for p in new_projects(Path(args.project or ".")) if not args.orm or p.orm == args.orm]
    projects = _merged(projects)
    if args.migrations:
        for project in projects:
            project.migrations = list(args.migrations)
    if len(projects) == 1:
        return projects[0]
    if len(projects) > 1:
        listed = ", ".join(f"{p.orm} in {p.root}" for p in projects)
        raise UsageError(f"several migration projects found ({listed}): choose one with --project ROOT and/or --orm ORM")
    if args.orm:
        root = args.project or "."
        if not Path(root).is_dir():
            raise UsageError(f"project folder does not exist: {root}")
        return Project(orm=args.orm, root=_normal(root), migrations=list(args.migrations or
                                                                          _conventional(args.orm, Path(root))))
    where = f" in {args.project}" if args.project else ""
    raise UsageError(f"no migration project found{where}: run from the project, or name it with --project ROOT --orm ORM")


def _merged(projects: list[Project]) -> list[Project]:
    """One project per tool and root: the native tool runs once there, over all of its folders."""
    by_key: dict[tuple[str, str], Project] = {}
    for project in projects:
        first = by_key.setdefault((project.orm, project.root), project)
        if first is not project:
            first.migrations += [folder for folder in project.migrations if folder not in first.migrations]
    return list(by_key.values())


def new_projects(root: Path) -> list[Project]:
    """Projects on their first day, before detection can see them (no migration exists yet): a Django project
    (manage.py, apps with an empty or no migrations package), a TypeORM data source where `typeorm init` and the
    docs put it, and an empty db/migrations (dbmate's default) or migrations/ (golang-migrate, goose when go.mod
    requires them)."""
    if not root.is_dir():
        return []
    found: list[Project] = []
    manage = root / "manage.py"
    if manage.is_file() and "django" in _head(manage).lower():
        apps = sorted(folder for folder in root.iterdir() if folder.is_dir() and not folder.name.startswith(".")
                      and (folder / "apps.py").is_file() and (folder / "__init__.py").is_file())
        found.append(Project(orm="django", root=_normal(str(root)),
                             migrations=[_normal(str(app / "migrations")) for app in apps],
                             settings={"manage_py": str(manage)}))
    data_source = next((root / name for name in _TYPEORM_DATA_SOURCES if (root / name).is_file()), None)
    if data_source is not None and "DataSource" in _head(data_source):
        found.append(Project(orm="typeorm", root=_normal(str(root)), migrations=[_normal(str(root / "src" / "migrations"))],
                             settings={"data_source": str(data_source)}))
    go_mod = _head(root / "go.mod")
    go_tool = next((orm for orm, module in _GO_TOOLS.items() if module in go_mod), None)
    for folder in (root / "db" / "migrations", root / "migrations"):
        if folder.is_dir() and not any(folder.iterdir()):
            orm = go_tool or ("dbmate" if folder.parent.name == "db" else None)
            if orm:  # an empty folder names no tool by itself: go.mod, or dbmate's own default db/migrations
                found.append(Project(orm=orm, root=_normal(str(root)), migrations=[_normal(str(folder))]))
                break
    return found


_GO_TOOLS = {"golang-migrate": "github.com/golang-migrate/migrate", "goose": "github.com/pressly/goose"}


# Where TypeORM's docs and `typeorm init` put the data source.
_TYPEORM_DATA_SOURCES = ("src/data-source.ts", "src/data-source.js", "data-source.ts", "data-source.js")


def _head(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(64 * 1024)
    except OSError:
        return ""


def _projects_around_cwd() -> list[Project]:
    """Run from inside a project (its migrations folder, a source folder): the deepest projects whose root holds
    the current folder, detected from the repository root (the nearest folder above with .git; none: no search)."""
    from ..detect import detect_projects

    cwd = Path.cwd().resolve()
    repository = next((folder for folder in cwd.parents if (folder / ".git").exists()), None)
    if repository is None:
        return []
    holding = [p for p in detect_projects(repository) if Path(p.root).resolve() in (cwd, *cwd.parents)]
    deepest = max((len(Path(p.root).resolve().parts) for p in holding), default=0)
    return [p for p in holding if len(Path(p.root).resolve().parts) == deepest]


def _normal(path: str) -> str:
    from ..extract.base import display_path

    return display_path(Path(path)) or "."


def _conventional(orm: str, root: Path) -> list[str]:
    """The tool's default migration folders under root (only when the user named the ORM explicitly)."""
    found: list[str] = []
    for pattern in spec_for(orm).default_migrations:
        found.extend(_normal(str(p)) for p in sorted(root.glob(pattern)) if p.is_dir())
    if not found and spec_for(orm).default_migrations:
        found.append(_normal(str(root / spec_for(orm).default_migrations[0])))
    return found


def build_context(args: argparse.Namespace, config: Config) -> Context:
    project = select_project(args)
    spec = spec_for(project.orm)
    cwd = _tool_cwd(project, spec)
    if spec.orm == "typeorm" and not args.datasource and not project.settings.get("data_source"):
        default = next((cwd / name for name in _TYPEORM_DATA_SOURCES if (cwd / name).is_file()), None)
        if default is not None:
            project.settings["data_source"] = str(default)
    prefix = resolve_prefix(spec, cwd)
    if spec.orm == "typeorm" and (args.datasource or project.settings.get("data_source", "")).endswith(".ts"):
        ts_runner = find_upwards(cwd, "node_modules/.bin/typeorm-ts-node-commonjs")
        if ts_runner is not None:
            prefix = [str(ts_runner)]  # TypeORM's own CLI for TypeScript data sources
    tool = Tool(spec=spec, prefix=prefix, cwd=cwd, values=_values(args, project, cwd))
    return Context(project=project, spec=spec, tool=tool, config=config, args=args)


def _tool_cwd(project: Project, spec: ToolSpec) -> Path:
    root = Path(project.root)
    if project.settings.get("manage_py"):
        return Path(project.settings["manage_py"]).parent
    if spec.orm == "alembic" and project.settings.get("config"):
        return Path(project.settings["config"]).parent
    marker = {"django": "manage.py", "alembic": "alembic.ini", "knex": "package.json", "prisma": "package.json",
              "drizzle": "package.json", "typeorm": "package.json", "sequelize": "package.json"}.get(spec.orm)
    if marker and not (root / marker).exists():
        for folder in [Path(m) for m in project.migrations]:
            found = find_upwards(folder, marker, stop=Path.cwd())
            if found is not None:
                return found.parent
    return root


def _relative(path: str, cwd: Path) -> str:
    try:
        return os.path.relpath(Path(path).resolve(), cwd.resolve())
    except ValueError:
        return str(Path(path).resolve())


def _values(args: argparse.Namespace, project: Project, cwd: Path) -> dict[str, list[str]]:
    settings = project.settings
    folder = _relative(project.migrations[0], cwd) if project.migrations else "migrations"
    values: dict[str, list[str]] = {"dir": [folder]}
    name = getattr(args, "name", None)
    if name is not None:
        values["name"] = [name]
    schema = settings.get("schema") or _first_existing(cwd, ("prisma/schema.prisma", "schema.prisma"))
    if schema:
        values["schema"] = [_relative(schema, cwd)]
    values["schema_args"] = ["--schema", values["schema"][0]] if schema else []
    # `config` means the tool's own config file for alembic (alembic.ini) and drizzle (drizzle.config.ts).
    config_file = settings.get("config") if project.orm in ("alembic", "drizzle") else None
    values["config_args"] = ["--config", _relative(config_file, cwd)] if config_file else []
    knexfile = settings.get("knexfile")
    values["knexfile_args"] = ["--knexfile", _relative(knexfile, cwd)] if knexfile else []
    datasource = args.datasource or settings.get("data_source")
    if datasource:
        values["datasource"] = [_relative(datasource, cwd) if Path(datasource).exists() else datasource]
    app = getattr(args, "app", None)
    values["app_args"] = [app] if app else []
    if app:
        values["app"] = [app]
    database_url = args.database_url or os.environ.get("DATABASE_URL")
    if database_url:
        values["database_url"] = [database_url]
    if project.orm == "goose":
        values["goose_connection"] = goose_connection(database_url)
    return values


def _first_existing(cwd: Path, names: tuple[str, ...]) -> str | None:
    for name in names:
        if (cwd / name).is_file():
            return str(cwd / name)
    return None


def django_app_folders(context: Context) -> dict[str, Path]:
    """App label -> migrations folder (the label Django uses by default: the app package's last name)."""
    apps = context.project.settings.get("apps", "")
    if apps:
        root = Path(context.project.root)
        pairs = [item.split("=", 1) for item in apps.split(",") if "=" in item]
        return {label: root / folder for label, folder in pairs}
    return {Path(folder).parent.name: Path(folder) for folder in context.project.migrations}
