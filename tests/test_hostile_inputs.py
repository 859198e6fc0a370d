"""Hostile repositories, shared machines and careless configs (issue 17): the cache owns only what it made and runs
no foreign code, the walk reads regular files of the repository only, bad config is one line and exit 2."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from git_history import git

SIXTY_DAYS = 60 * 86400
MIGRATIONS = {
    "migrations/000001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    "migrations/000001_users.down.sql": "DROP TABLE users;\n",
    "migrations/000002_drop.up.sql": "DROP TABLE users;\n",
    "migrations/000002_drop.down.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
}


def age(path: Path, seconds: float = SIXTY_DAYS) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def committed_repo(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project")
    return root


def porcelain(root: Path) -> str:
    return git(root, "status", "--porcelain")


def xdg(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


# --- the cache owns only what it made (item 1) ----------------------------------------------------------------------

USER_FILES = {"views/admin/index.html": "<h1>admin</h1>\n", "vendor/acme/acme.go": "package acme\n",
              "v1/keep/notes.txt": "mine\n"}


def test_cache_dir_holding_the_project_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", {**MIGRATIONS, **USER_FILES, "README.md": "# shop\n",
                                              ".migrate-guard.toml": 'cache_dir = "."\n'})
    for name in USER_FILES:
        age(repo / name)
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "cache_dir" in result.err and "holds the project" in result.err
    assert all((repo / name).read_text() == text for name, text in USER_FILES.items())
    assert porcelain(repo) == ""
    assert run_cli("check", "README.md", cwd=repo, env=xdg(tmp_path)).code == 2  # the fast path reads config too


def test_cache_dir_above_the_project_is_refused(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = ".."\n'})
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2 and "holds the project" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_foreign_non_empty_cache_dir_is_refused(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = "../shared"\n'})
    shared = write_tree(tmp_path / "shared", {"v1/ab/report.pdf": "%PDF", "v2/cd/data.csv": "a,b\n"})
    for path in shared.rglob("*"):
        age(path)
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 2 and "not empty" in result.err and "cache_dir" in result.err
    assert sorted(p.relative_to(shared).as_posix() for p in shared.rglob("*")) == [
        "v1", "v1/ab", "v1/ab/report.pdf", "v2", "v2/cd", "v2/cd/data.csv"]


def test_a_cache_inside_the_repository_leaves_git_status_clean(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", {**MIGRATIONS, ".migrate-guard.toml": 'cache_dir = ".mg-cache"\n'})
    cold = run_cli("check", "--format", "json", "-v", cwd=repo, env=xdg(tmp_path))
    warm = run_cli("check", "--format", "json", "-v", cwd=repo, env=xdg(tmp_path))
    assert cold.code == warm.code == 1 and cold.out == warm.out
    assert "judged from the cache" in warm.err and "1 of 1 project(s) judged from the cache" in warm.err
    assert porcelain(repo) == ""
    cache = repo / ".mg-cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not (tmp_path / "xdg").exists()


def test_the_default_cache_is_private_and_marked(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and (cache / "CACHEDIR.TAG").is_file()
    assert all(not p.stat().st_mode & 0o077 for p in cache.rglob("*"))
    assert porcelain(repo) == ""


def test_prune_never_follows_a_planted_link(tmp_path: Path) -> None:
    """Another user (or a careless script) links cache subfolders to a home: nothing there is deleted."""
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    home = write_tree(tmp_path / "alice", {".ssh/id_ed25519": "KEY\n", "notes/todo.txt": "x\n"})
    shard = "c" * 62
    home_files = [*home.rglob("*")]
    for path in home_files:
        age(path)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    (cache / "v1").symlink_to(home)  # vN/<x>/<y>: two levels down in the home
    (cache / "v7").symlink_to(home)
    version = next(cache.glob("v2"))
    (version / "ee").symlink_to(home / ".ssh")
    first_shard = next(p for p in version.iterdir() if not p.is_symlink())
    (first_shard / f"{shard}.pack").symlink_to(home / ".ssh" / "id_ed25519")
    age(cache / ".last-prune")
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users; -- edited\n")
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 1
    assert all(path.exists() for path in home_files) and (home / ".ssh/id_ed25519").read_text() == "KEY\n"


def test_prune_deletes_only_its_own_names(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    mine = cache / "v2" / "ab" / f"{'d' * 62}.verdict"
    mine.parent.mkdir(mode=0o700, exist_ok=True)
    mine.write_bytes(b"old")
    theirs = [cache / "v2" / "ab" / "photo.jpg", cache / "v2" / "ab" / f"{'d' * 62}.pack.bak",
              cache / "v2" / "notes" / f"{'d' * 62}.pack"]
    for path in theirs:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_bytes(b"someone's")
    for path in [mine, *theirs]:
        age(path)
    age(cache / ".last-prune")
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users; -- edited\n")
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert not mine.exists() and all(path.exists() for path in theirs)


# --- no foreign code from a shared cache (item 2) -------------------------------------------------------------------

class _Planted:
    """A pickle that, when loaded, writes a file: proof that foreign code ran."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, (f"open({str(self.proof)!r}, 'w').write('ran')",))


