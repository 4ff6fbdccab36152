"""DDL of blue-green releases that differs by engine: dropping an emptied release schema.

Everything else a release does (CREATE TABLE AS to carry history, CREATE OR REPLACE VIEW to
publish, DROP TABLE/VIEW for retention) goes through the adapter interface of
:mod:`pyflow.adapters.base`; this module holds only what that interface lacks, so the large
adapter modules do not grow. Engine differences are kept here, inside ``adapters/``.
"""

from __future__ import annotations

from pyflow.adapters.base import Adapter
from pyflow.relation import Relation


def drop_schema_sql(adapter: Adapter, database: str | None, schema: str) -> str:
    """``DROP SCHEMA IF EXISTS`` of an empty schema (Athena: Hive DDL, backticks, no catalog)."""
    if adapter.type == "athena":
        return f"DROP SCHEMA IF EXISTS `{schema}`"
    return f"DROP SCHEMA IF EXISTS {Relation(database, schema, '').render(adapter.quote).rstrip('.')}"


def is_publish_atomic(adapter: Adapter) -> bool:
    """True when all production views of a release can be replaced in one transaction."""
    return adapter.capabilities.transactions
