"""DataFrame models feeding Python and SQL models: one build on an empty database, compile, types."""

from __future__ import annotations

import importlib.util
import textwrap
from typing import Any

import pytest

MAKE = {
    "pandas": "pd.DataFrame({'id': ids, 'name': names})",
    "pyarrow": "pa.table({'id': pa.array(ids, pa.int64()), 'name': names})",
    "polars": "pl.DataFrame({'id': ids, 'name': names})",
}
ANNOTATION = {"pandas": "pd.DataFrame", "pyarrow": "pa.Table", "polars": "pl.DataFrame"}
IMPORT = {"pandas": "import pandas as pd", "pyarrow": "import pyarrow as pa", "polars": "import polars as pl"}


def chain(library: str, frame_body: str = "return make([1, 2, 3], ['a', 'b', 'c'])") -> dict[str, str]:
    """frame (DataFrame model) -> down (Python model) -> final (SQL model) -> report (Python model)."""
    return {
        "models/frame.py": f"""
            {IMPORT[library]}

            from pyflow import model


            def _make(ids, names):
                return {MAKE[library]}


            @model(materialized="table")
            def frame() -> {ANNOTATION[library]}:
                make = _make
                {frame_body}
        """,
        "models/down.py": """
            import ibis

            from pyflow import model


            @model
            def down(frame: ibis.Table) -> ibis.Table:
                return frame.filter(frame.id > 1).mutate(upper=frame.name.upper())
        """,
        "models/final.sql": "select id, upper from {{ ref('down') }}",
        "models/report.py": """
            import ibis

            from pyflow import model


            @model(materialized="table")
            def report(final: ibis.Table) -> ibis.Table:
                return final.aggregate(n=final.count(), top=final.id.max())
        """,
    }


def need(library: str) -> None:
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed (optional): its DataFrame models are not tested")


@pytest.fixture
def frame_project(make_project):
    return make_project


@pytest.mark.parametrize("library", ["pandas", "pyarrow", "polars"])
def test_dataframe_model_feeds_python_and_sql_models_on_an_empty_database(
    library, frame_project, pyflow, warehouse, run_results, manifest
):
    need(library)
    project = frame_project(chain(library))

    result = pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.rows("SELECT id, upper FROM down ORDER BY id") == [(2, "B"), (3, "C")]
    assert db.rows("SELECT * FROM final ORDER BY id") == [(2, "B"), (3, "C")]
    assert db.rows("SELECT n, top FROM report") == [(2, 3)]
    assert {r["status"] for r in run_results(project).values()} == {"success"}
    assert "PASS=4" in result.output
    # the children compiled once the frame ran are in the artifacts too
    compiled = next((project / "target" / "compiled").rglob("down*.sql"))
    assert '"frame"' in compiled.read_text(encoding="utf-8")
    assert '"frame"' in manifest(project)["nodes"]["model.proj.down"]["compiled_code"]


def test_dataframe_chain_compiles_on_an_empty_database(frame_project, pyflow, warehouse):
    project = frame_project(chain("pandas"))

    pyflow("compile", "--project-dir", project)

    compiled = {
        p.stem: p.read_text(encoding="utf-8") for p in (project / "target" / "compiled").rglob("*.sql")
    }
    assert "upper" in compiled["down"].lower() and '"frame"' in compiled["down"]
    assert '"down"' in compiled["final"]
    assert '"final"' in compiled["report"]
    assert "returns a DataFrame" in compiled["frame"]
    assert not (project / "pyflow.duckdb").exists() or warehouse(project).relations() == {}


def test_compile_uses_declared_columns_without_calling_the_dataframe_model(frame_project, pyflow):
    files = chain("pandas", frame_body="raise RuntimeError('called at compile time')")
    files["models/frame.yml"] = """
        version: 2
        models:
          - name: frame
            columns:
              - name: id
                data_type: bigint
              - name: name
                data_type: varchar
    """
    project = frame_project(files)

    pyflow("compile", "--project-dir", project)

    down = next((project / "target" / "compiled").rglob("down*.sql")).read_text(encoding="utf-8")
    assert '"frame"' in down


