"""Small commands must not import the heavy libraries they do not use.

`pyflow --help` and `pyflow ls` of a SQL-only project run in a fresh interpreter (the CLI
entrypoint called in-process by ``python -c``), which then prints the heavy top-level modules
found in ``sys.modules`` (a name stands for the module and its submodules). A module-level import of Ibis, pandas, pyarrow, sqlglot, numpy or a
driver anywhere on these paths makes the test fail and names the module; no timing involved. Likewise ``ls`` and ``compile``
never import what only running nodes needs (``run`` does: the check can fail).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Never needed to list nodes or print help.
HEAVY = ("ibis", "pandas", "pyarrow", "sqlglot", "numpy", "duckdb", "trino", "pyathena")
# Only commands that run nodes need the executor, hooks and the unit test runner (and the
# monitor runner, when a monitor test is selected); compiling needs the materializers' SQL
# helpers, listing nothing of either.
RUN_ONLY = (
    "pyflow.runner.noderun",
    "pyflow.runner.execute",
    "pyflow.runner.hooks",
    "pyflow.runner.unitrun",
)
COMPILE_ONLY = ("pyflow.runner.compilation", "pyflow.materializers")
# --help needs no config parsing or templating either.
HELP_HEAVY = (*HEAVY, "pydantic", "jinja2", "yaml")

_PROBE = """
import json, sys
from pyflow.cli.main import entrypoint
try:
    entrypoint()
except SystemExit:
    pass
heavy = sys.argv[-1].split(",")
found = sorted({h for h in heavy for m in sys.modules if m == h or m.startswith(h + ".")})
sys.stdout.write("\\nHEAVY " + json.dumps(found) + "\\n")
"""


def _heavy_modules(cwd: Path, args: list[str], heavy: tuple[str, ...]) -> tuple[list[str], str]:
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    # entrypoint() reads sys.argv[1:]; the last item is the probe's own list, removed first.
    code = "import sys; heavy_arg = sys.argv.pop()\n" + _PROBE.replace("sys.argv[-1]", "heavy_arg")
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, ",".join(heavy)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("HEAVY ")]
    assert lines, f"probe printed nothing\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    found: list[str] = json.loads(lines[-1][len("HEAVY ") :])
    return found, proc.stdout


@pytest.fixture
def sql_project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "pyflow.yml").write_text("name: tiny\n")
    (tmp_path / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: tiny.duckdb\n"
    )
    (tmp_path / "models" / "one.sql").write_text("select 1 as x\n")
    return tmp_path


def test_help_imports_no_heavy_module(sql_project: Path) -> None:
    found, out = _heavy_modules(sql_project, ["--help"], HELP_HEAVY)
    assert "ls" in out
    assert found == []


def test_ls_of_sql_project_imports_no_heavy_module(sql_project: Path) -> None:
    found, out = _heavy_modules(sql_project, ["ls"], HEAVY)
    assert out.splitlines()[0] == "one"
    assert found == []


def test_ls_and_compile_import_nothing_only_runs_need(sql_project: Path) -> None:
    found, out = _heavy_modules(sql_project, ["ls"], (*RUN_ONLY, "pyflow.runner.monitors", *COMPILE_ONLY))
    assert out.splitlines()[0] == "one"
    assert found == []
    found, out = _heavy_modules(sql_project, ["compile"], (*RUN_ONLY, "pyflow.runner.monitors"))
    assert "Compiled 1 model(s)" in out
    assert found == []


def test_run_imports_the_node_runner(sql_project: Path) -> None:
    found, out = _heavy_modules(sql_project, ["run"], (*RUN_ONLY, *COMPILE_ONLY))
    assert "PASS=1" in out
    assert found == sorted((*RUN_ONLY, *COMPILE_ONLY))
