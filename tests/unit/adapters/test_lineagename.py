"""OpenLineage dataset namespaces and names per engine (pyflow.adapters.lineagename)."""

from __future__ import annotations

from pathlib import Path

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.adapters.lineagename import dataset_name, dataset_namespace, file_dataset
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import AthenaTarget, DuckDBTarget, TrinoTarget
from pyflow.relation import Relation


def test_duckdb_namespace_is_the_absolute_file(tmp_path: Path) -> None:
    adapter = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / "w.duckdb")))
    assert dataset_namespace(adapter) == f"duckdb://{(tmp_path / 'w.duckdb').as_posix()}"
    assert dataset_name(adapter, Relation(None, "main", "orders")) == "w.main.orders"
    assert dataset_namespace(DuckDBAdapter.in_memory()) == "duckdb://:memory:"


def test_trino_namespace_is_host_and_port() -> None:
    adapter = TrinoAdapter(TrinoTarget(host="trino.internal", port=8443, catalog="iceberg", schema="a"))
    assert dataset_namespace(adapter) == "trino://trino.internal:8443"
    assert dataset_name(adapter, Relation("iceberg", "marts", "orders")) == "iceberg.marts.orders"


def test_athena_namespace_is_the_regional_endpoint() -> None:
    target = AthenaTarget(s3_staging_dir="s3://b/stage/", region_name="eu-west-1", schema="analytics")
    adapter = AthenaAdapter(target)
    assert dataset_namespace(adapter) == "awsathena://athena.eu-west-1.amazonaws.com"
    assert dataset_name(adapter, Relation(None, "analytics", "orders")) == "awsdatacatalog.analytics.orders"


def test_file_datasets(tmp_path: Path) -> None:
    assert file_dataset("s3://bucket/raw/events/*.parquet") == ("s3://bucket", "raw/events/*.parquet")
    assert file_dataset(str(tmp_path / "e.csv")) == ("file", (tmp_path / "e.csv").as_posix())
