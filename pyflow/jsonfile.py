"""JSON files written atomically and read back tolerantly: a leaf module every layer may use.

Caches and artifacts go through here, so a crash mid-write never leaves a half-written file,
an unreadable or outdated cache is simply treated as empty, and no secret value is written
(:func:`pyflow.secret.scrub_data`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from pyflow.secret import scrub_data


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename), secrets masked."""
    write_text(path, json.dumps(scrub_data(data), indent=indent, default=str))


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then a rename.

    When anything fails (a full disk, say) the temporary file is removed and ``path`` is left
    as it was; the error is raised.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def read_versioned(path: Path | None, version: int, key: str) -> dict[str, Any]:
    """``data[key]`` of a file written as ``{"version": version, key: ...}``; ``{}`` otherwise."""
    found = read_versioned_file(path, version).get(key, {})
    return found if isinstance(found, dict) else {}


def read_versioned_file(path: Path | None, version: int) -> dict[str, Any]:
    """The whole of a JSON file written as ``{"version": version, ...}``; ``{}`` otherwise."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    return data
