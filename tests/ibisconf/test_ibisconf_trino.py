"""Ibis conformance on a live Trino: the SQL pyflow compiles for Trino, run there, against pandas.

The source tables are created with the rows of ``reference.INPUTS`` in a schema of their own in
the server's ``memory`` catalog; the project is compiled for a target on that server (the way
``pyflow compile --target`` does); each model's SQL runs there and its rows and kinds of type
are compared with the pandas computation, as on DuckDB. Skipped without a server (the
``trino_server`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from pyflow.adapters.trino import TrinoAdapter
from pyflow.testing import assert_frame_equal

from .reference import EXPECTED, INPUTS
from .suite import MODELS, UNSUPPORTED, assert_same_kinds, compile_all, copy_project

pytestmark = pytest.mark.trino
CATALOG = "memory"
LIVE_MODELS = [m for m in MODELS if ("trino", m) not in UNSUPPORTED]
PROFILES = """
ibisconf:
  target: live
  outputs:
    live:
      type: trino
      host: "{host}"
      port: {port}
      user: pyflow
      database: {catalog}
      schema: {schema}
"""
_KINDS = {
    "boolean": "boolean",
    "tinyint": "integer",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "real": "floating",
    "double": "floating",
    "decimal": "decimal",
    "varchar": "text",
    "char": "text",
    "timestamp": "timestamp",
    "date": "date",
    "array": "list",
    "row": "struct",
}


def trino_kind(type_name: str) -> str:
    """The kind of a Trino type name (``varchar(3)``, ``timestamp(3)``, ``array(varchar)``...)."""
    base = type_name.split("(")[0].strip().lower()
    return _KINDS.get(base, base)


def _literal(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        return f"DOUBLE '{float(value)!r}'"
    return str(int(value))


def _source_types(project: Path) -> dict[str, list[tuple[str, str]]]:
    import yaml

    spec = yaml.safe_load((project / "models" / "sources.yml").read_text(encoding="utf-8"))
    return {
        f"{src['name']}.{table['name']}": [(c["name"], c["data_type"]) for c in table["columns"]]
        for src in spec["sources"]
        for table in src["tables"]
    }


@pytest.fixture(scope="module")
def live(
    trino_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    """A cursor on the server; the project compiled for it, and compiled with nothing refused."""
    import trino

    if CATALOG not in trino_server.catalogs:
        pytest.skip(f"the Trino server has no '{CATALOG}' catalog")
    schema = f"pyflow_ibisconf_{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("ibisconf_trino")
    project = copy_project(folder / "project")
    sources = project / "models" / "sources.yml"
    # the source tables live in this run's own schema (another run may be loading its own)
    sources.write_text(
        sources.read_text(encoding="utf-8").replace(
            "  - name: shop\n", f"  - name: shop\n    schema: {schema}\n"
        ),
        encoding="utf-8",
    )
    (folder / "profiles.yml").write_text(
        PROFILES.format(host=trino_server.host, port=trino_server.port, catalog=CATALOG, schema=schema),
        encoding="utf-8",
    )
    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow", catalog=CATALOG)
    cur = con.cursor()

    def run(sql: str) -> list[Any]:
        cur.execute(sql)
        return cur.fetchall()

    run(f"CREATE SCHEMA {CATALOG}.{schema}")
    try:
        for name, columns in _source_types(project).items():
            table = f"{CATALOG}.{schema}.{name.split('.')[1]}"
            run(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
            frame = INPUTS[name]
            rows = [
                "(" + ", ".join(_literal(frame[c].iloc[i]) for c, _ in columns) + ")"
                for i in range(len(frame))
            ]
            run(f"INSERT INTO {table} VALUES {', '.join(rows)}")
        compiled = compile_all(project, "live", profiles_dir=folder)
        with pytest.MonkeyPatch.context() as patch:  # what Ibis emits when pyflow does not refuse
            everything = replace(TrinoAdapter.capabilities, asof_join=True, unnest_struct_arrays=True)
            patch.setattr(TrinoAdapter, "capabilities", everything)
            unchecked = compile_all(project, "live", profiles_dir=folder)
        yield cur, compiled, unchecked
    finally:
        for (table,) in run(f"SHOW TABLES FROM {CATALOG}.{schema}"):
            run(f"DROP TABLE {CATALOG}.{schema}.{table}")
        run(f"DROP SCHEMA {CATALOG}.{schema}")
        con.close()


@pytest.mark.parametrize("model", LIVE_MODELS)
def test_trino_rows_match_pandas(live, model: str) -> None:
    cur, compiled, _ = live
    sql = compiled[model]
    assert isinstance(sql, str), f"trino cannot compile {model}: {sql}"

    cur.execute(sql)
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    kinds = {d[0]: trino_kind(d[1]) for d in cur.description}
    actual = pd.DataFrame([list(r) for r in rows], columns=names)
    expected = pa.Table.from_pandas(EXPECTED[model](dict(INPUTS)), preserve_index=False)

    assert_same_kinds("trino", model, kinds, expected)
    assert_frame_equal(actual, expected)


REFUSED = sorted(m for e, m in UNSUPPORTED if e == "trino")


@pytest.mark.parametrize("model", REFUSED)
def test_trino_rejects_the_sql_pyflow_refuses_to_compile(live, model: str) -> None:
    """Each refusal is right: the SQL Ibis emits for the operation fails on Trino."""
    import trino

    cur, compiled, unchecked = live
    assert getattr(compiled[model], "code", None) == "unsupported-operation"
    assert isinstance(unchecked[model], str)

    with pytest.raises(trino.exceptions.TrinoUserError):
        cur.execute(unchecked[model])
        cur.fetchall()
