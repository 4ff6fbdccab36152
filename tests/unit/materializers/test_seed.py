"""Tests for pyflow.materializers.seed: first load, reload, and changed columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job, SeedFile
from pyflow.materializers.seed import SeedMaterializer
from pyflow.relation import Relation

TARGET = Relation("memory", "main", "codes")


def _job(adapter: DuckDBAdapter, path: Path, text: str, *, full_refresh: bool = False) -> Job:
    path.write_text(text, encoding="utf-8")
    return Job("codes", TARGET, adapter, sql=adapter.csv_scan_sql(path, {}, ","), full_refresh=full_refresh)


def test_seed_first_load_creates_the_table(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    outcome = SeedMaterializer().build(_job(duckdb_adapter, tmp_path / "codes.csv", "code,name\n1,a\n2,b\n"))

    assert (outcome.message, outcome.rows) == ("loaded", 2)
    assert duckdb_adapter.fetchall("SELECT * FROM codes ORDER BY code") == [(1, "a"), (2, "b")]


def test_seed_reload_replaces_rows_and_keeps_the_table(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    path = tmp_path / "codes.csv"
    SeedMaterializer().build(_job(duckdb_adapter, path, "code,name\n1,a\n2,b\n"))
    duckdb_adapter.execute("CREATE VIEW codes_view AS SELECT * FROM codes")

    job = _job(duckdb_adapter, path, "code,name\n3,c\n")
    outcome = SeedMaterializer().build(job)

    assert outcome.rows == 1
    assert duckdb_adapter.fetchall("SELECT * FROM codes_view") == [(3, "c")]
    assert job.log.statements == [
        'DELETE FROM "memory"."main"."codes"',
        f'INSERT INTO "memory"."main"."codes"\n{job.sql}',
    ]


def test_seed_changed_columns_fail_and_keep_the_old_rows(
    tmp_path: Path, duckdb_adapter: DuckDBAdapter
) -> None:
    path = tmp_path / "codes.csv"
    SeedMaterializer().build(_job(duckdb_adapter, path, "code,name\n1,a\n"))

    with pytest.raises(MaterializationError) as info:
        SeedMaterializer().build(_job(duckdb_adapter, path, "code,label\n1,a\n"))

    err = info.value
    assert err.code == "seed-columns-changed"
    assert err.model == "codes"
    assert "name VARCHAR" in err.message and "label VARCHAR" in err.message
    assert "--full-refresh" in (err.hint or "")
    assert duckdb_adapter.fetchall("SELECT * FROM codes") == [(1, "a")]


def test_seed_changed_types_fail_too(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    path = tmp_path / "codes.csv"
    SeedMaterializer().build(_job(duckdb_adapter, path, "code,name\n1,a\n"))

    with pytest.raises(MaterializationError):
        SeedMaterializer().build(_job(duckdb_adapter, path, "code,name\nx1,a\n"))


def test_seed_full_refresh_rebuilds_with_new_columns(tmp_path: Path, duckdb_adapter: DuckDBAdapter) -> None:
    path = tmp_path / "codes.csv"
    SeedMaterializer().build(_job(duckdb_adapter, path, "code,name\n1,a\n"))

    SeedMaterializer().build(_job(duckdb_adapter, path, "code,label\n1,z\n", full_refresh=True))

    assert [c.name for c in duckdb_adapter.get_columns(TARGET)] == ["code", "label"]
    assert duckdb_adapter.fetchall("SELECT * FROM codes") == [(1, "z")]


def test_seed_from_a_seed_file_sends_the_same_statements_on_duckdb(
    tmp_path: Path, duckdb_adapter: DuckDBAdapter
) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,name\n1,a\n", encoding="utf-8")
    scan = duckdb_adapter.csv_scan_sql(path, {"code": "VARCHAR"}, ",")
    assert duckdb_adapter.seed_statements(TARGET, path, {"code": "VARCHAR"}, ",") == [
        duckdb_adapter.create_table_as_sql(TARGET, scan)
    ]
    job = Job("codes", TARGET, duckdb_adapter, sql=scan, seed=SeedFile(path, {"code": "VARCHAR"}, ","))
    SeedMaterializer().build(job)
    assert job.log.statements[0] == duckdb_adapter.create_table_as_sql(
        duckdb_adapter.temp_relation(TARGET), scan
    )
    assert duckdb_adapter.fetchall("SELECT * FROM codes") == [("1", "a")]
