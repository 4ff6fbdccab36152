"""Config models: pyflow.yml's settings and per-node configuration (``+materialized``, ``+schema`` ...) and how its layers merge.

Precedence, lowest first: the ``models:``/``seeds:`` tree in pyflow.yml (outer folders first),
the ``config:`` of the node's YAML properties, then the file itself (``@model(...)`` keyword
arguments or ``{{ config(...) }}``). ``tags`` accumulate across layers; ``meta`` merges.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from pyflow.core.configtypes import (
    Access,
    BatchSize,
    FileFormat,
    HardDeletes,
    IncrementalStrategy,
    Materialized,
    OnSchemaChange,
    Severity,
    SnapshotStrategy,
    TableType,
)
from pyflow.core.hook import Hook, hook_key, hook_list, normalize_hooks
from pyflow.core.lineageconfig import OpenLineageConfig
from pyflow.core.runconfig import AlertConfig, RunHistoryConfig
from pyflow.errors import closest

MATERIALIZATIONS: tuple[str, ...] = get_args(Materialized)
Names = str | list[str]


class DocsConfig(BaseModel):
    """``docs:`` of a node (dbt's): whether the docs site shows it, and its colour there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    show: bool = True
    node_color: str | None = None


class ContractConfig(BaseModel):
    """``contract:`` of a model (dbt's): whether the declared columns and types are enforced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enforced: bool = False
    alias_types: bool = True


class NodeConfig(BaseModel):
    """Config keys every node accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    tags: tuple[str, ...] = ()
    schema_: str | None = Field(default=None, alias="schema")
    database: str | None = None
    alias: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None
    docs: DocsConfig = DocsConfig()
    """Kept in the manifest for documentation tools; pyflow itself does not use it."""
    pre_hook: tuple[Hook, ...] = Field(default=(), serialization_alias="pre-hook")
    """SQL run on the node's connection before it is built (see :mod:`pyflow.core.hook`)."""
    post_hook: tuple[Hook, ...] = Field(default=(), serialization_alias="post-hook")
    """SQL run on the node's connection after it is built."""
    grants: dict[str, Any] = Field(default_factory=dict)
    """dbt's ``{privilege: [grantees]}``: GRANTed after the build where the engine has GRANT
    (Trino, on connectors that manage permissions), else skipped with a note (DuckDB, Athena)."""
    persist_docs: dict[str, Any] = Field(default_factory=dict)
    """dbt's ``{relation: true, columns: true}``: descriptions written as ``COMMENT ON`` where the
    engine has it (DuckDB, Trino), else skipped with a note (Athena)."""

    @field_validator("pre_hook", "post_hook", mode="before")
    @classmethod
    def _hooks(cls, value: Any) -> Any:
        return normalize_hooks(value)


class ModelConfig(NodeConfig):
    """Config of a Python or SQL model."""

    materialized: Materialized = "view"
    unique_key: Names | None = None
    incremental_strategy: IncrementalStrategy | None = None
    merge_update_columns: list[str] | None = None
    merge_exclude_columns: list[str] | None = None
    partitioned_by: Names | None = None
    table_type: TableType | None = None
    format: FileFormat | None = None
    write_compression: str | None = None
    external_location: str | None = None
    bucketed_by: Names | None = None
    bucket_count: int | None = Field(default=None, ge=1)
    partition_batch_size: int | None = Field(default=None, ge=1)
    """The most partitions one statement writes (Athena: 100 by default; elsewhere unbatched)."""
    work_group: str | None = Field(default=None, min_length=1)
    """Athena: the workgroup of the model's statements (else the target's); other engines ignore it."""
    result_reuse: bool | Annotated[int, Field(ge=1, le=10080)] | None = None
    """Athena query result reuse for the model's queries: true, a max age in minutes, or false."""
    incremental_predicates: list[str] | None = None
    on_schema_change: OnSchemaChange = "ignore"
    full_refresh: bool | None = None
    sql_dialect: str | None = None
    """The dialect a SQL model is written in (sqlglot's names); unit tests transpile it to DuckDB."""
    contract: ContractConfig = Field(default_factory=lambda: ContractConfig())
    """dbt's model contract; kept in the manifest (``pyflow debug`` lists enforced ones)."""
    access: Access | None = None
    """dbt's ``private``/``protected``/``public``: kept in the manifest, not enforced."""
    group: str | None = None
    """dbt's model group: kept in the manifest, not enforced."""
    event_time: str | None = None
    """dbt's ``event_time``: the column holding each row's time; a microbatch model downstream
    reads only the rows of its batch (see docs/configuration.md#microbatch-models)."""
    batch_size: BatchSize | None = None
    lookback: int = Field(default=1, ge=0)
    begin: str | None = None
    concurrent_batches: bool | None = None
    """Accepted; batches run one after the other."""

    @field_validator("begin", mode="before")
    @classmethod
    def _begin_text(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    @field_validator("sql_dialect")
    @classmethod
    def _known_dialect(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from sqlglot.dialects.dialect import Dialects

        names = sorted(d.value for d in Dialects if d.value)
        if value.lower() not in names:
            near = closest(value.lower(), names, n=1)
            guess = f"; did you mean '{near[0]}'?" if near else ""
            raise ValueError(f"unknown SQL dialect '{value}'{guess} Use one of: {', '.join(names)}")
        return value.lower()

    @model_validator(mode="after")
    def _keyed_strategies(self) -> ModelConfig:
        if self.incremental_strategy in ("merge", "delete+insert") and not self.unique_key:
            raise ValueError(
                f"incremental_strategy '{self.incremental_strategy}' needs a unique_key "
                "(one column or a list)"
            )
        if self.incremental_strategy == "microbatch":
            missing = [k for k in ("event_time", "batch_size", "begin") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"incremental_strategy 'microbatch' needs {', '.join(missing)}")
        if self.merge_update_columns and self.merge_exclude_columns:
            raise ValueError("set merge_update_columns or merge_exclude_columns, not both")
        return self


class TestConfig(BaseModel):
    """Config of a data test (generic or singular)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    enabled: bool = True
    severity: Severity = "error"
    warn_if: str = "!= 0"
    error_if: str = "!= 0"
    where: str | None = None
    limit: int | None = Field(default=None, ge=1)
    store_failures: bool = False
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)
    schema_: str | None = Field(default=None, alias="schema")
    database: str | None = None
    alias: str | None = None
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lower_severity(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("severity"), str):
            data = {**data, "severity": data["severity"].lower()}
        return data

    @field_validator("warn_if", "error_if")
    @classmethod
    def _threshold(cls, value: str) -> str:
        parse_threshold(value)
        return value


_THRESHOLD = re.compile(r"\s*(==|=|!=|<>|>=|<=|>|<)\s*(\d+)\s*")


def parse_threshold(rule: str) -> tuple[str, int]:
    """``'> 10'`` -> ``('>', 10)``; a ValueError saying how to write it otherwise."""
    match = _THRESHOLD.fullmatch(str(rule))
    if match is None:
        raise ValueError(
            f"cannot read the threshold {rule!r}: write an operator and a number, "
            "e.g. '!= 0', '> 10', '>= 100'"
        )
    return match.group(1), int(match.group(2))


META_COLUMNS = ("dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at", "dbt_is_deleted")
META_DEFAULTS = {
    "dbt_valid_from": "pyflow_valid_from",
    "dbt_valid_to": "pyflow_valid_to",
    "dbt_scd_id": "pyflow_scd_id",
    "dbt_updated_at": "pyflow_updated_at",
    "dbt_is_deleted": "pyflow_is_deleted",
}


class SnapshotConfig(NodeConfig):
    """Config of an SCD type 2 snapshot."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    EXTRA_KEYS: ClassVar[tuple[str, ...]] = ("valid_to_current",)

    materialized: Literal["snapshot"] = "snapshot"
    unique_key: Names
    strategy: SnapshotStrategy
    updated_at: str | None = None
    check_cols: list[str] | Literal["all"] | None = None
    hard_deletes: HardDeletes = "ignore"
    invalidate_hard_deletes: bool | None = None
    target_schema: str | None = None
    target_database: str | None = None
    snapshot_meta_column_names: dict[str, str] = Field(default_factory=dict)
    valid_to_current: str | None = Field(default=None, alias="dbt_valid_to_current")
    table_type: TableType | None = None
    """Athena: Iceberg snapshots are updated by one MERGE; Hive snapshots are rebuilt and swapped."""

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and "valid_to_current" in data:
            data = {k: v for k, v in data.items() if k != "valid_to_current"} | {
                "dbt_valid_to_current": data["valid_to_current"]
            }
        return data

    @model_validator(mode="after")
    def _strategy_fields(self) -> SnapshotConfig:
        if self.strategy == "timestamp" and not self.updated_at:
            raise ValueError("strategy 'timestamp' needs updated_at (the source's last-change column)")
        if self.strategy == "check" and not self.check_cols:
            raise ValueError("strategy 'check' needs check_cols (a list of columns, or 'all')")
        unknown = set(self.snapshot_meta_column_names) - set(META_COLUMNS)
        if unknown:
            raise ValueError(
                f"snapshot_meta_column_names has unknown keys {sorted(unknown)}; use {list(META_COLUMNS)}"
            )
        return self

    @property
    def deletes(self) -> str:
        """The effective hard_deletes mode (the older invalidate_hard_deletes: true counts)."""
        if self.invalidate_hard_deletes and self.hard_deletes == "ignore":
            return "invalidate"
        return self.hard_deletes

    def meta_name(self, key: str) -> str:
        """Column name for a meta column (``dbt_valid_from`` ...)."""
        return self.snapshot_meta_column_names.get(key, META_DEFAULTS[key])


class SeedConfig(NodeConfig):
    """Config of a CSV seed."""

    column_types: dict[str, str] = Field(default_factory=dict)
    delimiter: str = ","
    event_time: str | None = None
    """dbt's ``event_time``: microbatch models downstream read only their batch's rows."""
    quote_columns: bool | None = None
    full_refresh: bool | None = None
    """Accepted for dbt compatibility: a seed is reloaded in full on every run anyway."""


def config_keys(cls: type[BaseModel]) -> list[str]:
    """The names users write for ``cls`` (aliases included)."""
    names = [f.alias or name for name, f in cls.model_fields.items()]
    return sorted([*names, *getattr(cls, "EXTRA_KEYS", ())])


def literal_choices(cls: type[BaseModel], key: str) -> tuple[str, ...]:
    """The values a ``Literal`` config key of ``cls`` accepts (``()`` for other keys)."""
    for name, info in cls.model_fields.items():
        if key in (name, info.alias):
            return tuple(_literal_values(info.annotation))
    return ()


def _literal_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    return [v for arg in get_args(annotation) for v in _literal_values(arg)]


def merge_layers(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge raw config dicts lowest precedence first; ``tags`` union, ``meta`` dict-merge, hooks append.

    Hook keys are stored under their field names (``pre-hook`` -> ``pre_hook``).
    """
    out: dict[str, Any] = {}
    for layer in layers:
        for raw_key, value in layer.items():
            key = hook_key(raw_key)
            if key in ("pre_hook", "post_hook"):
                out[key] = [*hook_list(out.get(key)), *hook_list(value)]  # hooks accumulate
            elif key == "tags":
                existing = out.get("tags", [])
                if not isinstance(existing, list):
                    continue  # an earlier layer's tags are invalid: validation reports them
                if value is not None and not isinstance(value, str | list | tuple):
                    out["tags"] = value  # not a tag or a list of tags: validation reports it
                    continue
                new = [value] if isinstance(value, str) else list(value or [])
                out["tags"] = existing + [t for t in new if t not in existing]
            elif key in ("meta", "column_types", "snapshot_meta_column_names") and isinstance(value, dict):
                out[key] = {**out.get(key, {}), **value}
            else:
                out[key] = value
    return out


def _run_end_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "sql"
    return "alert" if isinstance(value, dict | AlertConfig) else None


RunEndEntry = Annotated[
    Annotated[AlertConfig, Tag("alert")] | Annotated[str, Tag("sql")],
    Discriminator(
        _run_end_kind,
        custom_error_type="invalid_on_run_end",
        custom_error_message="an on-run-end entry is a SQL string (a hook) or a mapping (an alert)",
    ),
]
"""One ``on-run-end`` entry: a SQL hook (string) or an alert (mapping)."""


class ProjectConfig(BaseModel):
    """The validated content of pyflow.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    version: str | None = None
    config_version: int | None = Field(default=None, alias="config-version")
    profile: str | None = None
    model_paths: tuple[str, ...] = Field(default=("models",), alias="model-paths")
    seed_paths: tuple[str, ...] = Field(default=("seeds",), alias="seed-paths")
    snapshot_paths: tuple[str, ...] = Field(default=("snapshots",), alias="snapshot-paths")
    macro_paths: tuple[str, ...] = Field(default=("macros",), alias="macro-paths")
    test_paths: tuple[str, ...] = Field(default=("tests",), alias="test-paths")
    target_path: str = Field(default="target", alias="target-path")
    log_path: str = Field(default="logs", alias="log-path")
    clean_targets: tuple[str, ...] = Field(default=("target", "logs"), alias="clean-targets")
    packages_install_path: str = Field(default="dbt_packages", alias="packages-install-path")
    """Where installed packages live (docs/packages.md)."""
    vars: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)
    seeds: dict[str, Any] = Field(default_factory=dict)
    snapshots: dict[str, Any] = Field(default_factory=dict)
    tests: dict[str, Any] = Field(default_factory=dict)
    data_tests: dict[str, Any] = Field(default_factory=dict)
    run_history: RunHistoryConfig = Field(default_factory=RunHistoryConfig, alias="run-history")
    on_run_start: tuple[str, ...] = Field(default=(), alias="on-run-start")
    """SQL hooks run once before the run's nodes (see docs/configuration.md#hooks)."""
    on_run_end: tuple[RunEndEntry, ...] = Field(default=(), alias="on-run-end")
    """After the run's nodes: a string is a SQL hook (dbt's meaning), a mapping an alert."""
    openlineage: OpenLineageConfig | None = None
    """OpenLineage run events (see docs/concepts/lineage.md)."""

    @field_validator("on_run_start", "on_run_end", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value

    @property
    def alerts(self) -> tuple[AlertConfig, ...]:
        """The ``on-run-end`` entries that are alerts (mappings)."""
        return tuple(a for a in self.on_run_end if isinstance(a, AlertConfig))

    @property
    def run_end_hooks(self) -> tuple[str, ...]:
        """The ``on-run-end`` entries that are SQL hooks (strings)."""
        return tuple(h for h in self.on_run_end if isinstance(h, str) and h.strip())
