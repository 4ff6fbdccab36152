"""Microbatch models: the batches of a run, and the model compiled once per batch.

The time range of a run, cut into ``batch_size`` windows (``hour``, ``day``, ``month``,
``year``), as dbt 1.9+ does:

- ``--event-time-start`` / ``--event-time-end`` (run, build) set it explicitly (start
  truncated to the batch size, end exclusive);
- otherwise it ends with the batch holding the run's start time (the current, partial batch
  included) and starts at ``begin`` on the first run and on ``--full-refresh``, else
  ``lookback`` batches before the current one (default 1).

For each batch, every input of the model whose node sets ``event_time`` (model, seed, source) is
read through ``(SELECT * FROM input WHERE event_time >= start AND event_time < end)``, and the
model's own ``ref``s render that; ``batch.event_time_start`` / ``batch.event_time_end`` hold the
window in the template (dbt's ``model.batch``). A source sets it in the ``config:`` of the
source or of its table; file sources are read whole.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING

from pyflow.compile.model import Upstream
from pyflow.compile.sql import compile_sql_model
from pyflow.core.node import ModelNode
from pyflow.errors import ProjectError
from pyflow.materializers.base import Job
from pyflow.materializers.microbatch import Batch
from pyflow.runner.renderdb import render_services

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler
    from pyflow.runner.session import Options

MAX_BATCHES = 10_000
"""More batches than this in one run is a mistake (a ``begin`` decades back with ``hour``)."""


def is_microbatch(node: object) -> bool:
    """True for an incremental model with ``incremental_strategy: microbatch``."""
    cfg = getattr(node, "config", None)
    return isinstance(node, ModelNode) and getattr(cfg, "incremental_strategy", None) == "microbatch"


def truncate(moment: datetime, size: str) -> datetime:
    """The start of the ``size`` window holding ``moment``."""
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if size in ("day", "month", "year"):
        moment = moment.replace(hour=0)
    if size in ("month", "year"):
        moment = moment.replace(day=1)
    if size == "year":
        moment = moment.replace(month=1)
    return moment


def shift(moment: datetime, size: str, count: int) -> datetime:
    """``moment`` (a window start) moved by ``count`` windows of ``size``."""
    if size == "hour":
        return moment + timedelta(hours=count)
    if size == "day":
        return moment + timedelta(days=count)
    months = moment.year * 12 + moment.month - 1 + count * (12 if size == "year" else 1)
    return moment.replace(year=months // 12, month=months % 12 + 1)


def parse_time(value: str, what: str, node: ModelNode | None = None) -> datetime:
    """A naive UTC datetime from ISO text (``2024-01-01``, ``2024-01-01T06:00``, with or without zone)."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ProjectError(
            f"{what} '{value}' is not a date or timestamp",
            model=node.name if node else None,
            path=node.path if node else None,
            hint="write an ISO date or timestamp, e.g. 2024-01-01 or 2024-01-01T06:00:00",
            code="invalid-config",
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def windows(compiler: ProjectCompiler, node: ModelNode, incremental: bool) -> list[tuple[datetime, datetime]]:
    """The ``[start, end)`` windows this run builds for ``node``."""
    cfg = node.config
    size = str(cfg.batch_size)
    start_opt, end_opt = compiler.event_time_window
    now = compiler.run_started_at
    now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    current = truncate(now, size)
    end = end_opt or shift(current, size, 1)
    if start_opt is not None:
        start = truncate(start_opt, size)
    elif incremental:
        start = shift(current, size, -cfg.lookback)
    else:
        start = truncate(parse_time(str(cfg.begin), "begin", node), size)
    out: list[tuple[datetime, datetime]] = []
    while start < end:
        nxt = shift(start, size, 1)
        out.append((start, min(nxt, end)))
        start = nxt
        if len(out) > MAX_BATCHES:
            raise ProjectError(
                f"the run would build more than {MAX_BATCHES} batches of one {size}",
                model=node.name,
                path=node.path,
                hint="set a later begin, a larger batch_size, or --event-time-start/--event-time-end",
                code="invalid-config",
            )
    return out


def plan_batches(compiler: ProjectCompiler, node: ModelNode, job: Job) -> list[Batch]:
    """The model compiled once per window, its ``event_time`` inputs filtered to the window."""
    if node.is_python:
        raise ProjectError(
            "incremental_strategy 'microbatch' works for SQL models only",
            model=node.name,
            path=node.path,
            line=node.line,
            hint="write the model in SQL, or use another incremental strategy",
            code="invalid-config",
        )
    adapter = compiler.adapter
    inputs = compiler.inputs(node.unique_id)
    parents = compiler.project.graph.param_map.get(node.unique_id, {})
    batches: list[Batch] = []
    for start, end in windows(compiler, node, job.incremental and not job.full_refresh):
        filtered: dict[str, Upstream] = {}
        for key, up in inputs.items():
            parent = compiler.project.graph.nodes.get(parents.get(key, ""))
            column = getattr(parent, "event_time", None) or getattr(
                getattr(parent, "config", None), "event_time", None
            )
            if column and up.relation is not None:
                col = adapter.quote(str(column))
                up = replace(
                    up,
                    sql_ref=f"(SELECT * FROM {adapter.render(up.relation)} WHERE {col} >= "
                    f"{adapter.timestamp_literal(start)} AND {col} < {adapter.timestamp_literal(end)})",
                )
            filtered[key] = up
        compiled = compile_sql_model(
            node,
            compiler.project.jinja,
            filtered,
            vars={**compiler.project.vars},
            target=compiler.target,
            run_started_at=compiler.run_started_at,
            this=adapter.render(job.relation),
            is_incremental=job.incremental,
            quote=adapter.quote,
            dialect=adapter.dialect,
            services=render_services(adapter, compiler.project, job.relation, live=compiler.live, node=node),
            batch=SimpleNamespace(event_time_start=start, event_time_end=end),
        )
        batches.append(Batch(start, end, str(compiled.sql)))
    return batches


def with_event_times(options: Options, start: str | None, end: str | None) -> Options:
    """``options`` with ``--event-time-start`` / ``--event-time-end`` parsed (a usage error names a bad one)."""
    window = (
        parse_time(start, "--event-time-start") if start else None,
        parse_time(end, "--event-time-end") if end else None,
    )
    if window[0] is not None and window[1] is not None and window[0] >= window[1]:
        raise ProjectError(
            f"--event-time-start {start} is not before --event-time-end {end}",
            hint="give a start earlier than the end",
            code="invalid-config",
        )
    return dataclasses.replace(options, event_time_window=window)
