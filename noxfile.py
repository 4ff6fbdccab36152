"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s typecheck``.

Each session installs the package first, so tests exercise what users install.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "venv"

PYTHONS = ["3.11", "3.12", "3.13"]


def _pytest(session: nox.Session, *args: str) -> None:
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *args, *session.posargs)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit, integration, docs and example tests on DuckDB, with a coverage floor."""
    _pytest(session, "--cov=pyflow", "--cov-report=term-missing:skip-covered", "--cov-fail-under=85")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff format --check and ruff check."""
    session.install("ruff>=0.6")
    session.run("ruff", "format", "--check", "pyflow", "noxfile.py")
    session.run("ruff", "check", "pyflow", "tests", "examples", "bench", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and this file."""
    session.install("-e", ".[dev]")
    session.run("mypy", "pyflow", "noxfile.py")
