"""Content-addressed compile cache: an unchanged model is not recompiled.

A model's key hashes its code, config, vars, target and the keys of its inputs (which in turn
cover their schemas), so an entry is valid exactly when nothing it depends on changed.
Stored as JSON in ``target/.pyflow/compile-cache.json``; SQL holding a secret value is never
stored (see :mod:`pyflow.secret`). The file also records the :func:`~pyflow.version.toolchain` that compiled it:
another pyflow (an upgrade, or an edited checkout), Ibis or sqlglot discards every entry, since
the same model may then compile to other SQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from pyflow.compile.model import Columns, CompiledModel
from pyflow.jsonfile import read_versioned_file, write_json
from pyflow.secret import contains_secret
from pyflow.version import toolchain

VERSION = 4
"""2: entries are checked to be one statement and hold no secret value (pyflow.secret).
3: models with memtables or Python UDFs are not stored (their data lives in the process), and
older entries of such models named tables that existed only while compiling.
4: the entries sit beside the :func:`~pyflow.version.toolchain` that compiled them."""
log = logging.getLogger(__name__)


def _typed(value: Any) -> Any:
    """A value JSON cannot hold, spelled with its type.

    A ``date`` var and the same date as a string compile to different SQL in a Python model, so
    they must not share a key.
    """
    cls = type(value)
    return {"__type__": f"{cls.__module__}.{cls.__qualname__}", "value": str(value)}


def digest(*parts: Any) -> str:
    """A stable hash of JSON-able parts; other values count with their type (see :func:`_typed`)."""
    raw = json.dumps(parts, sort_keys=True, default=_typed, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class CompileCache:
    """Compiled SQL and columns by model name and key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        stored = read_versioned_file(path, VERSION)
        entries = stored.get("entries") if stored.get("toolchain") == toolchain() else None
        self.entries: dict[str, dict[str, Any]] = entries if isinstance(entries, dict) else {}
        self.dirty = False

    def get(self, name: str, key: str) -> CompiledModel | None:
        """The cached result when ``key`` matches."""
        entry = self.entries.get(name)
        if entry is None or entry.get("key") != key or entry.get("volatile"):
            return None
        env = [(str(k), v) for k, v in entry.get("env", [])]
        if any(os.environ.get(k) != v for k, v in env):
            return None
        cols = entry.get("columns")
        columns: Columns | None = tuple((c[0], c[1]) for c in cols) if cols is not None else None
        return CompiledModel(
            name, entry.get("sql"), columns, bool(entry.get("is_dataframe")), from_cache=True, env=tuple(env)
        )

    def put(self, key: str, compiled: CompiledModel) -> None:
        """Store a result under ``key``.

        Not one holding a secret value, nor one with memtables or UDFs (:mod:`pyflow.compile.runtime`,
        objects of this process): those are recompiled.
        """
        if compiled.runtime:
            self.entries.pop(compiled.name, None)
            self.dirty = True
            return
        entry = {
            "key": key,
            "sql": compiled.sql,
            "columns": [list(c) for c in compiled.columns] if compiled.columns is not None else None,
            "is_dataframe": compiled.is_dataframe,
            "env": [list(e) for e in compiled.env],
            "volatile": compiled.volatile,
        }
        if contains_secret(entry):  # stored masked, it would be reused with the mask in it
            self.entries.pop(compiled.name, None)
        else:
            self.entries[compiled.name] = entry
        self.dirty = True

    def save(self) -> None:
        """Write the cache atomically (if anything changed)."""
        if self.path is None or not self.dirty:
            return
        try:
            write_json(
                self.path,
                {"version": VERSION, "toolchain": toolchain(), "entries": self.entries},
            )
        except OSError as exc:  # a full or read-only disk: the next run compiles again, that is all
            log.warning("could not save the compile cache %s: %s", self.path, exc.strerror or exc)
        self.dirty = False