def test_compile_names_the_fix_when_the_dataframe_model_cannot_be_called(frame_project, pyflow):
    files = {
        "models/raw.sql": "select 1 as id, 'a' as name",
        "models/frame.py": """
            import ibis
            import pandas as pd

            from pyflow import model


            @model(materialized="table")
            def frame(raw: ibis.Table) -> pd.DataFrame:
                return raw.to_pandas()
        """,
        "models/down.py": """
            import ibis

            from pyflow import model


            @model
            def down(frame: ibis.Table) -> ibis.Table:
                return frame.filter(frame.id > 1)
        """,
    }
    project = frame_project(files)

    result = pyflow("compile", "--project-dir", project, expect=1)

    out = " ".join(result.output.split())
    assert "model 'down' (models/down.py:" in out
    assert "the columns of input 'frame' are unknown" in out
    assert "it cannot be called yet" in out
    assert "pyflow build --select +down" in out
    assert "@model(columns=...)" in out
    assert "[dataframe-columns-unknown]" in out
    assert "sources YAML" not in out


def test_run_of_a_child_alone_says_to_build_the_dataframe_model_first(frame_project, pyflow):
    project = frame_project(chain("pandas"))

    result = pyflow("run", "--project-dir", project, "--select", "down", expect=1)

    out = " ".join(result.output.split())
    assert "the columns of input 'frame' are unknown: 'frame' has not been built" in out
    assert "Fix: build it in the same run (`pyflow build --select +down`)" in out
    assert "[dataframe-columns-unknown]" in out


def test_rebuild_recompiles_children_when_the_frame_gains_a_column(frame_project, pyflow, warehouse):
    project = frame_project(chain("pandas"))
    pyflow("build", "--project-dir", project)
    (project / "models" / "frame.py").write_text(
        (project / "models" / "frame.py")
        .read_text(encoding="utf-8")
        .replace(
            "return make([1, 2, 3], ['a', 'b', 'c'])",
            "return make([1, 2, 3], ['a', 'b', 'c']).assign(score=[5, 6, 7])",
        ),
        encoding="utf-8",
    )
    (project / "models" / "down.py").write_text(
        (project / "models" / "down.py")
        .read_text(encoding="utf-8")
        .replace(".upper())", ".upper(), score=frame.score * 10)"),
        encoding="utf-8",
    )

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT id, score FROM down ORDER BY id") == [(2, 60), (3, 70)]


def test_second_build_reuses_the_columns_of_the_built_frame(frame_project, pyflow, warehouse):
    project = frame_project(chain("pandas"))
    pyflow("build", "--project-dir", project)

    result = pyflow("build", "--project-dir", project)

    assert "PASS=4" in result.output
    assert warehouse(project).rows("SELECT n, top FROM report") == [(2, 3)]


