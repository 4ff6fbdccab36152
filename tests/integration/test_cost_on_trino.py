"""Live on Trino (marker ``trino``): bytes scanned per model and ``--dry-run`` with EXPLAIN estimates.

The project builds in its own schema of the rig's ``memory`` catalog (which keeps table
statistics, so ``EXPLAIN (TYPE IO, FORMAT JSON)`` has sizes to give).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.conftest import write_project

pytestmark = pytest.mark.trino


def _project(tmp_path: Path, server) -> tuple[Path, str]:
    schema = f"pyflow_cost_{uuid.uuid4().hex[:8]}"
    project = write_project(
        tmp_path / "cost",
        {
            "profiles.yml": f"""
                cost:
                  target: trino
                  outputs:
                    trino:
                      type: trino
                      host: {server.host}
                      port: {server.port}
                      user: pyflow
                      database: memory
                      schema: {schema}
            """,
            "models/numbers.sql": "{{ config(materialized='table') }}\n"
            "select x, cast(x as varchar) as label from unnest(sequence(1, 5000)) as u(x)\n",
            "models/big_numbers.sql": "{{ config(materialized='table') }}\n"
            "select * from {{ ref('numbers') }} where x > 10\n",
        },
        name="cost",
        project_yml="name: cost\nprofile: cost\n",
    )
    return project, schema


def _drop(server, schema: str) -> None:
    import trino

    cur = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow", catalog="memory").cursor()
    cur.execute(f"DROP SCHEMA IF EXISTS memory.{schema} CASCADE")
    cur.fetchall()


def test_trino_reports_bytes_scanned_and_dry_run_estimates_the_scan(tmp_path, trino_server, pyflow) -> None:
    project, schema = _project(tmp_path, trino_server)
    args = ("--project-dir", project, "--profiles-dir", project)
    try:
        before = pyflow("build", "--dry-run", *args).output
        # nothing exists yet: the model reading numbers cannot be explained, and says why
        assert "Dry run of `pyflow build` on target 'trino' (trino), with the engine's estimates" in before
        assert "no estimate:" in before

        out = pyflow("run", *args).output
        big = next(ln for ln in out.splitlines() if "big_numbers" in ln and " OK " in ln)
        assert ", scanned " in big
        assert "Scanned " in out
        results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
        response = {r["unique_id"]: r["adapter_response"] for r in results}["model.cost.big_numbers"]
        assert response["bytes_scanned"] > 0 and response["query_id"]

        plan = json.loads(pyflow("build", "--dry-run", "--log-format", "json", *args).output)
        nodes = {n["name"]: n for n in plan["nodes"]}
        assert nodes["big_numbers"]["tables"] == [f"memory.{schema}.numbers"]
        assert nodes["big_numbers"]["estimated_bytes"] > 0
        assert plan["estimated_bytes"] >= nodes["big_numbers"]["estimated_bytes"]
        monitor = json.loads(pyflow("monitor", "--output", "json", *args).output)
        assert [(c["name"], c["mean_bytes"] > 0) for c in monitor["costliest"]] == [
            ("big_numbers", True),
            ("numbers", False),  # reads no table: 0 bytes
        ]
        assert (nodes["numbers"]["estimated_bytes"], nodes["numbers"]["tables"]) == (0, [])
    finally:
        _drop(trino_server, schema)
