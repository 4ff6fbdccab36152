"""dbt packages in dbt_packages/: their macros, dispatch, generic tests and vars; `pyflow deps`.

The packages here are small ones written for these tests, with the shapes of dbt_utils and
dbt_date macros (dispatched implementations, ``_private`` helpers, ``{% test %}`` blocks that
dispatch, package-scoped vars).
"""

from __future__ import annotations

import json
from pathlib import Path

UTILS = {
    "dbt_packages/my_utils/dbt_project.yml": "name: my_utils\nmacro-paths: [macros]\nvars:\n  my_utils:sep: '-'\n",
    "dbt_packages/my_utils/macros/key.sql": """\
        {% macro surrogate_key(fields) %}{{ return(adapter.dispatch('surrogate_key', 'my_utils')(fields)) }}{% endmacro %}
        {% macro default__surrogate_key(fields) %}md5({{ _joined(fields) }}){% endmacro %}
        {% macro _joined(fields) %}{{ fields | join(" || '" ~ var('my_utils:sep') ~ "' || ") }}{% endmacro %}
        {% macro label() %}package{% endmacro %}
        {% macro which_label() %}{{ label() }}{% endmacro %}
        """,
    "dbt_packages/my_utils/macros/tests.sql": """\
        {% test unique_combination(model, columns) %}
        {{ return(adapter.dispatch('test_unique_combination', 'my_utils')(model, columns)) }}
        {% endtest %}
        {% macro default__test_unique_combination(model, columns) %}
        select {{ columns | join(', ') }} from {{ model }} group by {{ columns | join(', ') }} having count(*) > 1
        {% endmacro %}
        """,
}

ORDERS = "seeds/orders.csv"


def _project(make_project, files: dict[str, str], **kwargs) -> Path:
    return make_project({**UTILS, ORDERS: "a,b\n1,x\n2,x\n2,y\n", **files}, **kwargs)


def test_package_macros_in_their_namespace_with_dispatch_private_helpers_and_vars(
    make_project, pyflow, warehouse
):
    project = _project(
        make_project,
        {
            "macros/label.sql": "{% macro label() %}root{% endmacro %}",
            "models/keyed.sql": (
                "select {{ my_utils.surrogate_key(['a', 'b']) }} as k, md5(a || '-' || b) as expected, "
                "'{{ my_utils.which_label() }}' as package_label, '{{ label() }}' as root_label "
                "from {{ ref('orders') }}"
            ),
        },
    )
    pyflow("build", "--project-dir", project)
    rows = warehouse(project).rows("select k = expected, package_label, root_label from keyed")
    # inside the package its own label() wins; in the root project the root's
    assert rows == [(True, "package", "root")] * 3


def test_root_dispatch_implementation_overrides_the_package(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "macros/key.sql": "{% macro duckdb__surrogate_key(fields) %}'root'{% endmacro %}",
            "models/keyed.sql": "select {{ my_utils.surrogate_key(['a']) }} as k",
        },
    )
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select k from keyed") == [("root",)]


def test_root_vars_override_package_vars(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "models/keyed.sql": "select {{ my_utils.surrogate_key(['a', 'b']) }} = md5(a || '+' || b) as ok from {{ ref('orders') }}"
        },
        project_yml="name: proj\nvars:\n  my_utils:sep: '+'\n",
    )
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select distinct ok from keyed") == [(True,)]


def test_package_generic_test_runs_with_dbts_name(make_project, pyflow):
    project = _project(
        make_project,
        {
            "models/o.sql": "select * from {{ ref('orders') }}",
            "models/o.yml": """\
                models:
                  - name: o
                    data_tests:
                      - my_utils.unique_combination: {columns: [a, b]}
                      - my_utils.unique_combination: {columns: [a]}
                """,
        },
    )
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "PASS test my_utils_unique_combination_o_a__b" in result.output
    assert "FAIL" in result.output and "my_utils_unique_combination_o_a " in result.output
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    ids = [k for k in manifest["nodes"] if k.startswith("test.proj.my_utils_unique_combination_o_a__b.")]
    assert len(ids) == 1
    assert manifest["macros"]["my_utils.surrogate_key"] == {
        "name": "surrogate_key",
        "path": "dbt_packages/my_utils/macros/key.sql",
        # dbt's keys (its v12 manifest schema)
        "unique_id": "macro.my_utils.surrogate_key",
        "resource_type": "macro",
        "package_name": "my_utils",
        "original_file_path": "dbt_packages/my_utils/macros/key.sql",
        "macro_sql": "{% macro surrogate_key(fields) %}{{ return(adapter.dispatch('surrogate_key', 'my_utils')(fields)) }}"
        "{% endmacro %}",
        "depends_on": {"macros": ["macro.my_utils.default__surrogate_key"]},
    }


def test_unknown_package_macro_names_the_package_and_close_names(make_project, pyflow):
    project = _project(make_project, {"models/m.sql": "select {{ my_utils.surrogate_kye(['a']) }} as k"})
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "package 'my_utils' has no macro 'surrogate_kye'" in result.output
    assert "surrogate_key" in result.output and "[undefined-macro]" in result.output


