"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s typecheck``, ``nox -s package``.

Each session installs the package first, so tests exercise what users install.
"""

from __future__ import annotations

import time
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "package", "tests"]
nox.options.default_venv_backend = "venv"

PYTHONS = ["3.11", "3.12", "3.13"]
COVERAGE_FLOOR = 85
"""The least share of pyflow's lines the tests session must run (measured: see the closing note)."""


CONSTRAINTS = ".ci/constraints.txt"
"""The versions CI tests with (the README's test command installs with them too)."""


def _install(session: nox.Session) -> None:
    session.install("-e", ".[dev]", "-c", CONSTRAINTS)


def _pytest(session: nox.Session, *args: str) -> None:
    _install(session)
    session.run("python", "-m", "pytest", *args, *session.posargs)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit, integration, docs and example tests on DuckDB, with a coverage floor.

    Coverage starts before pytest (``coverage run -m pytest``), so the modules pytest imports
    early, through pyflow's pytest plugin, are measured like the others. The total is printed
    and written to ``coverage.json`` for CI to publish.
    """
    _install(session)
    session.run("python", "-m", "coverage", "erase")
    session.run("python", "-m", "coverage", "run", "-m", "pytest", *session.posargs)
    session.run("python", "-m", "coverage", "report", "--skip-covered", "--show-missing")
    session.run("python", "-m", "coverage", "json", "-q", "-o", "coverage.json")
    session.run("python", "-m", "coverage", "report", "--format=total", f"--fail-under={COVERAGE_FLOOR}")


def _live(session: nox.Session, **env: str) -> None:
    """Start (or reuse) the local Trino rig, then run the live tests; the rig is left running."""
    _install(session)
    session.run("scripts/trino.sh", "start", external=True)
    env = {"PYFLOW_TRINO_REQUIRED": "true", **env}
    session.run("python", "-m", "pytest", "-m", "trino", *session.posargs, env=env)
    session.log("the Trino rig keeps running: scripts/trino.sh stop")


@nox.session
def trino(session: nox.Session) -> None:
    """The live tests on a local Trino 476, as ``.ci/run`` runs them (tests/conformance/live.py)."""
    _live(session)


@nox.session
def trino_full(session: nox.Session) -> None:
    """Every live conformance test on every catalog (memory, iceberg, hive): about 25 minutes."""
    _live(session, PYFLOW_TEST_TRINO_FULL="true")


DBT_REQUIREMENTS = ("dbt-core~=1.11.0", "dbt-duckdb~=1.11.0")
"""dbt for the ``compat`` session: dbt-core >= 1.12 needs a download at build time that is not
reachable everywhere, so both are pinned to 1.11."""


@nox.session
def compat(session: nox.Session) -> None:
    """tests/compat against a live dbt: dbt-core 1.11 with dbt-duckdb in a virtualenv of its own.

    dbt builds each compat project (day by day) and pyflow's tables, test outcomes and artifacts
    are compared with what it built; pyflow's manifest.json and run_results.json are loaded with
    dbt-core's own artifact classes. ``nox -s compat -- --regenerate`` also rewrites the
    committed expected files (tests/compat/projects/*/expected/) from that dbt.
    """
    _install(session)
    venv = Path(session.create_tmp()) / "dbt-venv"
    session.run("python", "-m", "venv", str(venv))
    duckdb = session.run("python", "-c", "import duckdb; print(duckdb.__version__)", silent=True)
    pins = [*DBT_REQUIREMENTS, f"duckdb=={str(duckdb).strip()}"]  # one engine version for both tools
    session.run(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *pins, external=True)
    dbt = str(venv / "bin" / "dbt")
    args = [a for a in session.posargs if a != "--regenerate"]
    if "--regenerate" in session.posargs:
        session.run("python", "-m", "tests.compat.generate", dbt)
    session.run("python", "-m", "pytest", "tests/compat", *args, env={"PYFLOW_COMPAT_DBT": dbt})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff format --check and ruff check."""
    session.install("ruff>=0.6")
    session.run("ruff", "format", "--check", "pyflow", "noxfile.py")
    session.run("ruff", "check", "pyflow", "tests", "examples", "bench", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the example projects and this file.

    The default test suite runs the same check on pyflow and examples
    (tests/unit/test_typing.py, about 10 s on a cold cache).
    """
    _install(session)
    session.run("mypy", "--strict", "pyflow", "examples", "noxfile.py")


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel as users get it and check it ships ``py.typed`` and every module."""
    out = session.create_tmp()
    session.run("python", "-m", "pip", "wheel", "--no-deps", "--quiet", ".", "-w", out)
    session.run("python", "-c", _CHECK_WHEEL, out)


_CHECK_WHEEL = """
import pathlib, sys, zipfile
wheel, = pathlib.Path(sys.argv[1]).glob("pyflow-*.whl")
names = set(zipfile.ZipFile(wheel).namelist())
modules = {p.as_posix() for p in pathlib.Path("pyflow").rglob("*.py")}
missing = sorted((modules | {"pyflow/py.typed"}) - names)
assert not missing, f"{wheel.name} lacks {missing}"
print(f"{wheel.name}: {len(names)} files, py.typed included")
"""


@nox.session
def fuzz(session: nox.Session) -> None:
    """Random inputs for pyflow.yml, schema YAML, profiles.yml, selectors and --vars.

    ``nox -s fuzz -- 10`` fuzzes for about 10 minutes (the default): rounds of 200 fresh random
    examples per target until the time is up; the first traceback stops it and prints its input.
    """
    session.install("-e", ".[dev]")
    minutes = float(session.posargs[0]) if session.posargs else 10.0
    stop = time.monotonic() + minutes * 60
    while time.monotonic() < stop:
        session.run(
            "python", "-m", "pytest", "-q", "-x", "tests/reliability/test_fuzz.py",
            env={"PYFLOW_FUZZ_EXAMPLES": "200"},
        )  # fmt: skip
