"""The kind -> materializer table: which class builds a ``materialized`` value.

It lives apart from :mod:`pyflow.materializers.base` (the interface every materializer
implements), so the interface imports no concrete materializer and there is no import circle.
"""

from __future__ import annotations

from pyflow.errors import MaterializationError
from pyflow.materializers.base import Materializer
from pyflow.materializers.incremental import IncrementalMaterializer
from pyflow.materializers.microbatch import MicrobatchMaterializer
from pyflow.materializers.seed import SeedMaterializer
from pyflow.materializers.snapshot import SnapshotMaterializer
from pyflow.materializers.table import TableMaterializer
from pyflow.materializers.view import ViewMaterializer

MATERIALIZERS: dict[str, type[Materializer]] = {
    "view": ViewMaterializer,
    "table": TableMaterializer,
    "seed": SeedMaterializer,
    "incremental": IncrementalMaterializer,
    "snapshot": SnapshotMaterializer,
    "microbatch": MicrobatchMaterializer,
}
"""Each ``materialized`` value (and seeds, snapshots) -> the class that builds it."""


def materializer_for(kind: str) -> Materializer:
    """The materializer of a ``materialized`` value (validated earlier by config)."""
    try:
        return MATERIALIZERS[kind]()
    except KeyError:
        raise MaterializationError(
            f"no materializer for '{kind}'",
            hint="use one of: " + ", ".join(sorted(MATERIALIZERS)),
            code="unknown-materialization",
        ) from None
