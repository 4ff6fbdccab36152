"""``--blue-green`` of run/build, and the ``pyflow releases`` / ``pyflow rollback`` commands.

Registered onto the Typer ``app`` of :mod:`pyflow.cli.main` (imported at its end). The work is
done by :mod:`pyflow.runner.release` and :mod:`pyflow.runner.releasepublish`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pyflow.cli.main import (
    DebugOpt,
    ProfilesDir,
    ProjectDir,
    TargetOpt,
    _echo,
    _errors,
    _options,
    _usage,
    app,
)

if TYPE_CHECKING:
    from pyflow.runner.session import Options, Session


def open_session(opts: Options, renderer: Callable[[Any], None], blue_green: bool | None) -> Session:
    """The session of run/build: one that can publish a release."""
    from pyflow.runner.release import ReleaseSession

    return ReleaseSession(opts, emit=renderer, blue_green=blue_green)


def print_note(render: Any, session: Session) -> None:
    """The last lines of a blue-green run's summary: published, or not and why."""
    note = getattr(session, "note", None)
    if note is not None:
        render.line("")
        render.line(note.text, "info" if note.published else "error")


@app.command()
def releases(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json.")] = "text",
    debug: DebugOpt = False,
) -> None:
    """List the blue-green releases of the target, oldest first; * marks the current one."""
    if output not in ("text", "json"):
        _usage(f"--output must be text or json, not '{output}'")
    from pyflow.runner.release import release_log

    with (
        _errors(debug),
        open_session(_options(project_dir, profiles_dir, target, None), lambda e: None, None) as s,
    ):
        s.adapter.open()
        found = release_log(s).releases()
    if output == "json":
        _echo(json.dumps([r.to_json() for r in found], indent=2))
        return
    if not found:
        _echo("No releases yet: publish one with `pyflow build --blue-green`.")
        return
    for r in found:
        mark = "*" if r.current else " "
        _echo(f"{mark} {r.release_id}  {r.at}  {r.status:<9}  {len(r.built)} model(s): {', '.join(r.built)}")


@app.command()
def rollback(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    to: Annotated[
        str | None, typer.Option("--to", help="The release to return to (default: the previous one).")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Point production back at the previous release (or --to RELEASE): views only, no data copied."""
    from pyflow.runner.release import release_log, target_where
    from pyflow.runner.releasepublish import rollback as roll

    with (
        _errors(debug),
        open_session(_options(project_dir, profiles_dir, target, None), lambda e: None, None) as s,
    ):
        s.adapter.open()
        old, new = roll(s.adapter, release_log(s), to, target_where(s))
    _echo(f"Rolled back target from release {old.release_id} to {new.release_id}.")
