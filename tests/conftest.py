"""Shared fixtures: tiny real projects on disk, a DuckDB adapter, and the CLI runner."""

from __future__ import annotations

import json
import os
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
FIXTURE_PROJECTS = Path(__file__).parent / "fixtures" / "projects"

ProjectFactory = Callable[..., Path]


def write_project(
    root: Path,
    files: Mapping[str, str],
    *,
    name: str = "proj",
    project_yml: str | None = None,
) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root`` plus a pyflow.yml."""
    root.mkdir(parents=True, exist_ok=True)
    if "pyflow.yml" not in files:
        (root / "pyflow.yml").write_text(project_yml or f"name: {name}\n", encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """``make_project({"models/a.py": "...", ...}, name="x")`` -> project folder."""
    counter = iter(range(1000))

    def factory(files: Mapping[str, str], **kwargs: Any) -> Path:
        return write_project(tmp_path / f"project{next(counter)}", files, **kwargs)

    return factory


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Invoke the CLI in-process: ``cli("run", "--project-dir", str(p))`` -> click Result."""
    from pyflow.cli.main import app

    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def duckdb_adapter() -> Any:
    """An adapter on a private in-memory DuckDB."""
    from pyflow.adapters.duckdb import DuckDBAdapter

    adapter = DuckDBAdapter.in_memory()
    yield adapter
    adapter.close()


def query(project_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` against a project's default DuckDB file (read-only)."""
    import duckdb

    con = duckdb.connect(str(project_dir / "pyflow.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---- a live Trino server (scripts/trino.sh) ---------------------------------------------------
TRINO_DEFAULT_URL = "http://127.0.0.1:18080"
"""Where ``scripts/trino.sh start`` serves Trino when ``PYFLOW_TRINO_URL`` is unset."""


def trino_warehouse() -> Path:
    """The folder the rig's ``hive`` and ``iceberg`` catalogs resolve ``local:///`` under
    (``$PYFLOW_TRINO_HOME/warehouse``; ``scripts/trino.sh`` writes it into their config)."""
    home = os.environ.get("PYFLOW_TRINO_HOME") or str(Path.home() / ".cache" / "pyflow-trino")
    return Path(home) / "warehouse"


@dataclass(frozen=True)
class TrinoServer:
    """A Trino server that answered: where it is and its catalogs (name -> connector)."""

    host: str
    port: int
    catalogs: dict[str, str]

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"


def trino_url() -> str:
    """``PYFLOW_TRINO_URL``; else ``PYFLOW_TEST_TRINO_HOST``/``_PORT`` (older name); else the rig's default."""
    if os.environ.get("PYFLOW_TRINO_URL"):
        return os.environ["PYFLOW_TRINO_URL"].rstrip("/")
    if os.environ.get("PYFLOW_TEST_TRINO_HOST"):
        return f"http://{os.environ['PYFLOW_TEST_TRINO_HOST']}:{os.environ.get('PYFLOW_TEST_TRINO_PORT', '8080')}"
    return TRINO_DEFAULT_URL


def find_trino(url: str) -> tuple[TrinoServer | None, str]:
    """The server answering at ``url`` and ready, or None and why not (one line)."""
    from urllib.parse import urlsplit

    try:
        with urllib.request.urlopen(f"{url}/v1/info", timeout=3) as response:
            info = json.load(response)
    except (OSError, ValueError) as exc:
        return None, f"no Trino server answers at {url} ({exc}); start one with scripts/trino.sh start"
    if info.get("starting", True):
        return None, f"the Trino server at {url} is still starting; wait for scripts/trino.sh start"
    parts = urlsplit(url)
    server = TrinoServer(parts.hostname or "127.0.0.1", parts.port or 8080, {})
    import trino

    con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow", http_scheme=parts.scheme)
    try:
        cur = con.cursor()
        cur.execute("SELECT catalog_name, connector_name FROM system.metadata.catalogs")
        catalogs = {str(name): str(connector) for name, connector in cur.fetchall()}
    finally:
        con.close()
    return TrinoServer(server.host, server.port, catalogs), ""


@pytest.fixture(scope="session")
def trino_server() -> TrinoServer:
    """The live Trino server of ``PYFLOW_TRINO_URL`` (or the rig's default), asked once per session.

    Skips the test with a one-line reason when no server answers, except when
    ``PYFLOW_TRINO_REQUIRED=true`` (set by ``.ci/run`` under ``CI=true`` once it started the
    rig, and by ``nox -s trino``): then a missing server fails the test loudly.
    """
    server, why = find_trino(trino_url())
    if server is None:
        if os.environ.get("PYFLOW_TRINO_REQUIRED", "").lower() == "true":
            pytest.fail(f"PYFLOW_TRINO_REQUIRED=true but {why}", pytrace=False)
        pytest.skip(why)
    return server
