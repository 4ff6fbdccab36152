"""The package version and the fingerprint of the code that parses and compiles: a leaf module every layer may import."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from pathlib import Path

__version__ = "0.1.0"


@functools.cache
def toolchain() -> str:
    """A fingerprint of the code that parses and compiles models: pyflow's own files, Ibis, sqlglot.

    pyflow's version alone would miss an edited checkout or an editable install between
    releases, so its source files' sizes and modification times count too (a stat of about a
    hundred files, under a millisecond; no file is read). Ibis and sqlglot count by the
    location and modification time of their package (a reinstall of another version changes
    both) without importing them.
    """
    files: list[tuple[str, int, int]] = []
    pending = [str(Path(__file__).resolve().parent)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    files.append((entry.path, st.st_size, st.st_mtime_ns))
    libraries = []
    for name in ("ibis", "sqlglot"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        libraries.append((name, origin, os.stat(origin).st_mtime_ns if origin else None))
    raw = json.dumps([__version__, sorted(files), libraries], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
