"""``pyflow compile`` with nothing to do: answered from a witness of the last compile.

A compile whose every model and snapshot came from the compile cache, without connecting to
the target, is a function of what its process could see: pyflow and its compilers
(:func:`~pyflow.version.toolchain`), the Python and libraries it runs with, the command line
and working directory, the environment, the project's files and the profiles files it may
read. After such a compile, ``target/.pyflow/compile-witness.json`` records digests of all of
these, what the command printed, and the ``stat`` of every file it left in
``target/compiled/`` and of ``target/manifest.json``. The next ``pyflow compile`` checks them
before importing anything of the project: a walk of the project folder with one ``stat`` per
file. When everything matches it prints the same lines and gives the manifest a new
invocation id and time; on any difference (or an unreadable witness) the command takes the
full path, which writes a new one.

Conservative on purpose: an environment variable that changed, any file under the project
(a README, the DuckDB file after a run), an edit to pyflow itself all mean the full path.
No witness is written after a compile that read the database (sources' columns, whether an
incremental model exists: the database is not checked here) or a source's files outside the
project (:func:`reads_outside`), compiled anything anew (so a model reading
``run_started_at``, or holding an in-process table, never qualifies), failed, used
``--state``/``--defer``, or when a project file changed less than :data:`RACY_NS` before the
command started (a later edit in the same clock tick could keep its size and time). Only the
default ``target/`` folder is probed. This module imports nothing of pyflow's project model
at load: the check runs before anything else.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.version import toolchain

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler

VERSION = 1
WITNESS = Path("target") / ".pyflow" / "compile-witness.json"
"""Below the project folder; a project with another ``target-path`` gets no witness."""
RACY_NS = 2_000_000_000
"""A project file changed this close to the command's start keeps the next compile on the full path."""
MAX_FILES = 50_000
"""A project folder holding more files than this (a virtual environment in it, say) gets no witness."""
_SKIPPED_DIRS = ("__pycache__",)
_LIBRARIES = ("duckdb", "jinja2", "yaml", "pydantic", "pandas", "pyarrow")
"""Besides Ibis and sqlglot (in the toolchain): another version may read the same files otherwise."""


@dataclass(frozen=True)
class Request:
    """The command line of one ``pyflow compile`` (what it selects and where), as given."""

    project_dir: Path
    profiles_dir: Path | None
    target: str | None
    vars: str | None
    select: tuple[str, ...]
    exclude: tuple[str, ...]
    selector: str | None

    @property
    def root(self) -> Path:
        """The project folder, absolute."""
        return self.project_dir.resolve()

    def digest(self) -> str:
        """The command line, the working directory and the environment, hashed."""
        profiles = str(self.profiles_dir.resolve()) if self.profiles_dir is not None else None
        line = [os.getcwd(), str(self.root), profiles, self.target, self.vars, self.select, self.exclude]
        return _sha([*line, self.selector, sorted(os.environ.items())])


@dataclass(frozen=True)
class Replay:
    """What a compile with nothing to do prints."""

    warnings: tuple[str, ...]
    line: str
    shown: tuple[str, str] | None = None
    """The title and SQL of the one node the command line names (printed after ``line``)."""


def replay(request: Request) -> Replay | None:
    """The witness's output when nothing it recorded changed, else None.

    The manifest then gets a new invocation id. Never raises: any trouble means the full path.
    """
    try:
        return _replay(request)
    except Exception:
        return None


def _replay(request: Request) -> Replay | None:
    root = request.root
    path = root / WITNESS
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("version") != VERSION:
        return None
    if stored.get("toolchain") != _runtime() or stored.get("request") != request.digest():
        return None
    extra = [Path(p) for p in stored.get("extra_roots", [])]
    scanned = _inputs(root, extra, [str(p) for p in stored.get("skip", [])], request)
    if scanned is None or scanned[0] != stored.get("inputs"):
        return None
    if _outputs(root) != stored.get("outputs"):
        return None
    shown = None
    if stored.get("shown"):  # a file of target/compiled/, unchanged since (the outputs say so)
        title, rel = stored["shown"]
        shown = (str(title), (root / "target" / str(rel)).read_text(encoding="utf-8"))
    invocation = str(uuid.uuid4())
    if stored.get("manifest", True):
        _renew_manifest(root / "target" / "manifest.json", invocation)
    stored["outputs"] = _outputs(root)
    _write(path, stored)
    _log(stored.get("log"), invocation, str(stored.get("log_target")))
    return Replay(tuple(str(w) for w in stored.get("warnings", [])), str(stored["line"]), shown)


