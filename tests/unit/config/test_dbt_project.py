"""dbt_project.yml read as it is: every documented key, dbt's config-tree forms, Jinja in values."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pyflow.config.dbtproject import unused_keys
from pyflow.config.loader import load_project
from pyflow.config.project import load_project_config, project_file
from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, ProjectError

DBT_KEYS_NOT_ACTED_ON = {
    "analysis-paths": '["analyses"]',
    "asset-paths": '["assets"]',
    "docs-paths": '["docs"]',
    "function-paths": '["functions"]',
    "query-comment": '"run by {{ target.name }}"',
    "require-dbt-version": '[">=1.8.0", "<2.0.0"]',
    "quoting": "{database: false, schema: false, identifier: false}",
    "dispatch": "[{macro_namespace: dbt_utils, search_order: [proj, dbt_utils]}]",
    "restrict-access": "true",
    "flags": "{send_anonymous_usage_stats: false}",
    "dbt-cloud": "{project-id: 12345}",
    "sources": "{proj: {+enabled: true}}",
    "unit_tests": "{+enabled: true}",
    "metrics": "{+enabled: true}",
    "semantic-models": "{+enabled: true}",
    "saved-queries": "{+enabled: true}",
    "exposures": "{+enabled: true}",
    "functions": "{+enabled: true}",
}
"""Keys dbt 1.11 documents for dbt_project.yml that pyflow accepts without acting on them."""


def _dbt_project(root: Path, project_yml: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(textwrap.dedent(project_yml).lstrip(), encoding="utf-8")
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


MODELS = {
    "models/staging/stg_a.sql": "select 1 as id",
    "models/marts/fct_a.sql": "select * from {{ ref('stg_a') }}",
    "models/marts/experimental/exp_a.sql": "select * from {{ ref('fct_a') }}",
    "seeds/raw.csv": "id\n1\n",
}


def test_dbt_project_file_is_read_when_there_is_no_pyflow_yml(tmp_path: Path) -> None:
    root = _dbt_project(tmp_path, "name: proj\nprofile: proj\nmodel-paths: [transform]\n")

    cfg, doc = load_project_config(root)

    assert (cfg.name, cfg.profile, cfg.model_paths) == ("proj", "proj", ("transform",))
    assert doc.display == "dbt_project.yml"
    assert project_file(root) == root / "dbt_project.yml"


@pytest.mark.parametrize("key", sorted(DBT_KEYS_NOT_ACTED_ON))
def test_every_documented_dbt_project_key_is_accepted(tmp_path: Path, key: str) -> None:
    root = _dbt_project(
        tmp_path, f"name: proj\nversion: '1.0.0'\nconfig-version: 2\n{key}: {DBT_KEYS_NOT_ACTED_ON[key]}\n"
    )

    cfg, doc = load_project_config(root)

    assert cfg.name == "proj"
    assert unused_keys(doc) == [key]


def test_run_hooks_of_dbt_project_yml_are_read_as_sql_hooks(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path, 'name: proj\non-run-start: ["select 1", "select 2"]\non-run-end: "select 3"\n'
    )

    cfg, doc = load_project_config(root)

    assert cfg.on_run_start == ("select 1", "select 2")
    assert cfg.run_end_hooks == ("select 3",) and cfg.alerts == ()
    assert unused_keys(doc) == []


def test_unused_keys_are_listed_once_in_file_order(tmp_path: Path) -> None:
    body = "".join(f"{k}: {v}\n" for k, v in DBT_KEYS_NOT_ACTED_ON.items())
    root = _dbt_project(tmp_path, "name: proj\n" + body)

    assert unused_keys(load_project_config(root)[1]) == list(DBT_KEYS_NOT_ACTED_ON)


def test_an_unknown_top_level_key_is_still_an_error_with_a_suggestion(tmp_path: Path) -> None:
    root = _dbt_project(tmp_path, "name: proj\nanalysis-path: [analyses]\n")

    with pytest.raises(ProjectError) as info:
        load_project_config(root)

    assert info.value.code == "unknown-config-key"
    assert info.value.path == "dbt_project.yml" and info.value.line == 2
    assert info.value.suggestions[0] == "analysis-paths"


def test_pyflow_yml_takes_precedence_over_dbt_project_yml(tmp_path: Path) -> None:
    root = _dbt_project(tmp_path, "name: from_dbt\n")
    (root / "pyflow.yml").write_text("name: from_pyflow\n", encoding="utf-8")

    cfg, doc = load_project_config(root)

    assert (cfg.name, doc.display) == ("from_pyflow", "pyflow.yml")
    assert project_file(root) == root / "pyflow.yml"
    assert unused_keys(doc) == []


def test_config_keys_without_plus_and_with_plus_both_apply(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          proj:
            staging:
              materialized: table
              tags: [stg]
            marts:
              +materialized: table
              schema: marts
        seeds:
          proj:
            raw:
              delimiter: ";"
              +column_types: {id: INTEGER}
        """,
        {**MODELS, "seeds/raw.csv": "id\n1\n"},
    )

    project = load_project(root)

    stg, fct = project.models["stg_a"].config, project.models["fct_a"].config
    assert (stg.materialized, stg.tags) == ("table", ("stg",))
    assert (fct.materialized, fct.schema_) == ("table", "marts")
    seed = project.seeds["raw"].config
    assert (seed.delimiter, seed.column_types) == (";", {"id": "INTEGER"})


