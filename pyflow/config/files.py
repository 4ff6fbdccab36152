"""Project files: finding them under the configured folders, their display paths and hashes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pyflow.errors import ProjectError

MAX_NAME_LENGTH = 200
"""The longest node name, in UTF-8 bytes: a name becomes a table name and the name of files
under target/ (most file systems stop at 255 bytes, and pyflow adds suffixes)."""


def name_too_long(name: str, resource: str, path: str, line: int | None) -> ProjectError | None:
    """An error when ``name`` is longer than :data:`MAX_NAME_LENGTH`, else None."""
    size = len(name.encode("utf-8"))
    if size <= MAX_NAME_LENGTH:
        return None
    return ProjectError(
        f"the name is {size} bytes long; names are at most {MAX_NAME_LENGTH}",
        model=name[:40] + "...",
        resource=resource,
        path=path,
        line=line,
        hint="give it a shorter name (the function name, the file stem or `name:`); "
        "a name is also a table name and a file name under target/",
        code="name-too-long",
    )


def sha(text: str | bytes) -> str:
    """SHA-256 of text or bytes, as hex."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def relpath(root: Path, path: Path) -> str:
    """``path`` relative to the project root (POSIX), as shown in messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


_SKIPPED = (".", "__pycache__")
"""Names of files and folders never read: hidden ones and Python's caches."""

_Walk = dict[str, list[tuple[str, str]]]
"""Files under a folder by extension: (path below the folder, parts joined by NUL; full path),
sorted. NUL sorts before every character a name can hold, so the order is that of the parts."""
_WALKS: ContextVar[dict[str, _Walk] | None] = ContextVar("pyflow_walks", default=None)


@contextmanager
def one_listing() -> Iterator[None]:
    """Within the block, each folder is walked once: every later listing of it reuses the walk.

    A project load lists the model folders for models, properties, docs blocks and the index;
    the files cannot change under one load without the load being wrong anyway.
    """
    token = _WALKS.set({})
    try:
        yield
    finally:
        _WALKS.reset(token)


def _walk(base: str) -> _Walk:
    """Every file under ``base`` by extension (hidden and cache folders skipped)."""
    memo = _WALKS.get()
    if memo is not None and base in memo:
        return memo[base]
    found: _Walk = {}
    todo: list[tuple[str, str]] = [(base, "")]
    while todo:
        where, below = todo.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:  # unreadable: skipped, as Path.rglob does
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(_SKIPPED):
                continue
            if entry.is_dir(follow_symlinks=False):
                todo.append((entry.path, f"{below}{name}\0"))
            elif entry.is_file():
                dot = name.rfind(".")  # os.path.splitext's extension: no name here starts with "."
                found.setdefault(name[dot:] if dot > 0 else "", []).append((below + name, entry.path))
    for files in found.values():
        files.sort()
    if memo is not None:
        memo[base] = found
    return found


def project_entries(root: Path, folders: tuple[str, ...], suffixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(display path, full path) of the files :func:`project_files` lists, as strings."""
    out: list[tuple[str, str]] = []
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        try:
            prefix = base.relative_to(root).as_posix()
        except ValueError:
            prefix = None
        walked = _walk(str(base))
        files = [f for suffix in dict.fromkeys(suffixes) for f in walked.get(suffix, ())]
        if len(suffixes) > 1:
            files.sort()
        lead = "" if prefix in (None, ".") else f"{prefix}/"
        for below, path in files:
            if prefix is None:
                out.append((relpath(root, Path(path)), path))
            else:
                out.append((lead + below.replace("\0", "/"), path))
    return out


def project_files(root: Path, folders: tuple[str, ...], suffixes: tuple[str, ...]) -> list[Path]:
    """Files with ``suffixes`` under ``folders`` (sorted; hidden and cache folders skipped).

    Sorted as paths (folder by folder), so ``models/a/x.sql`` comes before ``models/a-b/x.sql``.
    One ``scandir`` per folder, whose entries know their type: skipped folders are never
    entered and no file is stat-ed again, so a 10,000-model project is listed in milliseconds.
    Symlinked folders are not followed; symlinked files are read.
    """
    return [Path(path) for _, path in project_entries(root, folders, suffixes)]
