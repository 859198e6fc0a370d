"""A content-hash cache of extracted migrations and of each project's findings, so an unchanged file is never parsed
twice and an unchanged project is never judged twice.

Two levels. An entry holds what an extractor returned for one migration (the Migration, in codec.py's code-free
format): a project with one new migration parses only that one, then the engine replays the project's schema state
and judges it. A project's verdict (its findings and linted files) is reused whole while the keys of all its migrations, the selection linted
and every file its extractions read are unchanged; the rules, the config and the installed code are in every key,
so a rule or config change never serves stale findings. A project's checkpoints (the schema state after all its
migrations, and before its newest) let a run that selects only newer migrations (pre-commit) resume there instead
of loading and replaying the whole history. (A whole `check` run served again, when nothing it read changed, is
pipeline/replay.py's, in the same folder.)

The key of a migration covers: the bytes and paths of its files, the files named in its settings (e.g.
schema.prisma), its ORM, id, dialect and project, the tool version, a fingerprint of the installed code and of the
rules, the config fields that could matter, the current folder and the Python version (marshal's format). For formats whose
extraction replays the whole project (Django's migration graph), every file of the project is in the key. Files an
extractor read beside its own (a golang-migrate down file found next to the up file, a knexfile, a journal) and
folders it listed are recorded with their digests in the entry and checked on every hit.

Entries live in `cache_dir` (config) or $XDG_CACHE_HOME/migrate-guard or ~/.cache/migrate-guard — never in the
repository — in one pack file per project (creating thousands of small files cost more than parsing them). Packs
are written to a temporary file in the same folder and renamed into place, so concurrent runs never read a
half-written pack (the last writer wins; the loser's entries are parsed again next time); a corrupt or unreadable
pack or entry is a miss.

The cache owns only what it made: a folder of its own (CacheStore, cache_folder.py: private, marked with CACHEDIR.TAG
and a `.gitignore` of `*`, refused when it holds the project, trusted only while it is the user's alone, each file
checksummed). Everything in it is marshal data (codec.py for migrations): reading a file runs no code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from . import __version__
from .cache_folder import DAY, FORMAT, CacheStore, CacheUnavailable, cache_folder, code_fingerprint, footed, with_footer
from .cache_reads import file_digest, listing_digest
from .config import Config
from .errors import warn
from .extract.base import MigrationUnit
from .model import Finding, LintedFile, Migration, finding_rows, findings_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .schema import SchemaState

PRUNE_AFTER_DAYS = 30
# Config fields that cannot change what an extractor returns (and change often): left out of the key.
_CONFIG_IGNORED = frozenset({"baseline", "fail_on", "cache_dir", "source", "exclude", "large_tables",
                             "production_values"})


# Formats whose extraction reads the whole project through an in-process memo (Django replays its migration graph
# once per process): reads served from the memo are not recorded, so every file of the project is in each key.
_WHOLE_PROJECT_FORMATS = frozenset({"django"})


_DIGITS = re.compile(r"\d+")


def _version_token(name: str) -> str:
    """The first number in a file name (the migration's version in most formats), or the whole name."""
    match = _DIGITS.search(name)
    return match.group() if match else name


class MigrationCache:
    """The cache as the pipeline's Store (pipeline/store.py): entries, verdicts and checkpoints, in a CacheStore."""

    keeps = True  # extraction records what each migration read and encodes it: entries are kept

    def __init__(self, store: CacheStore, config: Config) -> None:
        from .engine.rules import rules_fingerprint

        self._store = store
        settings = sorted((f.name, repr(getattr(config, f.name))) for f in fields(config)
                          if f.name not in _CONFIG_IGNORED)
        # The current folder is in the key: migrations hold paths relative to it.
        from .sql_parser import parser_name

        context = (FORMAT, __version__, code_fingerprint(), rules_fingerprint(), sys.version_info[:2], settings,
                   os.getcwd(), parser_name())
        self.context = hashlib.sha256(repr(context).encode()).hexdigest()
        self._folders: dict[str, dict[str, list[str]]] = {}
        self._tokens: dict[str, dict[str, str]] = {}  # folder -> its names' version tokens
        self._projects: dict[int, str] = {}
        self._digests: dict[str, str] = {}
        self._packs: dict[str, dict[str, Entry]] = {}
        self._used: dict[str, dict[str, Entry]] = {}
        self._dirty: set[str] = set()
        self._project_files: dict[int, set[str]] = {}
        self._wrote = False

    @classmethod
    def open(cls, config: Config) -> MigrationCache | None:
        """The cache, or None (with a one-line warning) when its folder cannot be trusted or made. A configured
        `cache_dir` that holds the project or someone else's files is a configuration error (ConfigError)."""
        try:
            store = CacheStore.open(cache_folder(config), config)
        except CacheUnavailable as why:
            warn(f"running without the cache: {why}")
            return None
        return cls(store, config)

    def key(self, unit: MigrationUnit, seed: str, cwd: str) -> str:
        digest = hashlib.sha256()
        project = unit.project
        described = self._projects.get(id(project))
        if described is None:  # the project's part of every key, written once
            described = self._projects[id(project)] = repr(
                (project.orm, project.root, project.migrations, project.dialect) if project else None)
        digest.update(repr((self.context, seed, unit.orm, unit.id, unit.dialect, sorted(unit.settings.items()),
                            described)).encode())
        for path in unit.files:
            absolute = os.path.normpath(os.path.join(cwd, path))  # os.path.abspath()
            digest.update(f"\0{absolute}\0{self.digest('f:' + absolute)}".encode())
            # A sibling of the same version may be read by the extractor (a down file beside the up file): its
            # appearance or disappearance must change the key; its content is checked through the entry's deps.
            digest.update(repr(self._siblings(*os.path.split(absolute))).encode())
        for value in sorted(unit.settings.values()):
            candidate = Path(value)
            if candidate.is_file():
                digest.update(f"\0{value}\0{self.digest('f:' + os.path.abspath(candidate))}".encode())
        return digest.hexdigest()

    def keys(self, units: list[MigrationUnit], project: list[MigrationUnit]) -> list[str]:
        """Each unit's key; `project`: all of its project's units, which seed the keys (project_seed)."""
        seed = self.project_seed(project)
        cwd = os.getcwd()
        return [self.key(unit, seed, cwd) for unit in units]

    def project_files(self, units: list[MigrationUnit]) -> set[str]:
        """Absolute paths of a project's migration files (memoized per project)."""
        key = id(units)
        known = self._project_files.get(key)
        if known is None:
            known = self._project_files[key] = {os.path.abspath(path) for unit in units for path in unit.files}
        return known

    def project_seed(self, units: list[MigrationUnit]) -> str:
        """Start of a project's key chain. For formats whose extraction reads the whole project
        (_WHOLE_PROJECT_FORMATS), it covers every file of the project, since reads served from an in-process memo
        cannot be recorded."""
        whole = [u for u in units if u.orm in _WHOLE_PROJECT_FORMATS]
        if not whole:
            return ""
        digest = hashlib.sha256()
        for unit in units:
            for path in unit.files:
                digest.update(f"{path}\0{self.digest('f:' + os.path.abspath(path))}\0".encode())
        for folder in sorted({os.path.abspath(path.parent) for unit in units for path in unit.files}):
            digest.update(f"{folder}\0{self.digest('d:' + folder)}\0".encode())
        return digest.hexdigest()

    def _siblings(self, folder: str, name: str) -> list[str]:
        index = self._folders.get(folder)
        if index is None:
            index = self._folders[folder] = {}
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            tokens = self._tokens[folder] = {}
            for entry in names:
                tokens[entry] = _version_token(entry)
                index.setdefault(tokens[entry], []).append(entry)
        known = self._tokens[folder].get(name)
        return index.get(_version_token(name) if known is None else known, [])

    def know_digests(self, digests: dict[str, str]) -> None:
        """SHA-256 of files read already this run (by absolute path; file_digest's form): not read again."""
        for path, digest in digests.items():
            self._digests.setdefault("f:" + path, digest)

    def digest(self, dependency: str) -> str:
        """Current digest of a recorded dependency: `f:PATH` (file bytes) or `d:PATH` (folder listing)."""
        known = self._digests.get(dependency)
        if known is None:
            kind, path = dependency[:2], dependency[2:]
            known = file_digest(Path(path)) if kind == "f:" else listing_digest(path)
            self._digests[dependency] = known
        return known

    def _unchanged(self, deps: dict[str, str]) -> bool:
        """Every file and folder an entry depends on still has the digest recorded with it."""
        return all(self.digest(dependency) == digest for dependency, digest in deps.items())

    # One pack file per project holds its entries: thousands of tiny files cost more to create than to parse.

    def _pack_name(self, group: str) -> tuple[str, str]:
        """(shard folder, file name without suffix) of a project's pack, verdict and checkpoint files."""
        name = hashlib.sha256(f"{self.context}\0{group}".encode()).hexdigest()
        return name[:2], name[2:]

    def _read(self, group: str, suffix: str) -> memoryview | None:
        shard, name = self._pack_name(group)
        return self._store.read(shard, name + suffix)

    def _pack(self, group: str) -> dict[str, Entry]:
        pack = self._packs.get(group)
        if pack is None:
            data = self._read(group, ".pack")
            pack = {}
            try:
                for part in (footed(data)[1] if data is not None else ()):
                    pack.update(marshal.loads(part))
            except Exception:  # a foreign body behind a valid checksum: an empty pack
                pack = {}
            self._packs[group] = pack
        return pack

    def has(self, key: str, group: str) -> bool:
        entry = self._pack(group).get(key)
        try:
            return entry is not None and self._unchanged(entry[0])
        except Exception:  # a damaged entry: load() finds nothing either
            return False

    def load(self, key: str, group: str) -> Migration | None:
        from . import codec

        entry = self._pack(group).get(key)
        if entry is None:
            return None
        try:
            deps, payload = entry
            if not self._unchanged(deps):
                return None
            migration = codec.loads(zlib.decompress(payload))
        except Exception:  # a damaged entry is a miss, never an error
            return None
        if not isinstance(migration, Migration):
            return None
        self._used.setdefault(group, {})[key] = entry
        return migration

    def store(self, key: str, group: str, payload: bytes, deps: dict[str, str]) -> None:
        if not payload:
            return  # the codec could not write it: not cached (and no verdict stands on it)
        # Compressed (level 1: about 0.02 s per 1,000 SQL migrations): a project's pack is read whole on every run
        # that needs one of its entries, and a 20,000-file project's was 84 MB, held twice while it was decoded.
        self._used.setdefault(group, {})[key] = (deps, zlib.compress(payload, 1))
        self._dirty.add(group)

    def share_deps(self, group: str, keys: list[str], deps: dict[str, str]) -> None:
        """These entries of the project also depend on `deps` (their own reads win where both name a file)."""
        used = self._used.get(group, {})
        for key in keys:
            entry = used.get(key)
            if entry is not None:
                used[key] = ({**deps, **entry[0]}, entry[1])

    # A project's verdict (its findings and linted files) is reused whole while the keys of its migrations, the
    # selection linted and every file its extractions read are unchanged: the rules' context is the whole project,
    # so the findings depend on nothing else (the rules, the config and the code are in the context).

    def _verdict_key(self, keys: list[str], linted: list[bool]) -> str:
        digest = hashlib.sha256(self.context.encode())
        digest.update("\0".join(keys).encode())
        digest.update(bytes(linted))
        return digest.hexdigest()

    def load_verdict(self, group: str, keys: list[str], linted: list[bool]) -> Verdict | None:
        data = self._read(group, ".verdict")
        if data is None:
            return None
        try:
            (key, deps), parts = footed(data)
            if key != self._verdict_key(keys, linted) or not self._unchanged(deps):
                return None
            findings = [finding for part in parts[1:] for finding in findings_of(marshal.loads(part))]
            return Verdict(findings, [LintedFile(*row) for row in marshal.loads(parts[0])])
        except Exception:  # missing, stale, truncated or foreign: judge again
            return None

    def deps_of(self, group: str, keys: list[str]) -> dict[str, str] | None:
        """What the extractions of these migrations read besides their own files (None: one was not cached)."""
        deps: dict[str, str] = {}
        for key in keys:
            entry = self._used.get(group, {}).get(key)
            if entry is None:
                return None
            deps.update(entry[0])
        return deps

    def store_verdict(self, group: str, keys: list[str], linted: list[bool], findings: list[Finding],
                      linted_files: list[LintedFile], deps: dict[str, str]) -> None:
        # Plain tuples in marshal's format: unpickling thousands of slotted dataclasses goes through Python-level
        # __setstate__ (building them again is twice as fast), and marshal is built in (a run served from verdicts
        # never imports pickle). Its format changes with Python's version, which is in the context.
        # The linted files, then the findings, _VERDICT_PART at a time, each encoded as it is written (a 20,000-file
        # project's verdict is 17 MB); the key in the footer: a run that selects other migrations (pre-commit)
        # compares it without reading a project's tens of thousands of finding rows. Written now, not at flush.
        def parts() -> Iterator[bytes]:
            yield marshal.dumps([(f.path, f.project, f.orm) for f in linted_files])
            for at in range(0, len(findings), _VERDICT_PART):
                yield marshal.dumps(finding_rows(findings[at:at + _VERDICT_PART]))

        self._write(group, ".verdict", with_footer((self._verdict_key(keys, linted), deps), parts()))

    # A project's checkpoints: the schema state its migrations leave (what the rules know about earlier migrations),
    # for resuming after them when only newer ones are selected. Kept per project: the state after all of its
    # migrations (the next one added resumes there) and before its newest (that one edited again resumes there).

    def _checkpoint_key(self, keys: list[str]) -> str:
        return hashlib.sha256(f"{self.context}\0checkpoint\0{chr(0).join(keys)}".encode()).hexdigest()

    def load_checkpoint(self, group: str, keys: list[str]) -> Checkpoint | None:
        data = self._read(group, ".state")
        if data is None:
            return None
        try:
            from .schema import SchemaState

            (names, deps), parts = footed(data)
            wanted = self._checkpoint_key(keys)
            if wanted not in names or not self._unchanged(deps):
                return None
            plain = marshal.loads(parts[names.index(wanted)])  # only the state resumed from is built
            del data, parts
            state = SchemaState.__new__(SchemaState)
            state.__setstate__(plain)  # the plain data SchemaState.__getstate__ gave (as pickle would restore it)
        except Exception:  # stale, foreign or from other code: replay the migrations
            return None
        return Checkpoint(len(keys), state, deps)

    def snapshot(self, state: SchemaState) -> bytes | None:
        try:
            return marshal.dumps(state.__getstate__())
        except ValueError:  # a state holding something marshal cannot write: no checkpoint, never a failure
            return None

    def store_checkpoints(self, group: str, states: list[tuple[list[str], bytes | None]],
                          deps: dict[str, str]) -> None:
        """Snapshots of the states after the given prefixes (their keys) of the project's migrations, which read
        `deps`."""
        bodies = [body for _, body in states if body is not None]
        if len(bodies) < len(states):
            return
        names = [self._checkpoint_key(keys) for keys, _ in states]
        self._write(group, ".state", with_footer((names, deps), bodies))  # now, like the verdict

    def flush(self, project_sizes: dict[str, int]) -> None:
        """Write the packs that gained entries (verdicts and checkpoints are written when judged). Entries this run
        did not use (older versions of edited files, or migrations outside this run's selection) are kept while the
        pack stays under twice the project's size."""
        for group in sorted(self._dirty):
            self._write_pack(group, project_sizes.get(group, len(self._used[group])))
        if self._wrote:
            self._store.prune_daily(PRUNE_AFTER_DAYS * DAY)
        self._store.close()

    def _write_pack(self, group: str, project_size: int) -> None:
        used = self._used.pop(group)
        unused = {k: v for k, v in self._pack(group).items() if k not in used}
        self._packs.pop(group)
        limit = 2 * project_size + 16
        entries = list({**unused, **used}.items() if len(unused) + len(used) <= limit else used.items())
        del used, unused
        # (deps, codec payload) per key, plain data, in dicts of _PACK_PART entries
        self._write(group, ".pack", with_footer(None, (marshal.dumps(dict(entries[at:at + _PACK_PART]))
                                                    for at in range(0, len(entries), _PACK_PART))))

    def _write(self, group: str, suffix: str, body: Iterable[bytes]) -> None:
        shard, name = self._pack_name(group)
        self._store.write(shard, name + suffix, body)
        self._wrote = True


# Entries per part of a pack, findings per part of a verdict (cache_folder.with_footer: one encoded at a time).
_PACK_PART = 2048
_VERDICT_PART = 4096


Entry = tuple[dict[str, str], bytes]  # (dependencies with their digests, the Migration in codec.py's format, zlib)


@dataclass(slots=True)
class Checkpoint:
    size: int  # how many of the project's first migrations it stands for
    state: SchemaState
    deps: dict[str, str]


@dataclass(slots=True)
class Verdict:
    findings: list[Finding]
    linted: list[LintedFile]
