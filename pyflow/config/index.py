"""The definition index: which nodes each model, snapshot and test file defines and what they read.

Built without importing Python modules or rendering SQL, so a selection can be planned before
anything is loaded (:mod:`pyflow.config.partial`). Per file, in order of preference:

1. the parse cache (:mod:`pyflow.config.parsecache`) when it holds the file at its current hash
   and environment: exactly what the last full import or render found;
2. the index cache (``target/.pyflow/index.json``), the result of an earlier scan of the file at
   its current content hash;
3. a scan: of a Python module (top-level functions decorated with ``@model`` / ``@snapshot``;
   a parameter name is a dependency; :mod:`pyflow.config.pyscan`), or of the Jinja tokens or
   AST of a SQL file (constant ``ref``/``source`` calls; :mod:`pyflow.config.sqlscan`).

A scan that cannot be sure of a file's names or dependencies marks the entry ``sure=False``:
a ``ref`` with a computed argument, ``include``/``import``/``extends``, a decorator used as a
function, a decorated function inside a block, ``*args``, a file that does not parse.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflow.config.files import sha as _sha
from pyflow.jsonfile import read_versioned_file, write_json
from pyflow.version import toolchain

INDEX_FILE = ".pyflow/index.json"
VERSION = 5
RACY_NS = 3_000_000_000


@dataclass(slots=True)
class Entry:
    """One node a file defines: its name and the names it reads (``ref``s or parameters)."""

    name: str
    refs: tuple[str, ...] = ()
    uses_source: bool = False


@dataclass(slots=True)
class FileIndex:
    """What one file defines; ``sure`` is False when a scan could not tell for certain."""

    path: str
    kind: str
    """``python``, ``sql``, ``snapshot`` (SQL snapshot blocks) or ``test`` (singular SQL test)."""
    entries: list[Entry] = field(default_factory=list)
    sure: bool = True
    has_tests: bool = False
    """A Python file that also defines ``@data_test``/``@generic_test`` functions."""

    def to_json(self) -> list[Any]:
        """Compact JSON form for the index cache: ``[kind, sure, tests, [[name, refs, uses_source]...]]``."""
        return [
            self.kind,
            self.sure,
            self.has_tests,
            [[e.name, list(e.refs), e.uses_source] for e in self.entries],
        ]

    @classmethod
    def from_json(cls, path: str, data: list[Any]) -> FileIndex:
        """Inverse of :meth:`to_json`."""
        kind, sure, tests, entries = data
        return cls(path, kind, [Entry(n, tuple(r), s) for n, r, s in entries], sure, tests)


class IndexCache:
    """Scan results by file and content hash, stored under ``target/``.

    One list per file, compact because a plan reads all of them:
    ``[sha, mtime_ns, size, scan, exact]``: the content hash; the modification time and size
    at which the file had that hash (None when too recent to trust); the scan of that content
    (:meth:`FileIndex.to_json`) or None; and what the parse cache held for it,
    ``[env, envvars, *FileIndex.to_json()]`` (``env`` a number in the stored ``envs`` list).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        stored = read_versioned_file(path, VERSION)
        files, envs = stored.get("files"), stored.get("envs")
        self.entries: dict[str, list[Any]] = {}
        self.envs: list[str] = []
        if isinstance(files, dict) and isinstance(envs, list) and stored.get("toolchain") == toolchain():
            self.entries, self.envs = files, envs
        self.used: set[str] = set()
        self.dirty = False

    def env_id(self, env: str) -> int:
        """The number ``env`` is stored as (added when new)."""
        try:
            return self.envs.index(env)
        except ValueError:
            self.envs.append(env)
            return len(self.envs) - 1

    def known_sha(self, file: str, mark: list[int]) -> str | None:
        """The content hash of ``file`` when its modification time and size are still ``mark``."""
        entry = self.entries.get(file)
        self.used.add(file)
        if entry is None or entry[1] is None or [entry[1], entry[2]] != mark:
            return None
        return entry[0] if isinstance(entry[0], str) else None

    def get(self, file: str, sha: str, kind: str) -> FileIndex | None:
        """The stored scan of ``file`` when its hash is ``sha``."""
        entry = self.entries.get(file)
        self.used.add(file)
        data = entry[3] if entry is not None and entry[0] == sha else None
        if not isinstance(data, list) or data[0] != kind:
            return None
        try:
            return FileIndex.from_json(file, data)
        except (KeyError, TypeError, ValueError):
            return None

    def exact(self, file: str, sha: str, kind: str, env: str) -> FileIndex | None:
        """What the parse cache held for ``file`` at hash ``sha`` in environment ``env``, if recorded.

        Recorded by :meth:`put_exact` the first time a plan found the file in the parse cache,
        so later plans need not read the parse cache at all. None when an environment
        variable it read has another value now.
        """
        entry = self.entries.get(file)
        exact = entry[4] if entry is not None and entry[0] == sha else None
        if not isinstance(exact, list) or exact[0] != self.env_id(env) or exact[2] != kind:
            return None
        if any(os.environ.get(k) != v for k, v in (exact[1] or {}).items()):
            return None
        try:
            return FileIndex.from_json(file, exact[2:])
        except (KeyError, TypeError, ValueError):
            return None

    def put_exact(
        self, found: FileIndex, sha: str, mark: list[int], env: str, envvars: dict[str, str]
    ) -> None:
        """Record what the parse cache holds for the file.

        Its scan is dropped: the file is scanned again, cheaply, only if a plan runs in another
        environment.
        """
        entry = self._entry(found.path, sha, mark)
        entry[3], entry[4] = None, [self.env_id(env), envvars or 0, *found.to_json()]

    def remember(self, file: str, sha: str, mark: list[int]) -> None:
        """Record that ``file`` has hash ``sha`` at ``mark`` (what is known of that hash is kept)."""
        entry = self.entries.get(file)
        known = _trusted(mark)
        trusted: list[int | None] = [None, None] if known is None else list(known)
        if entry is None or entry[0] != sha or [entry[1], entry[2]] != trusted:
            self._entry(file, sha, mark)
        else:
            self.used.add(file)

    def put(self, found: FileIndex, sha: str, mark: list[int]) -> None:
        """Remember a scan of the file whose hash is ``sha`` at ``mark``."""
        self._entry(found.path, sha, mark)[3] = found.to_json()

    def _entry(self, file: str, sha: str, mark: list[int]) -> list[Any]:
        """The entry of ``file`` at hash ``sha`` (a new one when the hash changed), marked dirty."""
        entry = self.entries.get(file)
        if entry is None or entry[0] != sha:
            entry = self.entries[file] = [sha, None, None, None, None]
        trusted = _trusted(mark)
        entry[1], entry[2] = (None, None) if trusted is None else trusted
        self.used.add(file)
        self.dirty = True
        return entry

    def save(self, present: set[str] | None = None) -> None:
        """Write the cache when it changed (files gone since are dropped).

        ``present``: the files the project has now; by default, those asked for since loading.
        """
        stale = set(self.entries) - (self.used if present is None else present)
        if not self.dirty and not stale:
            return
        for file in stale:
            del self.entries[file]
        kept = sorted({e[4][0] for e in self.entries.values() if e[4] is not None})
        if len(kept) != len(self.envs):  # environments no entry records any more
            renumber = {old: new for new, old in enumerate(kept)}
            for e in self.entries.values():
                if e[4] is not None:
                    e[4][0] = renumber[e[4][0]]
            self.envs = [self.envs[i] for i in kept]
        try:
            write_json(
                self.path,
                {"version": VERSION, "toolchain": toolchain(), "envs": self.envs, "files": self.entries},
            )
        except OSError:
            pass  # a read-only project still plans; it scans every time


