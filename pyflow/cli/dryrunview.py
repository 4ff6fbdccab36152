"""``pyflow run/build --dry-run``: print the plan of :mod:`pyflow.runner.dryrun` as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from pyflow.runner.nodecost import format_bytes

if TYPE_CHECKING:
    from pyflow.runner.dryrun import DryRun
    from pyflow.runner.session import Options

DryRunOpt = typer.Option(
    "--dry-run",
    help="Print what would run (and, on Trino and Athena, the engine's estimated scan); run nothing.",
)


def plan_lines(plan: DryRun) -> list[str]:
    """The plan as text: one line per node (its SQL indented below), then the total."""
    how = "with the engine's estimates (EXPLAIN)" if plan.estimates else "without estimates"
    out = [
        f"Dry run of `pyflow {plan.command}` on target '{plan.target}' ({plan.engine}), {how}: nothing runs."
    ]
    for i, n in enumerate(plan.nodes, 1):
        scan = f"  estimated scan {format_bytes(n.estimated_bytes)}" if n.estimated_bytes is not None else ""
        out.append(f"{i} of {len(plan.nodes)} {n.action}{scan}")
        if n.note:
            out.append(f"    {n.note}")
        if n.sql:
            out += [f"    | {line}" for line in n.sql.strip().splitlines()]
    total = plan.estimated_bytes
    missing = sum(1 for n in plan.nodes if n.sql and n.estimated_bytes is None)
    summary = f"Would run {len(plan.nodes)} node(s)"
    if plan.estimates:
        summary += f"; estimated scan {'unknown' if total is None else format_bytes(total)}"
        if missing and total is not None:
            summary += f" ({missing} query(ies) without an estimate)"
    out += ["", summary + "."]
    return out


def print_dry_run(
    command: str, opts: Options, log_format: str, echo: Callable[[str], None], warn: Callable[[Any], None]
) -> None:
    """Plan ``command`` and print it (``--log-format json``: one JSON object)."""
    from pyflow.runner.dryrun import dry_run
    from pyflow.runner.session import Session

    with Session(opts, emit=warn) as session:
        plan = dry_run(session, command)
    if log_format == "json":
        echo(json.dumps(plan.to_dict(), indent=2))
    else:
        for line in plan_lines(plan):
            echo(line)
