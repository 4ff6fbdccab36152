"""manifest.json and run_results.json carry the keys of dbt's schemas (manifest v12, run results v6).

Each test names one difference found by validating pyflow's artifacts against dbt-core 1.11's
JSON schemas (tests/compat/schemas/); tests/compat checks whole projects against them.
"""

from __future__ import annotations

from tests.compat.comparison import schema_errors
from tests.integration.conftest import load_json

FILES = {
    "seeds/raw/codes.csv": "code,label\n1,a\n",
    "macros/twice.sql": "{#- doubles -#}\n{% macro twice(x) %}{{ x }} * 2{% endmacro %}\n",
    "models/sources.yml": "sources:\n  - name: crm\n    schema: main\n    tables: [{name: codes}]\n",
    "models/marts/doubled.sql": "select {{ twice('code') }} as d from {{ ref('codes') }}\n"
    "union all select code from {{ source('crm', 'codes') }}",
    "models/marts/schema.yml": "models:\n  - name: doubled\n    columns:\n      - name: d\n        data_tests: [not_null]\n",
    "tests/checks/no_negative.sql": "select * from {{ ref('doubled') }} where d < 0",
}


def _built(make_project, pyflow):
    project = make_project(FILES)
    pyflow("build", "--project-dir", project)
    target = project / "target"
    return target, load_json(target / "manifest.json"), load_json(target / "run_results.json")


def test_artifacts_name_dbts_schema_versions(make_project, pyflow):
    _, manifest, results = _built(make_project, pyflow)
    assert manifest["metadata"]["dbt_schema_version"] == "https://schemas.getdbt.com/dbt/manifest/v12.json"
    assert results["metadata"]["dbt_schema_version"] == "https://schemas.getdbt.com/dbt/run-results/v6.json"
    assert {k: manifest[k] for k in ("docs", "selectors", "group_map", "unit_tests")} == {
        "docs": {},
        "selectors": {},
        "group_map": {},
        "unit_tests": {},
    }


def test_nodes_have_dbts_path_and_tests_their_fqn(make_project, pyflow):
    _, manifest, _ = _built(make_project, pyflow)
    nodes = manifest["nodes"]
    assert nodes["model.proj.doubled"]["path"] == "marts/doubled.sql"
    assert nodes["seed.proj.codes"]["path"] == "raw/codes.csv"
    singular = nodes["test.proj.no_negative"]
    assert (singular["path"], singular["fqn"]) == (
        "checks/no_negative.sql",
        ["proj", "checks", "no_negative"],
    )
    (generic,) = [n for u, n in nodes.items() if u.startswith("test.proj.not_null_doubled_d.")]
    assert (generic["path"], generic["fqn"]) == (
        "not_null_doubled_d.sql",
        ["proj", "marts", "not_null_doubled_d"],
    )


def test_model_refs_and_sources_and_access_as_dbt_writes_them(make_project, pyflow):
    _, manifest, _ = _built(make_project, pyflow)
    model = manifest["nodes"]["model.proj.doubled"]
    assert [(r["name"], r["package"], r["version"]) for r in model["refs"]] == [("codes", None, None)]
    assert model["sources"] == [["crm", "codes"]]
    assert model["config"]["access"] == "protected"


def test_macros_have_dbts_keys_and_their_sql(make_project, pyflow):
    _, manifest, _ = _built(make_project, pyflow)
    assert manifest["macros"]["twice"] == {
        "name": "twice",
        "path": "macros/twice.sql",
        "unique_id": "macro.proj.twice",
        "resource_type": "macro",
        "package_name": "proj",
        "original_file_path": "macros/twice.sql",
        "macro_sql": "{% macro twice(x) %}{{ x }} * 2{% endmacro %}",
        "depends_on": {"macros": []},  # what state:modified.macros follows
    }


def test_results_have_dbts_relation_name(make_project, pyflow):
    _, _, results = _built(make_project, pyflow)
    row = next(r for r in results["results"] if r["unique_id"] == "model.proj.doubled")
    assert (row["relation_name"], row["compiled"], row["compiled_code"]) == (row["relation"], None, None)
    assert row["relation_name"] == '"pyflow"."main"."doubled"'


def test_artifacts_validate_against_dbts_json_schemas(make_project, pyflow):
    target, _, _ = _built(make_project, pyflow)
    assert schema_errors(target / "manifest.json", "manifest_v12") == []
    assert schema_errors(target / "run_results.json", "run_results_v6") == []
