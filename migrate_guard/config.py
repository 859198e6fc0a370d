"""Configuration: `[tool.migrate-guard]` in pyproject.toml or `.migrate-guard.toml`, found by walking up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dialects import DATABASES as DIALECTS
from .dialects import canonical as canonical_dialect
from .errors import ConfigError
from .toml_files import read_toml

FAIL_LEVELS = ("error", "warning", "info", "never")


@dataclass(slots=True)
class RuleSettings:
    """A rule's settings from the config file ([rules.<id>])."""

    severity: str | None = None
    enabled: bool | None = None  # None: the rule's default (opt-in rules are off)


@dataclass(slots=True)
class Config:
    """The settings from .migrate-guard.toml or [tool.migrate-guard] (defaults when there is none)."""

    dialect: str | None = None
    # Per path (a folder or file, relative to the config file) -> dialect: `[tool.migrate-guard.dialects]`.
    dialects: dict[str, str] = field(default_factory=dict)
    postgres_version: int = 14
    fail_on: str = "error"
    lint_down: bool = False
    exclude: list[str] = field(default_factory=list)
    rules: dict[str, RuleSettings] = field(default_factory=dict)
    # Per project root (or migration folder): migrations up to this id/timestamp are not linted.
    baseline: dict[str, str] = field(default_factory=dict)
    cache_dir: str | None = None
    # Tables big enough that a lock on them hurts; `run` warns about them.
    large_tables: list[str] = field(default_factory=list)
    # Environment values that mean production (NODE_ENV=production, ...).
    production_values: list[str] = field(default_factory=lambda: ["prod", "production", "live"])
    # A regular expression index names must match (Prisma @@index/@@unique names; the index-naming rule).
    index_name_pattern: str | None = None
    sql_parser: str = "auto"  # Postgres SQL: "auto" (libpg_query when the [pg] extra is installed), "sqlglot", "native"
    source: Path | None = None  # the file this came from

    @property
    def root(self) -> Path:
        """Folder the config file sits in (paths in config are relative to it)."""
        return self.source.parent if self.source else Path.cwd()


# key -> (accepted types, description for error messages)
_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "dialect": ((str,), f"one of {', '.join(DIALECTS)}"),
    "dialects": ((dict,), "a table of path -> dialect"),
    "postgres_version": ((int,), "an integer such as 14"),
    "fail_on": ((str,), f"one of {', '.join(FAIL_LEVELS)}"),
    "lint_down": ((bool,), "true or false"),
    "exclude": ((list,), "a list of path globs"),
    "rules": ((dict,), "a table of rule id -> {severity, enabled}"),
    "baseline": ((dict,), "a table of project root -> migration id"),
    "cache_dir": ((str,), "a folder path"),
    "large_tables": ((list,), "a list of table names"),
    "production_values": ((list,), "a list of environment values"),
    "index_name_pattern": ((str,), "a regular expression"),
    "sql_parser": ((str,), "one of auto, sqlglot, native"),
}


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    for folder in (start, *start.parents):
        dotfile = folder / ".migrate-guard.toml"
        if dotfile.is_file():
            return dotfile, read_toml(dotfile)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and mentions_us(pyproject):
            section = _pyproject_section(pyproject, read_toml(pyproject))
            if section is not None:
                return pyproject, section
    return None


def mentions_us(pyproject: Path) -> bool:
    """Can this pyproject.toml configure migrate-guard? One that never names it is not parsed: it is not our
    config, so an unrelated broken one is not our error (and the pre-commit fast path can tell without tomllib)."""
    try:
        with pyproject.open("rb") as handle:
            return b"migrate-guard" in handle.read()
    except OSError:
        return True  # let _read_toml report it


