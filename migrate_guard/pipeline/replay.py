"""A warm `check` served whole: when a run with the cache judged nothing (every project's verdict came from the
cache), its Report is kept with everything it read (run_reads.py). The next run with the same command line,
config, rules, code, Python and current folder checks those reads (the files' SHA-256, the folders' listings, the
kinds and sizes asked of paths, the links) and, when all are unchanged, takes that Report instead of detecting,
planning, keying and loading verdicts again: what it would have rebuilt from the same inputs. Anything changed,
missing or unreadable is a miss, and the run goes the whole way (which keeps a new one).

Only a process started for this command keeps one (cli.main from the command line): an earlier run in the same
process may have left answers memoized (folders resolved, package.json files parsed) that this one would not have
read. `--changed-since` asks git, which is not watched: never kept nor served."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..model import LintedFile, Project, Report, finding_rows, findings_of
from .options import Options
from .run_reads import RunReads, entry_kinds, files_unchanged, path_outcome

if TYPE_CHECKING:
    from ..cache_folder import CacheStore

_SUFFIX = ".run"
_LAYOUT = 2  # of the kept data below


def run_key(config: Config, options: Options) -> str:
    """Everything besides the file system that the Report depends on."""
    from .. import __version__
    from ..cache_folder import FORMAT, code_fingerprint
    from ..engine.rules import rules_fingerprint
    from ..sql_parser import parser_name

    settings = [(f.name, repr(getattr(config, f.name))) for f in fields(config)]
    asked = (options.paths, options.dialect, options.changed_since, options.use_cache, options.jobs)
    context = (_LAYOUT, FORMAT, __version__, code_fingerprint(), rules_fingerprint(), sys.version_info[:2],
               settings, asked, os.getcwd(), parser_name())
    return hashlib.sha256(repr(context).encode()).hexdigest()


def _open_store(config: Config) -> CacheStore | None:
    from ..cache_folder import CacheStore, cache_folder

    try:
        return CacheStore.open(cache_folder(config), config)
    except Exception:  # unusable or refused: the whole run says why (MigrationCache.open)
        return None


def replayed(config: Config, options: Options) -> Report | None:
    """The kept Report of this same run, when nothing it read has changed; else None."""
    store = _open_store(config)
    if store is None:
        return None
    try:
        key = run_key(config, options)
        data = store.read(key[:2], key[2:] + _SUFFIX)
    finally:
        store.close()
    if data is None:
        return None
    try:
        layout, reads, kept = marshal.loads(data)
        del data
        if layout != _LAYOUT or not _unchanged(*reads):
            return None
        return _report(*kept)
    except Exception:  # foreign, damaged or from other code: the run goes the whole way
        return None


def _unchanged(stats: list[tuple[str, bool, tuple[int, int]]], listings: list[tuple[str, tuple[str, ...]]],
               scans: list[tuple[str, tuple[tuple[str, int], ...]]], links: list[tuple[str, str]],
               files: tuple[str, bytes]) -> bool:
    for path, follow, outcome in stats:
        if path_outcome(path, follow) != tuple(outcome):
            return False
    for path, names in listings:
        try:
            if tuple(sorted(os.listdir(path))) != tuple(names):
                return False
        except OSError:
            return False
    for path, kinds in scans:
        try:
            with os.scandir(path) as listing:
                if tuple(entry_kinds(list(listing))) != tuple(tuple(kind) for kind in kinds):
                    return False
        except OSError:
            return False
    for path, target in links:
        try:
            if os.readlink(path) != target:
                return False
        except OSError:
            return False
    return files_unchanged(*files)


def _report(findings: list[tuple], files: int, skipped: int, projects: list[tuple], linted: list[tuple],
            stats: dict[str, int]) -> Report:
    return Report(
        findings=findings_of(findings),
        files=files, skipped=skipped,
        projects=[Project(orm, root, list(migrations), dialect, evidence, dict(settings))
                  for orm, root, migrations, dialect, evidence, settings in projects],
        linted=[LintedFile(*row) for row in linted], stats=dict(stats))


def excluded_folders(config: Config) -> tuple[str, ...]:
    """Folders whose reads the key stands for: the cache's own, the installed code and the rules."""
    from ..cache_folder import cache_folder
    from ..engine.rules import rules_dir

    package = str(Path(__file__).resolve().parent.parent)
    return tuple(folder.rstrip(os.sep) + os.sep for folder in (os.path.abspath(cache_folder(config)), package,
                                                               str(rules_dir())))


def keep(config: Config, key: str, reads: RunReads, report: Report) -> None:
    """Keep this run's Report for replayed() under `key` (run_key before the run), when the cache judged everything
    and nothing changed meanwhile."""
    stats = report.stats
    if (not reads.consistent or reads.stderr or report.migrations
            or stats.get("projects_judged_from_cache", 0) != stats.get("projects", 0)):
        return
    files = reads.digests()
    if files is None:
        return
    findings = finding_rows(report.findings)
    projects = [(p.orm, p.root, list(p.migrations), p.dialect, p.dialect_evidence, dict(p.settings))
                for p in report.projects]
    linted = [(f.path, f.project, f.orm) for f in report.linted]
    recorded = ([(path, follow, outcome) for (path, follow), outcome in sorted(reads.stats.items())],
                sorted(reads.listings.items()), sorted(reads.scans.items()), sorted(reads.links.items()), files)
    try:
        data = marshal.dumps((_LAYOUT, recorded, (findings, report.files, report.skipped, projects, linted,
                                                  dict(stats))))
    except ValueError:  # something marshal cannot write: nothing kept
        return
    store = _open_store(config)
    if store is None:
        return
    try:
        store.write(key[:2], key[2:] + _SUFFIX, (data,))
    finally:
        store.close()
