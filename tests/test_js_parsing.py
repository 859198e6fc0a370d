"""The shared TS/JS reading: values, up/down by structure, down states, positions, laziness, never running code."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, write_tree
from migrate_guard.extract.js.source import Source
from migrate_guard.extract.js.evaluator import Evaluator
from migrate_guard.extract.js.structure import down_state, find_entries
from migrate_guard.extract.js.values import JsString


def parse(tmp_path: Path, code: str, name: str = "m.ts") -> Source:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return Source(path, name, path.read_text(encoding="utf-8"))


def first_call_argument(source: Source):
    stack = [source.root]
    while stack:
        node = stack.pop()
        if node.type == "arguments":
            return node.named_children[0]
        stack.extend(reversed(node.named_children))
    raise AssertionError("no call")


def test_template_substitution_becomes_a_placeholder_and_constants_resolve(tmp_path: Path) -> None:
    source = parse(tmp_path, """
        const TABLE = "users";
        q.query(`ALTER TABLE "${TABLE}" DROP COLUMN "${column}"`);
    """)
    value = Evaluator(source).evaluate(first_call_argument(source))
    assert isinstance(value, JsString)
    assert value.text == 'ALTER TABLE "users" DROP COLUMN "__column__"'
    assert value.has_placeholder


def test_members_of_a_constant_object_and_quoted_names_resolve(tmp_path: Path) -> None:
    # n8n: const table = {...}; runQuery(`ALTER TABLE ${escape.tableName(table.sessions)} ...`)
    source = parse(tmp_path, """
        const table = { sessions: 'chat_hub_sessions', 'messages': "chat_hub_messages" };
        runQuery(`ALTER TABLE ${escape.tableName(table.sessions)} DROP COLUMN ${escape.columnName('x')}, ${other.y}`);
    """)
    value = Evaluator(source).evaluate(first_call_argument(source))
    assert value.text == 'ALTER TABLE "chat_hub_sessions" DROP COLUMN "x", __other_y__'
    bound_twice = parse(tmp_path, """
        let t = { a: 'one' };
        t = { a: 'two' };
        var t = { a: 'three' };
        q(t.a);
    """)
    assert Evaluator(bound_twice).evaluate(first_call_argument(bound_twice)).__class__.__name__ == "Ref"


def test_concatenation_keeps_each_piece_on_its_own_source_line(tmp_path: Path) -> None:
    source = parse(tmp_path, """
        q.query("ALTER TABLE users " +
                "DROP COLUMN age;" +
            'DROP TABLE x');
    """)
    value = Evaluator(source).evaluate(first_call_argument(source))
    assert value.text == "ALTER TABLE users DROP COLUMN age;DROP TABLE x"
    assert value.position(0) == (2, 10)
    assert value.position(value.text.index("DROP COLUMN")) == (3, 10)
    assert value.position(value.text.index("DROP TABLE")) == (4, 6)


def test_deeply_parenthesised_and_negated_values_are_read_without_a_stack_frame_per_level(tmp_path: Path) -> None:
    # parentheses and runs of `!` / `-` are unwrapped in a loop: 3000 levels once ran out of stack
    source = parse(tmp_path, "q.query(" + "(" * 3000 + '"DROP TABLE x"' + ")" * 3000 + ");")
    assert Evaluator(source).evaluate(first_call_argument(source)).text == "DROP TABLE x"
    source = parse(tmp_path, "q.query(" + "!" * 3001 + "0, " + "- " * 3001 + "2);")
    arguments = [c for c in first_call_argument(source).parent.named_children]
    assert [Evaluator(source).evaluate(a) for a in arguments] == [True, -2]


def test_escapes_are_decoded(tmp_path: Path) -> None:
    source = parse(tmp_path, r"""q.query("DROP TABLE \"a\"\n;\u0020x");""")
    assert Evaluator(source).evaluate(first_call_argument(source)).text == 'DROP TABLE "a"\n; x'


@pytest.mark.parametrize("code,params", [
    ("export class M { async up(queryRunner: QueryRunner) {} async down(queryRunner: QueryRunner) {} }", "queryRunner"),
    ("exports.up = function (knex) {}; exports.down = function (knex) {};", "knex"),
    ("module.exports.up = async (k) => {}; module.exports.down = async (k) => {};", "k"),
    ("export async function up(db) {}\nexport async function down(db) {}", "db"),
    ("async function up(qi) {}\nasync function down(qi) {}\nmodule.exports = { up, down };", "qi"),
    ("module.exports = { up: async (queryInterface, Sequelize) => {}, async down(queryInterface) {} };",
     "queryInterface"),
    ("export const up: Migration = async ({ context: queryInterface }) => {};\n"
     "export const down: Migration = async ({ context: queryInterface }) => {};", "context:queryInterface"),
    ("export class M implements MigrationInterface { up = async (qr: QueryRunner) => {}; down = async (qr) => {}; }",
     "qr"),
    ("class M { up = async (qr) => {}; down = async (qr) => {}; }\nmodule.exports = M;", "qr"),
    ("var M = (function () { function M() {} M.prototype.up = function (e) {}; M.prototype.down = function (e) {};"
     " return M; }());", "e"),
])
def test_up_and_down_are_found_by_structure_with_their_own_parameter_names(tmp_path: Path, code: str,
                                                                              params: str) -> None:
    entries = find_entries(parse(tmp_path, code))
    assert set(entries) == {"up", "down"}
    first = entries["up"].params[0]
    shown = first.name or ",".join(f"{k}:{v}" for k, v in first.fields.items())
    assert shown == params


@pytest.mark.parametrize("down,state", [
    ("", "missing"),
    ("exports.down = function (knex) {};", "empty"),
    ("exports.down = function () { /* nothing to undo */ };", "empty"),
    ("exports.down = () => { throw new Error('irreversible'); };", "raises"),
    ("exports.down = () => Promise.reject(new Error('no'));", "raises"),
    ("exports.down = () => Promise.resolve();", "noop"),
    ("exports.down = function () { return; };", "noop"),
    ("exports.down = async () => { console.log('nothing to undo'); logger.info('x'); };", "noop"),  # only logs
    ("exports.down = async (knex) => { console.log('undo'); await knex.schema.dropTable('t'); };", "present"),
    ("exports.down = (knex) => knex.schema.dropTable('t');", "present"),
    ("exports.down = function (q) { return __awaiter(this, void 0, void 0, function () {"
     " return __generator(this, function (_a) { return [2 /*return*/]; }); }); };", "noop"),
    ("exports.down = function (q) { return __awaiter(this, void 0, void 0, function* () {"
     " throw new Error('x'); }); };", "raises"),
])
def test_down_states(tmp_path: Path, down: str, state: str) -> None:
    source = parse(tmp_path, "exports.up = (knex) => knex.schema.dropTable('t');\n" + down, "m.js")
    assert down_state(source, find_entries(source).get("down")) == state


def _modules_after_check(cwd: Path, target: str) -> str:
    script = ("import sys\nfrom migrate_guard.cli import main\n"
              f"main(['check', {target!r}, '--format', 'json', '--fail-on', 'never', '--no-cache', '--jobs', '1'])\n"
              "print('TREE_SITTER_LOADED' if any(m.split('.')[0].startswith('tree_sitter') for m in sys.modules) "
              "else 'TREE_SITTER_ABSENT', file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def test_a_run_that_lints_no_ts_or_js_file_never_imports_tree_sitter(tmp_path: Path) -> None:
    write_tree(tmp_path, {"migrations/000001_init.up.sql": "DROP TABLE legacy;\n",
                          "migrations/000001_init.down.sql": "CREATE TABLE legacy (id int);\n",
                          "schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n'})
    assert "TREE_SITTER_ABSENT" in _modules_after_check(tmp_path, "migrations")
    assert "TREE_SITTER_ABSENT" in _modules_after_check(tmp_path, "schema.prisma")
    # and the same probe does see it when a JS migration is linted (so the check above can fail)
    write_tree(tmp_path, {"knex/20240101_a.js": "exports.up = (knex) => knex.schema.dropTable('a');\n"})
    assert "TREE_SITTER_LOADED" in _modules_after_check(tmp_path, "knex")


def test_a_non_migration_js_file_is_skipped_without_loading_tree_sitter(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/app.js": "export function render() { return 1; }\n",
                          "knexfile.js": "module.exports = { client: 'pg' };\n"})
    assert "TREE_SITTER_ABSENT" in _modules_after_check(tmp_path, "src/app.js")
    result = run_cli("check", "src/app.js", "knexfile.js", "--format", "json", cwd=tmp_path)
    assert result.code == 0 and result.findings() == []


def test_migration_code_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    write_tree(tmp_path, {"migrations/20240101_evil.js": textwrap.dedent(f"""
        require("fs").writeFileSync({str(marker)!r}, "ran");
        process.exit(3);
        exports.up = async (knex) => {{
          require("fs").writeFileSync({str(marker)!r}, "ran");
          await knex.schema.dropTable("legacy");
        }};
        exports.down = async () => {{}};
    """)})
    result = run_cli("check", "migrations", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert result.code == 0
    assert "drop-table" in result.rules()
    assert not marker.exists()


def test_a_damaged_file_yields_what_can_be_read_plus_a_parse_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/20240101_broken.js": textwrap.dedent("""
        exports.up = async (knex) => {
          await knex.schema.dropTable("a");
          if (( {
          await knex.raw("TRUNCATE b");
        };
    """)})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    rules = result.rules()
    assert "parse-error" in rules and "drop-table" in rules
    findings = result.findings()
    assert all(f["path"] == "m/20240101_broken.js" for f in findings)


def test_binary_and_non_utf8_files_are_parse_errors_not_crashes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/20240101_latin1.js": "exports.up = (knex) => knex.raw('DROP TABLE caf\xe9');".encode(
        "latin-1")})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert result.rules() == ["parse-error"]


def test_inline_suppression_in_js_comment_syntax(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/20240101_a.js": textwrap.dedent("""
        exports.up = async (knex) => {
          // migrate-guard: ignore drop-table -- the table was emptied and unused since v2
          await knex.schema.dropTable("a");
          await knex.schema.dropTable("b"); /* migrate-guard: ignore drop-table */
          await knex.schema.dropTable("c");
        };
        exports.down = async () => {};
    """)})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    drops = [f["line"] for f in result.findings() if f["rule"] == "drop-table"]
    assert drops == [6]


def test_down_statements_are_linted_only_with_lint_down(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/20240101_a.js": "exports.up = (knex) => knex.schema.createTable('a', (t) => {});\n"
                                             "exports.down = (knex) => knex.schema.dropTable('a');\n"})
    quiet = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert "drop-table" not in quiet.rules()
    (tmp_path / ".migrate-guard.toml").write_text("lint_down = true\n")
    loud = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in loud.findings() if f["rule"] == "drop-table"] == [
        ("drop-table", 2)]


def test_sql_in_a_multiline_template_points_at_the_statement_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/1700000000000-A.ts": textwrap.dedent("""
        import { MigrationInterface, QueryRunner } from "typeorm";
        export class A1700000000000 implements MigrationInterface {
          async up(queryRunner: QueryRunner): Promise<void> {
            await queryRunner.query(`
              CREATE TABLE "t" ("id" int);
              ALTER TABLE "users"
                DROP COLUMN "age";
            `);
          }
          async down(queryRunner: QueryRunner): Promise<void> {
            await queryRunner.query(`ALTER TABLE "users" ADD "age" int`);
          }
        }
    """)})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    [finding] = result.findings()
    assert (finding["rule"], finding["line"], finding["column"]) == ("drop-column", 7, 7)


def test_lints_the_repository_fixtures_quickly() -> None:
    """All TS/JS fixture folders in one run: a budget, not a benchmark (they lint in well under a second each)."""
    import time

    started = time.perf_counter()
    result = run_cli("check", "typeorm", "knex", "sequelize", "--format", "json", "--fail-on", "never",
                     cwd=FIXTURES)
    elapsed = time.perf_counter() - started
    assert result.code == 0 and result.json()["summary"]["files"] >= 12
    assert elapsed < 30, elapsed



def test_huge_concatenations_and_deep_nesting_never_crash(tmp_path: Path) -> None:
    pieces = " + ".join(f"'DELETE FROM t{i};'" for i in range(3000))
    write_tree(tmp_path, {
        "m/20240101_long.js": f"exports.up = (knex) => knex.raw({pieces});\nexports.down = (knex) => knex.raw('');\n",
        "m/20240102_deep.js": "exports.up = (knex) => knex.raw(" + "[" * 3000 + "]" * 3000 + ");\n"
                              "exports.down = (knex) => knex.raw('');\n"})
    result = run_cli("check", "m", "--format", "json", "--fail-on", "never", "--no-cache", cwd=tmp_path)
    rules = [(f["path"], f["rule"]) for f in result.findings()]
    assert rules.count(("m/20240101_long.js", "unbounded-delete")) == 3000
    assert ("m/20240102_deep.js", "parse-error") in rules


def test_a_raw_value_fragment_is_not_a_statement(tmp_path) -> None:
    """Ghost: `const now = knex.raw('CURRENT_TIMESTAMP')` is a value for an update, not SQL run on its own; the same
    text in a .sql file is still a parse-error."""
    from conftest import write_tree

    root = write_tree(tmp_path, {
        "migrations/20240101000000_fill.js": "exports.up = async function (knex) {\n"
        "  const now = knex.raw('CURRENT_TIMESTAMP');\n"
        "  await knex('newsletters').where('created_at', null).update('created_at', now);\n};\n"
        "exports.down = async function () {};\n",
        "sql/000001_x.up.sql": "CURRENT_TIMESTAMP;\n", "sql/000001_x.down.sql": "SELECT 1;\n"})
    result = run_cli("check", "migrations", "sql", "--format", "json", "--fail-on", "never", "--no-cache", cwd=root)
    assert [(f["path"], f["rule"]) for f in result.findings() if f["rule"] == "parse-error"] == [
        ("sql/000001_x.up.sql", "parse-error")]


def _walked(node, kind: str, source_order: bool) -> list:
    """A node's subtree's nodes of one kind, by the Python walk the query index stands in for."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
        stack.extend(reversed(current.named_children) if source_order else current.named_children)
    return found


@pytest.mark.parametrize("name", ["m.ts", "m.js"])
def test_the_query_index_finds_what_a_walk_finds_in_the_same_order(tmp_path: Path, name: str) -> None:
    from migrate_guard.extract.js.chains import _continues_chain, chain_tops
    from migrate_guard.extract.js.structure import declarators

    source = parse(tmp_path, """
        const a = 'x', b = a + 'y';
        module.exports = {
          async up(knex) {
            const k = knex; const { sequelize } = knex;
            await k.schema.createTable('t', (t) => { const c = 'c'; t.string(c).notNullable().index(); });
            await (knex.raw('SELECT 1')).then(() => knex('t').where({ a: f(g(1)) }).del());
          },
          down: async () => knex.schema.dropTable(`t`),
        };
        function helper(q) { return q.query(h()).a.b(c()) }
        function broken(q) { if (x { q.raw(1) }
    """, name)
    ids = lambda nodes: [(n.type, n.start_byte, n.end_byte) for n in nodes]  # noqa: E731
    bodies = [source.root, *source.index.of_kind("call_expression"), *source.index.of_kind("function_declaration")]
    assert len(source.index.of_kind("call_expression")) > 10
    for body in bodies:
        walked = [n for n in _walked(body, "call_expression", True) if not _continues_chain(n)]
        assert ids(chain_tops(source, body)) == ids(walked)
        assert ids(declarators(source, body)) == ids(_walked(body, "variable_declarator", False))
    assert set(find_entries(source)) == {"up", "down"}