def _pyproject_section(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """`[tool.migrate-guard]` of a pyproject.toml (None: not there); a `tool` or section that is not a table is a
    configuration error, not a traceback."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table, not {type(tool).__name__} {tool!r:.40}")
    section = tool.get("migrate-guard")
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.migrate-guard] must be a table, not {type(section).__name__} "
                          f"{section!r:.40}")
    return section


def load_config(explicit: str | None = None, start: Path | None = None) -> Config:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        data = read_toml(path)
        if path.name == "pyproject.toml":
            data = _pyproject_section(path, data) or {}
        return parse_config(data, path)
    found = find_config(start or Path.cwd())
    if found is None:
        return Config()
    return parse_config(found[1], found[0])


def parse_config(data: dict[str, Any], source: Path | None) -> Config:
    where = f"{source}: " if source else ""
    config = Config(source=source)
    for key, value in data.items():
        _set_key(config, key, value, where)
    _check_values(config, where)
    return config


def _set_key(config: Config, key: str, given: object, where: str) -> None:
    if key not in _KEYS:
        raise ConfigError(f"{where}unknown configuration key '{key}' (known: {', '.join(sorted(_KEYS))})")
    if _holds_nul(given):  # paths and names with a NUL reach no file: os calls would raise ValueError
        raise ConfigError(f"{where}configuration key '{key}' contains a NUL character")
    types, description = _KEYS[key]
    if not isinstance(given, types) or (bool in types) != isinstance(given, bool):
        raise ConfigError(f"{where}configuration key '{key}' must be {description}, not {given!r}")
    value: Any = given  # of the type _KEYS names for the key
    if key == "rules":
        config.rules = _rule_settings(value, where)
    elif key in ("exclude", "large_tables", "production_values"):
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where}configuration key '{key}' must be {description}")
        setattr(config, key, list(value))
    elif key == "baseline":
        if not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{where}configuration key 'baseline' must be {description}")
        config.baseline = dict(value)
    elif key == "dialects":
        config.dialects = _path_dialects(value, where)
    else:
        setattr(config, key, value)


def _check_values(config: Config, where: str) -> None:
    """What a key's type alone does not say: known names, a cache folder outside the project, a valid pattern."""
    if config.dialect is not None:
        if canonical_dialect(config.dialect) is None:
            raise ConfigError(f"{where}configuration key 'dialect' must be one of {', '.join(DIALECTS)}, "
                              f"not {config.dialect!r}")
        config.dialect = canonical_dialect(config.dialect)
    if config.cache_dir is not None and holds_project(config.root / config.cache_dir, config):
        raise ConfigError(f"{where}configuration key 'cache_dir' names {config.cache_dir!r}, which holds the project; "
                          "name a folder of its own such as \".migrate-guard-cache\"")
    if config.fail_on not in FAIL_LEVELS:
        raise ConfigError(f"{where}configuration key 'fail_on' must be one of {', '.join(FAIL_LEVELS)}")
    if config.sql_parser not in ("auto", "sqlglot", "native"):
        raise ConfigError(f"{where}configuration key 'sql_parser' must be {_KEYS['sql_parser'][1]}, "
                          f"not {config.sql_parser!r}")
    if config.index_name_pattern is not None:
        import re

        try:
            re.compile(config.index_name_pattern)
        except re.error as error:
            raise ConfigError(f"{where}configuration key 'index_name_pattern' must be {_KEYS['index_name_pattern'][1]}"
                              f" ({error})") from None


def _path_dialects(table: dict[str, Any], where: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for path, value in table.items():
        dialect = canonical_dialect(value) if isinstance(value, str) else None
        if dialect is None:
            raise ConfigError(f"{where}configuration key 'dialects.{path}' must be one of {', '.join(DIALECTS)}, "
                              f"not {value!r}")
        result[path.strip().replace("\\", "/").rstrip("/") or "."] = dialect
    return result


def holds_project(folder: Path, config: Config) -> bool:
    """Is this folder the current folder, the config's folder or above one of them? A cache there would share (and
    prune) the project's own files."""
    import os

    real = os.path.realpath(folder)
    for place in (os.getcwd(), str(config.root)):
        held = os.path.realpath(place)
        if held == real or held.startswith(real.rstrip(os.sep) + os.sep):
            return True
    return False


def _rule_settings(table: dict[str, Any], where: str) -> dict[str, RuleSettings]:
    from .engine.rules import SEVERITIES, load_rules

    known = load_rules()
    result: dict[str, RuleSettings] = {}
    for rule_id, settings in table.items():
        if rule_id not in known:
            from .suggest import did_you_mean

            raise ConfigError(f"{where}unknown rule id '{rule_id}' in [rules]{did_you_mean(rule_id, sorted(known))}")
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}rules.{rule_id} must be a table such as {{ severity = \"warning\" }}")
        entry = RuleSettings()
        for key, value in settings.items():
            if key == "severity":
                if value not in SEVERITIES:
                    raise ConfigError(f"{where}rules.{rule_id}.severity must be one of {', '.join(SEVERITIES)}")
                entry.severity = value
            elif key == "enabled":
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}rules.{rule_id}.enabled must be true or false")
                entry.enabled = value
            else:
                raise ConfigError(f"{where}unknown configuration key 'rules.{rule_id}.{key}'")
        result[rule_id] = entry
    return result


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False