def _plant(cache: Path, proof: Path) -> None:
    """Every cache file replaced by code: as a bare pickle (the format before) and in the current format (magic,
    checksum, marshal pack whose entry is the pickle)."""
    import marshal

    payload = pickle.dumps(_Planted(proof))
    for path in [*cache.rglob("*.pack"), *cache.rglob("*.state"), *cache.rglob("*.verdict")]:
        if path.suffix == ".pack" and path.parent.parent.name == "v2":
            body = marshal.dumps({key: ({}, payload) for key in marshal.loads(path.read_bytes()[52:])})
            path.write_bytes(b"migrate-guard cache\n" + hashlib.sha256(body).digest() + body)
        else:
            path.write_bytes(payload)


@pytest.mark.parametrize("how", ["writable by others", "another user's"])
def test_a_shared_cache_never_runs_foreign_code(tmp_path: Path, how: str) -> None:
    if how == "another user's" and os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    proof = tmp_path / "proof"
    _plant(cache, proof)
    if how == "writable by others":
        for path in [cache, *cache.rglob("*")]:
            path.chmod(0o777)
    else:
        for path in [cache, *cache.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users;\n\n")  # the packs must be read
    result = run_cli("check", "--format", "json", cwd=repo, env=xdg(tmp_path))
    assert not proof.exists()
    assert result.out == run_cli("check", "--format", "json", "--no-cache", cwd=repo).out and result.code == 1
    assert result.err.count("\n") == 1 and "running without the cache" in result.err


def test_no_code_runs_even_from_a_private_cache(tmp_path: Path) -> None:
    """Packs hold plain data only: a pickle planted with a valid checksum in the user's own folder is a miss."""
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    proof = tmp_path / "proof"
    _plant(cache, proof)
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users;\n\n")
    result = run_cli("check", "--format", "json", "-v", cwd=repo, env=xdg(tmp_path))
    assert not proof.exists()
    assert result.out == run_cli("check", "--format", "json", "--no-cache", cwd=repo).out
    assert re.search(r"(\d+) migrations read: 0 from the cache, \1 parsed", result.err), result.err


def test_the_codec_builds_only_migrate_guard_dataclasses() -> None:
    import marshal

    from migrate_guard import codec
    from migrate_guard.location import Location

    assert codec.loads(codec.dumps([Location("a.sql", 1, 2, 3)])) == [Location("a.sql", 1, 2, 3)]
    for tag in ("os:system", "builtins:exec", "subprocess:Popen", "migrate_guard.cache:os", "migrate_guard:__version__",
                "migrate_guard.lifecycle.native:subprocess", 42):
        with pytest.raises(ValueError):
            codec.loads(marshal.dumps((..., tag, "echo hi")))
    with pytest.raises(codec.Unencodable):
        codec.dumps({"x": object()})


def test_corrupt_foreign_and_special_cache_files_are_misses(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    clean = run_cli("check", "--format", "json", "--no-cache", cwd=repo).out
    run_cli("check", cwd=repo, env=xdg(tmp_path))
    cache = tmp_path / "xdg" / "migrate-guard"
    files = [*cache.rglob("*.pack"), *cache.rglob("*.state"), *cache.rglob("*.verdict")]
    files[0].write_bytes(files[0].read_bytes()[:30])  # truncated
    for path in files[1:]:
        path.unlink()
        os.mkfifo(path)  # a FIFO in place of a cache file: never opened blocking
    (repo / "migrations/000002_drop.up.sql").write_text("DROP TABLE users;\n\n")
    result = run_cli("check", "--format", "json", cwd=repo, env=xdg(tmp_path), timeout=60)
    assert result.out == clean and result.err == ""


# --- the walk reads the repository's regular files only (items 8, 13, 15; item 5's folder names) --------------------

def run_bounded(*args: str, cwd: Path, prefix: tuple[str, ...] = (), memory: int = 1 << 30,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI with at most `memory` bytes of address space: today's bug read /dev/zero until memory ran out."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    proc = subprocess.run([*prefix, sys.executable, "-m", "migrate_guard", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME":
                                                           str(cwd.parent / "xdg")}, preexec_fn=limit)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# The findings these tests are about: whether a file was read at all shows in them (lock rules and the like come
# and go with the rules, not with what was read).
DATA_LOSS = frozenset({"drop-table", "truncate", "drop-column", "unbounded-delete"})


def findings(result: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    return {(f["path"], f["rule"]) for f in json.loads(result.stdout)["findings"] if f["rule"] in DATA_LOSS}


@pytest.mark.parametrize("special", ["fifo", "dev-zero", "dev-urandom"])
def test_special_files_named_like_migrations_are_skipped(tmp_path: Path, special: str) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    path = repo / "migrations" / "000003_special.up.sql"
    if special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/" + special.split("-")[1])
    expected = {("migrations/000002_drop.up.sql", "drop-table")}
    for args in ([], ["migrations"], ["migrations/000003_special.up.sql", "migrations/000002_drop.up.sql"]):
        result = run_bounded("check", *args, "--format", "json", cwd=repo, timeout=30)
        assert result.returncode == 1 and findings(result) == expected, (args, result.stderr)
    assert run_bounded("detect", cwd=repo, timeout=30).returncode == 0


def test_links_leaving_the_repository_are_not_read(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "elsewhere", {"secret.sql": "DROP TABLE payroll;\n"})
    repo = committed_repo(tmp_path / "repo", {**MIGRATIONS, "docs/kept.txt": "TRUNCATE audit;\n"})
    (repo / "migrations" / "000003_out.up.sql").symlink_to(outside / "secret.sql")
    (repo / "migrations" / "000004_kept.up.sql").symlink_to("../docs/kept.txt")  # inside the repository: linted
    for args in ([], ["migrations/000003_out.up.sql", "migrations/000004_kept.up.sql"]):
        result = run_bounded("check", *args, "--format", "json", cwd=repo)
        assert not [f for f in findings(result) if "secret" in f[0] or "000003" in f[0]], args
        assert ("docs/kept.txt", "truncate") in findings(result), args  # a link is reported at its target


def test_a_self_looping_link_is_skipped_not_the_whole_run(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    (repo / "migrations" / "000003_loop.up.sql").symlink_to("000003_loop.up.sql")
    for args in ([], ["migrations/000003_loop.up.sql", "migrations/000002_drop.up.sql"]):  # pre-commit passes it too
        result = run_bounded("check", "--format", "json", *args, cwd=repo)
        assert result.returncode == 1 and findings(result) == {("migrations/000002_drop.up.sql", "drop-table")}


def test_an_unreadable_folder_is_one_warning(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, "db/locked/000001_x.up.sql": "DROP TABLE x;\n"})
    # root reads any folder: without these capabilities it is held to the folder's mode like anyone else
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's capabilities")
    (repo / "db" / "locked").chmod(0)
    try:
        result = run_bounded("check", "--format", "json", cwd=repo, prefix=prefix)
    finally:
        (repo / "db" / "locked").chmod(0o755)
    assert result.returncode == 1 and findings(result) == {("migrations/000002_drop.up.sql", "drop-table")}
    assert result.stderr.count("\n") == 1 and "cannot read folder" in result.stderr and "locked" in result.stderr


KNEX_DROP = "exports.up = (knex) => knex.schema.dropTable('payroll');\nexports.down = async () => {};\n"


@pytest.mark.parametrize("stack", ["knex", "drizzle", "prisma"])
def test_config_named_folders_outside_the_repository_are_not_walked(tmp_path: Path, stack: str) -> None:
    outside = tmp_path / "elsewhere"
    if stack == "knex":
        write_tree(outside, {"20240101_drop.js": KNEX_DROP})
        files = {"package.json": '{"dependencies": {"knex": "3"}}',
                 "knexfile.js": f"module.exports = {{ client: 'pg', migrations: {{ directory: '{outside}' }} }};\n"}
    elif stack == "drizzle":
        write_tree(outside, {"0000_drop.sql": "DROP TABLE payroll;\n",
                             "meta/_journal.json": '{"dialect": "postgresql", "entries": []}'})
        files = {"package.json": '{"dependencies": {"drizzle-orm": "1"}}',
                 "drizzle.config.ts": "export default { dialect: 'postgresql', out: '../elsewhere' };\n"}
    else:
        write_tree(outside, {"schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DB")\n}\n',
                             "migrations/20240101000000_drop/migration.sql": "DROP TABLE payroll;\n"})
        files = {"package.json": '{"prisma": {"schema": "../elsewhere/schema.prisma"}}'}
    repo = committed_repo(tmp_path / "repo", files)
    result = run_bounded("check", "--format", "json", cwd=repo)
    assert result.returncode == 0 and findings(result) == set(), result.stdout


