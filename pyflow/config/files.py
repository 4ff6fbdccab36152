"""Project files: finding them under the configured folders, their display paths and hashes."""

from __future__ import annotations

import hashlib
import os
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


def project_files(root: Path, folders: tuple[str, ...], suffixes: tuple[str, ...]) -> list[Path]:
    """Files with ``suffixes`` under ``folders`` (sorted; hidden and cache folders skipped)."""
    out: list[Path] = []
    for folder in folders:
        base = root / folder
        if base.is_dir():
            depth = len(base.parts)
            found = (p for p in base.rglob("*") if p.suffix in suffixes)
            out.extend(
                p
                for p in sorted(found, key=_sort_key)  # as sorted(paths), without comparing Paths
                if not any(part.startswith((".", "__pycache__")) for part in p.parts[depth:]) and p.is_file()
            )
    return out


def _sort_key(path: Path) -> list[str]:
    """The order of ``sorted()`` on paths (parts compared, case-folded where the OS folds case)."""
    return [os.path.normcase(part) for part in path.parts]
