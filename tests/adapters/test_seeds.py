"""Seeds on Trino and Athena, on a recording connection: CTAS + INSERT ... VALUES batches."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.seedbatch import infer_type
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job, SeedFile
from pyflow.materializers.seed import SeedMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, RecordingConnection, copy_example
from tests.adapters.recording import athena_adapter as _athena

TRINO_REL = Relation("hive", "analytics", "codes")
ATHENA_REL = Relation("awsdatacatalog", "shop", "codes")
SMALL = "id,name,price,active,day,at\n1,Ann,1.5,true,2024-01-02,2024-01-02T03:04:05\n2,,2,FALSE,,\n"


def _trino(con: RecordingConnection) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "h", "database": "hive", "schema": "analytics"}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    adapter.open()
    return adapter


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_trino_seed_builds_by_ctas_from_values_then_swaps_in(tmp_path: Path) -> None:
    con = RecordingConnection(schemas={"analytics"}, row_count=2)
    adapter = _trino(con)
    job = Job("codes", TRINO_REL, adapter, seed=SeedFile(_csv(tmp_path, SMALL)))
    outcome = SeedMaterializer().build(job)
    assert (outcome.message, outcome.rows) == ("loaded", 2)
    tmp = '"hive"."analytics"."codes__pyflow_tmp_aaaaaaaa"'
    assert con.sent() == [
        f"CREATE TABLE {tmp} AS\n"
        'SELECT CAST("id" AS BIGINT) AS "id", CAST("name" AS VARCHAR) AS "name", '
        'CAST("price" AS DOUBLE) AS "price", CAST("active" AS BOOLEAN) AS "active", '
        'CAST("day" AS DATE) AS "day", CAST("at" AS TIMESTAMP) AS "at"\n'
        "FROM (VALUES\n"
        "('1', 'Ann', '1.5', 'true', '2024-01-02', '2024-01-02 03:04:05'),\n"
        "('2', NULL, '2', 'false', NULL, NULL)\n"
        ') AS pyflow_seed ("id", "name", "price", "active", "day", "at")',
        f"SELECT count(*) FROM {tmp}",  # the rows are checked before the swap
        f'ALTER TABLE {tmp} RENAME TO "hive"."analytics"."codes"',
    ]
    assert job.log.statements == [con.sent()[0], con.sent()[2]]


def test_athena_seed_is_a_parquet_ctas_at_the_adapter_location_with_column_type_overrides(
    tmp_path: Path,
) -> None:
    adapter = _athena(RecordingConnection())
    statements = adapter.seed_statements(
        ATHENA_REL, _csv(tmp_path, "id,zip\n1,02134\n"), {"zip": "VARCHAR(5)"}, ","
    )
    location = adapter.data_location(ATHENA_REL, None)
    assert location == f"s3://bucket/tables/shop/codes/{adapter.unique_suffix(ATHENA_REL)}/"
    assert statements == [
        'CREATE TABLE "awsdatacatalog"."shop"."codes"\n'
        "WITH (\n"
        f"  external_location = '{location}',\n"
        "  format = 'PARQUET'\n"
        ") AS\n"
        'SELECT CAST("id" AS BIGINT) AS "id", CAST("zip" AS VARCHAR(5)) AS "zip"\n'
        "FROM (VALUES\n"
        "('1', '02134')\n"
        ') AS pyflow_seed ("id", "zip")'
    ]


def test_athena_large_seed_needs_three_batches_under_the_query_limit(tmp_path: Path) -> None:
    assert AthenaAdapter.max_query_bytes == 262_144
    lines = [f"{i},{'x' * 150}{i}" for i in range(3500)]  # ~ 600 KB of VALUES
    adapter = _athena(RecordingConnection())
    statements = adapter.seed_statements(
        ATHENA_REL, _csv(tmp_path, "id,label\n" + "\n".join(lines) + "\n"), {}, ","
    )
    assert len(statements) == 3
    assert statements[0].startswith('CREATE TABLE "awsdatacatalog"."shop"."codes"\nWITH (')
    for stmt in statements[1:]:
        assert stmt.startswith(
            'INSERT INTO "awsdatacatalog"."shop"."codes" ("id", "label")\nSELECT CAST("id" AS BIGINT)'
        )
    assert all(len(s.encode()) <= 262_144 for s in statements)
    assert len(statements[0].encode()) > 262_144 - 200  # batches are filled, not just split
    sent = [row.rstrip(",") for s in statements for row in s.splitlines() if row.startswith("('")]
    assert sent == [f"('{i}', '{'x' * 150}{i}')" for i in range(3500)]  # each row once, in order


def test_trino_seed_batches_follow_the_class_limit(tmp_path: Path) -> None:
    class Small(TrinoAdapter):
        max_query_bytes = 400

    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "h", "database": "hive", "schema": "analytics"}
    )
    adapter = Small(config, invocation_id=INVOCATION_A, connect=RecordingConnection)
    statements = adapter.seed_statements(
        TRINO_REL, _csv(tmp_path, "n\n" + "\n".join(map(str, range(100)))), {}, ","
    )
    assert len(statements) > 2
    assert all(len(s.encode()) <= 400 for s in statements)
    values = [r.rstrip(",") for s in statements for r in s.splitlines() if r.startswith("(")]
    assert values == [f"('{n}')" for n in range(100)]


def test_seed_values_are_quoted_and_escaped(tmp_path: Path) -> None:
    text = (
        'name;note\n"O\'Brien";"say ""hi"""\n;NULL\nZürich 🚀;""\n"a;b";"line one\nline two"\n'
        "back\\slash;''\n"
    )
    adapter = _trino(RecordingConnection())
    (statement,) = adapter.seed_statements(TRINO_REL, _csv(tmp_path, text), {}, ";")
    assert statement.split("FROM (VALUES\n")[1].split("\n) AS pyflow_seed")[0] == (
        "('O''Brien', 'say \"hi\"'),\n"
        "(NULL, 'NULL'),\n"  # an empty field is NULL; the text NULL stays text
        "('Zürich 🚀', NULL),\n"
        "('a;b', 'line one\nline two'),\n"
        "('back\\slash', '''''')"
    )
    assert sqlglot.parse_one(statement, read="trino") is not None


