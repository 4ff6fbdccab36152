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


PYFLOW_KEYS = {
    # metadata: pyflow's artifact version and target (docs/artifacts.md)
    "ManifestMetadata": {"schema_version", "pyflow_version", "target_name"},
    "BaseArtifactMetadata": {"schema_version", "pyflow_version", "target_name", "project_name", "adapter_type"},
    # a node's line in its file; a seed's (empty) parents like every other node's
    **{t: {"line"} for t in ("Model", "Seed", "Snapshot", "GenericTest", "SingularTest")},
    # a source's line, its (empty) parents, and the files of a file source
    "SourceDefinition": {"line", "depends_on", "external_location"},
    "MacroDependsOn": {"nodes"},
    "RefArgs": {"kind", "source_table", "line"},
    # a result's own fields (docs/artifacts.md#targetrun_resultsjson)
    "RunResultOutput": {
        "name", "relation", "error", "cause", "metrics", "response", "rows_affected", "started_at", "completed_at",
    },
}  # fmt: skip
"""The keys pyflow writes beyond dbt's schema, where dbt's schema forbids other keys.

docs/coming-from-dbt.md lists them; dbt-core's own artifact classes ignore them (checked by the
``compat`` session). Every other constraint of dbt's schema applies unchanged.
"""


def _with_pyflow_keys(schema: Any) -> Any:
    """dbt's schema, where each object titled in :data:`PYFLOW_KEYS` also accepts those keys."""
    if isinstance(schema, list):
        return [_with_pyflow_keys(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _with_pyflow_keys(v) for k, v in schema.items()}
    extra = PYFLOW_KEYS.get(str(schema.get("title")))
    if extra and isinstance(out.get("properties"), dict):
        out["properties"] = {**{k: {} for k in extra}, **out["properties"]}
    return out


def schema_errors(artifact: Path, schema_name: str) -> list[str]:
    """Where ``artifact`` breaks the committed JSON schema dbt-core 1.11 generates for it.

    A node that matches none of dbt's node types is checked against the one of its
    ``resource_type`` alone, so that the message says which key is wrong.
    """
    import jsonschema

    schema = _with_pyflow_keys(json.loads((SCHEMAS / f"{schema_name}.json").read_text()))
    data = json.loads(artifact.read_text())
    out = []
    for error in jsonschema.Draft7Validator(schema).iter_errors(data):
        where = "/".join(map(str, error.absolute_path))
        node = error.instance if isinstance(error.instance, dict) else {}
        kinds = [s for s in error.schema.get("anyOf", []) if _is_kind_of(s, node)]
        if len(kinds) == 1:
            out += [
                f"{where}/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                for e in jsonschema.Draft7Validator(kinds[0]).iter_errors(node)
            ]
        else:
            out.append(f"{where}: {error.message[:300]}")
    return sorted(out)


def _is_kind_of(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    kind = schema.get("properties", {}).get("resource_type", {}).get("const")
    if kind != node.get("resource_type"):
        return False
    if kind == "test":  # GenericTest or SingularTest
        return (schema.get("title") == "GenericTest") == str(node.get("original_file_path", "")).endswith(
            ".yml"
        )
    return True


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