def test_declared_package_not_installed_is_an_error_saying_pyflow_deps(make_project, pyflow):
    project = make_project(
        {
            "packages.yml": "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n",
            "models/m.sql": "select 1 as x",
        }
    )
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "packages.yml:2" in result.output
    assert "package 'dbt-labs/dbt_utils' is declared in packages.yml but not installed" in result.output
    assert "pyflow deps" in result.output and "[package-not-installed]" in result.output


def test_declared_and_vendored_package_builds_offline(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "packages.yml": "packages:\n  - git: 'https://example.invalid/org/my-utils.git'\n",
            "models/keyed.sql": "select {{ my_utils.surrogate_key([\"'x'\"]) }} as k",
        },
    )
    pyflow("build", "--project-dir", project)
    assert len(warehouse(project).rows("select k from keyed")) == 1


def test_invalid_packages_yml_names_the_line(make_project, pyflow):
    project = make_project({"packages.yml": "packages:\n  - version: 1.0\n", "models/m.sql": "select 1 as x"})
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "packages.yml:2" in result.output and "[invalid-packages]" in result.output


def test_deps_links_local_packages_and_explains_unreachable_ones(tmp_path, make_project, pyflow, warehouse):
    lib = tmp_path / "lib"
    (lib / "macros").mkdir(parents=True)
    (lib / "dbt_project.yml").write_text("name: my_lib\n")
    (lib / "macros" / "one.sql").write_text("{% macro one() %}1{% endmacro %}")
    project = make_project(
        {
            "packages.yml": "packages:\n  - local: ../lib\n",
            "models/m.sql": "select {{ my_lib.one() }} as x",
        }
    )
    result = pyflow("deps", "--project-dir", project)
    assert "installed my_lib (local: ../lib) in dbt_packages/my_lib/" in result.output
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select x from m") == [(1,)]

    (project / "packages.yml").write_text(
        "packages:\n  - local: ../lib\n  - tarball: 'http://example.invalid/pkg.tar.gz'\n"
    )
    result = pyflow("deps", "--project-dir", project, expect=1)
    assert (
        "packages.yml:3" in result.output
        and "cannot install package 'http://example.invalid/pkg.tar.gz'" in result.output
    )
    assert "vendor it" in result.output and "[package-install-failed]" in result.output


def test_package_models_and_seeds_join_the_dag_with_the_root_config_tree(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "dbt_packages/my_utils/seeds/calendar.csv": "day\n2024-01-01\n2024-01-02\n",
            "dbt_packages/my_utils/models/days.sql": (
                "select day, '{{ label() }}' as made_by, '{{ this.identifier }}' as t from {{ ref('calendar') }}"
            ),
            "models/report.sql": (
                "select count(*) as n, min(made_by) as made_by from {{ ref('my_utils', 'days') }} "
                "join {{ ref('calendar') }} using (day)"
            ),
        },
        project_yml="name: proj\nmodels:\n  my_utils:\n    +materialized: table\n",
    )
    pyflow("build", "--project-dir", project)
    db = warehouse(project)
    assert db.rows("select n, made_by from report") == [(2, "package")]
    assert db.rows("select table_type from information_schema.tables where table_name = 'days'") == [
        ("BASE TABLE",)
    ]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert manifest["nodes"]["model.my_utils.days"]["fqn"] == ["my_utils", "days"]
    assert "seed.my_utils.calendar" in manifest["nodes"]


def test_package_macros_read_undefined_names_as_empty_flags_and_the_catalog(make_project, pyflow, warehouse):
    # dbt_utils' shapes: a variable set in one branch only, `flags.X is defined and flags.X`,
    # load_relation() and the Column methods of get_columns_in_relation
    catalog = """\
        {% macro described(rel) %}
        {%- if false %}{% set prefix = 'never' %}{% endif -%}
        {%- set empty = flags.EMPTY is defined and flags.EMPTY -%}
        {%- set found = load_relation(rel) is not none -%}
        {%- set kinds = [] -%}
        {%- for col in adapter.get_columns_in_relation(rel) -%}
        {%- do kinds.append(col.name ~ ':' ~ ('s' if col.is_string() else 'n' if col.is_number() else '?')) -%}
        {%- endfor -%}
        '{{ prefix }}|{{ empty }}|{{ found }}|{{ kinds | join(",") }}'
        {%- endmacro %}
        """
    project = _project(
        make_project,
        {
            "dbt_packages/my_utils/macros/catalog.sql": catalog,
            "models/m.sql": "select {{ my_utils.described(ref('orders')) }} as d",
        },
    )
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select d from m") == [("|None|True|a:n,b:s",)]


def test_root_macros_keep_strict_undefined_names(make_project, pyflow):
    project = _project(make_project, {"models/m.sql": "select '{{ nosuch }}' as d"})
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "'nosuch' is undefined" in result.output