@pytest.mark.parametrize("engine", ["trino", "athena"])
def test_seed_statements_load_the_csv_values_with_their_types(tmp_path: Path, engine: str) -> None:
    """The statements, read in the engine's dialect and run on DuckDB, make the CSV's typed rows."""
    import datetime as dt

    import duckdb

    adapter = _athena(RecordingConnection()) if engine == "athena" else _trino(RecordingConnection())
    rel = ATHENA_REL if engine == "athena" else TRINO_REL
    con = duckdb.connect()
    con.execute(f"ATTACH ':memory:' AS {rel.database}")
    con.execute(f"CREATE SCHEMA {rel.database}.{rel.schema}")
    for statement in adapter.seed_statements(rel, _csv(tmp_path, SMALL), {}, ","):
        for sql in sqlglot.transpile(statement, read=engine, write="duckdb"):
            con.execute(sql)

    table = f'"{rel.database}"."{rel.schema}"."{rel.identifier}"'
    assert con.execute(f"DESCRIBE {table}").fetchall() == [
        (name, kind, "YES", None, None, None)
        for name, kind in [
            ("id", "BIGINT"),
            ("name", "VARCHAR"),
            ("price", "DOUBLE"),
            ("active", "BOOLEAN"),
            ("day", "DATE"),
            ("at", "TIMESTAMP"),
        ]
    ]
    assert con.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == [
        (1, "Ann", 1.5, True, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5)),
        (2, None, 2.0, False, None, None),
    ]


def test_seed_with_only_a_header_creates_an_empty_table(tmp_path: Path) -> None:
    adapter = _trino(RecordingConnection())
    assert adapter.seed_statements(TRINO_REL, _csv(tmp_path, "id,name\n"), {"id": "BIGINT"}, ",") == [
        'CREATE TABLE "hive"."analytics"."codes" AS\n'
        'SELECT CAST(NULL AS BIGINT) AS "id", CAST(NULL AS VARCHAR) AS "name"\nWHERE false'
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-2", None, "+3"], "BIGINT"),
        (["1", "2.5", "1e3"], "DOUBLE"),
        (["9223372036854775808"], "DOUBLE"),
        (["true", "False", None], "BOOLEAN"),
        (["2024-02-29", "2023-01-01"], "DATE"),
        (["2024-02-30"], "VARCHAR"),
        (["2024-01-01 10:00:00", "2024-01-01T10:00:00.123"], "TIMESTAMP"),
        (["2024-01-01", "2024-01-01 10:00:00"], "VARCHAR"),
        (["1", "a"], "VARCHAR"),
        ([None, None], "VARCHAR"),
        (["nan", "inf"], "VARCHAR"),
    ],
)
def test_seed_column_type_inference(values: list[str | None], expected: str) -> None:
    assert infer_type(values) == expected


