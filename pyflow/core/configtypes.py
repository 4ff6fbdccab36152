"""The typed keyword arguments of ``@model`` and ``@snapshot``: what editors complete and mypy checks.

``@model(**config: Unpack[ModelConfigDict])`` (and ``@snapshot``, ``@generic_test``,
``@data_test`` with theirs) lets an editor complete ``materialized=``,
``unique_key=``, ``incremental_strategy=`` ... and lets mypy flag an unknown key or a value
outside a ``Literal``. The ``Literal`` aliases below are the single source of the accepted
values: the pydantic config models of :mod:`pyflow.core.nodeconfig` use them, and
``tests/unit/test_typing.py`` checks that each TypedDict names exactly the keys pyflow accepts.

Imports nothing but :mod:`typing`, so ``import pyflow`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

Materialized = Literal["view", "table", "ephemeral", "incremental"]
IncrementalStrategy = Literal["append", "merge", "delete+insert", "insert_overwrite", "microbatch"]
BatchSize = Literal["hour", "day", "month", "year"]
OnSchemaChange = Literal["ignore", "fail", "append_new_columns", "sync_all_columns"]
TableType = Literal["hive", "iceberg"]
FileFormat = Literal["parquet", "orc", "avro", "json", "textfile"]
SnapshotStrategy = Literal["timestamp", "check"]
HardDeletes = Literal["ignore", "invalidate", "new_record"]
Severity = Literal["error", "warn"]
Access = Literal["private", "protected", "public"]

ColumnNames = str | Sequence[str]
"""One column, or a list of columns."""

IN_FILE_ONLY_KEYS = ("columns", "tests")
"""Keys ``@model``/``@snapshot`` accept beyond the config models: column docs and data tests."""


class DocsConfigDict(TypedDict, total=False):
    """``docs=``: whether the docs site shows the node, and its colour there (dbt's)."""

    show: bool
    node_color: str


class HookDict(TypedDict, total=False):
    """A hook as a mapping (dbt's shape): the SQL, and whether dbt runs it in the transaction."""

    sql: str
    transaction: bool


Hooks = str | HookDict | Sequence[str | HookDict]
"""One SQL hook, or a list of them."""


class ContractDict(TypedDict, total=False):
    """``contract=``: dbt's model contract."""

    enforced: bool
    alias_types: bool


class NodeConfigDict(TypedDict, total=False):
    """Keys every ``@model`` and ``@snapshot`` accepts (all optional)."""

    enabled: bool
    tags: str | Sequence[str]
    schema: str
    database: str
    alias: str
    meta: Mapping[str, Any]
    description: str
    docs: DocsConfigDict
    pre_hook: Hooks
    """SQL run before the node is built (a Jinja template; see docs/configuration.md#hooks)."""
    post_hook: Hooks
    """SQL run after the node is built."""
    grants: Mapping[str, str | Sequence[str]]
    persist_docs: Mapping[str, bool]
    columns: Mapping[str, str | Mapping[str, Any]] | Sequence[str]
    """Column docs and tests: ``{"id": {"description": ..., "tests": ["unique"]}}``."""
    tests: Sequence[str | Mapping[str, Any]]
    """Model-level data tests, as in YAML ``data_tests:``."""


class ModelConfigDict(NodeConfigDict, total=False):
    """The keyword arguments of ``@model(...)`` (see docs/configuration.md)."""

    materialized: Materialized
    unique_key: ColumnNames
    incremental_strategy: IncrementalStrategy
    merge_update_columns: Sequence[str]
    merge_exclude_columns: Sequence[str]
    partitioned_by: ColumnNames
    table_type: TableType
    format: FileFormat
    write_compression: str
    external_location: str
    bucketed_by: ColumnNames
    bucket_count: int
    partition_batch_size: int
    work_group: str
    result_reuse: bool | int
    incremental_predicates: Sequence[str]
    on_schema_change: OnSchemaChange
    full_refresh: bool
    sql_dialect: str
    contract: ContractDict
    access: Access
    group: str
    event_time: str
    """The column holding each row's time (microbatch models, and the inputs they filter)."""
    batch_size: BatchSize
    lookback: int
    begin: str
    concurrent_batches: bool


class SnapshotConfigDict(NodeConfigDict, total=False):
    """The keyword arguments of ``@snapshot(...)`` (see docs/configuration.md)."""

    materialized: Literal["snapshot"]
    unique_key: ColumnNames
    strategy: SnapshotStrategy
    updated_at: str
    check_cols: list[str] | tuple[str, ...] | Literal["all"]
    hard_deletes: HardDeletes
    invalidate_hard_deletes: bool
    target_schema: str
    target_database: str
    snapshot_meta_column_names: Mapping[str, str]
    dbt_valid_to_current: str
    valid_to_current: str
    table_type: TableType


class DataTestConfigDict(TypedDict, total=False):
    """The keyword arguments of ``@generic_test(...)`` and ``@data_test(...)`` (see docs/concepts/data-tests.md)."""

    enabled: bool
    severity: Severity
    warn_if: str
    error_if: str
    where: str
    limit: int
    store_failures: bool
    tags: str | Sequence[str]
    meta: Mapping[str, Any]
    schema: str
    database: str
    alias: str
    description: str
