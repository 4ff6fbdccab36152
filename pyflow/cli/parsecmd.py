"""``pyflow parse`` and ``pyflow list``: dbt's names, registered on the Typer app by :func:`register`.

``parse`` reads the whole project (every file, config, property and dependency), reports every
error it finds, and writes ``target/manifest.json`` without compiling or connecting to the
target, as ``dbt parse`` does; a CI step runs it to check a change in seconds. ``list`` is
``ls`` under dbt's other name. ``main`` passes its helpers in, so this module does not import it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import typer

from pyflow.cli.options import DebugOpt, ProfilesDir, ProjectDir, TargetOpt, VarsOpt


def register(
    app: typer.Typer,
    errors: Callable[[bool], AbstractContextManager[None]],
    echo: Callable[[str], None],
    ls: Callable[..., None],
    parse_vars: Callable[[str | None], dict[str, Any]],
) -> None:
    """Add ``pyflow parse`` and ``pyflow list`` (the ``ls`` callback) to ``app``."""
    app.command("list", help="List the selected nodes (dbt's name for `pyflow ls`).")(ls)

    @app.command("parse")
    def parse(
        project_dir: ProjectDir = Path("."),
        profiles_dir: ProfilesDir = None,
        target: TargetOpt = None,
        vars: VarsOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Read the whole project and write target/manifest.json; nothing compiles or connects."""
        started = time.perf_counter()
        with errors(debug):
            from pyflow.runner.session import Options, Session

            opts = Options(
                project_dir=project_dir, profiles_dir=profiles_dir, target=target, vars=parse_vars(vars)
            )
            with Session(opts) as session:
                session.write_manifest()
                counts = _counts(session.project.graph.nodes)
                path = session.project.target_dir / "manifest.json"
        echo(f"Parsed {counts} in {time.perf_counter() - started:.2f}s; wrote {path}")


def _counts(nodes: dict[str, Any]) -> str:
    """``12 models, 2 seeds, 30 data tests`` in dbt's order (kinds with none left out)."""
    kinds = {"model": "model", "seed": "seed", "snapshot": "snapshot", "test": "data test",
             "unit_test": "unit test", "source": "source", "exposure": "exposure"}  # fmt: skip
    found: dict[str, int] = {}
    for uid in nodes:
        kind = uid.split(".", 1)[0]
        found[kind] = found.get(kind, 0) + 1
    parts = [f"{found[k]} {name}{'s' if found[k] != 1 else ''}" for k, name in kinds.items() if found.get(k)]
    return ", ".join(parts) or "no nodes"
