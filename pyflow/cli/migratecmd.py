"""``pyflow migrate``: the command, registered on the Typer app by :func:`register`.

The work is :mod:`pyflow.runner.migrate` (pyflow.yml) and :mod:`pyflow.runner.migratepy`
(``--to-python``). ``main`` passes its error handler in, so this module does not import it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer

from pyflow.cli.options import DebugOpt, ProfilesDir, ProjectDir, TargetOpt


def _echo(text: str, err: bool = False) -> None:
    from pyflow.secret import scrub

    typer.echo(scrub(text), err=err)


def register(app: typer.Typer, errors: Callable[[bool], AbstractContextManager[None]]) -> None:
    """Add ``pyflow migrate`` to ``app``; ``errors(debug)`` maps errors to exit codes."""

    @app.command("migrate")
    def migrate(
        project_dir: ProjectDir = Path("."),
        to_python: Annotated[
            str | None,
            typer.Option("--to-python", help="A SQL model to rewrite as an equivalent Python (Ibis) model."),
        ] = None,
        write: Annotated[
            bool,
            typer.Option("--write", help="With --to-python: write models/.../MODEL.py and delete MODEL.sql."),
        ] = False,
        profiles_dir: ProfilesDir = None,
        target: TargetOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Write pyflow.yml for a dbt project, or rewrite a SQL model as a Python model.

        Without --to-python: writes pyflow.yml from dbt_project.yml. With --to-python MODEL:
        prints the Python model (or, with --write, replaces the SQL file by it); a construct
        without an exact Ibis translation is refused, named with its line.
        """
        with errors(debug):
            if to_python is None:
                from pyflow.runner.migrate import write_project_file

                path, left_out = write_project_file(project_dir)
                _echo(f"Wrote {path}")
                if left_out:
                    _echo(f"Left out (accepted by pyflow, not acted on): {', '.join(left_out)}")
                return
            from pyflow.runner.migratepy import to_python as translate
            from pyflow.runner.session import Options, Session

            options = Options(project_dir=project_dir, profiles_dir=profiles_dir, target=target)
            with Session(options) as session:
                code = translate(session.project, to_python)
                sql = session.root / session.project.models[to_python].path
            if not write:
                _echo(code.rstrip("\n"))
                return
            py = sql.with_suffix(".py")
            if py.exists():
                _echo(
                    f"pyflow: {py} exists already; move it away, or print the model without --write", err=True
                )
                raise typer.Exit(1)
            py.write_text(code, encoding="utf-8")
            sql.unlink()
            _echo(f"Wrote {py} (and deleted {sql.name})")
