"""OpenLineage dataset names: each engine's namespace as OpenLineage's naming spec writes it.

The spec (``spec/Naming.md``) names a dataset by a namespace for its data source and a name
inside it: Trino ``trino://{host}:{port}`` with ``{catalog}.{schema}.{table}``; Athena
``awsathena://athena.{region}.amazonaws.com`` with ``{catalog}.{database}.{table}``. DuckDB,
which the spec does not list, follows the same pattern: ``duckdb://{absolute file path}``
(``duckdb://:memory:``) with ``{database}.{schema}.{table}``. Files read directly (file
sources) are ``file`` with the absolute path, or ``{scheme}://{bucket}`` with the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.relation import Relation


def _duckdb(config: Any) -> str:
    path = str(config.path)
    return f"duckdb://{path if path == ':memory:' else Path(path).resolve().as_posix()}"


def _trino(config: Any) -> str:
    return f"trino://{config.host}:{config.port}"


def _athena(config: Any) -> str:
    return f"awsathena://athena.{config.region_name}.amazonaws.com"


NAMESPACES: dict[str, Callable[[Any], str]] = {"duckdb": _duckdb, "trino": _trino, "athena": _athena}


def dataset_namespace(adapter: Adapter) -> str:
    """The OpenLineage namespace of the relations ``adapter``'s target holds."""
    return NAMESPACES[adapter.type](adapter.config)


def dataset_name(adapter: Adapter, relation: Relation) -> str:
    """``database.schema.table`` (unquoted), the target's database filling a missing one."""
    parts = (relation.database or adapter.database, relation.schema or adapter.schema, relation.identifier)
    return ".".join(p for p in parts if p)


def file_dataset(location: str) -> tuple[str, str]:
    """``(namespace, name)`` of files read directly: a local path or an ``s3://bucket/key`` URL."""
    if "://" in location:
        scheme, rest = location.split("://", 1)
        bucket, _, key = rest.partition("/")
        return f"{scheme}://{bucket}", key
    return "file", Path(location).resolve().as_posix()
