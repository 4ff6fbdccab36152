"""``--blue-green`` of run/build/seed/snapshot, and the ``pyflow releases`` / ``pyflow rollback`` commands.

:func:`register` adds the two commands to the Typer ``app`` of :mod:`pyflow.cli.main` (which
calls it, handing over its error-to-exit-code context manager, so this module imports nothing
of ``main``). The work is done by :mod:`pyflow.runner.release` and
:mod:`pyflow.runner.releasepublish`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pyflow.cli.options import DebugOpt, ProfilesDir, ProjectDir, TargetOpt

if TYPE_CHECKING:
    from pyflow.runner.session import Options, Session

OutputOpt = Annotated[str, typer.Option("--output", "-o", help="text or json.")]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="The release to return to (default: the previous one).")
]


def open_session(opts: Options, renderer: Callable[[Any], None], blue_green: bool | None) -> Session:
    """The session of run, build, seed and snapshot: one that can publish a release."""
    from pyflow.runner.release import ReleaseSession

    return ReleaseSession(opts, emit=renderer, blue_green=blue_green)


def print_note(render: Any, session: Session) -> None:
    """The last lines of a blue-green run's summary: published, or not and why."""
    note = getattr(session, "note", None)
    if note is not None:
        render.line("")
        render.line(note.text, "info" if note.published else "error")


def _echo(text: str) -> None:
    from pyflow.secret import scrub

    typer.echo(scrub(text))


def _session(project_dir: Path, profiles_dir: Path | None, target: str | None) -> Session:
    from pyflow.runner.session import Options

    return open_session(
        Options(project_dir=project_dir, profiles_dir=profiles_dir, target=target), lambda e: None, None
    )


def register(app: typer.Typer, errors: Callable[[bool], AbstractContextManager[None]]) -> None:
    """Add ``releases`` and ``rollback`` to ``app``; ``errors(debug)`` maps errors to exit codes."""

    @app.command()
    def releases(
        project_dir: ProjectDir = Path("."),
        profiles_dir: ProfilesDir = None,
        target: TargetOpt = None,
        output: OutputOpt = "text",
        debug: DebugOpt = False,
    ) -> None:
        """List the blue-green releases of the target, oldest first; * marks the current one."""
        if output not in ("text", "json"):
            _echo(f"pyflow: --output must be text or json, not '{output}'")
            raise typer.Exit(2)
        from pyflow.runner.release import release_log

        with errors(debug), _session(project_dir, profiles_dir, target) as session:
            session.adapter.open()
            found = release_log(session).releases()
        if output == "json":
            _echo(json.dumps([r.to_json() for r in found], indent=2))
            return
        if not found:
            _echo("No releases yet: publish one with `pyflow build --blue-green`.")
        for r in found:
            mark = "*" if r.current else " "
            _echo(
                f"{mark} {r.release_id}  {r.at}  {r.status:<9}  {len(r.built)} model(s): {', '.join(r.built)}"
            )

    @app.command()
    def rollback(
        project_dir: ProjectDir = Path("."),
        profiles_dir: ProfilesDir = None,
        target: TargetOpt = None,
        to: ToOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Point production back at the previous release (or --to RELEASE): views only, no data copied."""
        from pyflow.runner.release import release_log, target_where
        from pyflow.runner.releasepublish import rollback as roll

        with errors(debug), _session(project_dir, profiles_dir, target) as session:
            session.adapter.open()
            old, new = roll(session.adapter, release_log(session), to, target_where(session))
        _echo(f"Rolled back target from release {old.release_id} to {new.release_id}.")
