"""Paths written as JS expressions in config files we never run: `path.join(__dirname, '..', 'migrations')`,
`path.resolve('db', 'migrations')`, `__dirname + '/migrations'`, `${__dirname}/migrations/*{.ts,.js}`, and the folders
behind identifiers a TypeORM DataSource imports (`migrations: [...pgMigrations]`,
`import { Init1700 } from './m/1700'`).

Evaluated the way Node would for the few forms config files use; anything else (an env variable, a function call)
is unknown (None), never a guess.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from ..extract.base import JS_SUFFIXES
from ..extract.js.text import strip_js_comments
from .common import is_a_file, is_folder

_JS_EXTS = JS_SUFFIXES
_CALL = re.compile(r"^(?:path\s*\.\s*)?(join|resolve)\s*\((.*)\)$", re.DOTALL)
_STRING = re.compile(r"""^(['"])(.*)\1$""", re.DOTALL)


def split_top(text: str, separator: str) -> list[str]:
    """Split at `separator` outside brackets and strings."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def expression_at(text: str, start: int) -> str:
    """The JS expression starting at `start`, up to a top-level `,` `}` `]` `;` or a line break outside brackets."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return text[start:i].strip()
            depth -= 1
        elif depth == 0 and ch in ",;\n":
            return text[start:i].strip()
    return text[start:].strip()


_CONSTANT = re.compile(r"(?m)^[^\S\n]*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=\n]*)?=\s*")
_MAX_CONSTANT_DEPTH = 4
_MAX_CONSTANTS = 200


def constants(text: str) -> dict[str, str]:
    """Top-level `const NAME = <expression>` of a config file, first binding of each name: knex's
    `const migrationsDirectory = '../migrations'` then `directory: migrationsDirectory`."""
    found: dict[str, str] = {}
    for count, match in enumerate(_CONSTANT.finditer(text)):
        if count == _MAX_CONSTANTS:  # each expression_at may scan to the end of the file: bounded, never quadratic
            break
        found.setdefault(match.group(1), expression_at(text, match.end()))
    return found


def evaluate(expr: str, here: Path, cwd: Path, names: dict[str, str] | None = None, depth: int = 0) -> str | None:
    """The path a JS path expression gives (may hold a glob), or None. `here` is __dirname, `cwd` the folder the tool
    runs from, `names` the file's constants (see constants())."""
    expr = expr.strip()
    if names and expr in names and depth < _MAX_CONSTANT_DEPTH:
        return evaluate(names[expr], here, cwd, names, depth + 1)
    call = _CALL.match(expr)
    if call:
        parts = [evaluate(arg, here, cwd, names, depth) for arg in split_top(call.group(2), ",")]
        if not parts or any(p is None for p in parts):
            return None
        if call.group(1) == "resolve":
            result = cwd.as_posix()
            for part in parts:
                result = posixpath.join(result, part)  # type: ignore[arg-type]  # an absolute part starts over
            return posixpath.normpath(result)
        return posixpath.normpath("/".join(parts))  # type: ignore[arg-type]  # join never starts over
    pieces = split_top(expr, "+")
    if len(pieces) > 1:
        values = [evaluate(piece, here, cwd, names, depth) for piece in pieces]
        return None if any(v is None for v in values) else "".join(values)  # type: ignore[arg-type]
    if expr == "__dirname":
        return here.as_posix()
    if re.fullmatch(r"process\s*\.\s*cwd\s*\(\s*\)", expr):
        return cwd.as_posix()
    string = _STRING.match(expr)
    if string:
        return string.group(2)
    if len(expr) >= 2 and expr[0] == expr[-1] == "`":
        body = re.sub(r"\$\{\s*__dirname\s*\}", lambda _: here.as_posix(), expr[1:-1])
        body = re.sub(r"\$\{\s*process\s*\.\s*cwd\s*\(\s*\)\s*\}", lambda _: cwd.as_posix(), body)
        if names and depth < _MAX_CONSTANT_DEPTH:  # `${migrationsDirectory}/pending`
            def constant(match: re.Match[str]) -> str:
                value = evaluate(match.group(1), here, cwd, names, depth + 1) if match.group(1) in names else None
                return value if value is not None else match.group(0)

            body = re.sub(r"\$\{\s*([A-Za-z_$][\w$]*)\s*\}", constant, body)
        return None if "${" in body else body
    return None


def absolute(value: str, base: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else base / path


def option_expression(text: str, key: str) -> str | None:
    """The expression after `key:` (first occurrence), e.g. knex's `directory: path.join(__dirname, 'db')`."""
    match = re.search(r"""(?<![\w$])['"]?""" + re.escape(key) + r"""['"]?\s*:\s*""", text)
    return expression_at(text, match.end()) if match else None


def knex_directories(text: str, knexfile: Path) -> list[Path]:
    """knexfile `migrations: { directory }`: a string, an array, or a path expression (relative to the knexfile's
    folder, where the knex CLI runs)."""
    block = option_expression(text, "migrations")
    expr = option_expression(block, "directory") if block and block.startswith("{") else None
    if not expr:
        return []
    here = knexfile.parent.absolute()
    names = constants(text)
    if expr in names:
        expr = names[expr]
    items = split_top(expr[1:-1], ",") if expr.startswith("[") and expr.endswith("]") else [expr]
    folders = []
    for item in items:
        value = evaluate(item, here, here, names)
        if value is not None:
            folders.append(absolute(value, here))
    return folders


# --- TypeORM data sources -----------------------------------------------------------------------------------------

# Name lists are bounded ({0,2000}): an unbounded [^}]* rescans to the end of the file from every `import {` that is
# never closed (quadratic); no real import or require lists more.
_IMPORT = re.compile(r"""import\s+(?:type\s+)?(?:(?P<default>[\w$]+)\s*,?\s*)?"""
                     r"""(?:\{(?P<names>[^}]{0,2000})\}|\*\s*as\s+(?P<star>[\w$]+))?"""
                     r"""\s*from\s*['"](?P<spec>[^'"]+)['"]""")
_REQUIRE = re.compile(r"""(?:const|let|var)\s+(?:\{(?P<names>[^}]{0,2000})\}|(?P<name>[\w$]+))\s*=\s*require\s*\(\s*['"]"""
                      r"""(?P<spec>[^'"]+)['"]\s*\)""")


def imports(text: str) -> dict[str, str]:
    """Local name -> module specifier, for ES imports and `require` bindings."""
    found: dict[str, str] = {}
    for match in _IMPORT.finditer(text):
        spec = match.group("spec")
        for key in ("default", "star"):
            if match.group(key):
                found[match.group(key)] = spec
        for name in (match.group("names") or "").split(","):
            local = name.strip().split(" as ")[-1].strip()
            if local:
                found[local] = spec
    for match in _REQUIRE.finditer(text):
        spec = match.group("spec")
        if match.group("name"):
            found[match.group("name")] = spec
        for name in (match.group("names") or "").split(","):
            local = name.strip().split(":")[-1].strip()
            if local:
                found[local] = spec
    return found


def module_folder(spec: str, source: Path) -> Path | None:
    """The folder of the file or package folder a relative import names (`../migration/postgres` -> that folder,
    `./migrations/1700-Init` -> ./migrations)."""
    if not spec.startswith("."):
        return None
    target = (source.parent / spec)
    if is_folder(target):
        return target
    for ext in _JS_EXTS:
        if is_a_file(target.with_name(target.name + ext)):
            return target.parent
    if target.suffix in (".js", ".mjs", ".cjs") and is_a_file(target.with_suffix(".ts")):
        return target.parent  # ESM TypeScript imports name the .js it compiles to
    return None


def data_source_folders(text: str, source: Path, root: Path) -> list[Path]:
    """The folders a DataSource's `migrations` option names: globs, template literals and path expressions (relative
    to the folder TypeORM runs from, the package root), and identifiers or spreads of imported migration classes or
    arrays (`migrations: [...pgMigrations]`, `migrations: migrations`, `migrations: [Init1700, AddUsers1701]`)."""
    text = strip_js_comments(text)
    source, root = source.absolute(), root.absolute()
    expr = option_expression(text, "migrations")
    if not expr and re.search(r"[{,]\s*migrations\s*[,}]", text):
        expr = "migrations"  # shorthand property: `new DataSource({ type, migrations })`
    if not expr:
        return []
    items = split_top(expr[1:-1], ",") if expr.startswith("[") and expr.endswith("]") else [expr]
    imported = imports(text)
    folders: list[Path] = []
    for item in items:
        item = item.removeprefix("...").strip()
        if re.fullmatch(r"[\w$]+", item):
            spec = imported.get(item)
            folder = module_folder(spec, source) if spec else None
            if folder is None and spec is None:
                folder = _local_array_folder(text, item, imported, source)
        else:
            value = evaluate(item, source.parent, root)
            folder = _glob_folder(absolute(value, root)) if value is not None else None
            if value is None:  # `type === 'mysql' ? mysqlMigrations : pgMigrations`: each imported name it uses
                for name in re.findall(r"[A-Za-z_$][\w$]*", item):
                    named = module_folder(imported[name], source) if name in imported else None
                    if named is not None and is_folder(named) and named not in folders:
                        folders.append(named)
        if folder is not None and is_folder(folder) and folder not in folders:
            folders.append(folder)
    return folders


def _local_array_folder(text: str, name: str, imported: dict[str, str], source: Path) -> Path | None:
    """`const migrations = [Init1700, AddUsers1701]` in the same file: the folder of its first imported class."""
    # `(\]?)`: an unclosed array matches to the end instead of being rescanned from every later declaration
    match = re.search(r"(?:const|let|var)\s+" + re.escape(name) + r"\s*(?::[^=\n]*)?=\s*\[([^\]]*)(\]?)", text)
    for item in split_top(match.group(1), ",") if match and match.group(2) else []:
        spec = imported.get(item.removeprefix("...").strip())
        folder = module_folder(spec, source) if spec else None
        if folder is not None:
            return folder
    return None


def _glob_folder(path: Path) -> Path | None:
    parts: list[str] = []
    for part in path.as_posix().split("/"):
        if any(ch in part for ch in "*?[{"):
            break
        parts.append(part)
    folder = Path("/".join(parts) or "/")
    if folder.suffix in _JS_EXTS and not is_folder(folder):
        folder = folder.parent
    return folder if os.path.isdir(folder) else None


def rc_option_path(text: str, key: str, root: Path) -> Path | None:
    """A `.sequelizerc` path option (`'migrations-path': path.resolve('db', 'migrations')`), from the folder
    sequelize-cli runs in."""
    expr = option_expression(text, key)
    root = root.absolute()
    value = evaluate(expr, root, root) if expr else None
    return absolute(value, root) if value else None
