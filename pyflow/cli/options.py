"""The options the commands share, declared once (Typer reads them from annotations).

A leaf of ``pyflow.cli``: ``main`` and the command modules that register onto its app
(``docscmd``, ``migratecmd``, ``parsecmd``, ``releasecmd``) import these, so an option's flag and
help read the same in every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

ProjectDir = Annotated[Path, typer.Option("--project-dir", help="Folder holding pyflow.yml.")]
ProfilesDir = Annotated[Path | None, typer.Option("--profiles-dir", help="Folder holding profiles.yml.")]
TargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="Output of the profile to use.")]
VarsOpt = Annotated[
    str | None,
    typer.Option("--vars", help="YAML/JSON mapping overriding vars, e.g. '{start_date: 2024-01-01}'."),
]
SelectOpt = Annotated[
    list[str] | None, typer.Option("--select", "-s", help="Nodes to include (dbt selector syntax).")
]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", help="Nodes to leave out.")]
ResourceTypeOpt = Annotated[
    list[str] | None,
    typer.Option("--resource-type", help="Only these resource types (model, seed, test, unit_test ...)."),
]
ExcludeResourceTypeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude-resource-type", help="Never these resource types (e.g. unit_test)."),
]
SelectorOpt = Annotated[str | None, typer.Option("--selector", help="A named selector of selectors.yml.")]
IndirectOpt = Annotated[
    str,
    typer.Option("--indirect-selection", help="Tests of selected nodes: eager, cautious, buildable, empty."),
]
StateOpt = Annotated[
    Path | None,
    typer.Option("--state", help="Folder with an earlier run's manifest.json (state: selectors, --defer)."),
]
DeferOpt = Annotated[
    bool, typer.Option("--defer", help="Read unselected parents missing here from the --state target.")
]
DeferStateOpt = Annotated[
    Path | None,
    typer.Option("--defer-state", help="With --defer: read parents from this run's manifest, not --state's."),
]
FavorStateOpt = Annotated[
    bool, typer.Option("--favor-state", help="With --defer: read unselected parents from --state always.")
]
ThreadsOpt = Annotated[
    int | None, typer.Option("--threads", min=1, help="Worker threads (default: the target's, 4).")
]
FullRefreshOpt = Annotated[
    bool, typer.Option("--full-refresh", help="Rebuild tables and seeds from scratch.")
]
BlueGreenOpt = Annotated[
    bool | None,
    typer.Option(
        "--blue-green/--no-blue-green",
        help="Build a release beside production, test it there, publish it only if all passed "
        "(default: the target's blue_green).",
    ),
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", "-x", help="Stop at the first failure.")]
WarnErrorOpt = Annotated[
    bool, typer.Option("--warn-error", help="Treat every warning as an error (a warn test fails; exit 1).")
]
EventStartOpt = Annotated[
    str | None, typer.Option("--event-time-start", help="Microbatch models: build batches from this time.")
]
EventEndOpt = Annotated[
    str | None, typer.Option("--event-time-end", help="Microbatch models: build batches up to this time.")
]
EVENT_TIME_OPTIONS: list[tuple[str, Any, Any]] = [
    ("event_time_start", EventStartOpt, None),
    ("event_time_end", EventEndOpt, None),
]
LogFormatOpt = Annotated[str, typer.Option("--log-format", help="text or json (one event per line).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for every error.")]
