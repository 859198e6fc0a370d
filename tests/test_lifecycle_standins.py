"""Lifecycle commands over the tools that cannot run here (prisma, drizzle-kit, typeorm, sequelize-cli,
golang-migrate, goose, dbmate): a stand-in executable under the tool's name records its argv and working folder, so
these tests prove the exact command line, where it runs, and that its exit code becomes ours."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, write_tree
from migrate_guard.lifecycle.environment import ENV_VARIABLES

STANDIN = (FIXTURES / "lifecycle" / "standin.py").read_text(encoding="utf-8")
SECRET = "s3cret-pw"
PG_URL = f"postgres://app:{SECRET}@db:5432/shop?sslmode=disable"  # a compose service: a local host
HOSTILE_NAMES = ["x; rm -rf ~", "$(id)"]


@dataclass
class Case:
    orm: str
    tool: str  # executable name
    where: str  # "node": node_modules/.bin, "path": a folder on PATH
    files: dict[str, str]
    create: list[str]  # argv after the tool, NAME stands for the name
    create_writes: dict[str, str]
    status: list[str] | None
    pending_output: str
    applied_output: str
    run: list[str]
    rollback: list[str] | None
    env: dict[str, str] = field(default_factory=dict)
    status_exit_pending: int = 0
    run_production: list[str] | None = None


USERS_SQL = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"

CASES = [
    Case(
        orm="prisma", tool="prisma", where="node",
        files={
            "package.json": '{"devDependencies": {"prisma": "^6"}}\n',
            "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\n'
                                    'model User {\n  id Int @id\n}\n',
            "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
            "prisma/migrations/20240101000000_init/migration.sql": USERS_SQL,
        },
        create=["migrate", "dev", "--name", "NAME", "--create-only", "--schema", "prisma/schema.prisma"],
        create_writes={"prisma/migrations/20240102000000_add_age/migration.sql":
                       'ALTER TABLE "users" ADD COLUMN "age" INTEGER;\n'},
        status=["migrate", "status", "--schema", "prisma/schema.prisma"],
        pending_output="1 migration found in prisma/migrations\n\nFollowing migration have not yet been applied:\n"
                       "20240101000000_init\n\nTo apply migrations in development run prisma migrate dev.\n",
        applied_output="1 migration found in prisma/migrations\n\nDatabase schema is up to date!\n",
        status_exit_pending=1,
        run=["migrate", "dev", "--schema", "prisma/schema.prisma"],
        run_production=["migrate", "deploy", "--schema", "prisma/schema.prisma"],
        rollback=None,
    ),
    Case(
        orm="drizzle", tool="drizzle-kit", where="node",
        files={
            "package.json": '{"devDependencies": {"drizzle-kit": "^0.30"}}\n',
            "drizzle.config.ts": 'export default { dialect: "postgresql", schema: "./src/schema.ts", out: "./drizzle" };\n',
            "drizzle/0000_init.sql": USERS_SQL,
            "drizzle/meta/_journal.json": json.dumps({"version": "7", "dialect": "postgresql", "entries": [
                {"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_init", "breakpoints": True}]}),
        },
        create=["generate", "--name", "NAME", "--config", "drizzle.config.ts"],
        create_writes={"drizzle/0001_add_age.sql": 'ALTER TABLE "users" ADD COLUMN "age" integer;\n'},
        status=None, pending_output="", applied_output="",
        run=["migrate", "--config", "drizzle.config.ts"],
        rollback=None,
    ),
    Case(
        orm="typeorm", tool="typeorm", where="node",
        files={
            "package.json": '{"dependencies": {"typeorm": "^0.3"}}\n',
            "src/data-source.ts": 'import { DataSource } from "typeorm";\n\nexport const AppDataSource = new DataSource({\n'
                                  '  type: "postgres",\n  url: process.env.DATABASE_URL,\n'
                                  '  migrations: ["src/migrations/*.ts"],\n});\n',
            "src/migrations/1700000000000-Init.ts":
                'import { MigrationInterface, QueryRunner } from "typeorm";\n\n'
                'export class Init1700000000000 implements MigrationInterface {\n'
                '  public async up(queryRunner: QueryRunner): Promise<void> {\n'
                '    await queryRunner.query(`CREATE TABLE users (id bigint PRIMARY KEY)`);\n  }\n\n'
                '  public async down(queryRunner: QueryRunner): Promise<void> {\n'
                '    await queryRunner.query(`DROP TABLE users`);\n  }\n}\n',
        },
        create=["migration:generate", "src/migrations/NAME", "-d", "src/data-source.ts"],
        create_writes={"src/migrations/1700000000001-AddAge.ts":
                       'import { MigrationInterface, QueryRunner } from "typeorm";\n\n'
                       'export class AddAge1700000000001 implements MigrationInterface {\n'
                       '  public async up(queryRunner: QueryRunner): Promise<void> {\n'
                       '    await queryRunner.query(`ALTER TABLE users ADD COLUMN age integer`);\n  }\n\n'
                       '  public async down(queryRunner: QueryRunner): Promise<void> {\n'
                       '    await queryRunner.query(`ALTER TABLE users DROP COLUMN age`);\n  }\n}\n'},
        status=["migration:show", "-d", "src/data-source.ts"],
        pending_output=" [ ] Init1700000000000\n", applied_output=" [X] 1 Init1700000000000\n",
        status_exit_pending=1,
        run=["migration:run", "-d", "src/data-source.ts"],
        rollback=["migration:revert", "-d", "src/data-source.ts"],
    ),
    Case(
        orm="sequelize", tool="sequelize-cli", where="node",
        files={
            "package.json": '{"devDependencies": {"sequelize-cli": "^6", "sequelize": "^6"}}\n',
            "config/config.json": '{"development": {"dialect": "postgres"}}\n',
            "migrations/20240101000000-create-users.js":
                "module.exports = {\n  async up(queryInterface, Sequelize) {\n"
                "    await queryInterface.createTable('users', { id: { type: Sequelize.INTEGER, primaryKey: true } });\n"
                "  },\n  async down(queryInterface) {\n    await queryInterface.dropTable('users');\n  },\n};\n",
        },
        create=["migration:generate", "--name", "NAME"],
        create_writes={"migrations/20240102000000-add-age.js":
                       "module.exports = {\n  async up(queryInterface, Sequelize) {\n"
                       "    await queryInterface.addColumn('users', 'age', { type: Sequelize.INTEGER, allowNull: true });\n"
                       "  },\n  async down(queryInterface) {\n    await queryInterface.removeColumn('users', 'age');\n"
                       "  },\n};\n"},
        status=["db:migrate:status"],
        pending_output='Sequelize CLI [Node: 20.0.0, CLI: 6.6.2, ORM: 6.37.0]\n\nLoaded configuration file '
                       '"config/config.json".\ndown 20240101000000-create-users.js\n',
        applied_output="up 20240101000000-create-users.js\n",
        run=["db:migrate"], rollback=["db:migrate:undo"],
    ),
    Case(
        orm="golang-migrate", tool="migrate", where="path",
        files={"migrations/000001_init.up.sql": USERS_SQL, "migrations/000001_init.down.sql": "DROP TABLE users;\n"},
        create=["create", "-ext", "sql", "-dir", "migrations", "-seq", "NAME"],
        create_writes={"migrations/000002_add_age.up.sql": "ALTER TABLE users ADD COLUMN age integer;\n",
                       "migrations/000002_add_age.down.sql": "ALTER TABLE users DROP COLUMN age;\n"},
        status=["-path", "migrations", "-database", PG_URL, "version"],
        pending_output="error: no migration\n", applied_output="1\n", status_exit_pending=1,
        run=["-path", "migrations", "-database", PG_URL, "up"],
        rollback=["-path", "migrations", "-database", PG_URL, "down", "1"],
        env={"DATABASE_URL": PG_URL},
    ),
    Case(
        orm="goose", tool="goose", where="path",
        files={"migrations/00001_init.sql": "-- +goose Up\n" + USERS_SQL + "\n-- +goose Down\nDROP TABLE users;\n"},
        create=["-dir", "migrations", "create", "NAME", "sql"],
        create_writes={"migrations/00002_add_age.sql": "-- +goose Up\nALTER TABLE users ADD COLUMN age integer;\n\n"
                                                        "-- +goose Down\nALTER TABLE users DROP COLUMN age;\n"},
        status=["-dir", "migrations", "postgres", PG_URL, "status"],
        pending_output="2024/01/02 15:04:05     Applied At                  Migration\n"
                       "2024/01/02 15:04:05     =======================================\n"
                       "2024/01/02 15:04:05     Pending                  -- 00001_init.sql\n",
        applied_output="    Applied At                  Migration\n    =======================================\n"
                       "    Tue Jan  2 15:04:05 2024 -- 00001_init.sql\n",
        run=["-dir", "migrations", "postgres", PG_URL, "up"],
        rollback=["-dir", "migrations", "postgres", PG_URL, "down"],
        env={"DATABASE_URL": PG_URL},
    ),
    Case(
        orm="dbmate", tool="dbmate", where="node",
        files={"package.json": '{"devDependencies": {"dbmate": "^2"}}\n',
               "db/migrations/20240101000000_init.sql": "-- migrate:up\n" + USERS_SQL +
                                                         "\n-- migrate:down\nDROP TABLE users;\n"},
        create=["--migrations-dir", "db/migrations", "new", "NAME"],
        create_writes={"db/migrations/20240102000000_add_age.sql":
                       "-- migrate:up\nALTER TABLE users ADD COLUMN age integer;\n\n"
                       "-- migrate:down\nALTER TABLE users DROP COLUMN age;\n"},
        status=["--migrations-dir", "db/migrations", "status"],
        pending_output="[ ] 20240101000000_init.sql\n\nApplied: 0\nPending: 1\n",
        applied_output="[X] 20240101000000_init.sql\n\nApplied: 1\nPending: 0\n",
        run=["--migrations-dir", "db/migrations", "up"],
        rollback=["--migrations-dir", "db/migrations", "rollback"],
        env={"DATABASE_URL": PG_URL},
    ),
]
IDS = [case.orm for case in CASES]


@dataclass
class Setup:
    root: Path
    env: dict[str, str]
    log: Path

    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]


def _rules(case: Case, name: str | None = None, run_exit: int = 0) -> list[dict]:
    create_words = [w for w in case.create if w != "NAME" and "NAME" not in w]
    rules: list[dict] = [{"match": create_words, "write": case.create_writes, "stdout": "created\n"}]
    if case.status:
        rules += [
            {"match": case.status, "state": "start", "stdout": case.pending_output, "exit": case.status_exit_pending},
            {"match": case.status, "state": "applied", "stdout": case.applied_output},
        ]
    if case.rollback:
        rules.append({"match": case.rollback, "state": "applied", "next_state": "start", "stdout": "reverted\n"})
    failing = {"stderr": "native tool: boom\n", "exit": run_exit} if run_exit else {"next_state": "applied"}
    for run in filter(None, (case.run, case.run_production)):
        rules.append({"match": run, "stdout": "applying\n", **failing})
    return rules


def setup_case(tmp_path: Path, case: Case, state: str = "start", run_exit: int = 0) -> Setup:
    root = write_tree(tmp_path / "project", case.files)
    bin_dir = root / "node_modules" / ".bin" if case.where == "node" else tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / case.tool
    exe.write_text(f"#!{sys.executable}\n{STANDIN}", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"rules": _rules(case, run_exit=run_exit)}), encoding="utf-8")
    (tmp_path / "state").write_text(state, encoding="utf-8")
    env = {"STANDIN_LOG": str(tmp_path / "log.jsonl"), "STANDIN_SCRIPT": str(script),
           "STANDIN_STATE": str(tmp_path / "state"), "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
           **{variable: "" for variable in ENV_VARIABLES}, "DATABASE_URL": "", "GOOSE_DBSTRING": "", **case.env}
    return Setup(root, env, tmp_path / "log.jsonl")


def _with_name(argv: list[str], name: str) -> list[str]:
    return [arg.replace("NAME", name) for arg in argv]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_create_runs_the_generator_with_the_name_as_one_argument(tmp_path: Path, case: Case, name: str) -> None:
    setup = setup_case(tmp_path, case)
    result = run_cli("create", name, cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    calls = setup.calls()
    assert calls[0]["argv"] == _with_name(case.create, name)
    assert Path(calls[0]["cwd"]).resolve() == setup.root.resolve()
    assert len(calls) == 1
    assert "Migration Created" in result.out
    for path in case.create_writes:
        assert f"File: {path}" in result.out
    assert f"ORM:  {case.orm}" in result.out
    assert "ADD COLUMN age" in result.out
    assert "[PASS] No destructive operations" in result.out
    if case.rollback is None:  # Prisma, Drizzle: the user must hear that there is no way back
        assert f"[WARN] No down migration: {case.orm} cannot roll this back" in result.out
    assert "No down migration needed" not in result.out
    assert "Ready to apply with: migrate-guard run" in result.out
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_run_reads_status_lints_pending_then_applies(tmp_path: Path, case: Case) -> None:
    setup = setup_case(tmp_path, case)
    result = run_cli("run", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    argvs = setup.argvs()
    if case.status:
        assert argvs[0] == case.status
        assert argvs[1] == case.run
        assert argvs[2:] == [case.status]  # the state after, to report what was applied
    else:
        assert argvs == [case.run]
    assert all(Path(call["cwd"]).resolve() == setup.root.resolve() for call in setup.calls())
    assert "applying" in result.out  # the tool's own output is streamed, not swallowed
    assert "Migration Applied" in result.out
    assert "Applied: 1 migration(s)" in result.out
    assert "  1. " in result.out and "     + Created table: users" in result.out
    assert "Duration:" in result.out
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_failing_native_tool_exit_code_is_ours(tmp_path: Path, case: Case) -> None:
    setup = setup_case(tmp_path, case, run_exit=3)
    result = run_cli("run", cwd=setup.root, env=setup.env)
    assert result.code == 1  # 2 would read as a usage error: the native exit code is reported in words
    assert "native tool: boom" in result.err
    assert "the native run command failed (exit code 3)" in result.err
    assert "Migration Applied" not in result.out


@pytest.mark.parametrize("case", [c for c in CASES if c.rollback], ids=[c.orm for c in CASES if c.rollback])
def test_rollback_reads_the_last_migration_then_runs_the_native_down(tmp_path: Path, case: Case) -> None:
    setup = setup_case(tmp_path, case, state="applied")
    refused = run_cli("rollback", cwd=setup.root, env=setup.env)
    assert refused.code == 1  # the down drops the users table: data loss needs confirmation
    assert "- Dropped table: users" in refused.out
    assert case.rollback not in setup.argvs()
    result = run_cli("rollback", "--allow-destructive", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    assert case.rollback in setup.argvs()
    assert "Migration Rolled Back" in result.out
    assert "Current state: (no migration applied)" in result.out  # the state after, from the native status
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize("case", [c for c in CASES if not c.rollback], ids=[c.orm for c in CASES if not c.rollback])
def test_tools_without_native_rollback_explain_and_stop(tmp_path: Path, case: Case) -> None:
    setup = setup_case(tmp_path, case, state="applied")
    result = run_cli("rollback", "--yes", cwd=setup.root, env=setup.env)
    assert result.code == 1
    assert "no native rollback" in result.err
    assert "new migration" in result.err
    assert setup.calls() == []


@pytest.mark.parametrize("case", [c for c in CASES if c.status], ids=[c.orm for c in CASES if c.status])
def test_status_runs_the_native_status_and_numbers_the_migrations(tmp_path: Path, case: Case) -> None:
    setup = setup_case(tmp_path, case)
    result = run_cli("status", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    assert setup.argvs()[0] == case.status
    assert "Pending (1):" in result.out
    assert "1. " in result.out


def test_prisma_in_production_deploys_and_needs_confirmation(tmp_path: Path) -> None:
    case = CASES[0]
    setup = setup_case(tmp_path, case)
    refused = run_cli("run", cwd=setup.root, env={**setup.env, "NODE_ENV": "production"})
    assert refused.code == 1
    assert "production" in refused.err and "--yes" in refused.err
    assert case.run_production not in setup.argvs() and case.run not in setup.argvs()
    result = run_cli("run", "--yes", cwd=setup.root, env={**setup.env, "NODE_ENV": "production"})
    assert result.code == 0, result.out + result.err
    assert case.run_production in setup.argvs()


def test_destructive_pending_migration_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    write_tree(setup.root, {"migrations/000001_init.up.sql": "DROP TABLE legacy_events;\n"})
    result = run_cli("run", cwd=setup.root, env=setup.env)
    assert result.code == 1
    assert "drop-table" in result.out
    assert "--allow-destructive" in result.err
    assert "pg_dump" in result.out and "--host db" in result.out  # the backup command, without password
    assert SECRET not in result.out + result.err
    assert case.run not in setup.argvs()
    allowed = run_cli("run", "--allow-destructive", cwd=setup.root, env=setup.env)
    assert allowed.code == 0, allowed.out + allowed.err
    assert case.run in setup.argvs()


def test_missing_tool_is_a_clear_error(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "goose")
    root = write_tree(tmp_path / "project", case.files)
    result = run_cli("status", cwd=root, env={"PATH": "/usr/bin:/bin"})
    assert result.code == 2
    assert "goose is not installed" in result.err and "go install" in result.err


def test_create_of_a_destructive_migration_fails_the_safety_check(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    script = json.loads(Path(setup.env["STANDIN_SCRIPT"]).read_text())
    script["rules"][0]["write"] = {"migrations/000002_drop.up.sql": "DROP TABLE users;\n",
                                   "migrations/000002_drop.down.sql": USERS_SQL}
    Path(setup.env["STANDIN_SCRIPT"]).write_text(json.dumps(script))
    result = run_cli("create", "drop users", cwd=setup.root, env=setup.env)
    assert result.code == 1
    assert "- DROP TABLE users" in result.out
    assert "[FAIL]" in result.out and "drop-table" in result.out
    assert "Ready to apply" not in result.out
    assert run_cli("create", "drop again", "--fail-on", "never", cwd=setup.root, env=setup.env).code == 0


def test_lock_warning_for_large_tables(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    write_tree(setup.root, {"migrations/000001_init.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
                            "migrations/000001_init.down.sql": "ALTER TABLE orders DROP COLUMN note;\n",
                            ".migrate-guard.toml": 'large_tables = ["orders"]\n'})
    result = run_cli("run", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    assert "[WARN] Lock: add column on large table orders (migrations/000001_init.up.sql:1)" in result.out


@pytest.mark.parametrize("orm", ["prisma", "typeorm"])
def test_status_exit_1_without_pending_migrations_is_a_failure(tmp_path: Path, orm: str) -> None:
    """Prisma and TypeORM exit 1 when migrations are pending; an exit 1 listing none (a database error) is not
    mistaken for "everything applied"."""
    case = next(c for c in CASES if c.orm == orm)
    setup = setup_case(tmp_path, case)
    script = json.loads(Path(setup.env["STANDIN_SCRIPT"]).read_text())
    for rule in script["rules"]:
        if rule["match"] == case.status:
            rule.update(stdout="Error: P1001: Can't reach database server\n", exit=1)
    Path(setup.env["STANDIN_SCRIPT"]).write_text(json.dumps(script))
    result = run_cli("run", cwd=setup.root, env=setup.env)
    assert result.code == 1
    assert "Can't reach database server" in result.out
    assert "status command failed" in result.err
    assert case.run not in setup.argvs()


def test_declared_node_tool_without_node_modules_runs_through_npx_no_install(tmp_path: Path) -> None:
    """Yarn Plug'n'Play and some workspaces have no node_modules/.bin: `npx --no-install` finds the tool and never
    downloads one."""
    case = next(c for c in CASES if c.orm == "prisma")
    setup = setup_case(tmp_path, case)
    npx = tmp_path / "bin" / "npx"
    npx.parent.mkdir(exist_ok=True)
    (setup.root / "node_modules" / ".bin" / "prisma").rename(npx)
    result = run_cli("status", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    call = setup.calls()[0]
    assert call["tool"] == "npx"
    assert call["argv"] == ["--no-install", "prisma", *case.status]


def test_golang_migrate_without_a_database_url_is_a_usage_error(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    result = run_cli("run", cwd=setup.root, env={**setup.env, "DATABASE_URL": ""})
    assert result.code == 2
    assert "--database-url" in result.err
    assert setup.calls() == []
    explicit = run_cli("status", "--database-url", PG_URL, cwd=setup.root, env={**setup.env, "DATABASE_URL": ""})
    assert explicit.code == 0, explicit.out + explicit.err
    assert setup.argvs() == [case.status]


def _run_in_terminal(args: list[str], cwd: Path, env: dict[str, str], answer: bytes,
                     color: bool = False) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin/stdout, answering the first [y/N] prompt."""
    import select
    import subprocess

    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "migrate_guard", *args], cwd=cwd,
                            env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
                                 **({} if color else {"NO_COLOR": "1"}), **env},
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output, answered = b"", False
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        output += data
        if not answered and b"[y/N]" in output:
            os.write(master, answer)
            answered = True
    os.close(master)
    return proc.wait(timeout=60), output.decode(errors="replace")