def test_a_django_app_named_like_build_output_is_linted(tmp_path: Path) -> None:
    drop = ("from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('vendor', '0001_initial')]\n    operations = [migrations.DeleteModel(name='Thing')]\n")
    initial = ("from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    initial = True\n"
               "    operations = [migrations.CreateModel(name='Thing', fields=[('id', models.AutoField(primary_key=True))])]\n")
    repo = write_tree(tmp_path / "repo", {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n"
                     "from django.core.management import execute_from_command_line\n",
        "vendor/__init__.py": "", "vendor/migrations/__init__.py": "",
        "vendor/migrations/0001_initial.py": initial, "vendor/migrations/0002_drop.py": drop,
        "build/lib/shop/migrations/0002_drop.py": drop,  # build output, not an app: still skipped
    })
    expected = {("vendor/migrations/0002_drop.py", "drop-table")}
    assert findings(run_bounded("check", "--format", "json", cwd=repo)) == expected
    assert findings(run_bounded("check", "--format", "json", "vendor/migrations/0002_drop.py", cwd=repo)) == expected


# --- bounded work (item 9) -----------------------------------------------------------------------------------------

def test_jobs_is_capped_at_the_cores(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {f"migrations/{n:06d}_t.up.sql": f"CREATE TABLE t{n} (id int);\n"
                                          for n in range(1, 41)})
    result = run_bounded("check", "--no-cache", "--jobs", "100000", "-v", cwd=repo)
    processes = int(re.search(r"parsed by (\d+) process", result.stderr).group(1))
    assert 1 <= processes <= len(os.sched_getaffinity(0))


