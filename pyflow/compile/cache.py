"""Content-addressed compile cache: an unchanged model is not recompiled.

A model's key hashes its code, config, vars, target and the keys of its inputs (which in turn
cover their schemas), so an entry is valid exactly when nothing it depends on changed.
Stored as JSON in ``target/.pyflow/compile-cache.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pyflow.compile.model import Columns, CompiledModel

VERSION = 1


def digest(*parts: Any) -> str:
    """A stable hash of JSON-able parts."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class CompileCache:
    """Compiled SQL and columns by model name and key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if data.get("version") == VERSION:
                self.entries = data.get("entries", {})

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
        """Store a result under ``key``."""
        self.entries[compiled.name] = {
            "key": key,
            "sql": compiled.sql,
            "columns": [list(c) for c in compiled.columns] if compiled.columns is not None else None,
            "is_dataframe": compiled.is_dataframe,
            "env": [list(e) for e in compiled.env],
            "volatile": compiled.volatile,
        }
        self.dirty = True

    def save(self) -> None:
        """Write the cache atomically (if anything changed)."""
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": VERSION, "entries": self.entries}), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty = False