@pytest.mark.parametrize("answer, applied", [(b"y\n", True), (b"n\n", False)])
def test_at_a_terminal_the_user_is_asked(tmp_path: Path, answer: bytes, applied: bool) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    write_tree(setup.root, {"migrations/000001_init.up.sql": "DROP TABLE legacy_events;\n"})
    code, output = _run_in_terminal(["run"], setup.root, setup.env, answer)
    assert "1 error-level finding(s) in the pending migrations. Continue? [y/N]" in output
    assert (case.run in setup.argvs()) is applied
    assert code == (0 if applied else 1), output


def test_drizzle_applied_state_from_sqlite(tmp_path: Path) -> None:
    import sqlite3

    case = next(c for c in CASES if c.orm == "drizzle")
    setup = setup_case(tmp_path, case)
    db = setup.root / "local.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text, created_at numeric)")
        connection.execute("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('x', 1700000000000)")
    result = run_cli("run", cwd=setup.root, env={**setup.env, "DATABASE_URL": "file:local.db"})
    assert result.code == 0, result.out + result.err
    assert "No pending migrations." in result.out
    assert setup.calls() == []
    status = run_cli("status", cwd=setup.root, env={**setup.env, "DATABASE_URL": "file:local.db"})
    assert "Applied (1):" in status.out and "1. 0000_init" in status.out


