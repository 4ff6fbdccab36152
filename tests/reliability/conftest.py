"""Fixtures of the reliability suite: the end-to-end helpers of ``tests/integration`` (run the CLI,
copy projects, read the DuckDB file and the artifacts)."""

from __future__ import annotations

from tests.integration.conftest import (  # noqa: F401 (fixtures re-exported for this folder)
    Warehouse,
    copy_project,
    load_json,
    manifest,
    pyflow,
    run_results,
    warehouse,
)
from tests.reliability.trinolive import switch  # noqa: F401 (the live Trino kill switch)
