"""A dbt project (dbt_project.yml, dbt's profiles.yml, no pyflow.yml) runs unchanged.

The `dbt_shop` fixture holds every key dbt 1.11 documents for dbt_project.yml, config keys with
and without `+`, Jinja in config values, package-scoped vars, another package's config tree,
and a profiles.yml (in `profiles/`, found through DBT_PROFILES_DIR) with two profiles.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def shop(copy_project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    project = copy_project("dbt_shop")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project / "profiles"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.pyflow or ~/.dbt of the machine
    for name in ("DBT_SHOP_TARGET", "DBT_SHOP_DB"):
        monkeypatch.delenv(name, raising=False)
    return project


def test_build_reads_the_dbt_project_and_builds_dbts_tables(shop, pyflow, warehouse):
    result = pyflow("build", "--project-dir", shop)

    assert "Done. PASS=5" in result.output
    db = warehouse(shop)
    assert db.relations() == {
        "main.raw_orders": "BASE TABLE",
        "main.stg_orders": "VIEW",  # `materialized: view` written without '+'
        "main_dev_marts.customer_totals": "BASE TABLE",  # +schema: "{{ target.name }}_marts"
    }
    # vars: {dbt_shop: {min_amount: 10}} is this project's scope: the 5 is filtered out
    assert db.rows("SELECT * FROM main_dev_marts.customer_totals ORDER BY ALL") == [
        ("alice", 1, 20),
        ("bob", 1, 30),
    ]
    assert db.rows(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'raw_orders' AND column_name = 'amount'"
    ) == [("INTEGER",)]  # seeds: {dbt_shop: {raw_orders: {+column_types: ...}}}


def test_enabled_from_a_var_in_dbt_project_yml(shop, pyflow, warehouse):
    pyflow("build", "--project-dir", shop, "--vars", "{enable_experimental: true}")

    assert warehouse(shop).rows("SELECT * FROM main_dev_marts.customer_rank ORDER BY ALL") == [
        ("alice", 2),
        ("bob", 1),
    ]


@pytest.mark.parametrize("command", ["run", "ls"])
def test_other_commands_read_the_dbt_project(shop, pyflow, command):
    pyflow("seed", "--project-dir", shop)

    result = pyflow(command, "--project-dir", shop)

    assert "customer_totals" in result.output
    assert "pyflow.yml" not in result.output


def test_compile_reads_the_dbt_project(shop, pyflow):
    result = pyflow("compile", "--project-dir", shop)

    assert "Compiled 2 model(s)" in result.output
    compiled = (
        shop / "target" / "compiled" / "dbt_shop" / "models" / "staging" / "stg_orders.sql"
    ).read_text()
    assert "amount >= 10" in compiled  # the project-scoped var


def test_ls_sees_tags_from_the_top_of_the_models_tree(shop, pyflow):
    names = pyflow(
        "ls", "--project-dir", shop, "--select", "tag:shop", "--resource-type", "model"
    ).stdout.split()

    assert sorted(names) == ["customer_totals", "stg_orders"]


def test_debug_lists_the_keys_pyflow_accepts_but_does_not_use_once(shop, pyflow):
    result = pyflow("debug", "--project-dir", shop)

    assert f"project: dbt_shop ({shop / 'dbt_project.yml'})" in result.output
    lines = [line for line in result.output.splitlines() if "accepted, not used by pyflow" in line]
    assert len(lines) == 2  # dbt_project.yml's keys, then the profile output's
    assert lines[1] == "  accepted, not used by pyflow: external_root"
    listed = lines[0].split(": ", 1)[1].split(", ")
    assert listed[:3] == ["require-dbt-version", "analysis-paths", "docs-paths"]
    assert {"dispatch", "dbt-cloud", "query-comment", "flags"} <= set(listed)
    assert "model-paths" not in listed and "vars" not in listed
    assert "on-run-start" not in listed and "on-run-end" not in listed  # run hooks run (test_hooks.py)
    assert f"profile: {shop / 'profiles' / 'profiles.yml'}  target: dev" in result.output


def test_target_selection_and_env_var_in_profiles(shop, pyflow, warehouse, monkeypatch):
    monkeypatch.setenv("DBT_SHOP_TARGET", "ci")

    pyflow("seed", "--project-dir", shop)

    assert (shop / "ci.duckdb").is_file() and not (shop / "pyflow.duckdb").exists()


def test_target_option_picks_an_output_of_the_projects_profile(shop, pyflow):
    result = pyflow("debug", "--project-dir", shop, "--target", "ci")

    assert "target: ci" in result.output and "schema: ci" in result.output
    assert "other.duckdb" not in result.output  # the other profile of profiles.yml


def test_profiles_dir_option_comes_before_dbt_profiles_dir(shop, pyflow, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "profiles.yml").write_text(
        "dbt_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: elsewhere.duckdb\n",
        encoding="utf-8",
    )

    pyflow("seed", "--project-dir", shop, "--profiles-dir", other)

    assert (shop / "elsewhere.duckdb").is_file()


def test_dbt_profiles_dir_without_profiles_yml_is_an_error(shop, pyflow, monkeypatch, tmp_path):
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))

    result = pyflow("debug", "--project-dir", shop, expect=1)

    assert "no profiles.yml in DBT_PROFILES_DIR" in result.output


def test_home_dbt_profiles_is_the_last_place_looked(shop, pyflow, monkeypatch, tmp_path):
    monkeypatch.delenv("DBT_PROFILES_DIR")
    home_dbt = tmp_path / "home" / ".dbt"
    home_dbt.mkdir(parents=True)
    (shop / "profiles" / "profiles.yml").rename(home_dbt / "profiles.yml")

    result = pyflow("debug", "--project-dir", shop)

    assert f"profile: {home_dbt / 'profiles.yml'}" in result.output


def test_pyflow_yml_beside_dbt_project_yml_wins(shop, pyflow, warehouse):
    (shop / "pyflow.yml").write_text(
        "name: dbt_shop\nprofile: dbt_shop\nvars: {min_amount: 0}\nmodels:\n  +materialized: table\n",
        encoding="utf-8",
    )

    pyflow(
        "build", "--project-dir", shop
    )  # dbt's profiles.yml (DBT_PROFILES_DIR, dbt-duckdb keys) still serves

    assert warehouse(shop).relations()["main.stg_orders"] == "BASE TABLE"
    assert "main.customer_totals" in warehouse(shop).relations()  # dbt_project.yml's +schema not read
    debug = pyflow("debug", "--project-dir", shop).output
    assert f"project: dbt_shop ({shop / 'pyflow.yml'})" in debug
    assert "dbt_project.yml beside it is not read: pyflow.yml takes precedence" in debug