@pytest.mark.parametrize("diff_exit, expected", [(0, "Schema drift: None detected"), (2, "Schema drift: DETECTED"),
                                                 (1, "Schema drift: unknown: the check could not run")])
def test_prisma_status_reports_drift_from_migrate_diff(tmp_path: Path, diff_exit: int, expected: str) -> None:
    case = next(c for c in CASES if c.orm == "prisma")
    setup = setup_case(tmp_path, case, state="applied")
    script = json.loads(Path(setup.env["STANDIN_SCRIPT"]).read_text())
    script["rules"].insert(0, {"match": ["migrate", "diff", "--exit-code"], "stdout": "diff output\n", "exit": diff_exit})
    Path(setup.env["STANDIN_SCRIPT"]).write_text(json.dumps(script))
    result = run_cli("status", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    assert setup.argvs()[1] == ["migrate", "diff", "--from-schema-datasource", "prisma/schema.prisma",
                                "--to-schema-datamodel", "prisma/schema.prisma", "--exit-code"]
    assert "diff output" in result.out
    assert expected in result.out


# --- fail closed (issue 17) ----------------------------------------------------------------------------------


def _script_rules(setup: Setup) -> tuple[dict, Path]:
    path = Path(setup.env["STANDIN_SCRIPT"])
    return json.loads(path.read_text()), path


def _with_url(setup: Setup, url: str) -> dict[str, str]:
    """The stand-in answers commands holding `url` instead of PG_URL; the environment for it."""
    script, path = _script_rules(setup)
    for rule in script["rules"]:
        rule["match"] = [url if word == PG_URL else word for word in rule["match"]]
    path.write_text(json.dumps(script))
    return {**setup.env, "DATABASE_URL": url}


def test_run_refuses_a_pending_migration_it_could_not_map_to_a_file(tmp_path: Path) -> None:
    """The native tool lists a migration migrate-guard found no file for (its folder was not detected): it was not
    linted, so it is not applied without --allow-unreviewed."""
    case = next(c for c in CASES if c.orm == "sequelize")
    setup = setup_case(tmp_path, case)
    script, path = _script_rules(setup)
    for rule in script["rules"]:
        if rule["match"] == case.status and rule.get("state") == "start":
            rule["stdout"] += "down 20240105000000-drop-orders.js\n"
    path.write_text(json.dumps(script))
    refused = run_cli("run", cwd=setup.root, env=setup.env)
    assert refused.code == 1
    assert "Not reviewed: 20240105000000-drop-orders.js (no migration file found" in refused.out
    assert "--allow-unreviewed" in refused.err and "Nothing was applied" in refused.err
    assert case.run not in setup.argvs()
    allowed = run_cli("run", "--allow-unreviewed", cwd=setup.root, env=setup.env)
    assert allowed.code == 0, allowed.out + allowed.err
    assert case.run in setup.argvs()


MYSQL_TCP_URL = f"mysql://app:{SECRET}@tcp(db.internal.example:3306)/shop?parseTime=true"


def test_golang_migrate_mysql_tcp_url_never_crashes_and_never_shows_the_password(tmp_path: Path) -> None:
    """golang-migrate's documented MySQL form mysql://user:pass@tcp(host:port)/db: the backup advice is a real
    mysqldump command (it crashed), and neither our lines nor the native tool's output show the password."""
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    env = _with_url(setup, MYSQL_TCP_URL)
    script, path = _script_rules(setup)
    for rule in script["rules"]:
        rule["stderr"] = rule.get("stderr", "") + f"error: dial {MYSQL_TCP_URL}: retrying\n"
    path.write_text(json.dumps(script))
    write_tree(setup.root, {"migrations/000001_init.up.sql": "DROP TABLE legacy_events;\n",
                            "migrations/000001_init.down.sql": "CREATE TABLE legacy_events (id int);\n"})
    result = run_cli("run", "--allow-destructive", "--yes", cwd=setup.root, env=env)
    assert result.code == 0, result.out + result.err
    assert "mysqldump --single-transaction --host db.internal.example --port 3306 --user app --password" in result.out
    assert "mysql://app:***@tcp(db.internal.example:3306)/shop" in result.out + result.err
    assert SECRET not in result.out + result.err
    rolled = run_cli("rollback", "--allow-destructive", "--yes", cwd=setup.root, env=env)
    assert rolled.code == 0, rolled.out + rolled.err
    assert SECRET not in rolled.out + rolled.err


@pytest.mark.parametrize("variable, value", [
    ("DJANGO_ENV", "production"), ("FLASK_ENV", "production"), ("ENV", "production"), ("RACK_ENV", "production"),
    ("MIX_ENV", "prod"), ("ASPNETCORE_ENVIRONMENT", "Production"), ("APP_ENV", "production "), ("APP_ENV", "prd"),
    ("RAILS_ENV", "production-eu"), ("DATABASE_URL", f"postgres://app:{SECRET}@prod-db.internal:5432/shop"),
])
def test_production_is_recognised_and_named(tmp_path: Path, variable: str, value: str) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    env = _with_url(setup, value) if variable == "DATABASE_URL" else {**setup.env, variable: value}
    refused = run_cli("run", cwd=setup.root, env=env)
    assert refused.code == 1, refused.out + refused.err
    signal = "database host prod-db.internal (DATABASE_URL)" if variable == "DATABASE_URL" else f"{variable}={value.strip()}"
    assert f"Environment: production ({signal})" in refused.out
    assert "--yes" in refused.err
    assert case.run not in setup.argvs()
    assert SECRET not in refused.out + refused.err
    assert run_cli("run", "--yes", cwd=setup.root, env=env).code == 0
    assert [PG_URL if arg == env["DATABASE_URL"] else arg for arg in setup.argvs()[-2]] == case.run


def test_a_database_host_that_is_not_local_means_production(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    env = _with_url(setup, "postgres://app@db.example.com:5432/shop")
    refused = run_cli("run", cwd=setup.root, env=env)
    assert refused.code == 1
    assert "Environment: production (database host db.example.com is not local (DATABASE_URL))" in refused.out
    assert run_cli("run", "--env", "staging", cwd=setup.root, env=env).code == 0  # --env wins


def test_one_prompt_lists_destructive_and_production(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    write_tree(setup.root, {"migrations/000001_init.up.sql": "DROP TABLE legacy_events;\n"})
    no_terminal = run_cli("run", "--yes", cwd=setup.root, env={**setup.env, "APP_ENV": "production"})
    assert no_terminal.code == 1 and "re-run with --allow-destructive." in no_terminal.err
    code, output = _run_in_terminal(["run"], setup.root, {**setup.env, "APP_ENV": "production"}, b"y\n")
    assert output.count("[y/N]") == 1
    assert "error-level finding(s) in the pending migrations; this is PRODUCTION (APP_ENV=production). Continue?" in output
    assert code == 0, output
    assert case.run in setup.argvs()


def test_reports_are_coloured_at_a_terminal_only(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, case)
    code, output = _run_in_terminal(["create", "add age"], setup.root, setup.env, b"", color=True)
    assert code == 0, output
    assert "\x1b[32m[PASS]\x1b[0m No destructive operations" in output and "\x1b[1mMigration Created\x1b[0m" in output
    for path in case.create_writes:
        (setup.root / path).unlink()
    piped = run_cli("create", "add age", cwd=setup.root, env=setup.env)
    assert "\x1b[" not in piped.out and "[PASS] No destructive operations" in piped.out


def test_golang_migrate_sequence_from_a_new_project(tmp_path: Path) -> None:
    """golang-migrate cannot be installed here: its stand-in goes through the whole first-week sequence, with the
    database version as the stand-in's state (status, create, run, a destructive create, run refused, allowed,
    status, rollback preview then done, status)."""
    case = next(c for c in CASES if c.orm == "golang-migrate")
    setup = setup_case(tmp_path, Case(**{**case.__dict__, "files": {"go.mod": "module app\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n"}}), state="0")
    (setup.root / "migrations").mkdir()
    go = ["-path", "migrations", "-database", PG_URL]
    rules = [
        {"match": ["create"], "state": "0", "next_state": "0c", "write": {
            "migrations/000001_add_users.up.sql": USERS_SQL + "ALTER TABLE users ADD COLUMN nickname text;\n",
            "migrations/000001_add_users.down.sql": "DROP TABLE users;\n"}},
        {"match": ["create"], "state": "1", "next_state": "1c", "write": {
            "migrations/000002_drop_nickname.up.sql": "ALTER TABLE users DROP COLUMN nickname;\n",
            "migrations/000002_drop_nickname.down.sql": "ALTER TABLE users ADD COLUMN nickname text;\n"}},
        {"match": [*go, "version"], "state": "0", "stderr": "error: no migration\n", "exit": 1},
        {"match": [*go, "version"], "state": "0c", "stderr": "error: no migration\n", "exit": 1},
        {"match": [*go, "version"], "state": "1", "stdout": "1\n"},
        {"match": [*go, "version"], "state": "1c", "stdout": "1\n"},
        {"match": [*go, "version"], "state": "2", "stdout": "2\n"},
        {"match": [*go, "up"], "state": "0c", "next_state": "1", "stdout": "1/u add_users\n"},
        {"match": [*go, "up"], "state": "1c", "next_state": "2", "stdout": "2/u drop_nickname\n"},
        {"match": [*go, "down", "1"], "state": "2", "next_state": "1c", "stdout": "2/d drop_nickname\n"},
    ]
    Path(setup.env["STANDIN_SCRIPT"]).write_text(json.dumps({"rules": rules}))

    def state() -> str:
        return Path(setup.env["STANDIN_STATE"]).read_text()

    status = run_cli("status", cwd=setup.root, env=setup.env)
    assert status.code == 0, status.out + status.err
    assert "ORM:      golang-migrate" in status.out and "No migrations yet" in status.out
    assert run_cli("create", "add users", cwd=setup.root, env=setup.env).code == 0
    ran = run_cli("run", cwd=setup.root, env=setup.env)
    assert ran.code == 0 and state() == "1" and "+ Created table: users" in ran.out
    dropping = run_cli("create", "drop nickname", cwd=setup.root, env=setup.env)
    assert dropping.code == 1 and "[FAIL]" in dropping.out
    refused = run_cli("run", cwd=setup.root, env=setup.env)
    assert refused.code == 1 and state() == "1c" and "pg_dump" in refused.out and SECRET not in refused.out
    allowed = run_cli("run", "--allow-destructive", cwd=setup.root, env=setup.env)
    assert allowed.code == 0 and state() == "2" and "- Dropped column: users.nickname" in allowed.out
    status = run_cli("status", cwd=setup.root, env=setup.env)
    assert "Applied (2):" in status.out and "Pending (0):\n  (none)" in status.out
    assert "Last applied: 000002_drop_nickname (the time is unknown for golang-migrate)" in status.out
    rolled = run_cli("rollback", cwd=setup.root, env=setup.env)  # re-adding a column loses nothing
    assert rolled.code == 0, rolled.out + rolled.err
    assert "Reversed operations:\n  + Added column: users.nickname" in rolled.out
    assert "Current state: 000001_add_users" in rolled.out and state() == "1c"
    after = run_cli("status", cwd=setup.root, env=setup.env)
    assert "Applied (1):" in after.out and "Pending (1):\n  2. 000002_drop_nickname" in after.out


def test_prisma_create_checks_the_schema_before_the_generator_runs(tmp_path: Path) -> None:
    """LIFECYCLE-REPORTS.md: the schema a generator reads is checked first (here a relation without onDelete)."""
    case = next(c for c in CASES if c.orm == "prisma")
    setup = setup_case(tmp_path, case)
    schema = setup.root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text() + "\nmodel Post {\n  id     Int  @id\n  userId Int\n"
                      "  user   User @relation(fields: [userId], references: [id])\n}\n")
    result = run_cli("create", "add_posts", cwd=setup.root, env=setup.env)
    assert result.code == 0, result.out + result.err
    check = result.out.index("Schema check (prisma/schema.prisma):")
    assert check < result.out.index("Migration Created")
    assert "onDelete" in result.out[check:result.out.index("Migration Created")]