def test_a_mapping_without_plus_is_a_folder_as_in_dbt(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          proj:
            meta: {+tags: [in_meta]}   # a folder named meta, not the meta config
            staging:
              +meta: {owner: bo}
        """,
        {**MODELS, "models/meta/m.sql": "select 1 as id"},
    )

    project = load_project(root)

    assert project.models["fct_a"].config.meta == {}
    assert project.models["stg_a"].config.meta == {"owner": "bo"}
    assert project.models["m"].config.tags == ("in_meta",)


def test_docs_and_seed_full_refresh_are_accepted(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          proj:
            +docs: {node_color: "#cd7f32"}
        seeds:
          proj:
            +full_refresh: false
            +docs:
              show: false
        """,
        MODELS,
    )

    project = load_project(root)

    assert project.models["stg_a"].config.docs.node_color == "#cd7f32"
    assert project.seeds["raw"].config.full_refresh is False
    assert project.seeds["raw"].config.docs.show is False


def test_jinja_in_config_values_is_rendered_with_target_and_vars(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        vars:
          enable_experimental: false
        models:
          proj:
            marts:
              +schema: "{{ target.schema }}_x"
              experimental:
                +enabled: "{{ var('enable_experimental') }}"
        """,
        MODELS,
    )
    target = TargetInfo(name="ci", type="duckdb", schema="analytics", database=None)

    off = load_project(root, target=target)
    on = load_project(root, target=target, vars={"enable_experimental": True})

    assert off.models["fct_a"].config.schema_ == "analytics_x"
    assert "exp_a" not in off.models and "exp_a" in off.disabled
    assert on.models["exp_a"].config.enabled is True


def test_jinja_in_yaml_properties_config_is_rendered(tmp_path: Path) -> None:
    files = {
        **MODELS,
        "models/schema.yml": """
            version: 2
            models:
              - name: stg_a
                config:
                  alias: "stg_{{ target.name }}"
        """,
    }
    root = _dbt_project(tmp_path, "name: proj\n", files)

    project = load_project(root, target=TargetInfo(name="prod", type="duckdb", schema="main", database=None))

    assert project.models["stg_a"].config.alias == "stg_prod"


def test_broken_jinja_in_a_config_value_names_the_file_and_node(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          proj:
            staging:
              +schema: "{{ target.schema "
        """,
        MODELS,
    )

    with pytest.raises(ProjectError) as info:
        load_project(root)

    assert info.value.code == "config-jinja"
    assert (info.value.path, info.value.model) == ("dbt_project.yml", "stg_a")
    assert info.value.line == 5  # the +schema line
    assert "var('x')" in (info.value.hint or "")