def test_fail_calc_set_inside_a_package_test_measures_its_rows(make_project, pyflow):
    same_count = """\
        {% test same_count(model, other) %}
        {{ config(fail_calc='sum(diff)') }}
        select abs((select count(*) from {{ model }}) - (select count(*) from {{ other }})) as diff
        {% endtest %}
        """
    project = _project(
        make_project,
        {
            "dbt_packages/my_utils/macros/same_count.sql": same_count,
            "seeds/two.csv": "a\n1\n2\n",
            "models/o.sql": "select * from {{ ref('orders') }}",
            "models/o.yml": """\
                models:
                  - name: o
                    data_tests:
                      - my_utils.same_count: {other: "ref('orders')"}
                      - my_utils.same_count: {other: "ref('two')"}
                """,
        },
    )
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "PASS test my_utils_same_count_o_ref_orders_" in result.output
    assert "FAIL test my_utils_same_count_o_ref_two_" in result.output


def test_a_package_models_properties_bring_their_tests_and_docs(make_project, pyflow):
    project = _project(
        make_project,
        {
            "dbt_packages/my_utils/models/days.sql": "select 1 as id union all select 1",
            "dbt_packages/my_utils/models/days.yml": """\
                models:
                  - name: days
                    description: one row per day
                    columns:
                      - name: id
                        data_tests: [unique]
                """,
        },
    )
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "FAIL test unique_days_id" in result.output
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert manifest["nodes"]["model.my_utils.days"]["description"] == "one row per day"
    assert next(k for k in manifest["nodes"] if k.startswith("test.")).startswith(
        "test.my_utils.unique_days_id."
    )


def test_deps_installs_the_dependencies_of_packages(tmp_path, make_project, pyflow, warehouse):
    for name, deps in {"a": "packages:\n  - local: ../b\n", "b": ""}.items():
        (tmp_path / name / "macros").mkdir(parents=True)
        (tmp_path / name / "dbt_project.yml").write_text(f"name: pkg_{name}\n")
        (tmp_path / name / "macros" / "m.sql").write_text(f"{{% macro {name}() %}}'{name}'{{% endmacro %}}")
        if deps:
            (tmp_path / name / "packages.yml").write_text(deps)
    project = make_project(
        {
            "packages.yml": "packages:\n  - local: ../a\n",
            "models/m.sql": "select {{ pkg_a.a() }} || {{ pkg_b.b() }} as x",
        }
    )
    result = pyflow("deps", "--project-dir", project)
    assert "installed pkg_b (local: ../b)" in result.output
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select x from m") == [("ab",)]


def test_a_package_file_that_does_not_parse_fails_only_what_uses_it(make_project, pyflow, warehouse):
    files = {
        "dbt_packages/my_utils/macros/broken.sql": "{% macro broken() %}{% if %}{% endmacro %}",
        "dbt_packages/my_utils/macros/mat.sql": (
            "{% materialization custom, adapter='duckdb' %}{{ return({'relations': []}) }}{% endmaterialization %}\n"
            "{% macro beside() %}'beside'{% endmacro %}"
        ),
        "models/ok.sql": "select {{ my_utils.beside() }} as x",
    }
    project = _project(make_project, files)
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select x from ok") == [("beside",)]

    project = _project(make_project, {**files, "models/bad.sql": "select {{ my_utils.broken() }} as x"})
    result = pyflow("build", "--project-dir", project, expect=1)
    assert "macro 'my_utils.broken' cannot be used" in result.output
    assert "dbt_packages/my_utils/macros/broken.sql" in result.output and "[jinja-syntax]" in result.output


def test_dispatch_search_order_puts_a_shim_package_before_the_package(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "dbt_packages/shim/dbt_project.yml": "name: shim\n",
            "dbt_packages/shim/macros/key.sql": "{% macro duckdb__surrogate_key(fields) %}'shim'{% endmacro %}",
            "models/keyed.sql": "select {{ my_utils.surrogate_key(['a']) }} as k",
            "dbt_project.yml": (
                "name: proj\ndispatch:\n  - macro_namespace: my_utils\n    search_order: [shim, my_utils]\n"
            ),
        },
    )
    (project / "pyflow.yml").unlink()
    pyflow("build", "--project-dir", project)
    assert warehouse(project).rows("select k from keyed") == [("shim",)]


def test_a_package_own_config_tree_applies_below_the_root_projects(make_project, pyflow, warehouse):
    project = _project(
        make_project,
        {
            "dbt_packages/my_utils/dbt_project.yml": (
                "name: my_utils\nmodels:\n  my_utils:\n    +materialized: table\n    marts:\n      +schema: pkg\n"
            ),
            "dbt_packages/my_utils/models/marts/days.sql": "select 1 as id",
            "dbt_packages/my_utils/models/plain.sql": "select 1 as id",
        },
        project_yml="name: proj\nmodels:\n  my_utils:\n    marts:\n      +materialized: view\n",
    )
    pyflow("build", "--project-dir", project)
    rows = warehouse(project).rows(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_name in ('days', 'plain') order by table_name"
    )
    assert rows == [("main_pkg", "days", "VIEW"), ("main", "plain", "BASE TABLE")]
