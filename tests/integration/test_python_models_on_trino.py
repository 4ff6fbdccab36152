"""Python models built on a live Trino hold the same rows and types as built on DuckDB (issue 13, item 5).

One project, two targets: DuckDB (``dev``) and a schema of its own on the live server. Its chain
is a DataFrame model (``frame``: decimals, timestamps, dates, doubles, text, NULLs in each
column), a Python model joining it with an ``ibis.memtable`` (compiled to ``VALUES`` on Trino;
the memtable brings its own decimal, timestamp and NULLs), and a SQL model computing on both
(decimal arithmetic, timestamp functions, ``coalesce``). Every relation is compared between the
engines column by column (name and type: decimal precision and scale exactly, ``timestamp``
whatever its precision, ``varchar`` whatever its length) and row by row, values as the drivers
return them (``Decimal``, naive ``datetime``, ``None``) with no rounding.

Found here: the memtable's microseconds (``since``) were lost on Trino, Ibis's timestamp
literal (``from_iso8601_timestamp``) keeping milliseconds only; they are now inlined as strings
cast to the column's type (:mod:`pyflow.compile.runtime`). ``hive`` is not a catalog of this
test: it cannot store the memtable's ``timestamp(6)`` (docs/deploying-trino.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.trino, pytest.mark.slow]

MODELS = {
    "models/frame.py": """
        import datetime as dt
        from decimal import Decimal

        import pyarrow as pa

        from pyflow import model


        @model(materialized="table")
        def frame() -> pa.Table:
            return pa.table(
                {
                    "id": pa.array([1, 2, 3, 4], pa.int64()),
                    "price": pa.array(
                        [Decimal("12.34"), Decimal("-0.01"), None, Decimal("99999999.99")], pa.decimal128(10, 2)
                    ),
                    "seen_at": pa.array(
                        [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(1999, 12, 31), dt.datetime(2024, 2, 29, 23, 59, 59)],
                        pa.timestamp("us"),
                    ),
                    "day": pa.array([dt.date(2024, 2, 29), dt.date(1970, 1, 1), None, dt.date(2000, 1, 1)], pa.date32()),
                    "ratio": pa.array([0.5, None, -1.25, 3.0], pa.float64()),
                    "name": pa.array(["it's", None, "é ü", "d"], pa.string()),
                }
            )
    """,
    "models/enriched.py": """
        import datetime as dt
        from decimal import Decimal

        import ibis
        import pyarrow as pa

        from pyflow import model


        @model(materialized="table")
        def enriched(frame: ibis.Table) -> ibis.Table:
            rates = ibis.memtable(
                pa.table(
                    {
                        "id": pa.array([1, 2, 3, 5], pa.int64()),
                        "rate": pa.array([Decimal("1.5"), Decimal("0.25"), None, Decimal("2")], pa.decimal128(5, 2)),
                        "since": pa.array(
                            [dt.datetime(2020, 5, 6, 7, 8, 9, 500123), None, dt.datetime(2021, 1, 1), dt.datetime(2022, 1, 1)],
                            pa.timestamp("us"),
                        ),
                        "label": pa.array(["one", "two", None, "five"], pa.string()),
                    }
                )
            )
            joined = frame.left_join(rates, "id")
            return joined.select(
                "id", "price", "seen_at", "day", "ratio", "name", "rate", "since", "label"
            )
    """,
    "models/final.sql": """
        select
            id,
            price * rate as amount,
            coalesce(price, cast(0 as decimal(10, 2))) as price_or_zero,
            coalesce(since, seen_at) as first_seen,
            date_trunc('day', seen_at) as at_day,
            case when ratio > 0 then name end as positive_name,
            coalesce(label, name) as label
        from {{ ref('enriched') }}
    """,
}
RELATIONS = ["enriched", "final", "frame"]

_TYPES = [
    (re.compile(r"^timestamp(\(\d+\))?$"), "timestamp"),
    (re.compile(r"^(varchar|character varying)(\(\d+\))?$"), "varchar"),
    (re.compile(r"^(decimal|numeric)\((\d+),\s*(\d+)\)$"), r"decimal(\2,\3)"),
]


def canonical(data_type: str) -> str:
    """A type name both engines spell alike (``TIMESTAMP`` / ``timestamp(6)``, ``VARCHAR`` / ``varchar``)."""
    text = data_type.lower().strip()
    for pattern, name in _TYPES:
        if pattern.match(text):
            return pattern.sub(name, text)
    return text


def ordered(found: list[Any]) -> list[tuple[Any, ...]]:
    """Rows sorted by their first column (``id``, unique and never NULL here)."""
    return sorted((tuple(r) for r in found), key=lambda r: r[0])


class TrinoSide:
    def __init__(self, server: Any, catalog: str) -> None:
        import trino

        self.catalog, self.schema = catalog, f"pyflow_pymodels_{uuid.uuid4().hex[:8]}"
        self.con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow")

    def fetch(self, sql: str) -> list[Any]:
        cur = self.con.cursor()
        cur.execute(sql)
        return cur.fetchall()

    def columns(self, name: str) -> list[tuple[str, str]]:
        return [
            (str(c), canonical(str(t)))
            for c, t in self.fetch(
                f"SELECT column_name, data_type FROM {self.catalog}.information_schema.columns "
                f"WHERE table_schema = '{self.schema}' AND table_name = '{name}' ORDER BY ordinal_position"
            )
        ]

    def drop(self) -> None:
        for name, kind in self.fetch(
            f"SELECT table_name, table_type FROM {self.catalog}.information_schema.tables "
            f"WHERE table_schema = '{self.schema}'"
        ):
            self.fetch(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} {self.catalog}.{self.schema}."{name}"')
        self.fetch(f"DROP SCHEMA IF EXISTS {self.catalog}.{self.schema}")
        self.con.close()


@pytest.fixture(params=["iceberg", "memory"])
def both(
    request: pytest.FixtureRequest, trino_server: Any, make_project: Any
) -> Iterator[tuple[Path, TrinoSide]]:
    """The project (targets ``dev``: DuckDB, ``tr``: the live catalog) and its Trino schema."""
    catalog = request.param
    if catalog not in trino_server.catalogs:
        pytest.skip(f"the Trino server at {trino_server.url} has no catalog {catalog!r}")
    side = TrinoSide(trino_server, catalog)
    profiles = f"""
        proj:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: pyflow.duckdb
            tr:
              type: trino
              host: {trino_server.host}
              port: {trino_server.port}
              user: pyflow
              database: {catalog}
              schema: {side.schema}
    """
    project = make_project({"pyflow.yml": "name: proj\nprofile: proj\n", "profiles.yml": profiles, **MODELS})
    try:
        yield project, side
    finally:
        side.drop()


def test_python_models_with_a_memtable_on_trino_equal_duckdb_rows_and_types(
    both: tuple[Path, TrinoSide], pyflow: Any, warehouse: Any
) -> None:
    project, side = both
    pyflow("run", "--project-dir", project)
    pyflow("run", "--project-dir", project, "--target", "tr")

    duck = warehouse(project)
    for name in RELATIONS:
        duck_columns = [
            (str(c), canonical(str(t)))
            for c, t in duck.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = 'main' AND table_name = '{name}' ORDER BY ordinal_position"
            )
        ]
        assert side.columns(name) == duck_columns, name
        duck_rows = ordered(duck.rows(f'SELECT * FROM main."{name}"'))
        trino_rows = ordered(side.fetch(f'SELECT * FROM {side.catalog}.{side.schema}."{name}"'))
        assert trino_rows == duck_rows, name
    # the comparison saw the values it is about: decimals, microseconds and NULLs made it through
    final = dict((r[0], r) for r in side.fetch(f"SELECT * FROM {side.catalog}.{side.schema}.final"))
    assert len(final) == 4 and final[3][1] is None and final[1][1] is not None
