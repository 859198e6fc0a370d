"""Production detection, backup commands (never with a password), project selection errors."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from migrate_guard.lifecycle.environment import (backup_command, detect_environment, goose_connection, redact,
                                                 without_password)

PRODUCTION = ["prod", "production", "live"]


@pytest.mark.parametrize("environ, production", [
    ({"NODE_ENV": "production"}, True),
    ({"NODE_ENV": "Production"}, True),
    ({"APP_ENV": "prod"}, True),
    ({"RAILS_ENV": "live"}, True),
    ({"ENVIRONMENT": "production"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings.production"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings_prod"}, True),
    ({"DJANGO_SETTINGS_MODULE": "mysite.settings.dev"}, False),
    ({"DJANGO_SETTINGS_MODULE": "products.settings"}, False),  # "products" is not "prod"
    ({"NODE_ENV": "development"}, False),
    ({"NODE_ENV": "preproduction"}, False),
    ({}, False),
])
def test_production_is_detected_from_the_environment(environ: dict[str, str], production: bool) -> None:
    assert detect_environment(None, PRODUCTION, environ).production is production


def test_explicit_env_wins_and_the_list_is_configurable() -> None:
    assert detect_environment("production", PRODUCTION, {}).production
    assert not detect_environment("staging", PRODUCTION, {"NODE_ENV": "production"}).production
    assert detect_environment(None, ["staging"], {"APP_ENV": "staging"}).production
    assert not detect_environment(None, ["staging"], {"APP_ENV": "production"}).production


def test_postgres_backup_command_has_no_password() -> None:
    command = backup_command("postgresql://admin:hunter2@db.internal:6543/shop", Path("."))
    assert command is not None and "hunter2" not in command
    argv = shlex.split(command.split("  #")[0])
    assert argv[0] == "pg_dump"
    assert argv[argv.index("--host") + 1] == "db.internal" and argv[argv.index("--port") + 1] == "6543"
    assert argv[argv.index("--username") + 1] == "admin" and argv[-1] == "shop"
    assert "PGPASSWORD" in command


def test_mysql_backup_command_prompts_for_the_password() -> None:
    command = backup_command("mysql://root:hunter2@localhost:3306/app", Path("."))
    assert command is not None and "hunter2" not in command
    argv = shlex.split(command)
    assert argv[0] == "mysqldump" and "--password" in argv and argv[-1] == "app"


@pytest.mark.parametrize("url, path", [("sqlite:///app.db", "app.db"), ("sqlite:////var/data/app.db", "/var/data/app.db"),
                                       ("file:./dev.db", "./dev.db")])
def test_sqlite_backup_command(url: str, path: str) -> None:
    command = backup_command(url, Path("."))
    assert command is not None
    argv = shlex.split(command)
    assert argv[:2] == ["sqlite3", path] and argv[2].startswith(f'.backup "{path}.backup-')


def test_unknown_database_gives_no_command() -> None:
    assert backup_command(None, Path(".")) is None
    assert backup_command("sqlite:///:memory:", Path(".")) is None


def test_passwords_are_redacted_everywhere_we_print() -> None:
    assert redact("migrate -database postgres://u:p%40ss@h:5432/db up") == "migrate -database postgres://u:***@h:5432/db up"
    assert without_password("mysql://root:pw@h/db") == "mysql://root:***@h/db"
    assert redact("postgres://u@h/db") == "postgres://u@h/db"


def test_goose_connection_from_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOSE_DRIVER", raising=False)
    monkeypatch.delenv("GOOSE_DBSTRING", raising=False)
    assert goose_connection("postgres://u:p@h/db") == ["postgres", "postgres://u:p@h/db"]
    assert goose_connection("sqlite:///x.db") == ["sqlite3", "x.db"]
    assert goose_connection("mysql://u:p@h:3307/db") == ["mysql", "u:p@tcp(h:3307)/db"]
    monkeypatch.setenv("GOOSE_DRIVER", "postgres")
    monkeypatch.setenv("GOOSE_DBSTRING", "x")
    assert goose_connection("postgres://u:p@h/db") == []  # goose reads its own variables


GOOSE = "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n"
DBMATE = "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n"


def test_several_projects_must_be_chosen(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc_a/migrations/00001_init.sql": GOOSE,
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE})
    result = run_cli("status", cwd=tmp_path)
    assert result.code == 2
    assert "several migration projects" in result.err and "--project" in result.err
    assert "goose in svc_a" in result.err


def test_project_option_selects_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc_a/migrations/00001_init.sql": GOOSE,
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE})
    result = run_cli("status", "--project", "svc_a", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert result.code == 2
    assert "goose is not installed for the goose project" in result.err


def test_no_project_and_unsupported_orm_are_usage_errors(tmp_path: Path) -> None:
    empty = run_cli("run", cwd=tmp_path)
    assert empty.code == 2 and "no migration project found" in empty.err
    flyway = run_cli("run", "--orm", "flyway", cwd=tmp_path)
    assert flyway.code == 2 and "no lifecycle commands for 'flyway'" in flyway.err
    missing = run_cli("create", cwd=tmp_path)
    assert missing.code == 2


def test_run_from_inside_a_project_finds_it(tmp_path: Path) -> None:
    """From a project's migrations folder (or any folder below its root) in a repository, the project holding the
    current folder is the one acted on; outside any project the commands still ask for --project."""
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "svc_a/go.mod": "module svc_a\n",
                          "svc_a/migrations/00001_init.sql": GOOSE, "svc_a/cmd/server/main.go": "package main\n",
                          "svc_b/db/migrations/20240101000000_init.sql": DBMATE, "svc_b/db/seeds/a.txt": "x\n",
                          "docs/notes.md": "notes\n"})
    inside = run_cli("status", cwd=tmp_path / "svc_a" / "cmd" / "server", env={"PATH": "/usr/bin:/bin"})
    assert inside.code == 2 and "goose is not installed for the goose project" in inside.err
    beside = run_cli("status", cwd=tmp_path / "svc_b" / "db" / "seeds", env={"PATH": "/usr/bin:/bin"})
    assert beside.code == 2 and "dbmate is not installed" in beside.err
    outside = run_cli("status", cwd=tmp_path / "docs")
    assert outside.code == 2 and "no migration project found" in outside.err
