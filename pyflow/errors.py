"""Every user-facing failure pyflow raises, with file, line, model and a fix.

This module is a leaf: it imports nothing from pyflow. The hierarchy::

    PyflowError                 base: structured fields rendered by __str__
    ├── ProjectError            definitions and configuration (pyflow.yml, profiles, decorators)
    │   └── ErrorGroup          several definition errors reported at once
    ├── GraphError              missing dependency, duplicate name, cycle
    ├── SelectionError          a --select / --exclude expression that cannot be parsed
    ├── CompileError            a model that cannot be turned into SQL (Jinja, Ibis)
    ├── AdapterError            the engine refused a statement (wraps the driver error)
    ├── MaterializationError    a model could not be written to its target
    ├── UnsupportedError        the engine lacks a capability the model needs
    ├── CancelledError          the run was interrupted (Ctrl-C, SIGTERM)
    └── DiskFullError           a write hit a full file system (the database or target/)

Each error carries ``code`` (a stable slug documented in ``docs/errors.md``), and optionally
``model``, ``path``, ``line``, ``hint`` (the "Fix:" line) and ``suggestions``.
"""

from __future__ import annotations

import difflib
import errno
import functools
import os
import sysconfig
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path

DOCS_ERRORS = "docs/errors.md"


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that look like ``name`` (for "did you mean")."""
    return difflib.get_close_matches(name, sorted(set(candidates)), n=n, cutoff=0.6)


class PyflowError(Exception):
    """Base class of every error pyflow shows to a user."""

    code = "pyflow-error"

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
        suggestions: Sequence[str] = (),
        code: str | None = None,
        detail: str | None = None,
        resource: str = "model",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.model = model
        self.path = path
        self.line = line
        self.hint = hint
        self.suggestions = list(suggestions)
        self.detail = detail
        self.resource = resource
        """What ``model`` names: ``model``, ``seed``, ``snapshot`` or ``source``."""
        if code is not None:
            self.code = code

    @property
    def location(self) -> str | None:
        """``path:line`` (or ``path``) when known."""
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line else self.path

    def headline(self) -> str:
        """The first line: what happened, where."""
        where = []
        if self.model:
            where.append(f"{self.resource} '{self.model}'")
        if self.location:
            where.append(f"({self.location})" if self.model else self.location)
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __str__(self) -> str:
        lines = [self.headline()]
        if self.detail:
            lines.extend("  " + d for d in self.detail.rstrip().splitlines())
        if self.suggestions:
            quoted = ", ".join(f"'{s}'" for s in self.suggestions)
            lines.append(f"  Did you mean {quoted}?")
        if self.hint:
            lines.append(f"  Fix: {self.hint}")
        lines.append(f"  [{self.code}] see {DOCS_ERRORS}#{self.code}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Structured form for JSON logs and artifacts."""
        return {
            "code": self.code,
            "message": self.message,
            "model": self.model,
            "path": self.path,
            "line": self.line,
            "hint": self.hint,
            "suggestions": self.suggestions,
        }


class ProjectError(PyflowError):
    """A definition or configuration mistake in the project."""

    code = "project-error"


class ErrorGroup(ProjectError):
    """Several definition errors, reported together with a count."""

    code = "multiple-errors"

    def __init__(self, errors: Sequence[PyflowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s) found in the project")

    def __str__(self) -> str:
        parts = [f"{len(self.errors)} error(s) found in the project:"]
        for i, err in enumerate(self.errors, 1):
            body = str(err).splitlines()
            parts.append(f"{i}. {body[0]}")
            parts.extend("   " + b for b in body[1:])
        return "\n".join(parts)


class GraphError(PyflowError):
    """A dependency that does not resolve, a duplicate name, or a cycle."""

    code = "graph-error"


class SelectionError(PyflowError):
    """A --select/--exclude expression that cannot be parsed."""

    code = "bad-selector"


class WarningAsError(PyflowError):
    """A warning, with ``--warn-error``: the command fails instead of going on."""

    code = "warn-error"

    def __init__(self, warning: str) -> None:
        super().__init__(
            f"a warning is an error with --warn-error: {warning}",
            hint="fix what the warning says (or run without --warn-error to let warnings pass)",
        )


class CompileError(PyflowError):
    """A model that cannot be turned into SQL."""

    code = "compile-error"


class AdapterError(PyflowError):
    """The engine refused a statement; ``detail`` holds the start of the SQL."""

    code = "adapter-error"


class MaterializationError(PyflowError):
    """A model could not be written to its target."""

    code = "materialization-error"


class UnsupportedError(PyflowError):
    """The target engine lacks a capability the model needs."""

    code = "unsupported"


class CancelledError(PyflowError):
    """The run was interrupted before this node finished."""

    code = "cancelled"


class DiskFullError(PyflowError):
    """A write failed because its file system is full (ENOSPC): the database file or an artifact."""

    code = "disk-full"


NO_SPACE = "No space left on device"
"""The C library's text for ENOSPC, which drivers (DuckDB) put in their own errors."""


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC: an ``OSError`` with that errno, or a driver error quoting its text."""
    return getattr(exc, "errno", None) == errno.ENOSPC or NO_SPACE.lower() in str(exc).lower()


# ---- the user's frames of a traceback ------------------------------------------------------------
@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """Folders of code that is not the user's: Python's standard library, installed packages, pyflow."""
    paths = sysconfig.get_paths()
    found = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    found.add(os.path.realpath(Path(__file__).parent))
    return tuple(sorted(found))


def is_user_file(filename: str) -> bool:
    """True for a file of the user's code: not Python's, pyflow's or an installed package's."""
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    real = os.path.realpath(filename)
    if {"site-packages", "dist-packages"} & set(Path(real).parts):
        return False
    return not any(real == d or real.startswith(d + os.sep) for d in _library_dirs())


def user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``exc``'s traceback in the user's code (model files, helper modules), outermost first."""
    return [f for f in traceback.extract_tb(exc.__traceback__) if is_user_file(f.filename)]


def display_path(filename: str, root: Path | None) -> str:
    """``filename`` relative to ``root`` (else to the working folder) when under it, else as is."""
    real = Path(os.path.realpath(filename))
    for base in (root, Path.cwd()):
        if base is not None:
            try:
                return real.relative_to(os.path.realpath(base)).as_posix()
            except ValueError:
                continue
    return filename


def format_user_frames(frames: Sequence[traceback.FrameSummary], root: Path | None) -> str:
    """A short traceback of the user's frames: ``path:line in function`` and the line's source."""
    lines = ["In your code (most recent call last):"]
    for frame in frames:
        lines.append(f"  {display_path(frame.filename, root)}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return "\n".join(lines)
