"""``pyflow migrate``: pyflow.yml for a dbt project; ``--to-python`` SQL -> Ibis models with the same rows.

Each SQL model below is built, translated with ``migrate --to-python MODEL --write`` (which
replaces the .sql by a .py), built again, and its rows compared with the SQL version's: same
column names, same rows (order-insensitive), on real DuckDB. Constructs without an exact
translation are refused, naming the construct and its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SEEDS = {
    "seeds/orders.csv": "order_id,customer_id,amount,status\n1,1,10.5,completed\n2,1,20,returned\n"
    "3,2,30,completed\n4,3,5,pending\n5,2,,completed\n",
    "seeds/customers.csv": "customer_id,name\n1,Ana\n2,Bo\n4,Dee\n",
}

SHAPES = {
    "select_where": "select order_id, amount * 2 as double_amount from {{ ref('orders') }} "
    "where status = 'completed' and amount is not null",
    "inner_join": "select o.order_id, c.name from {{ ref('orders') }} as o "
    "join {{ ref('customers') }} as c on o.customer_id = c.customer_id",
    "left_join": "select o.order_id, c.name, coalesce(c.name, 'unknown') as label "
    "from {{ ref('orders') }} o left join {{ ref('customers') }} c on o.customer_id = c.customer_id",
    "group_by": "select customer_id, count(*) as n, sum(amount) as total, avg(amount) as mean, "
    "max(amount) as top, count(distinct status) as statuses "
    "from {{ ref('orders') }} group by customer_id having count(*) > 1",
    "order_limit": "{{ config(materialized='table') }}select order_id, amount from {{ ref('orders') }} "
    "where amount is not null order by amount desc limit 3",
    "case_cast": "select order_id, case when amount >= 20 then 'big' when amount < 10 then 'small' "
    "else 'medium' end as size, case status when 'completed' then 1 else 0 end as done, "
    "cast(amount as integer) as whole, cast(order_id as varchar) as code, "
    "cast(amount as decimal(10, 2)) as exact from {{ ref('orders') }}",
    "in_between": "select order_id from {{ ref('orders') }} where status in ('completed', 'pending') "
    "and order_id between 2 and 5 and not (customer_id = 3)",
    "cte": "with paid as (select order_id, customer_id, amount from {{ ref('orders') }} "
    "where status = 'completed'), named as (select * from {{ ref('customers') }}) "
    "select p.customer_id, n.name, sum(p.amount) as total from paid p "
    "left join named n on p.customer_id = n.customer_id group by p.customer_id, n.name",
    "distinct_upper": "select distinct upper(status) as status from {{ ref('orders') }}",
}


def _rows(warehouse, project: Path, model: str) -> tuple[list[tuple], list[tuple]]:
    """Column names with their types, and the rows (sorted), of ``model``."""
    db = warehouse(project)
    columns = db.rows(
        "select column_name, data_type from information_schema.columns "
        f"where table_name = '{model}' order by ordinal_position"
    )
    return columns, sorted(db.rows(f"select * from {model}"), key=repr)


@pytest.fixture
def project(make_project) -> Path:
    return make_project({**SEEDS, **{f"models/{name}.sql": sql for name, sql in SHAPES.items()}})


@pytest.mark.parametrize("model", sorted(SHAPES))
def test_python_translation_builds_the_same_rows(project, pyflow, warehouse, model):
    pyflow("build", "--project-dir", project)
    columns, before = _rows(warehouse, project, model)

    pyflow("migrate", "--project-dir", project, "--to-python", model, "--write")

    assert not (project / f"models/{model}.sql").exists()
    code = (project / f"models/{model}.py").read_text(encoding="utf-8")
    assert f"def {model}(" in code
    pyflow("build", "--project-dir", project, "-s", model)
    assert _rows(warehouse, project, model) == (columns, before)


def test_translation_keeps_config_and_names_parameters_as_dependencies(project, pyflow):
    result = pyflow("migrate", "--project-dir", project, "--to-python", "order_limit")

    assert '@model(materialized="table")' in result.stdout.replace("'", '"')
    assert "def order_limit(orders: ibis.Table) -> ibis.Table:" in result.stdout
    assert (project / "models/order_limit.sql").exists()  # printed only


@pytest.mark.parametrize(
    ("sql", "construct", "line"),
    [
        ("select order_id from {{ ref('orders') }}\nunion all select 1 as order_id from {{ ref('orders') }}", "UNION", 1),
        ("with recursive x as (select 1 as a)\nselect a from x", "a recursive CTE", 1),
        ("select order_id,\n  row_number() over (order by amount) as r\nfrom {{ ref('orders') }}", "a window function", 2),
        ("select order_id from {{ ref('orders') }}\nwhere customer_id in (select customer_id from {{ ref('customers') }})", "a subquery", 2),
        ("select order_id + 1 from {{ ref('orders') }}", "an unaliased expression", 1),
        ("select {{ var('x', 1) }} as a from {{ ref('orders') }}", "the Jinja call `var(...)`", 1),
        ("{% if true %}select 1 as a from {{ ref('orders') }}{% endif %}", "the Jinja statement `{% if %}`", 1),
    ],
)  # fmt: skip
def test_untranslatable_constructs_are_refused_by_name(make_project, pyflow, sql, construct, line):
    project = make_project({**SEEDS, "models/m.sql": sql})

    result = pyflow("migrate", "--project-dir", project, "--to-python", "m", expect=1)

    assert f"cannot be translated to Ibis: {construct}" in result.stderr
    assert f"models/m.sql:{line}" in result.stderr
    assert "[cannot-translate]" in result.stderr


def test_not_a_sql_model_is_refused(project, pyflow):
    result = pyflow("migrate", "--project-dir", project, "--to-python", "nosuch", expect=1)

    assert "'nosuch' is not a SQL model" in result.stderr and "[cannot-translate]" in result.stderr


def test_migrate_writes_pyflow_yml_that_builds_the_same_tables(copy_project, pyflow, warehouse):
    project = copy_project("dbt_shop")
    text = (project / "dbt_project.yml").read_text(encoding="utf-8")
    start = text.index("dispatch:")
    end = text.index("restrict-access:")
    (project / "dbt_project.yml").write_text(text[:start] + text[end:], encoding="utf-8")
    listed = pyflow("ls", "--project-dir", project).stdout
    pyflow("build", "--project-dir", project)
    before = warehouse(project).contents()

    result = pyflow("migrate", "--project-dir", project)

    assert f"Wrote {project / 'pyflow.yml'}" in result.stdout
    assert "Left out (accepted by pyflow, not acted on): require-dbt-version, analysis-paths" in result.stdout
    assert (project / "dbt_project.yml").is_file()
    assert pyflow("ls", "--project-dir", project).stdout == listed
    (project / "pyflow.duckdb").unlink()
    pyflow("build", "--project-dir", project)
    assert warehouse(project).contents() == before
    again = pyflow("migrate", "--project-dir", project, expect=1)
    assert "pyflow.yml exists already" in again.stderr and "[cannot-migrate]" in again.stderr


def test_migrate_refuses_a_project_whose_dispatch_pyflow_yml_cannot_hold(copy_project, pyflow):
    project = copy_project("dbt_shop")

    result = pyflow("migrate", "--project-dir", project, expect=1)

    assert "dbt_project.yml sets dispatch:" in result.stderr
    assert "pyflow: dbt_project.yml:30: " in result.stderr and "[cannot-migrate]" in result.stderr
    assert not (project / "pyflow.yml").exists()


def test_migrate_without_a_dbt_project_says_so(make_project, pyflow):
    project = make_project({"models/a.sql": "select 1 as a"})
    (project / "pyflow.yml").unlink()

    result = pyflow("migrate", "--project-dir", project, expect=1)

    assert "there is no dbt project to migrate" in result.stderr and "[cannot-migrate]" in result.stderr


def test_a_staging_model_of_the_example_translates_to_the_same_rows(copy_project, pyflow, warehouse):
    """examples/shop's stg_customers: a CTE over a source, trim/substr/upper/lower and ``||``."""
    project = copy_project("examples/shop")
    pyflow("run", "--project-dir", project, "-s", "stg_customers")
    before = _rows(warehouse, project, "stg_customers")

    pyflow("migrate", "--project-dir", project, "--to-python", "stg_customers", "--write")
    pyflow("run", "--project-dir", project, "-s", "stg_customers")

    assert "def stg_customers(ecommerce__customers: ibis.Table)" in (
        project / "models/staging/stg_customers.py"
    ).read_text(encoding="utf-8")
    assert _rows(warehouse, project, "stg_customers") == before
    assert len(before[1]) > 10


def test_refusal_names_the_line_of_the_construct(make_project, pyflow):
    project = make_project(
        {
            **SEEDS,
            "models/m.sql": "select\n  order_id,\n  substr(status, order_id) as s\nfrom {{ ref('orders') }}",
        }
    )

    result = pyflow("migrate", "--project-dir", project, "--to-python", "m", expect=1)

    assert "models/m.sql:3" in result.stderr and "Substring" in result.stderr