def test_model_annotated_pyarrow_table_runs_at_build_time_with_bound_inputs(frame_project, pyflow, warehouse):
    # `-> pa.Table` evaluates to pyarrow.lib.Table: still a DataFrame model, called once, at build time
    project = frame_project(
        {
            "models/raw.sql": "select * from (values (1, 'a'), (2, 'b')) as t(id, name)",
            "models/frame.py": """
                import ibis
                import pyarrow as pa

                from pyflow import model


                @model(materialized="table")
                def frame(raw: ibis.Table) -> pa.Table:
                    return raw.to_pyarrow()
            """,
            "models/down.py": """
                import ibis

                from pyflow import model


                @model
                def down(frame: ibis.Table) -> ibis.Table:
                    return frame.filter(frame.id > 1)
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    assert warehouse(project).rows("SELECT id, name FROM down") == [(2, "b")]


ALL_TYPES = """
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    from pyflow import model

    UTC = dt.timezone.utc


    def rows():
        return pa.table(
            {
                "i": pa.array([1, -(2**40), None], pa.int64()),
                "small": pa.array([1, None, 3], pa.int16()),
                "price": pa.array([Decimal("12.34"), Decimal("-0.01"), None], pa.decimal128(12, 2)),
                "at": pa.array(
                    [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(1999, 12, 31)],
                    pa.timestamp("us"),
                ),
                "at_tz": pa.array(
                    [dt.datetime(2024, 1, 2, 3, 4, 5, 654321, tzinfo=UTC), None, dt.datetime(2000, 1, 1, tzinfo=UTC)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1)], pa.date32()),
                "name": pa.array(["it's", None, "é ü"], pa.string()),
                "flag": pa.array([True, False, None], pa.bool_()),
                "ratio": pa.array([0.5, None, -1.25], pa.float64()),
                "tags": pa.array([[1, 2], [], None], pa.list_(pa.int64())),
                "point": pa.array(
                    [{"x": 1, "label": "a"}, None, {"x": None, "label": "c"}],
                    pa.struct([("x", pa.int64()), ("label", pa.string())]),
                ),
            }
        )


    @model(materialized="table")
    def typed() -> pa.Table:
        return rows()
"""


def test_dataframe_model_types_round_trip_on_duckdb(frame_project, pyflow):
    import duckdb

    project = frame_project(
        {
            "models/typed.py": ALL_TYPES,
            "models/typed_copy.py": """
                import ibis

                from pyflow import model


                @model(materialized="table")
                def typed_copy(typed: ibis.Table) -> ibis.Table:
                    return typed.mutate(i2=typed.i * 2)
            """,
        }
    )

    pyflow("build", "--project-dir", project)

    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(ALL_TYPES), namespace)  # the frame the model returned
    expected = namespace["rows"]().to_pylist()
    con = duckdb.connect(str(project / "pyflow.duckdb"), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        got = con.execute("SELECT * EXCLUDE (i2) FROM typed_copy").to_arrow_table().to_pylist()
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed'"
            ).fetchall()
        )
    finally:
        con.close()
    assert got == expected
    assert types == {
        "i": "BIGINT",
        "small": "SMALLINT",
        "price": "DECIMAL(12,2)",
        "at": "TIMESTAMP",
        "at_tz": "TIMESTAMP WITH TIME ZONE",
        "day": "DATE",
        "name": "VARCHAR",
        "flag": "BOOLEAN",
        "ratio": "DOUBLE",
        "tags": "BIGINT[]",
        "point": 'STRUCT(x BIGINT, "label" VARCHAR)',
    }


def test_declared_column_type_that_is_not_a_type_names_the_column(frame_project, pyflow):
    files = chain("pandas")
    files["models/frame.yml"] = """
        version: 2
        models:
          - name: frame
            columns:
              - name: id
                data_type: bigint
              - name: name
                data_type: "varchar(("
    """
    project = frame_project(files)

    result = pyflow("compile", "--project-dir", project, expect=1)

    out = " ".join(result.output.split())
    assert "model 'frame' (models/frame.py:" in out
    assert "the declared data_type 'varchar((' of column 'name' is not a duckdb type" in out
    assert "[invalid-config]" in out


def test_dataframe_model_without_return_asks_whether_return_is_missing(make_project, pyflow):
    root = make_project(
        {
            "models/frame.py": """
                import pandas as pd

                from pyflow import model


                @model(materialized="table")
                def frame() -> pd.DataFrame:
                    pd.DataFrame({"id": [1]})
            """
        }
    )

    out = pyflow("run", "--project-dir", root, expect=1).output

    assert "model 'frame'" in out and "models/frame.py:7" in out
    assert "the model returned None (is a `return` missing?), not a DataFrame or an Ibis table" in out
    assert "Fix: end the function with `return <DataFrame>`" in out
