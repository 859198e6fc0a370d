"""Configuration: `[tool.migrate-guard]` in pyproject.toml or `.migrate-guard.toml`, found by walking up."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ConfigError



def toml_parser() -> ModuleType:
    """tomllib (tomli before Python 3.11), imported when a TOML file is read: a run that reads none skips it."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover

    return tomli  # pragma: no cover

DIALECTS = ("postgres", "mysql", "sqlite")
FAIL_LEVELS = ("error", "warning", "info", "never")


@dataclass(slots=True)
class RuleSettings:
    """A rule's settings from the config file ([rules.<id>])."""

    severity: str | None = None
    enabled: bool = True


@dataclass(slots=True)
class Config:
    """The settings from .migrate-guard.toml or [tool.migrate-guard] (defaults when there is none)."""

    dialect: str | None = None
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
    source: Path | None = None  # the file this came from

    @property
    def root(self) -> Path:
        """Folder the config file sits in (paths in config are relative to it)."""
        return self.source.parent if self.source else Path.cwd()


# key -> (accepted types, description for error messages)
_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "dialect": ((str,), f"one of {', '.join(DIALECTS)}"),
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
}


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    for folder in (start, *start.parents):
        dotfile = folder / ".migrate-guard.toml"
        if dotfile.is_file():
            return dotfile, _read_toml(dotfile)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            section = data.get("tool", {}).get("migrate-guard")
            if section is not None:
                return pyproject, section
    return None


def load_config(explicit: str | None = None, start: Path | None = None) -> Config:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        data = _read_toml(path)
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("migrate-guard", {})
        return parse_config(data, path)
    found = find_config(start or Path.cwd())
    if found is None:
        return Config()
    return parse_config(found[1], found[0])


def parse_config(data: dict[str, Any], source: Path | None) -> Config:
    where = f"{source}: " if source else ""
    config = Config(source=source)
    for key, value in data.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}unknown configuration key '{key}' (known: {', '.join(sorted(_KEYS))})")
        types, description = _KEYS[key]
        if not isinstance(value, types) or (bool in types) != isinstance(value, bool):
            raise ConfigError(f"{where}configuration key '{key}' must be {description}, not {value!r}")
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
        else:
            setattr(config, key, value)
    if config.dialect is not None and config.dialect not in DIALECTS:
        raise ConfigError(f"{where}configuration key 'dialect' must be one of {', '.join(DIALECTS)}, not {config.dialect!r}")
    if config.fail_on not in FAIL_LEVELS:
        raise ConfigError(f"{where}configuration key 'fail_on' must be one of {', '.join(FAIL_LEVELS)}")
    if config.index_name_pattern is not None:
        import re

        try:
            re.compile(config.index_name_pattern)
        except re.error as error:
            raise ConfigError(f"{where}configuration key 'index_name_pattern' must be {_KEYS['index_name_pattern'][1]}"
                              f" ({error})") from None
    return config


def _rule_settings(table: dict[str, Any], where: str) -> dict[str, RuleSettings]:
    from .engine.rules import SEVERITIES, load_rules

    known = load_rules()
    result: dict[str, RuleSettings] = {}
    for rule_id, settings in table.items():
        if rule_id not in known:
            raise ConfigError(f"{where}unknown rule id '{rule_id}' in [rules]")
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


def _read_toml(path: Path) -> dict[str, Any]:
    tomllib = toml_parser()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
