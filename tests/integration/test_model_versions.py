"""dbt's model versions on DuckDB: one relation ``<model>_v<v>`` per version (none under the
plain name, as in dbt 1.11), ``ref('model', v=N)`` / ``version=N`` and ``ref('model')`` for the
latest, versioned unique ids in the manifest, and per-version columns (include/exclude)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROPS = """
    models:
      - name: dim
        {latest}
        columns:
          - name: id
            description: the key
          - name: old
            description: dropped in v2
        versions:
          - v: 1
          - v: 2
            defined_in: dim_latest
            columns:
              - include: all
                exclude: [old]
              - name: label
                description: new in v2
"""

FILES = {
    "pyflow.yml": json.dumps({"name": "proj"}),
    "models/dim_v1.sql": "{{ config(materialized='table') }}\nselect 1 as id, 'x' as old\n",
    "models/dim_latest.sql": "{{ config(materialized='table') }}\nselect 2 as id, 'two' as label\n",
    "models/uses_v1.sql": "select id from {{ ref('dim', v=1) }}\n",
    "models/uses_v2.sql": "select id from {{ ref('dim', version=2) }}\n",
    "models/uses_latest.sql": "select id from {{ ref('dim') }}\n",
}


def _project(make_project: Any, latest: str = "") -> Path:
    return make_project({**FILES, "models/props.yml": PROPS.format(latest=latest)})


def test_versions_build_one_relation_per_version_and_refs_resolve(make_project, pyflow, warehouse):
    project = _project(make_project)

    pyflow("run", "--project-dir", project)

    db = warehouse(project)
    names = sorted(
        r[0] for r in db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    )
    assert names == ["dim_v1", "dim_v2", "uses_latest", "uses_v1", "uses_v2"]  # no 'dim', no 'dim_latest'
    assert db.rows("SELECT id FROM main.uses_v1") == [(1,)]
    assert db.rows("SELECT id FROM main.uses_v2") == [(2,)]
    assert db.rows("SELECT id FROM main.uses_latest") == [(2,)]  # the highest version


def test_versions_latest_version_picks_what_ref_without_a_version_means(make_project, pyflow, warehouse):
    project = _project(make_project, latest="latest_version: 1")

    pyflow("run", "--project-dir", project)

    assert warehouse(project).rows("SELECT id FROM main.uses_latest") == [(1,)]


def test_versions_manifest_has_dbts_versioned_ids_and_columns(make_project, pyflow):
    project = _project(make_project)

    pyflow("compile", "--project-dir", project)

    nodes = json.loads((project / "target" / "manifest.json").read_text())["nodes"]
    v1, v2 = nodes["model.proj.dim.v1"], nodes["model.proj.dim.v2"]
    assert (v1["name"], v1["version"], v1["latest_version"], v1["alias"]) == ("dim", 1, 2, "dim_v1")
    assert (v2["name"], v2["version"], v2["latest_version"], v2["alias"]) == ("dim", 2, 2, "dim_v2")
    assert v2["original_file_path"] == "models/dim_latest.sql"
    assert sorted(v1["columns"]) == ["id", "old"]
    assert sorted(v2["columns"]) == ["id", "label"]  # include all, exclude old, plus its own
    assert nodes["model.proj.uses_v1"]["depends_on"]["nodes"] == ["model.proj.dim.v1"]
    assert nodes["model.proj.uses_v2"]["depends_on"]["nodes"] == ["model.proj.dim.v2"]
    assert nodes["model.proj.uses_latest"]["depends_on"]["nodes"] == ["model.proj.dim.v2"]


def test_versions_a_ref_to_a_missing_version_names_the_model_and_versions(make_project, pyflow):
    project = make_project(
        {
            **FILES,
            "models/props.yml": PROPS.format(latest=""),
            "models/uses_v9.sql": "select * from {{ ref('dim', v=9) }}\n",
        }
    )

    result = pyflow("run", "--project-dir", project, expect=1)

    assert "model 'uses_v9'" in result.output and "'dim.v9'" in result.output
    assert "dim.v1" in result.output or "dim.v2" in result.output  # did you mean


def test_versions_selectors_by_model_name_and_version(make_project, pyflow):
    project = _project(make_project)

    def listed(*select: str) -> list[str]:
        out = pyflow("ls", "--project-dir", project, "--resource-type", "model", "--select", *select).output
        return sorted(line.strip() for line in out.splitlines() if line.strip() and "[" not in line)

    assert listed("dim") == ["dim_latest", "dim_v1"]  # every version of dim
    assert listed("version:latest") == ["dim_latest"]
    assert listed("version:old") == ["dim_v1"]
    assert listed("version:none") == ["uses_latest", "uses_v1", "uses_v2"]
