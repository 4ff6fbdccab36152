"""Measuring whole processes for the benchmarks: how pyflow is invoked, the environment every
measured process gets, wall-clock timing, and repeated samples.

Shared by ``run_overhead.py`` and ``incremental.py`` so both measure the same way.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 1800
PYCACHE = Path.home() / ".cache" / "pyflow-bench" / "pycache"


class CommandFailed(RuntimeError):
    """A measured command exited non-zero."""


@contextmanager
def workspace(prefix: str, parent: str | Path | None, keep: bool) -> Iterator[Path]:
    """A fresh folder for one benchmark run, removed afterwards unless ``keep``.

    A command that fails inside ends the run with its message (no traceback).
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir=parent)).resolve()
    try:
        yield workdir
    except CommandFailed as exc:
        raise SystemExit(str(exc)) from None
    finally:
        if keep:
            print(f"\nprojects kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def pyflow_command() -> list[str]:
    """The ``pyflow`` console script of this interpreter (not a pyenv shim), else any on PATH."""
    exe = shutil.which("pyflow", path=sysconfig.get_path("scripts")) or shutil.which("pyflow")
    if exe:
        return [exe]
    return [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()"]


def process_env() -> dict[str, str]:
    """The environment of every measured process (pyflow, the floor, dbt).

    Python caches compiled bytecode, as it does for an installed package: with
    PYTHONDONTWRITEBYTECODE set (some sandboxes and CI images set it) an editable install of
    pyflow would recompile its own modules in every process, and that would be charged to
    pyflow. The cache goes under ``~/.cache/pyflow-bench/pycache``, not next to the sources, so
    nothing is written in the repo; untimed first runs fill it.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def timed(
    cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Run ``cmd`` to completion; return (wall seconds, stdout). Raise CommandFailed on failure."""
    started = time.perf_counter()
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env or process_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
        raise CommandFailed(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return elapsed, proc.stdout


@dataclass
class Samples:
    """Seconds of repeated measurements of one thing."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median (the figure reported)."""
        return statistics.median(self.values)

    def describe(self) -> str:
        """``   1.234 s  (median of 3: 1.200, 1.234, 1.300)``."""
        runs = ", ".join(f"{v:.3f}" for v in self.values)
        return f"{self.median:8.3f} s  (median of {len(self.values)}: {runs})"


def pyflow_origin() -> str:
    """Which pyflow is measured: where it imports from, and the repo's commit and dirtiness."""
    spec = importlib.util.find_spec("pyflow")
    where = Path(spec.origin).parent if spec and spec.origin else "not importable here"
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "pyflow"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return str(where)
    state = f"{len(dirty)} uncommitted file(s) under pyflow/" if dirty else "clean"
    return f"{where} (repo at {head}, {state})"