# --- config errors are one line and exit 2, never a traceback (items 10, 15) ---------------------------------------

def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("migrate-guard: error:"), result.stderr
    assert all(word in result.stderr for word in words), result.stderr


def test_the_fast_path_validates_the_config(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"README.md": "# hi\n", "Makefile": "all:\n", **MIGRATIONS})
    (repo / ".migrate-guard.toml").write_text("bogus = 1\n")
    one_line_error(run_bounded("check", "README.md", "Makefile", cwd=repo), "bogus")
    one_line_error(run_bounded("check", "migrations/000001_users.up.sql", cwd=repo), "bogus")
    (repo / ".migrate-guard.toml").unlink()
    (repo / "pyproject.toml").write_text('[tool.migrate-guard]\nfail_onn = "never"\n')
    one_line_error(run_bounded("check", "README.md", cwd=repo), "fail_onn")
    (repo / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    assert run_bounded("check", "README.md", cwd=repo).returncode == 0
    nested = "# migrate-guard\nx = " + "[" * 20000 + "]" * 20000 + "\n"  # tomllib recurses per level
    for broken in ('[project]\ndependencies = ["migrate-guard"\n', 'tool = "migrate-guard"\n', nested):
        (repo / "pyproject.toml").write_text(broken)
        one_line_error(run_bounded("check", "README.md", cwd=repo), "pyproject.toml")
        one_line_error(run_bounded("check", ".", cwd=repo), "pyproject.toml")


def test_the_fast_path_passes_over_a_pyproject_that_names_migrate_guard_only_as_a_dependency(tmp_path: Path) -> None:
    """Not our config (load_config looks further up, as here): the config module is never imported."""
    repo = write_tree(tmp_path / "repo", {"README.md": "# hi\n", "pyproject.toml":
                                          '[project]\nname = "shop"\n[project.optional-dependencies]\n'
                                          'dev = ["migrate-guard>=1"]\n[tool.black]\nline-length = 100\n'})
    code = ("import sys\nfrom migrate_guard.cli import main\ncode = main(['check', 'README.md'])\n"
            "print(code, 'migrate_guard.config' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert result.stdout == "0 False\n", result.stderr
    (repo / "pyproject.toml").write_text('[tool.migrate-guard]\nfail_on = "never"\n')
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert result.stdout == "0 True\n", result.stderr


BAD_CONFIGS: dict[str, tuple[dict[str, str | bytes], str]] = {
    "pyproject not UTF-8": ({"pyproject.toml": b'[tool.migrate-guard]\nfail_on = "\xe9rror"\n'}, "UTF-8"),
    "[tool] a string": ({"pyproject.toml": 'tool = "migrate-guard"\n'}, "[tool]"),
    "[tool.migrate-guard] not a table": ({"pyproject.toml": '[tool]\nmigrate-guard = 3\n'}, "[tool.migrate-guard]"),
    "NUL in cache_dir": ({".migrate-guard.toml": 'cache_dir = "a\\u0000b"\n'}, "cache_dir"),
    "NUL in a baseline key": ({".migrate-guard.toml": '[baseline]\n"migra\\u0000tions" = "000001"\n'}, "baseline"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    files, word = BAD_CONFIGS[case]
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, "README.md": "# hi\n", **files})
    one_line_error(run_bounded("check", cwd=repo), word)
    one_line_error(run_bounded("check", "README.md", cwd=repo), word)


def test_a_pyproject_that_does_not_name_us_is_not_our_error(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**MIGRATIONS, "pyproject.toml": b'[tool.black]\nx = "\xe9"\n'})
    assert run_bounded("check", cwd=repo).returncode == 1


def test_project_dependencies_not_a_list(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {
        "pyproject.toml": '[project]\nname = "shop"\ndependencies = 3\n',
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": "from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
                                           "    operations = [migrations.DeleteModel(name='Thing')]\n"})
    result = run_bounded("check", "--format", "json", cwd=repo)
    assert ("shop/migrations/0001_initial.py", "drop-table") in findings(result)


def test_nul_in_js_config_paths_is_skipped(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {
        "package.json": '{"dependencies": {"knex": "3", "sequelize": "6"}}',
        "knexfile.js": "module.exports = { client: 'pg', migrations: { directory: 'db/mig\0rations' } };\n",
        ".sequelizerc": "module.exports = { 'migrations-path': 'seq', config: 'con\0fig.json' };\n",
        "seq/20240101-drop.js": "module.exports = { up: async (q) => { await q.dropTable('payroll') },\n"
                                "  down: async (q) => { await q.createTable('payroll', {}) } };\n",
    })
    result = run_bounded("check", "--format", "json", cwd=repo)
    assert findings(result) == {("seq/20240101-drop.js", "drop-table")}
    assert run_bounded("detect", cwd=repo).returncode == 0
    assert run_bounded("check", "seq/20240101-drop.js", cwd=repo).returncode == 1


def test_a_migration_name_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    name = os.fsencode(repo / "migrations") + b"/000003_caf\xe9.up.sql"
    with open(name, "wb") as handle:
        handle.write(b"DROP TABLE users;\n")
    one_line_error(run_bounded("check", cwd=repo), "not UTF-8", "000003_caf\\xe9.up.sql")
    one_line_error(run_bounded("check", "migrations", cwd=repo), "not UTF-8")


DJANGO_DROP = ("from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
               "    operations = [migrations.DeleteModel(name='Thing')]\n")


@pytest.mark.parametrize("side", ["django apps.py", "drizzle journal", "prisma lock"])
def test_files_read_beside_a_migration_are_never_opened_blocking(tmp_path: Path, side: str) -> None:
    if side == "django apps.py":
        files = {"requirements.txt": "django\n", "shop/__init__.py": "", "shop/migrations/__init__.py": "",
                 "shop/migrations/0001_drop.py": DJANGO_DROP}
        fifo, dropped = "shop/apps.py", "shop/migrations/0001_drop.py"
    elif side == "drizzle journal":
        files = {"package.json": '{"dependencies": {"drizzle-orm": "1"}}',
                 "drizzle.config.ts": "export default { out: './drizzle' };\n",
                 "drizzle/0000_drop.sql": "DROP TABLE payroll;\n"}
        fifo, dropped = "drizzle/meta/_journal.json", "drizzle/0000_drop.sql"
    else:
        files = {"prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DB")\n}\n',
                 "prisma/migrations/20240101000000_drop/migration.sql": "DROP TABLE payroll;\n"}
        fifo, dropped = "prisma/migrations/migration_lock.toml", "prisma/migrations/20240101000000_drop/migration.sql"
    repo = write_tree(tmp_path / "repo", files)
    (repo / fifo).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(repo / fifo)
    for args in ([], [dropped]):
        result = run_bounded("check", "--format", "json", "--no-cache", *args, cwd=repo, timeout=30)
        assert (dropped, "drop-table") in findings(result), args