def forget(request: Request) -> None:
    """Remove the witness: a compile takes the full path (it writes a new one if it qualifies)."""
    try:
        (request.root / WITNESS).unlink(missing_ok=True)
    except OSError:
        pass


def record(
    request: Request,
    *,
    started_ns: int,
    target_dir: Path,
    log_dir: Path,
    target_name: str,
    config_paths: Iterable[str],
    eligible: bool,
    warnings: Sequence[str],
    line: str,
    manifest: bool = True,
    shown: tuple[str, Path] | None = None,
) -> bool:
    """After a compile: write the witness if it qualifies (see the module).

    ``eligible``: every result came from the compile cache and the target was not connected to.
    ``config_paths``: the project's folders from its config (those outside it are walked too);
    ``log_dir`` holds ``pyflow.log``, where a replay writes its invocation line as a session does;
    ``manifest``: whether the compile wrote ``manifest.json`` (not after loading only a selection);
    ``shown``: the title and compiled file of the node whose SQL the compile printed. True when a witness was written. Never raises (a full disk only costs the next compile time).
    """
    root = request.root
    path = root / WITNESS
    try:
        if eligible and target_dir.resolve() == (root / "target").resolve():
            extra = _outside(root, config_paths)
            skip = _written(root, [root / "target", log_dir], config_paths)
            scanned = _inputs(root, extra, skip, request)
            if scanned is not None and scanned[1] < started_ns - RACY_NS and not _secret([*warnings, line]):
                witness = {
                    "version": VERSION,
                    "toolchain": _runtime(),
                    "request": request.digest(),
                    "extra_roots": [str(p) for p in extra],
                    "skip": skip,
                    "log": str(log_dir / "pyflow.log"),
                    "log_target": f"{root} (target {target_name})",
                    "inputs": scanned[0],
                    "outputs": _outputs(root),
                    "warnings": list(warnings),
                    "line": line,
                    "manifest": manifest,
                    "shown": [shown[0], shown[1].relative_to(target_dir).as_posix()] if shown else None,
                }
                _write(path, witness)
                return True
    except Exception:
        forget(request)
    return False


def reads_outside(compiler: ProjectCompiler) -> bool:
    """True when the compile described a source's files outside the project folder.

    A source read from files (``external_location``) gives its models the columns DuckDB finds
    in those files, without connecting to the target; files below the project folder are
    walked with it, others (an absolute path, ``../``, a URL) cannot be, so such a compile
    leaves no witness.
    """
    from pyflow.core.node import SourceNode

    root = compiler.project.root.resolve()
    for uid in compiler.raw_sources:
        node = compiler.project.node(uid)
        if not isinstance(node, SourceNode) or not compiler.reads_files(node):
            continue
        location = compiler.file_location(node)
        if "://" in location or not Path(os.path.normpath(location)).is_relative_to(root):
            return True
    return False


def _secret(lines: list[str]) -> bool:
    """True when a printed line holds a secret value (printed masked, it is not stored)."""
    from pyflow.secret import contains_secret

    return contains_secret(lines)


def _written(root: Path, folders: list[Path], config_paths: Iterable[str]) -> list[str]:
    """The folders pyflow writes (``target/``, the log folder) that the walk can leave out.

    Not one that is the project folder, or holds or sits inside a configured folder: its
    files then count (the log changes every time, so such a project never replays: safe).
    """
    inputs = [(root / rel).resolve() for rel in config_paths]
    kept: list[str] = []
    for folder in (f.resolve() for f in folders):
        if folder == root or any(i.is_relative_to(folder) or folder.is_relative_to(i) for i in inputs):
            continue
        kept.append(os.path.normpath(folder))
    return kept


def _runtime() -> str:
    """The toolchain (pyflow, Ibis, sqlglot), this Python, and the libraries that read the files."""
    found = []
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        found.append([name, origin, os.stat(origin).st_mtime_ns if origin else None])
    return _sha([toolchain(), sys.version, sys.executable, found])


def _outside(root: Path, config_paths: Iterable[str]) -> list[Path]:
    """Configured folders the walk of the project folder does not reach: outside it, or hidden."""
    found: list[Path] = []
    for rel in config_paths:
        folder = (root / rel).resolve()
        inside = folder.is_relative_to(root)
        hidden = inside and any(
            p.startswith(".") or p in _SKIPPED_DIRS for p in folder.relative_to(root).parts
        )
        if (hidden or not inside) and folder not in found:
            found.append(folder)
    return sorted(found)


