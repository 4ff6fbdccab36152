"""Per-node engine settings (workgroup, query result reuse) and what a run's queries cost.

A model's ``work_group`` and ``result_reuse`` config apply to the statements the adapter sends
while the model runs (:func:`pyflow.runner.noderun.node_runner`, through
:func:`pyflow.adapters.remotequery.with_node_settings`; engines without such settings ignore
them). What the engine reported about each node's queries is in its result
(:meth:`pyflow.runner.events.NodeResult.take_log`); :func:`scanned_total` sums a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyflow.runner.events import NodeResult

ENGINE_SETTINGS = ("work_group", "result_reuse")
"""Node config keys handed to the adapter for the node's statements."""


def engine_settings(node: Any) -> dict[str, Any]:
    """The node's engine settings that are set (an empty dict for most nodes)."""
    config = getattr(node, "config", None)
    return {k: getattr(config, k) for k in ENGINE_SETTINGS if getattr(config, k, None) is not None}


def scanned_total(results: Sequence[NodeResult]) -> int | None:
    """Bytes scanned by all the nodes of a run (None: the engine reported none)."""
    known = [r.bytes_scanned for r in results if r.bytes_scanned is not None]
    return sum(known) if known else None


def format_bytes(count: int) -> str:
    """``1.2 GB``-style size (decimal units, as the AWS console shows bytes scanned)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
