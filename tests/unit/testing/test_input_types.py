"""Fixture inputs typed like the real tables: built relation, else declared columns, else inferred.

Each case feeds strings and leaves columns out; the model only runs when the fixture was cast
to the input's real types (``day + 1`` on a VARCHAR does not bind) and the left-out columns
were added as NULLs of their type.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pyflow.compile.model import Columns
from pyflow.core.node import Node
from pyflow.relation import Relation
from pyflow.testing.model import ProjectHarness
from pyflow.testing.unit import run_unit_test

FILES = {
    "models/sources.yml": """
        sources:
          - name: raw
            tables:
              - name: partial
                columns:
                  - {name: id, data_type: BIGINT}
                  - {name: day, data_type: DATE}
                  - {name: amount, data_type: "DECIMAL(10,2)"}
                  - {name: note}
              - name: undeclared
        models:
          - name: declared_model
            columns:
              - {name: id, data_type: BIGINT}
              - {name: day, data_type: DATE}
              - {name: extra}
    """,
    # SQL and Python consumers of a partially declared source
    "models/partial_sql.sql": """
        select id, day + 1 as next_day, amount * 2 as doubled, note
        from {{ source('raw', 'partial') }}
    """,
    "models/partial_py.py": """
        import ibis

        from pyflow import model


        @model
        def partial_py(raw__partial: ibis.Table) -> ibis.Table:
            t = raw__partial
            return t.select(t.id, next_day=t.day + ibis.interval(days=1), doubled=t.amount * 2)
    """,
    # a SQL model whose columns cannot be inferred (its source declares none) but are declared
    "models/declared_model.sql": """
        select id, day, extra from {{ source('raw', 'undeclared') }}
    """,
    "models/after_declared_py.py": """
        import ibis

        from pyflow import model


        @model
        def after_declared_py(declared_model: ibis.Table) -> ibis.Table:
            t = declared_model
            return t.select(t.id, next_day=t.day + ibis.interval(days=1))
    """,
    "models/after_declared_sql.sql": """
        select id, day + 1 as next_day from {{ ref('declared_model') }}
    """,
    # reads a source nothing declares: only the built relation knows its types
    "models/undeclared_sql.sql": """
        select id, day + 1 as next_day, amount * 2 as doubled from {{ source('raw', 'undeclared') }}
    """,
    "models/unit.yml": """
        unit_tests:
          - name: test_undeclared_typed_like_the_built_table
            model: undeclared_sql
            given:
              - input: source('raw', 'undeclared')
                rows:
                  - {id: 1, day: "2024-01-02"}
            expect:
              rows:
                - {id: 1, next_day: 2024-01-03, doubled: null}
    """,
}
STRING_DAYS = pd.DataFrame({"id": [1, 2], "day": ["2024-01-02", None]})


def _types(harness, model, inputs) -> dict[str, str]:
    """The column types the model produces on ``inputs``."""
    with harness.prepared(model, inputs) as run:
        out = Relation("memory", "main", "__types")
        run.create(out)
        return {c.name: c.data_type for c in run.adapter.get_columns(out)}


@pytest.fixture
def harness(make_project):
    return ProjectHarness(make_project(FILES))


@pytest.mark.parametrize("model", ["partial_sql", "partial_py"])
def test_partially_declared_source_casts_typed_columns_and_adds_left_out_ones(harness, model):
    given = STRING_DAYS.assign(note=["a", "b"]) if model == "partial_sql" else STRING_DAYS

    out = harness.run(model, {"raw.partial": given}).sort_values("id")

    assert out["next_day"].tolist()[0] == pd.Timestamp(2024, 1, 3)
    assert out["next_day"].isna().tolist() == [False, True]
    assert out["doubled"].isna().all()  # `amount` was left out: NULL of its declared type
    assert _types(harness, model, {"raw.partial": given})["doubled"].startswith("DECIMAL")


@pytest.mark.parametrize("model", ["after_declared_py", "after_declared_sql"])
def test_declared_model_columns_type_fixtures_when_inference_cannot(harness, model):
    out = harness.run(model, {"declared_model": STRING_DAYS}).sort_values("id")

    assert out["next_day"].tolist()[0] == pd.Timestamp(2024, 1, 3)
    assert out["next_day"].isna().tolist() == [False, True]


def test_built_relation_types_come_first(make_project):
    built: list[str] = []

    def built_columns(node: Node) -> Columns | None:
        built.append(node.name)
        if node.name == "raw.undeclared":
            return (("id", "int64"), ("day", "date"), ("amount", "decimal(10, 2)"))
        return None

    harness = ProjectHarness(make_project(FILES), built_columns=built_columns)
    outcome = run_unit_test(harness, harness.project.tests["test_undeclared_typed_like_the_built_table"])

    assert outcome.ok, outcome.message
    assert built == ["raw.undeclared"]


def test_built_relation_wins_over_declared_types(make_project):
    def built_columns(node: Node) -> Columns | None:  # the table was built with a timestamp
        return (("id", "int64"), ("day", "timestamp")) if node.name == "declared_model" else None

    harness = ProjectHarness(make_project(FILES), built_columns=built_columns)
    given = pd.DataFrame({"id": [1], "day": ["2024-01-02 10:30:00"]})

    out = harness.run("after_declared_py", {"declared_model": given})

    assert out["next_day"].tolist() == [pd.Timestamp(2024, 1, 3, 10, 30)]  # a DATE cast would drop the time


def test_without_any_types_the_fixture_keeps_its_own(harness):
    given = pd.DataFrame({"id": [1], "day": [dt.date(2024, 1, 2)], "extra": ["x"]})

    out = harness.run("declared_model", {"raw.undeclared": given})

    assert out.to_dict("records") == [{"id": 1, "day": pd.Timestamp(2024, 1, 2), "extra": "x"}]


def test_declared_type_duckdb_cannot_read_falls_back_to_the_inferred_one(make_project):
    files = {
        **FILES,
        "models/sources.yml": FILES["models/sources.yml"].replace(
            "{name: day, data_type: DATE}\n                  - {name: amount",
            "{name: day, data_type: DATE}\n                  - {name: seen_at, data_type: 'timestamp(3) with time zone'}\n                  - {name: amount",
        ),
    }
    harness = ProjectHarness(make_project(files))

    out = harness.run("partial_py", {"raw.partial": STRING_DAYS})

    assert out["next_day"].tolist()[0] == pd.Timestamp(2024, 1, 3)
