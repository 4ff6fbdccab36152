"""Content-addressed compile cache: an unchanged model is not recompiled.

A model's key hashes its code, config, target and what it sees of its inputs (the runner's
``compilekey`` module decides what); an entry also records the project vars and environment
variables the compile read, with their values. It is valid exactly when the key matches and
those vars and variables still hold the same values.
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
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyflow.compile.model import Columns, CompiledModel
from pyflow.jsonfile import read_versioned_file, write_json
from pyflow.secret import contains_secret
from pyflow.version import toolchain

VERSION = 5
"""2: entries are checked to be one statement and hold no secret value (pyflow.secret).
3: models with memtables or Python UDFs are not stored (their data lives in the process), and
older entries of such models named tables that existed only while compiling.
4: the entries sit beside the :func:`~pyflow.version.toolchain` that compiled them.
5: vars are out of the key; each entry lists the vars its compile read, with their digests."""
ALL_VARS = "*"
"""Recorded as a var read when a compile listed the vars: it depends on all of them."""
log = logging.getLogger(__name__)


class VarReads(Mapping[str, Any]):
    """The project's vars, recording which names a compile looked up.

    A lookup of a missing name is recorded too (defining it later changes the result). Listing
    the vars (iteration, ``len``) records :data:`~pyflow.compile.cache.ALL_VARS`: such a model
    depends on every var.
    """

    def __init__(self, vars: Mapping[str, Any]) -> None:
        self._vars = vars
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.names.add(name)
        return self._vars[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.names.add(name)
        return name in self._vars

    def __iter__(self) -> Iterator[str]:
        self.names.add(ALL_VARS)
        return iter(self._vars)

    def __len__(self) -> int:
        self.names.add(ALL_VARS)
        return len(self._vars)

    def read(self) -> tuple[str, ...]:
        """The names looked up, sorted."""
        return tuple(sorted(self.names))


class EnvironReads(MutableMapping[str, str]):
    """``os.environ`` while a Python model's function runs: it records the variables read.

    A read of an unset name is recorded too (as None: setting it later changes the result).
    Listing the environment (iteration, ``len``, ``copy``) sets :attr:`listed`: such a compile
    depends on every variable and is not cached. Writes go to the real environment.
    """

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        self._environ = environ
        self.seen: dict[str, str | None] = {}
        self.listed = False

    def __getitem__(self, name: str) -> str:
        if isinstance(name, str):
            self.seen[name] = self._environ.get(name)
        return self._environ[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.seen[name] = self._environ.get(name)
        return name in self._environ

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self._environ)

    def __len__(self) -> int:
        self.listed = True
        return len(self._environ)

    def __setitem__(self, name: str, value: str) -> None:
        self._environ[name] = value

    def __delitem__(self, name: str) -> None:
        del self._environ[name]

    def copy(self) -> dict[str, str]:
        """All of it (as ``os.environ.copy()``): the compile then depends on every variable."""
        self.listed = True
        return dict(self._environ)


_ENVIRON_SWAP = threading.RLock()
"""One block at a time swaps ``os.environ`` (each restores what it found)."""


@contextmanager
def environ_reads(*namespaces: dict[str, Any]) -> Iterator[EnvironReads]:
    """Within the block ``os.environ`` (and so ``os.getenv``) records what is read.

    ``namespaces`` (a model function's module globals, say) have each name bound to
    ``os.environ`` (``from os import environ``) pointed at the recorder too. Other names bound
    to it elsewhere are not seen. Blocks in other threads wait (model functions are Python
    code: they do not run in parallel anyway).
    """
    with _ENVIRON_SWAP:
        saved = os.environ
        reads = EnvironReads(saved)
        bound = [(ns, name) for ns in namespaces for name, value in list(ns.items()) if value is saved]
        os.environ = reads  # type: ignore[assignment]  # noqa: B003 (a proxy: nothing is cleared)
        for ns, name in bound:
            ns[name] = reads
        try:
            yield reads
        finally:
            os.environ = saved  # noqa: B003
            for ns, name in bound:
                ns[name] = saved


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


def var_digests(names: tuple[str, ...], vars: Mapping[str, Any]) -> list[list[str | None]]:
    """``[name, digest of its value]`` per var read (None when undefined; all vars for ALL_VARS)."""
    out: list[list[str | None]] = []
    for name in names:
        if name == ALL_VARS:
            out.append([name, digest(dict(vars))])
        else:
            out.append([name, digest(vars[name]) if name in vars else None])
    return out


class CompileCache:
    """Compiled SQL and columns by model name and key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        stored = read_versioned_file(path, VERSION)
        entries = stored.get("entries") if stored.get("toolchain") == toolchain() else None
        self.entries: dict[str, dict[str, Any]] = entries if isinstance(entries, dict) else {}
        self.dirty = False

    def get(self, name: str, key: str, vars: Mapping[str, Any] | None = None) -> CompiledModel | None:
        """The cached result when ``key`` matches and the vars and env vars it read are unchanged."""
        entry = self.entries.get(name)
        if entry is None or entry.get("key") != key or entry.get("volatile"):
            return None
        env = [(str(k), v) for k, v in entry.get("env", [])]
        if any(os.environ.get(k) != v for k, v in env):
            return None
        read = entry.get("vars", [])
        names = tuple(str(n) for n, _ in read)
        if read and var_digests(names, vars or {}) != read:
            return None
        cols = entry.get("columns")
        columns: Columns | None = tuple((c[0], c[1]) for c in cols) if cols is not None else None
        return CompiledModel(
            name,
            entry.get("sql"),
            columns,
            bool(entry.get("is_dataframe")),
            from_cache=True,
            env=tuple(env),
            vars_read=names,
        )

    def put(self, key: str, compiled: CompiledModel, vars: Mapping[str, Any] | None = None) -> None:
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
            "vars": var_digests(compiled.vars_read, vars or {}),
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