def test_every_fixture_migration_survives_the_codec(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's code-free format holds every IR the extractors produce (an unencodable one would not be cached)."""
    from conftest import FIXTURES
    from migrate_guard import codec
    from migrate_guard.pipeline.discover import project_files
    from migrate_guard.pipeline.options import Options
    from migrate_guard.pipeline.plan import plan_files
    from migrate_guard.pipeline.pool import extract_unit
    from migrate_guard.config import Config
    from migrate_guard.detect import detect_projects

    monkeypatch.chdir(FIXTURES)
    projects = detect_projects(Path("."))
    plan = plan_files([f for p in projects for f in project_files(p)], Config(), Options(), projects)
    migrations = [extract_unit(unit) for units in plan.groups.values() for unit in units]
    assert len(migrations) > 200 and len({m.orm for m in migrations}) >= 10
    for migration in migrations:
        assert repr(codec.loads(codec.dumps(migration))) == repr(migration), migration.path


def test_the_folder_of_earlier_versions_is_adopted(tmp_path: Path) -> None:
    """~/.cache/migrate-guard as versions before the marker left it (v1/<hex>/<hex>.pack, .last-prune): taken over,
    marked and made private; its old packs are pruned like any unused file of the cache's own."""
    repo = write_tree(tmp_path / "repo", MIGRATIONS)
    cache = tmp_path / "xdg" / "migrate-guard"
    old_pack = write_tree(cache, {f"v1/ab/{'e' * 62}.pack": "old", ".last-prune": ""}) / "v1" / "ab" / f"{'e' * 62}.pack"
    cache.chmod(0o755)
    age(old_pack)
    age(cache / ".last-prune")
    result = run_cli("check", cwd=repo, env=xdg(tmp_path))
    assert result.code == 1 and result.err == ""
    assert (cache / "CACHEDIR.TAG").is_file() and stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert not old_pack.exists() and list(cache.rglob("*.verdict"))
