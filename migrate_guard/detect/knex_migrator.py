"""knex-migrator projects (Ghost and its plugins): `MigratorConfig.js` at the root names the migration folder at run
time, and the migrations live in `<migrationPath>/versions/<version>/*.js`, applied version by version.

The path is usually computed (`config.get('paths:migrationPath')`), so it is read when written literally and found
otherwise: the `versions` folder whose subfolders are named for versions and hold JS files.
"""

from __future__ import annotations

from pathlib import Path

from ..extract.js.text import strip_js_comments
from ..extract.knex_versions import is_version_folder
from .common import find_dirs, js_dependencies, js_string_option, list_dir, read_small

CONFIG_FILE = "MigratorConfig.js"
_JS_EXTS = (".js", ".cjs", ".mjs", ".ts")


def versions_folder(root: Path, names: list[str]) -> Path | None:
    """The `versions` folder of the knex-migrator project at root, or None when root is not one."""
    if CONFIG_FILE not in names or "knex-migrator" not in js_dependencies(root):
        return None
    text = strip_js_comments(read_small(root / CONFIG_FILE) or "")
    literal = js_string_option(text, "migrationPath")
    if literal:
        folder = root / literal / "versions"
        if _holds_versions(folder):
            return folder
    found = sorted(find_dirs(root, lambda folder, listed: folder.name == "versions" and _holds_versions(folder),
                             max_depth=6),
                   key=lambda folder: (len(folder.parts), "migrations" not in folder.parts, str(folder)))
    return found[0] if found else None


def _holds_versions(folder: Path) -> bool:
    return any(is_version_folder(name) and any(n.endswith(_JS_EXTS) for n in list_dir(folder / name))
               for name in list_dir(folder))
