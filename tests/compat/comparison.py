"""What differs between a dbt build and a pyflow build of the same project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.compat.harness import Captured

SCHEMAS = Path(__file__).parent / "schemas"


def table_differences(dbt: Captured, pyflow: Captured) -> list[str]:
    """Relations missing on either side, and differing columns, types or rows (order-insensitive)."""
    out = [f"missing in pyflow: {k}" for k in sorted(set(dbt.relations) - set(pyflow.relations))]
    out += [f"not built by dbt: {k}" for k in sorted(set(pyflow.relations) - set(dbt.relations))]
    for key in sorted(set(dbt.relations) & set(pyflow.relations)):
        if dbt.relations[key] != pyflow.relations[key]:
            out.append(f"{key}: columns {pyflow.relations[key]} != dbt's {dbt.relations[key]}")
        elif dbt.rows[key] != pyflow.rows[key]:
            extra = [r for r in pyflow.rows[key] if r not in dbt.rows[key]]
            lacking = [r for r in dbt.rows[key] if r not in pyflow.rows[key]]
            out.append(f"{key}: rows only in pyflow {extra}, only in dbt {lacking}")
    return out


def schema_errors(artifact: Path, schema_name: str) -> list[str]:
    """Where ``artifact`` breaks the committed JSON schema dbt-core 1.11 generates for it."""
    import jsonschema

    schema = json.loads((SCHEMAS / f"{schema_name}.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    data = json.loads(artifact.read_text())
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(data))


LOAD_WITH_DBT = """
import sys
from dbt.artifacts.schemas.manifest import WritableManifest
from dbt.artifacts.schemas.run import RunResultsArtifact
manifest = WritableManifest.read_and_check_versions(sys.argv[1])
results = RunResultsArtifact.read_and_check_versions(sys.argv[2])
print(len(manifest.nodes), len(results.results))
"""


def load_with_dbt(dbt: Path, target: Path) -> Any:
    """Load manifest.json and run_results.json with dbt-core's artifact classes (in dbt's venv)."""
    python = dbt.parent / "python"
    return subprocess.run(
        [str(python), "-c", LOAD_WITH_DBT, str(target / "manifest.json"), str(target / "run_results.json")],
        capture_output=True,
        text=True,
        check=False,
    )