def _trusted(mark: list[int]) -> list[int] | None:
    """``mark`` (mtime ns, size), or None when the file changed too recently to rely on its mtime.

    A file written again within the file system's timestamp resolution keeps its mtime; if its
    size is also the same, only its content tells (git's "racy clean" rule).
    """
    return mark if time.time_ns() - mark[0] > RACY_NS else None


def from_parse_cache(path: str, kind: str, data: Any) -> FileIndex:
    """The index of a file from its parse-cache entry (what a full load found)."""
    found = FileIndex(path, kind)
    for item in data:
        if kind == "python":
            found.entries.append(Entry(item["name"], tuple(p for p in item["params"] if p != "ctx")))
        else:
            refs = tuple(r["name"] for r in item["refs"] if r["kind"] == "ref")
            found.entries.append(Entry(item["name"], refs, any(r["kind"] == "source" for r in item["refs"])))
    return found


def cached_parse(entry: dict[str, Any] | None, sha: str, env: str) -> tuple[Any, dict[str, str]] | None:
    """A parse-cache entry's data and the env vars it read, if current; else None.

    Current: the same content hash, environment and values of the env vars it read.
    """
    if entry is None or entry.get("sha") != sha or entry.get("env") != env:
        return None
    data = entry.get("data")
    if not isinstance(data, list):
        return None
    envvars: dict[str, str] = {}
    for item in data:
        used = item.get("env", {})
        if any(os.environ.get(k) != v for k, v in used.items()):
            return None
        envvars.update(used)
    return data, envvars


def content_sha(text: str) -> str:
    """The hash the parse cache keys a file's text by."""
    return _sha(text)
