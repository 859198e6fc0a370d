"""Prisma schema checks: the schema parser, relations, new required fields against the migrations, index names."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, write_tree
from migrate_guard.extract.prisma_schema import parse_schema

DATASOURCE = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'
INIT_SQL = 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n'


def check(root: Path, *args: str) -> list[tuple[str, int, str]]:
    result = run_cli("check", *args, "--format", "json", "--fail-on", "never", cwd=root)
    assert result.code == 0, result.err
    return [(f["path"], f["line"], f["rule"]) for f in result.findings()]


def test_parser_reads_models_fields_attributes_and_comments() -> None:
    schema = parse_schema(textwrap.dedent("""\
        // a comment with model Fake { inside }
        datasource db {
          provider     = "mysql"
          relationMode = "prisma"
        }
        enum Role { USER ADMIN }
        model Post {
          id       Int     @id @default(autoincrement()) /// doc comment
          title    String  @db.VarChar(200) @map("post_title") // trailing "quoted // text"
          tags     String[]
          role     Role    @default(USER)
          authorId Int?
          author   User?   @relation("Authored", fields: [authorId], references: [id], onDelete: SetNull)

          @@index([authorId, title(sort: Desc)], map: "idx_post_author")
          @@map("posts")
        }
    """))
    assert schema.provider == "mysql" and schema.relation_mode == "prisma" and schema.enums == {"Role"}
    [post] = schema.models
    assert post.table == "posts" and post.line == 7
    assert [(f.name, f.type, f.optional, f.is_list) for f in post.fields] == [
        ("id", "Int", False, False), ("title", "String", False, False), ("tags", "String", False, True),
        ("role", "Role", False, False), ("authorId", "Int", True, False), ("author", "User", True, False)]
    assert post.fields[1].column_name == "post_title"
    assert [a.name for a in post.fields[1].attributes] == ["db.VarChar", "map"]
    assert post.fields[5].attribute("relation").args.endswith("onDelete: SetNull")
    assert [a.name for a in post.attributes] == ["@index", "@map"]
    assert schema.errors == []


def test_unclosed_block_and_garbage_are_parse_errors(tmp_path: Path) -> None:
    write_tree(tmp_path, {"schema.prisma": DATASOURCE + "model User {\n  id Int @id\n  ???\n"})
    assert check(tmp_path, "schema.prisma") == [("schema.prisma", 5, "parse-error"), ("schema.prisma", 7, "parse-error")]


def test_required_field_on_a_migrated_model_without_default(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "prisma/migrations/20240101000000_init/migration.sql": INIT_SQL,
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        "prisma/schema.prisma": DATASOURCE + textwrap.dedent("""\
            model User {
              id        Int      @id @default(autoincrement())
              email     String
              plan      String
              tier      String   @default("free")
              bio       String?
              updatedAt DateTime @updatedAt
              tags      String[]
            }
        """)})
    assert check(tmp_path, "prisma/schema.prisma") == [("prisma/schema.prisma", 8, "not-null-without-default"),
                                                     ("prisma/schema.prisma", 11, "not-null-without-default")]
    # the whole project (detected) gives the same schema findings; the init migration itself is fine
    assert check(tmp_path) == check(tmp_path, "prisma/schema.prisma")


def test_without_migrations_every_model_is_new(tmp_path: Path) -> None:
    write_tree(tmp_path, {"prisma/schema.prisma": DATASOURCE + "model User {\n  id Int @id\n  plan String\n}\n"})
    assert check(tmp_path, "prisma/schema.prisma") == []


def test_once_the_migration_adds_the_column_the_schema_is_quiet_and_the_sql_is_judged(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "prisma/migrations/20240101000000_init/migration.sql": INIT_SQL,
        "prisma/migrations/20240102000000_plan/migration.sql": 'ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL;\n',
        "prisma/schema.prisma": DATASOURCE + "model User {\n  id Int @id\n  email String\n  plan String\n}\n"})
    assert check(tmp_path) == [("prisma/migrations/20240102000000_plan/migration.sql", 1, "not-null-without-default")]


def test_relations_on_delete_and_index_coverage(tmp_path: Path) -> None:
    write_tree(tmp_path, {"schema.prisma": DATASOURCE + textwrap.dedent("""\
        model User {
          id       Int       @id
          posts    Post[]
          profile  Profile?
        }
        model Post {
          id       Int  @id
          authorId Int
          editorId Int
          author   User @relation("a", fields: [authorId], references: [id], onDelete: Cascade)
          editor   User @relation("e", fields: [editorId], references: [id])
          @@index([editorId, authorId])
        }
        model Profile {
          userId Int  @unique
          user   User @relation(fields: [userId], references: [id], onDelete: Cascade)
        }
    """)})
    assert check(tmp_path, "schema.prisma") == [("schema.prisma", 14, "foreign-key-without-index"),
                                                ("schema.prisma", 15, "relation-without-on-delete")]


def test_index_naming_is_off_unless_configured_and_checks_generated_names(tmp_path: Path) -> None:
    schema = DATASOURCE + textwrap.dedent("""\
        model Post {
          id    Int    @id
          slug  String
          title String
          @@index([title])
          @@unique([slug], map: "uq_post_slug")
        }
    """)
    write_tree(tmp_path, {"schema.prisma": schema})
    assert check(tmp_path, "schema.prisma") == []
    (tmp_path / ".migrate-guard.toml").write_text('index_name_pattern = "^(idx|uq)_"\n')
    result = run_cli("check", "schema.prisma", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    [finding] = result.findings()
    assert (finding["rule"], finding["line"]) == ("index-naming", 9)
    assert "Post_title_idx" in finding["message"] and finding["orm"] == "prisma"


def test_invalid_index_name_pattern_is_a_config_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"schema.prisma": DATASOURCE + "model P {\n  id Int @id\n  @@index([id])\n}\n",
                          ".migrate-guard.toml": 'index_name_pattern = "(unclosed"\n'})
    result = run_cli("check", "schema.prisma", cwd=tmp_path)
    assert result.code == 2 and "index_name_pattern" in result.err


def test_multi_file_schema_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "package.json": '{"dependencies": {"prisma": "5.15.0"}}',
        "prisma/schema/base.prisma": DATASOURCE,
        "prisma/schema/user.prisma": "model User {\n  id Int @id\n  posts Post[]\n}\n",
        "prisma/schema/post.prisma": "model Post {\n  id Int @id\n  authorId Int\n"
                                     "  author User @relation(fields: [authorId], references: [id])\n}\n",
        "prisma/migrations/20240101000000_init/migration.sql": INIT_SQL})
    assert sorted(check(tmp_path, "prisma/schema")) == [
        ("prisma/schema/post.prisma", 4, "foreign-key-without-index"),
        ("prisma/schema/post.prisma", 4, "relation-without-on-delete")]


def test_mysql_skips_the_index_rule_but_keeps_on_delete(tmp_path: Path) -> None:
    write_tree(tmp_path, {"schema.prisma": DATASOURCE.replace("postgresql", "mysql") + textwrap.dedent("""\
        model User {
          id    Int    @id
          posts Post[]
        }
        model Post {
          id       Int  @id
          authorId Int
          author   User @relation(fields: [authorId], references: [id])
        }
    """)})
    assert check(tmp_path, "schema.prisma") == [("schema.prisma", 12, "relation-without-on-delete")]


def test_cached_schema_results_follow_new_migrations(tmp_path: Path) -> None:
    """The schema's findings depend on the migrations folder: a new migration must not be hidden by the cache."""
    root = tmp_path / "app"
    write_tree(root, {
        "prisma/migrations/20240101000000_init/migration.sql": INIT_SQL,
        "prisma/schema.prisma": DATASOURCE + "model User {\n  id Int @id\n  email String\n  plan String\n}\n"})
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    def schema_rules() -> list[str]:
        result = run_cli("check", "prisma/schema.prisma", "--format", "json", "--fail-on", "never", cwd=root, env=env)
        return result.rules()

    assert schema_rules() == ["not-null-without-default"]
    assert schema_rules() == ["not-null-without-default"]  # served from the cache
    write_tree(root, {"prisma/migrations/20240102000000_plan/migration.sql":
                      'ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL DEFAULT \'free\';\n'})
    assert schema_rules() == []


def test_invalid_index_name_pattern_is_refused_even_without_prisma_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m/000001_a.up.sql": "SELECT 1;\n", ".migrate-guard.toml": 'index_name_pattern = "(x"\n'})
    result = run_cli("check", "m", cwd=tmp_path)
    assert result.code == 2 and "index_name_pattern" in result.err and result.err.count("\n") == 1


def test_views_are_not_checked_as_tables(tmp_path: Path) -> None:
    write_tree(tmp_path, {"schema.prisma": DATASOURCE + textwrap.dedent("""\
        model User {
          id Int @id
        }
        view UserStats {
          userId Int  @unique
          user   User @relation(fields: [userId], references: [id])
          label  String
          @@index([label])
        }
    """)})
    assert check(tmp_path, "schema.prisma") == []
