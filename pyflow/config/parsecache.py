"""Partial parsing: what loading learned from each file, reused while the file is unchanged.

A Python model file is imported only when it changed (or a helper module of the project did);
a SQL model is rendered at parse time only when it, the macros, the vars or the target changed.
Functions of unchanged files are imported lazily, the first time something needs to call them.
Stored as JSON under ``target/.pyflow/parse/``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pyflow.config.files import sha
from pyflow.errors import ProjectError
from pyflow.jsonfile import read_versioned_file, write_json
from pyflow.secret import contains_secret
from pyflow.version import toolchain

VERSION = 3
"""2: SQL models reading a secret env var fail to parse, so version 1 entries are not trusted.
3: sharded into ``parse/NN.json`` files."""
SHARDS = 256


def shard_of(file: str) -> str:
    """The shard a file's entry lives in: two hex digits of a hash of its path."""
    return hashlib.sha1(file.encode("utf-8")).hexdigest()[:2]


class ParseCache:
    """Per-file parse results keyed by the file's hash and the environment's hash.

    Stored in :data:`SHARDS` JSON files under ``folder``, by a hash of the file's path, each
    read the first time one of its files is asked for: a load of a few files of a large
    project reads a few shards, not every entry.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._stored = folder is not None and folder.is_dir()
        self._shards: dict[str, dict[str, dict[str, Any]]] = {}
        self._dirty: set[str] = set()
        self.used: set[str] = set()

    def _shard(self, name: str) -> dict[str, dict[str, Any]]:
        shard = self._shards.get(name)
        if shard is None:
            path = self.folder / f"{name}.json" if self._stored and self.folder is not None else None
            stored = read_versioned_file(path, VERSION)  # another pyflow may parse the same file otherwise
            files = stored.get("files") if stored.get("toolchain") == toolchain() else None
            shard = self._shards[name] = files if isinstance(files, dict) else {}
        return shard

    def entry(self, file: str) -> dict[str, Any] | None:
        """The stored entry of ``file`` (``sha``, ``env``, ``data``), whatever its hashes."""
        return self._shard(shard_of(file)).get(file)

    def get(self, file: str, sha: str, env: str) -> Any:
        """The stored result for ``file`` if its hash and environment match, else None."""
        entry = self.entry(file)
        if entry is None or entry.get("sha") != sha or entry.get("env") != env:
            return None
        self.used.add(file)
        return entry.get("data")

    def put(self, file: str, sha: str, env: str, data: Any) -> None:
        """Store a JSON-able result (skipped when not JSON-able or when it holds a secret value)."""
        try:
            json.dumps(data)
        except (TypeError, ValueError):
            return
        name = shard_of(file)
        shard = self._shard(name)
        self._dirty.add(name)
        if contains_secret(data):  # stored masked, it would be reused with the mask in it
            shard.pop(file, None)
            return
        shard[file] = {"sha": sha, "env": env, "data": data}
        self.used.add(file)

    def save(self, *, complete: bool) -> None:
        """Write the shards that changed.

        ``complete``: this load read every file of the project, so entries of files it did not
        use (deleted since) are dropped, and shards holding none of its files are removed.
        A partial load keeps the entries of the files it did not read.
        """
        if self.folder is None:
            return
        if complete:
            for name, shard in self._shards.items():
                stale = set(shard) - self.used
                for file in stale:
                    del shard[file]
                if stale:
                    self._dirty.add(name)
        try:
            for name in sorted(self._dirty):
                shard = self._shards[name]
                path = self.folder / f"{name}.json"
                if shard:
                    write_json(path, {"version": VERSION, "toolchain": toolchain(), "files": shard})
                else:
                    path.unlink(missing_ok=True)
            if complete and self.folder.is_dir():
                for path in self.folder.glob("*.json"):
                    if path.stem not in self._shards:  # no file of the project lives there now
                        path.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only project still loads; it just parses every time
        self._dirty.clear()


def import_module(path: Path, module_name: str, root: Path) -> Any:
    """Import a model file as ``module_name`` (the project folder importable meanwhile)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ProjectError(f"cannot import {path}", path=str(path), code="python-import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    added = str(root) not in sys.path
    if added:
        sys.path.append(str(root))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        if added:
            sys.path.remove(str(root))
    return module


class LazyFunctions(Mapping[str, Callable[..., Any]]):
    """Model functions by name; files loaded from the parse cache are imported on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[str, Callable[..., Any]] = {}
        self._pending: dict[str, tuple[Path, str, str]] = {}
        self._lock = threading.RLock()  # models may be called from several threads (unit tests)

    def add(self, name: str, fn: Callable[..., Any]) -> None:
        """Register an already imported function."""
        self._loaded[name] = fn

    def defer(self, name: str, path: Path, module_name: str, attr: str) -> None:
        """Register a function to import from ``path`` when first needed."""
        self._pending[name] = (path, module_name, attr)

    def __getitem__(self, name: str) -> Callable[..., Any]:
        if name in self._loaded:
            return self._loaded[name]
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            path, module_name, _ = self._pending[name]
            module = sys.modules.get(module_name) or import_module(path, module_name, self.root)
            for other, (p, _m, a) in list(self._pending.items()):
                if p == path and hasattr(module, a):
                    self._loaded[other] = getattr(module, a)
                    del self._pending[other]
            return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._loaded
        yield from self._pending

    def __len__(self) -> int:
        return len(self._loaded) + len(self._pending)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._pending


class MacroNamesInCache:
    """The macros each macro file defines, kept in the parse cache by the file's content.

    Implements :class:`pyflow.core.jinja.MacroNameCache`: a macro file unchanged since a load
    is not parsed again (a file with a syntax error is never stored, so it is reported each time).
    """

    def __init__(self, cache: ParseCache) -> None:
        import jinja2

        self.cache = cache
        self.env = f"jinja-macros:{jinja2.__version__}"

    def get(self, path: str, text: str) -> list[tuple[str, int]] | None:
        """The names stored for ``path`` with this very text, else None."""
        data = self.cache.get(path, sha(text), self.env)
        if not isinstance(data, list):
            return None
        try:
            return [(str(name), int(line)) for name, line in data]
        except (TypeError, ValueError):
            return None

    def put(self, path: str, text: str, names: list[tuple[str, int]]) -> None:
        """Store the names parsing ``text`` found (marks the file used, as a model's entry)."""
        self.cache.put(path, sha(text), self.env, [[name, line] for name, line in names])
