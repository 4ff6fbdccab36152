"""Loading only what a selection needs gives what loading everything gives (pyflow.config.partial).

The fixture project mixes Python and SQL models, a seed, a source, YAML tests (one a
``relationships`` test pointing at a model outside the selected branch) and a singular test::

    shop.orders (source) -> stg_orders (py) -+-> order_items (sql) -> report (py)
    raw_items (seed) -> stg_items (sql) -----+
    shop.orders -> other_a (sql) -> other_b (py)      other_b.order_id: relationships to stg_orders
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from pyflow.config.loader import load_project
from pyflow.config.partial import Request
from pyflow.runner.selection import COMMAND_TYPES, resolve_selection

FILES = {
    "data/orders.csv": "id,item_id,amount\n1,10,5.0\n2,11,7.5\n3,10,1.0\n",
    "seeds/raw_items.csv": "item_id,label\n10,pen\n11,ink\n",
    "models/sources.yml": """
        version: 2
        sources:
          - name: shop
            external_location: "data/{name}.csv"
            tables:
              - name: orders
        """,
    "models/schema.yml": """
        version: 2
        models:
          - name: stg_orders
            columns:
              - name: id
                data_tests: [not_null, unique]
          - name: other_b
            columns:
              - name: order_id
                data_tests:
                  - relationships:
                      to: ref('stg_orders')
                      field: id
        """,
    "models/stg_orders.py": """
        from pyflow import model

        @model(tags=["staging"])
        def stg_orders(shop__orders):
            return shop__orders.filter(shop__orders.amount > 0)
        """,
    "models/stg_items.sql": "select item_id, label from {{ ref('raw_items') }}\n",
    "models/order_items.sql": """
        {{ config(materialized='table') }}
        select o.id, o.amount, i.label
        from {{ ref('stg_orders') }} o join {{ ref('stg_items') }} i on o.item_id = i.item_id
        """,
    "models/marts/report.py": """
        from pyflow import model

        @model
        def report(order_items):
            return order_items.group_by("label").aggregate(total=order_items.amount.sum())
        """,
    "models/other/other_a.sql": "select id as order_id from {{ source('shop', 'orders') }}\n",
    "models/other/other_b.py": """
        from pyflow import model

        @model
        def other_b(other_a):
            return other_a
        """,
    "tests/report_positive.sql": "select * from {{ ref('report') }} where total <= 0\n",
}
PROFILES = """
proj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: pyflow.duckdb
"""
SELECTIONS = [
    ("stg_orders+",),
    ("report",),
    ("+report",),
    ("@stg_items",),
    ("stg_items+", "other_a"),
    ("1+order_items+1",),
    ("stg_orders+,+report",),
    ("report_positive",),
    ("raw_items+",),
]


@pytest.fixture
def project(make_project) -> Path:
    return make_project({**FILES, "profiles.yml": PROFILES}, project_yml="name: proj\nprofile: proj\n")


def _ids(proj, select, exclude=()):
    return resolve_selection(proj, select, exclude, COMMAND_TYPES["ls"]).ids


@pytest.mark.parametrize("select", SELECTIONS)
def test_partial_load_selects_what_the_full_load_selects(project, select):
    full = load_project(project)
    part = load_project(project, needs=Request(select))

    assert part.partial
    assert _ids(part, select) == _ids(full, select)


def test_partial_load_leaves_unrelated_files_alone(project):
    part = load_project(project, needs=Request(("report",)))

    assert set(part.models) == {"stg_orders", "stg_items", "order_items", "report"}
    assert "report_positive" in part.tests


def test_partial_load_with_exclude_matches_full(project):
    select, exclude = ("stg_orders+",), ("report", "other_b")
    part = load_project(project, needs=Request(select, exclude))

    assert part.partial
    assert _ids(part, select, exclude) == _ids(load_project(project), select, exclude)


def test_partial_load_keeps_the_tests_of_a_selected_node_and_their_parents(project):
    part = load_project(project, needs=Request(("stg_orders",)))

    # the relationships test reads other_b too, so other_b (and other_a) are loaded
    assert {"stg_orders", "other_a", "other_b"} <= set(part.models)
    assert "report" not in part.models
    assert any(t.test_name == "relationships" for t in part.tests.values())


@pytest.mark.parametrize(
    ("select", "why"),
    [
        (("stg_*",), "a glob could match a generic test's name"),
        (("tag:staging",), "tags come from config"),
        (("config.materialized:table",), "config is known only after loading"),
        (("nosuch",), "a name the index does not know"),
        (("path:models/other",), "only names are planned"),
    ],
)
def test_criteria_the_index_cannot_answer_load_everything(project, select, why):
    full = load_project(project)
    part = load_project(project, needs=Request(select))

    assert not part.partial, why
    assert set(part.models) == set(full.models)
    assert _ids(part, select) == _ids(full, select)


def test_a_computed_ref_loads_everything(project):
    (project / "models/other/other_a.sql").write_text(
        "{% set n = 'stg_' ~ 'items' %}select id as order_id from {{ ref(n) }}\n"
    )
    part = load_project(project, needs=Request(("stg_items+",)))

    assert not part.partial
    assert "model.proj.other_a" in _ids(part, ("stg_items+",))


def test_a_macro_calling_ref_loads_everything(project):
    (project / "macros").mkdir()
    (project / "macros/orders.sql").write_text("{% macro orders() %}{{ ref('stg_items') }}{% endmacro %}\n")
    (project / "models/other/other_a.sql").write_text("select id as order_id from {{ orders() }}\n")
    part = load_project(project, needs=Request(("stg_items+",)))

    assert not part.partial
    assert "model.proj.other_a" in _ids(part, ("stg_items+",))


def test_a_model_made_without_the_decorator_syntax_loads_everything(project):
    (project / "models/other/other_b.py").write_text(
        "from pyflow import model\n\ndef other_b(stg_items):\n    return stg_items\n\nother_b = model(other_b)\n"
    )
    part = load_project(project, needs=Request(("stg_items+",)))

    assert not part.partial
    assert "model.proj.other_b" in _ids(part, ("stg_items+",))


def test_an_error_in_a_loaded_file_is_reported_by_a_full_load(project, tmp_path):
    (project / "models/marts/report.py").write_text(
        "from pyflow import model\n\n@model\ndef report(nosuch):\n    return nosuch\n"
    )
    with pytest.raises(Exception, match="nosuch"):
        load_project(project, needs=Request(("report",)))


def test_a_changed_file_is_indexed_again(project):
    select = ("stg_items+",)
    first = load_project(project, needs=Request(select))
    assert "model.proj.other_b" not in _ids(first, select)

    (project / "models/other/other_b.py").write_text(
        "from pyflow import model\n\n@model\ndef other_b(other_a, stg_items):\n    return other_a\n"
    )
    second = load_project(project, needs=Request(select))

    assert second.partial
    assert "model.proj.other_b" in _ids(second, select)
    assert _ids(second, select) == _ids(load_project(project), select)


def _tables(root: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(root / "pyflow.duckdb"), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f'select * from "{n}"').fetchall()) for n in sorted(names)}
    finally:
        con.close()


def test_run_of_a_selection_builds_the_same_tables_and_sql_as_a_full_load(project, make_project, cli):
    full = make_project({**FILES, "profiles.yml": PROFILES}, project_yml="name: proj\nprofile: proj\n")
    for root in (project, full):
        assert cli("build", "--project-dir", str(root)).exit_code == 0
        (root / "data/orders.csv").write_text("id,item_id,amount\n4,11,2.0\n5,10,3.0\n")
    # a glob the index cannot plan: the same run over a full load
    assert cli("run", "--project-dir", str(full), "-s", "+report", "--exclude", "nosuch*").exit_code == 0
    result = cli("run", "--project-dir", str(project), "-s", "+report")
    assert result.exit_code == 0, result.output

    assert _tables(project) == _tables(full)
    compiled = sorted(
        p.relative_to(project / "target/compiled") for p in (project / "target/compiled").rglob("*.sql")
    )
    assert compiled == sorted(
        p.relative_to(full / "target/compiled") for p in (full / "target/compiled").rglob("*.sql")
    )
    for rel in compiled:
        mine = (project / "target/compiled" / rel).read_text().replace(str(project), "<root>")
        assert mine == (full / "target/compiled" / rel).read_text().replace(str(full), "<root>")


def test_found_line_says_when_only_part_of_the_project_loaded(project, cli):
    partial = cli("seed", "--project-dir", str(project), "-s", "raw_items")
    whole = cli("seed", "--project-dir", str(project), "-s", "tag:nosuch")

    assert partial.exit_code == 0, partial.output
    # raw_items has no parents and no tests: no model and no test is loaded
    assert "Found 1 seed, 1 source (loaded what the selection needs)" in partial.output
    assert "Found 6 models, 1 seed, 4 data tests, 1 source\n" in whole.output


def test_a_model_named_like_a_build_temporary_loads_everything(project):
    (project / "models/other/stg_items__pyflow_old_1.sql").write_text("select 1 as x\n")
    part = load_project(project, needs=Request(("stg_items",)))

    assert not part.partial
    assert "stg_items__pyflow_old_1" in part.models


def test_ls_of_a_selection_lists_python_models_without_running_their_modules(project, cli):
    # the module imports a helper that leaves a mark: importing the model module runs it
    (project / "leaves_a_mark.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('imported.txt').write_text('yes')\n"
    )
    (project / "models/marts/report.py").write_text(
        "import leaves_a_mark\nfrom pyflow import model\n\n\n@model(tags=['mart'])\n"
        "def report(order_items):\n    return order_items.group_by('label').aggregate(total=order_items.amount.sum())\n"
    )
    mark = project / "imported.txt"

    partial = cli("ls", "--project-dir", str(project), "-s", "+report", "--output", "json")
    assert partial.exit_code == 0, partial.output
    assert not mark.exists()  # listed from the module's syntax tree

    whole = cli(
        "ls", "--project-dir", str(project), "-s", "+report", "--exclude", "nosuch*", "--output", "json"
    )
    assert whole.exit_code == 0, whole.output
    assert mark.exists()  # a full load imports every model module
    assert partial.output == whole.output

    mark.unlink()
    for name in [m for m in sys.modules if m.startswith(("pyflow_project_", "leaves_a_mark"))]:
        del sys.modules[name]  # as in a new process (the CLI runs in this one here)
    assert cli("seed", "--project-dir", str(project)).exit_code == 0
    run = cli("run", "--project-dir", str(project), "-s", "+report")
    assert run.exit_code == 0, run.output
    assert mark.exists()  # a run imports what it runs
