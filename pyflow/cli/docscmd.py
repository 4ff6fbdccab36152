"""``pyflow docs generate`` and ``pyflow docs serve``: the project's documentation site.

:func:`register` adds the ``docs`` group to the main Typer app; the shared option parsing,
error mapping and session opening of :mod:`pyflow.cli.main` are passed in (so this module
never imports the main one, and the two form no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pyflow.cli.options import DebugOpt, ProfilesDir, ProjectDir, TargetOpt, VarsOpt

if TYPE_CHECKING:
    from pyflow.runner.session import Options, Session


@dataclass(frozen=True)
class CliServices:
    """What the docs commands borrow from :mod:`pyflow.cli.main`."""

    options: Callable[..., Options]
    errors: Callable[[bool], AbstractContextManager[None]]
    session: Callable[[Options, Callable[[Any], None]], Session]
    warn: Callable[[Any], None]
    echo: Callable[..., None]


docs_app = typer.Typer(
    name="docs",
    help="The documentation site: `pyflow docs generate`, then `pyflow docs serve`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def register(app: typer.Typer, cli: CliServices) -> None:
    """Add ``pyflow docs generate|serve`` to ``app``."""

    @docs_app.command("generate")
    def generate(
        project_dir: ProjectDir = Path("."),
        profiles_dir: ProfilesDir = None,
        target: TargetOpt = None,
        vars: VarsOpt = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Folder to write the site to (default: target/docs/)."),
        ] = None,
        debug: DebugOpt = False,
    ) -> None:
        """Write the docs site (every node, columns and types, lineage) to one offline folder."""
        from pyflow.errors import ErrorGroup

        with cli.errors(debug):
            from pyflow.runner.docsite import generate as write

            with cli.session(cli.options(project_dir, profiles_dir, target, vars), cli.warn) as session:
                result = write(session, output)
            cli.echo(
                f"Wrote the docs site for {result.nodes} node(s) ({result.built} relation(s) in the "
                f"catalog) to {result.folder}"
            )
            cli.echo(f"Open {result.folder / 'index.html'} or run: pyflow docs serve")
            if result.errors:
                errors = result.errors
                raise errors[0] if len(errors) == 1 else ErrorGroup(list(errors))

    @docs_app.command("serve")
    def serve(
        project_dir: ProjectDir = Path("."),
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8080,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        folder: Annotated[
            Path | None,
            typer.Option("--folder", help="The generated site (default: target/docs/ of the project)."),
        ] = None,
        debug: DebugOpt = False,
    ) -> None:
        """Serve the generated docs site over HTTP until Ctrl-C."""
        with cli.errors(debug):
            from pyflow.runner.docserve import make_server, site_folder

            root = site_folder(project_dir, folder)
            server = make_server(root, host, port)
            bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
            cli.echo(f"Serving {root} at http://{bound_host}:{bound_port}/  (Ctrl-C to stop)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                cli.echo("Stopped.")
            finally:
                server.server_close()

    app.add_typer(docs_app, name="docs")