def test_seed_csv_that_cannot_be_read_is_a_seed_error(tmp_path: Path) -> None:
    adapter = _trino(RecordingConnection())
    path = tmp_path / "codes.csv"
    path.write_bytes(b"a\n\xff\xfe\n")
    with pytest.raises(AdapterError, match="cannot be read") as info:
        adapter.seed_statements(TRINO_REL, path, {}, ",")
    assert info.value.code == "seed-csv-invalid"
    with pytest.raises(AdapterError, match="no header row"):
        adapter.seed_statements(TRINO_REL, _csv(tmp_path, ""), {}, ",")


def test_seed_with_a_ragged_row_names_file_line_and_fix(tmp_path: Path) -> None:
    adapter = _trino(RecordingConnection())
    with pytest.raises(AdapterError) as info:
        adapter.seed_statements(TRINO_REL, _csv(tmp_path, "a,b\n1,2\n3\n"), {}, ",")
    err = info.value
    assert err.code == "seed-csv-invalid"
    assert err.path and err.path.endswith("codes.csv") and err.line == 3
    assert err.model == "codes" and "Fix:" in str(err)


def test_seed_row_over_the_query_limit_is_an_error(tmp_path: Path) -> None:
    # fields under the csv module's 131,072-character field limit, 265 KB together
    adapter = _athena(RecordingConnection())
    with pytest.raises(AdapterError, match="262,144-byte query limit") as info:
        adapter.seed_statements(
            ATHENA_REL,
            _csv(tmp_path, "a,b,c\n" + "x" * 130_000 + "," + "y" * 130_000 + "," + "z" * 5_000 + "\n"),
            {},
            ",",
        )
    assert info.value.code == "seed-csv-invalid"


def test_trino_seed_failing_in_a_later_batch_drops_the_new_table_and_keeps_the_old(tmp_path: Path) -> None:
    class Small(TrinoAdapter):
        max_query_bytes = 400

    con = RecordingConnection(
        schemas={"analytics"},
        tables={("analytics", "codes"): "BASE TABLE"},
        fail_on=lambda sql: sql.startswith("INSERT INTO"),
    )
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "h", "database": "hive", "schema": "analytics"}
    )
    adapter = Small(config, invocation_id=INVOCATION_A, connect=lambda: con)
    adapter.open()
    job = Job(
        "codes", TRINO_REL, adapter, seed=SeedFile(_csv(tmp_path, "n\n" + "\n".join(map(str, range(60)))))
    )
    with pytest.raises(AdapterError):
        SeedMaterializer().build(job)
    sent = con.sent()
    tmp = '"hive"."analytics"."codes__pyflow_tmp_aaaaaaaa"'
    assert sent[0].startswith(f"CREATE TABLE {tmp} AS\n")
    assert sent[1].startswith(f"INSERT INTO {tmp} ")
    assert sent[2:] == [f"DROP TABLE IF EXISTS {tmp}"]  # the old table was never touched


def test_trino_seed_reload_rebuilds_and_swaps(tmp_path: Path) -> None:
    con = RecordingConnection(
        schemas={"analytics"}, tables={("analytics", "codes"): "BASE TABLE"}, row_count=1
    )
    adapter = _trino(con)
    SeedMaterializer().build(Job("codes", TRINO_REL, adapter, seed=SeedFile(_csv(tmp_path, "n\n1\n"))))
    tmp = '"hive"."analytics"."codes__pyflow_tmp_aaaaaaaa"'
    old = '"hive"."analytics"."codes__pyflow_old_aaaaaaaa"'
    assert [s.split("\n")[0] for s in con.sent()] == [
        f"CREATE TABLE {tmp} AS",
        f"SELECT count(*) FROM {tmp}",
        f'ALTER TABLE "hive"."analytics"."codes" RENAME TO {old}',
        f'ALTER TABLE {tmp} RENAME TO "hive"."analytics"."codes"',
        f"DROP TABLE IF EXISTS {old}",
    ]


def test_pyflow_seed_on_trino_sends_the_batched_statements(
    cli, tmp_path: Path, remote_profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = RecordingConnection(row_count=15)  # the rows of seeds/country_codes.csv
    monkeypatch.setattr(TrinoAdapter, "connect", lambda self: con)
    project = copy_example("shop", tmp_path)
    args = ("--project-dir", str(project), "--profiles-dir", str(remote_profiles), "--target", "trino")
    result = cli("seed", *args)
    assert result.exit_code == 0, result.output
    creates = [s for s in con.sent() if s.startswith("CREATE TABLE") and "pyflow_run_history" not in s]
    assert len(creates) == 1  # the seed's (the run history table is created after it)
    assert "FROM (VALUES\n" in creates[0] and "read_csv" not in "\n".join(con.sent())
    assert any(s.startswith("ALTER TABLE") and "RENAME TO" in s for s in con.sent())