def _inputs(root: Path, extra: list[Path], skip: list[str], request: Request) -> tuple[str, int] | None:
    """Digest of every file the compile could have read, and the newest change among them.

    ``skip``: folders it writes (``target/``, the log folder), not walked.
    """
    rows: list[Any] = [skip]
    newest = 0
    for folder in [root, *extra]:
        walked = _walk(folder, set(skip))
        if walked is None:
            return None
        rows.append(walked[0])
        newest = max(newest, walked[1])
    for candidate in _profile_candidates(request):
        sig = _stat(candidate)
        rows.append([str(candidate), sig])
        if sig is not None:
            newest = max(newest, sig[1], sig[2])
    return _sha(rows), newest


def _profile_candidates(request: Request) -> list[Path]:
    """profiles.yml files the profile lookup may read, besides the project folder's own."""
    folders = [request.profiles_dir] if request.profiles_dir is not None else []
    if os.environ.get("DBT_PROFILES_DIR"):
        folders.append(Path(os.environ["DBT_PROFILES_DIR"]).expanduser())
    folders += [Path.home() / ".pyflow", Path.home() / ".dbt"]
    return [(f / "profiles.yml").resolve() for f in folders]


def _walk(top: Path, skip: set[str]) -> tuple[str, int] | None:
    """Digest of the files below ``top`` (path, size, times, inode), and the newest time.

    Symbolic links are followed; hidden folders and ``__pycache__`` are left out. None past
    :data:`MAX_FILES` files.
    """
    digest = hashlib.sha256()
    newest, count = 0, 0
    seen: set[tuple[int, int]] = set()
    pending = [str(top)]
    while pending:
        folder = pending.pop()
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            digest.update(f"!{folder} {exc.errno}\0".encode())
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name.startswith(".") or entry.name in _SKIPPED_DIRS:
                    continue
                if os.path.normpath(entry.path) not in skip:
                    digest.update(f"d {entry.path}\0".encode())
                    pending.append(entry.path)
                continue
            count += 1
            if count > MAX_FILES:
                return None
            try:
                fst = entry.stat()
            except OSError:  # a dangling link
                digest.update(f"x {entry.path}\0".encode())
                continue
            newest = max(newest, fst.st_mtime_ns, fst.st_ctime_ns)
            digest.update(
                f"f {entry.path} {fst.st_size} {fst.st_mtime_ns} {fst.st_ctime_ns} {fst.st_ino}\0".encode()
            )
    return digest.hexdigest(), newest


def _outputs(root: Path) -> str:
    """Digest of what the compile left: ``target/compiled/`` and ``target/manifest.json``."""
    compiled = _walk(root / "target" / "compiled", set())
    return _sha([compiled[0] if compiled else None, _stat(root / "target" / "manifest.json")])


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _renew_manifest(path: Path, invocation: str) -> None:
    """Give ``manifest.json`` this invocation's id and time, as a compile writes it."""
    text = path.read_text(encoding="utf-8")
    head = '{"metadata": '
    if not text.startswith(head):
        raise ValueError("unexpected manifest layout")
    meta, end = json.JSONDecoder().raw_decode(text, len(head))
    meta["invocation_id"] = invocation
    meta["generated_at"] = datetime.now(UTC).isoformat()
    _write_text(path, head + json.dumps(meta) + text[end:])


def _log(path: Any, invocation: str, where: str) -> None:
    """Append the lines a session starts ``pyflow.log`` with (its format), and that this was a replay."""
    if not path:
        return
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{int(now % 1 * 1000):03d}"
    lines = [
        f"{stamp} [INFO] MainThread pyflow: invocation {invocation} in {where}",
        f"{stamp} [INFO] MainThread pyflow: nothing changed since the last compile: answered from {WITNESS}",
    ]
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    except OSError:  # as a session does: a log that cannot be written does not stop the command
        pass


def _write(path: Path, data: Any) -> None:
    _write_text(path, json.dumps(data))


def _write_text(path: Path, text: str) -> None:
    from pyflow.jsonfile import write_text

    write_text(path, text)


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()


def now_ns() -> int:
    """The clock the racy check compares file times with."""
    return time.time_ns()
