"""Project files: finding them under the configured folders, their display paths and hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path


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
            out.extend(
                p
                for p in sorted(base.rglob("*"))
                if p.suffix in suffixes
                and p.is_file()
                and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(base).parts)
            )
    return out
