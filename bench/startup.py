"""Fixed per-process cost of small pyflow commands: CPU and wall medians.

Measures `python -c pass`, `pyflow --help`, `pyflow ls` and `pyflow compile` (warm) of a one-model
SQL project, each a
fresh interpreter calling the CLI entrypoint in-process, with bytecode caching on (a private
PYTHONPYCACHEPREFIX, filled by one untimed run). CPU is user+sys of the child from
getrusage(RUSAGE_CHILDREN). `--before DIR` runs the same commands with PYTHONPATH=DIR (another
checkout, e.g. /work/wt/integ) in the same run and prints the ratio; `ls` output must be equal.

    python bench/startup.py [--reps 10] [--before /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "from pyflow.cli.main import entrypoint; entrypoint()"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "pyflow --help": ["-c", ENTRY, "--help"],
    "pyflow ls": ["-c", ENTRY, "ls"],
    "pyflow compile": ["-c", ENTRY, "compile"],
}


def _project(parent: Path) -> Path:
    root = parent / "tiny"
    (root / "models").mkdir(parents=True)
    (root / "pyflow.yml").write_text("name: tiny\n")
    (root / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: tiny.duckdb\n"
    )
    (root / "models" / "one.sql").write_text("select 1 as x\n")
    return root


def _env(tree: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def _once(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, wall, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--before", type=Path, help="another checkout to compare against")
    opts = parser.parse_args()
    trees = {"after": ROOT}
    if opts.before is not None:
        trees = {"before": opts.before.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="pyflow-startup-") as tmp:
        project = _project(Path(tmp))
        results: dict[tuple[str, str], tuple[float, float]] = {}
        outputs: dict[str, str] = {}
        envs = {name: _env(tree, Path(tmp) / f"pycache-{name}") for name, tree in trees.items()}
        for name in trees:  # untimed: fills the bytecode cache
            for args in COMMANDS.values():
                _once(args, envs[name], project)
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(opts.reps):  # interleaved, so load changes hit both trees alike
            for name in trees:
                for label, args in COMMANDS.items():
                    cpu, wall, out = _once(args, envs[name], project)
                    samples.setdefault((name, label), []).append((cpu, wall))
                    if label == "pyflow ls":
                        outputs[name] = out
        if len(set(outputs.values())) != 1:
            raise SystemExit(f"pyflow ls output differs between trees: {outputs}")
        for key, rows in samples.items():
            results[key] = (
                statistics.median(c for c, _ in rows),
                statistics.median(w for _, w in rows),
            )
    for name, tree in trees.items():
        print(f"{name}: PYTHONPATH={tree}")
    print(f"{'command':<16}" + "".join(f"{n + ' cpu ms':>16}{n + ' wall ms':>17}" for n in trees))
    for label in COMMANDS:
        cells = "".join(
            f"{results[(n, label)][0] * 1000:>16.0f}{results[(n, label)][1] * 1000:>17.0f}" for n in trees
        )
        ratio = ""
        if "before" in trees:
            ratio = f"   cpu after/before {results[('after', label)][0] / results[('before', label)][0]:.2f}"
        print(f"{label:<16}{cells}{ratio}")


if __name__ == "__main__":
    main()