def test_an_undefined_var_in_a_config_value_names_the_file(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          +enabled: "{{ var('not_defined') }}"
        """,
        MODELS,
    )

    with pytest.raises(Exception) as info:  # one error per model: an ErrorGroup
        load_project(root)

    errors = getattr(info.value, "errors", [info.value])
    assert errors and all(isinstance(e, CompileError) and e.code == "undefined-var" for e in errors)
    assert {(e.path, e.line) for e in errors} == {("dbt_project.yml", 3)}


def test_other_packages_trees_do_not_apply_and_top_level_keys_apply_to_all(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          +tags: [everywhere]
          proj:
            +materialized: table
          dbt_utils:
            +materialized: ephemeral
            +schema: utils
        """,
        MODELS,
    )

    cfg = load_project(root).models["stg_a"].config

    assert (cfg.materialized, cfg.schema_, cfg.tags) == ("table", None, ("everywhere",))


def test_vars_scoped_to_the_project_win_and_other_scopes_stay_apart(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        vars:
          min_amount: 0
          region: eu
          proj:
            min_amount: 10
          dbt_utils:
            x: 1
        """,
    )

    cfg, _ = load_project_config(root)

    assert cfg.vars["min_amount"] == 10 and cfg.vars["region"] == "eu"
    assert "proj" not in cfg.vars and cfg.vars["dbt_utils"] == {"x": 1}


def test_env_var_in_top_level_values_is_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PROFILE", "shop_ci")
    root = _dbt_project(tmp_path, "name: proj\nprofile: \"{{ env_var('SHOP_PROFILE') }}\"\n")

    assert load_project_config(root)[0].profile == "shop_ci"


def test_no_project_file_names_both_files(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project_config(tmp_path)

    assert info.value.code == "no-project"
    assert "pyflow.yml" in info.value.message and "dbt_project.yml" in info.value.message


TESTED = {
    "models/staging/stg_a.sql": "select 1 as id union all select 1",
    "models/staging/schema.yml": """
        version: 2
        models:
          - name: stg_a
            columns:
              - name: id
                data_tests: [unique, {not_null: {config: {severity: error}}}]
    """,
    "models/marts/fct_a.sql": "select * from {{ ref('stg_a') }}",
    "models/marts/schema.yml": """
        version: 2
        models:
          - name: fct_a
            columns:
              - name: id
                data_tests: [unique]
    """,
}


def test_data_tests_tree_configures_generic_tests_by_folder(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        data_tests:
          +store_failures: true
          proj:
            staging:
              severity: warn
        """,
        TESTED,
    )

    tests = {t.name: t.config for t in load_project(root).tests.values()}

    assert tests["unique_stg_a_id"].severity == "warn"  # the staging folder's tree
    assert tests["not_null_stg_a_id"].severity == "error"  # the test's own config wins
    assert tests["unique_fct_a_id"].severity == "error"  # declared under marts/
    assert all(cfg.store_failures for cfg in tests.values())  # above the project name: every test


def test_tests_tree_jinja_is_rendered_for_generic_tests(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        vars: {strict: false}
        tests:
          +severity: "{{ 'error' if var('strict') else 'warn' }}"
        """,
        TESTED,
    )
    relaxed = {t.name: t.config.severity for t in load_project(root).tests.values()}
    strict = {t.name: t.config.severity for t in load_project(root, vars={"strict": True}).tests.values()}

    assert relaxed == {"unique_stg_a_id": "warn", "not_null_stg_a_id": "error", "unique_fct_a_id": "warn"}
    assert set(strict.values()) == {"error"}


def test_a_misspelled_config_key_in_a_dbt_tree_is_an_error_with_line_and_suggestion(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        models:
          proj:
            staging:
              materialize: view
        """,
    )

    with pytest.raises(ProjectError) as info:
        load_project_config(root)

    assert info.value.code == "unknown-config-key"
    assert (info.value.path, info.value.line) == ("dbt_project.yml", 5)
    assert info.value.suggestions[0] == "+materialized"


def test_broken_jinja_in_the_data_tests_tree_names_its_line(tmp_path: Path) -> None:
    root = _dbt_project(
        tmp_path,
        """
        name: proj
        data_tests:
          proj:
            severity: "{{ nope( }}"
        """,
        TESTED,
    )

    with pytest.raises(ProjectError) as info:
        load_project(root)

    errors = getattr(info.value, "errors", [info.value])
    assert {(e.code, e.path, e.line) for e in errors} == {("config-jinja", "dbt_project.yml", 4)}
