"""Compiling for trino/athena reports every model using something the engine cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest

PROFILES = """
ci:
  target: {engine}
  outputs:
    duckdb: {{type: duckdb, path: ":memory:"}}
    trino: {{type: trino, host: trino.invalid, database: hive, schema: analytics}}
    athena: {{type: athena, s3_staging_dir: "s3://b/r/", region_name: eu-west-1, schema: analytics}}
"""

FILES = {
    "models/sources.yml": """
        version: 2
        sources:
          - name: raw
            schema: raw
            tables:
              - name: events
                columns:
                  - {name: id, data_type: BIGINT}
                  - {name: tags, data_type: VARCHAR}
                  - {name: amount, data_type: DOUBLE}
        """,
    "models/tagged.py": """
        import ibis

        from pyflow import model


        @model(materialized="table")
        def tagged(raw__events: ibis.Table) -> ibis.Table:
            return raw__events.select(
                raw__events.id,
                pos=raw__events.tags.find_in_set(["a", "b"]),
            )
        """,
    "models/bad_sql.sql": """
        select id, amount from {{ source('raw', 'events') }} qualify amount >>> 1
        """,
    "models/fine.sql": """
        select id, amount * 2 as doubled from {{ source('raw', 'events') }}
        """,
}


@pytest.mark.parametrize("engine", ["trino", "athena"])
def test_compile_reports_every_unportable_model_with_file_line_and_operation(
    cli, make_project, tmp_path: Path, engine: str
) -> None:
    project = make_project(FILES, name="port")
    (project / "profiles.yml").write_text(PROFILES.format(engine=engine), encoding="utf-8")

    result = cli("compile", "--project-dir", str(project), "--target", engine)

    assert result.exit_code == 1
    out = result.output
    assert f"{engine} cannot run the Ibis operation 'FindInSet'" in out
    assert "models/tagged.py:10" in out and "model 'tagged'" in out
    assert f"not valid {engine} SQL" in out and "models/bad_sql.sql" in out and "model 'bad_sql'" in out
    assert "[unsupported-operation]" in out
    assert (project / "target" / "compiled" / "port" / "models" / "fine.sql").is_file()


def test_the_same_project_compiles_on_duckdb_apart_from_the_broken_sql(cli, make_project) -> None:
    project = make_project({k: v for k, v in FILES.items() if k != "models/bad_sql.sql"}, name="port")
    (project / "profiles.yml").write_text(PROFILES.format(engine="duckdb"), encoding="utf-8")

    result = cli("compile", "--project-dir", str(project))

    assert result.exit_code == 0, result.output
    assert "Compiled 2 model(s)" in result.output
    # the compiled SQL runs on DuckDB and computes what the models say
    import duckdb

    compiled = project / "target" / "compiled" / "port" / "models"
    con = duckdb.connect()  # its catalog is "memory", as the compiled SQL expects
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.events AS SELECT * FROM (VALUES (1, 'b', 1.5), (2, 'z', 2.0), (3, NULL, 0.5)) AS t(id, tags, amount)"
    )
    tagged = (compiled / "tagged.sql").read_text(encoding="utf-8")
    assert con.execute(f"SELECT * FROM ({tagged}) ORDER BY id").fetchall() == [(1, 1), (2, -1), (3, None)]
    fine = (compiled / "fine.sql").read_text(encoding="utf-8")
    assert con.execute(f"SELECT * FROM ({fine}) ORDER BY id").fetchall() == [(1, 3.0), (2, 4.0), (3, 1.0)]


def test_file_source_without_a_table_fails_on_trino_with_a_fix(cli, make_project) -> None:
    files = {
        "models/sources.yml": """
            version: 2
            sources:
              - name: raw
                external_location: "data/{name}.parquet"
                tables:
                  - name: events
                    columns: [{name: id, data_type: BIGINT}]
            """,
        "models/ids.sql": "select id from {{ source('raw', 'events') }}\n",
    }
    project = make_project(files, name="port")
    (project / "profiles.yml").write_text(PROFILES.format(engine="trino"), encoding="utf-8")

    result = cli("compile", "--project-dir", str(project), "--target", "trino")

    assert result.exit_code == 1
    assert "source 'raw.events' points at files" in result.output
    assert "declare the source's `schema`" in result.output
    assert "[unsupported-file-source]" in result.output


def test_file_source_with_a_schema_reads_files_on_duckdb_and_the_table_on_trino(cli, make_project) -> None:
    files = {
        "models/sources.yml": """
            version: 2
            sources:
              - name: raw
                schema: landing
                external_location: "data/{name}.parquet"
                tables:
                  - name: events
                    columns: [{name: id, data_type: BIGINT}]
            """,
        "models/ids.sql": "select id from {{ source('raw', 'events') }}\n",
    }
    project = make_project(files, name="port")
    profiles = PROFILES.format(engine="trino")
    (project / "profiles.yml").write_text(profiles, encoding="utf-8")
    compiled = project / "target" / "compiled" / "port" / "models" / "ids.sql"

    assert cli("compile", "--project-dir", str(project), "--target", "trino").exit_code == 0
    assert compiled.read_text(encoding="utf-8").strip() == 'select id from "hive"."landing"."events"'
    assert cli("compile", "--project-dir", str(project), "--target", "duckdb").exit_code == 0
    assert "read_parquet(" in compiled.read_text(encoding="utf-8")


STRATEGY_FILES = {
    "models/sources.yml": FILES["models/sources.yml"],
    "models/daily.sql": """
        {{ config(materialized='incremental', unique_key='id') }}
        select id, amount from {{ source('raw', 'events') }}
        """,
    "models/overwritten.py": """
        import ibis

        from pyflow import model


        @model(materialized="incremental", incremental_strategy="insert_overwrite", partitioned_by="id")
        def overwritten(raw__events: ibis.Table) -> ibis.Table:
            return raw__events.select("amount", "id")
        """,
}


def test_an_unsupported_incremental_strategy_fails_at_compile_time_with_file_and_choices(
    cli, make_project
) -> None:
    project = make_project(STRATEGY_FILES, name="port")

    (project / "profiles.yml").write_text(PROFILES.format(engine="athena"), encoding="utf-8")
    athena = cli("compile", "--project-dir", str(project), "--target", "athena")
    (project / "profiles.yml").write_text(PROFILES.format(engine="trino"), encoding="utf-8")
    trino = cli("compile", "--project-dir", str(project), "--target", "trino")
    (project / "profiles.yml").write_text(PROFILES.format(engine="duckdb"), encoding="utf-8")
    duckdb = cli("compile", "--project-dir", str(project))

    # Athena: a unique_key defaults to merge, which Hive tables cannot do; insert_overwrite works
    assert athena.exit_code == 1
    assert (
        "model 'daily' (models/daily.sql:1): athena cannot apply incremental_strategy 'merge' to Hive tables"
        in athena.output
    )
    assert "use append or insert_overwrite, or set table_type: iceberg" in athena.output
    assert "[unsupported-strategy]" in athena.output
    assert "overwritten" not in athena.output
    # Trino and DuckDB apply every strategy
    assert trino.exit_code == 0, trino.output
    assert duckdb.exit_code == 0, duckdb.output
