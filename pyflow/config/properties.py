"""YAML property files under model/seed paths: ``sources:``, ``models:``, ``seeds:``, ``unit_tests:`` (dbt shape)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pyflow.core.node import Freshness
from pyflow.core.version import latest_of


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ColumnProps(_Strict):
    """A documented column."""

    name: str
    description: str = ""
    data_type: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tests: list[Any] = Field(default_factory=list)
    data_tests: list[Any] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    quote: bool | None = None
    constraints: list[dict[str, Any]] = Field(default_factory=list)
    """dbt's column constraints (``not_null``, ``primary_key`` ...), applied with an enforced contract."""
    policy_tags: list[str] = Field(default_factory=list)
    granularity: str | None = None


class FreshnessAfter(_Strict):
    """``{count: 12, period: hour}``: how old the newest row may be."""

    count: int = Field(gt=0)
    period: Literal["minute", "hour", "day"]


class FreshnessProps(_Strict):
    """``freshness:`` of a source or source table (dbt's shape); table keys override source keys."""

    warn_after: FreshnessAfter | None = None
    error_after: FreshnessAfter | None = None
    filter: str | None = None
    """A SQL condition: only rows matching it count (``loaded_at > current_date - 3``)."""


class SourceConfigProps(_Strict):
    """``config:`` of a source or source table (the keys pyflow acts on)."""

    event_time: str | None = None
    """The column holding each row's time: microbatch models read only their batch's rows."""


class SourceTableProps(_Strict):
    """One table of a source."""

    name: str
    identifier: str | None = None
    description: str = ""
    columns: list[ColumnProps] = Field(default_factory=list)
    external_location: str | None = None
    format: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    loaded_at_field: str | None = None
    freshness: FreshnessProps | None = None
    tests: list[Any] = Field(default_factory=list)
    data_tests: list[Any] = Field(default_factory=list)
    config: SourceConfigProps = Field(default_factory=SourceConfigProps)


class SourceProps(_Strict):
    """A ``sources:`` entry: a schema of tables loaded by something else."""

    name: str
    description: str = ""
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    external_location: str | None = None
    format: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    loaded_at_field: str | None = None
    freshness: FreshnessProps | None = None
    tables: list[SourceTableProps] = Field(default_factory=list)
    config: SourceConfigProps = Field(default_factory=SourceConfigProps)


class NodeProps(_Strict):
    """A ``models:`` or ``seeds:`` entry: docs, columns and config of one node."""

    name: str
    description: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    columns: list[ColumnProps] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    tests: list[Any] = Field(default_factory=list)
    data_tests: list[Any] = Field(default_factory=list)
    docs: dict[str, Any] = Field(default_factory=dict)
    access: str | None = None
    """dbt's ``access`` and ``group`` properties: merged into the node's config."""
    group: str | None = None
    constraints: list[dict[str, Any]] = Field(default_factory=list)
    """dbt's model-level constraints, applied with an enforced contract (:mod:`pyflow.runner.constraints`)."""
    versions: list[dict[str, Any]] = Field(default_factory=list)
    """dbt's model versions: each ``{v: N}`` describes the model ``<name>_v<N>`` (or its ``defined_in``)."""
    latest_version: int | str | None = None
    deprecation_date: str | None = None


class SnapshotProps(NodeProps):
    """A ``snapshots:`` entry; with ``relation`` (dbt 1.9+) it defines the snapshot itself."""

    relation: str | None = None
    """``ref('x')`` or ``source('s', 't')``: the snapshot selects ``select * from {{ relation }}``."""


class FixtureProps(_Strict):
    """Rows of a unit test's input or expected output: a list of mappings, CSV text or a SELECT."""

    rows: list[dict[str, Any]] | str = Field(default_factory=list)
    format: Literal["dict", "csv", "sql"] = "dict"

    @model_validator(mode="after")
    def _rows_match_format(self) -> FixtureProps:
        if self.format == "csv" and not isinstance(self.rows, str):
            raise ValueError(
                "format csv takes rows as CSV text (rows: |, a header line, then one line per row)"
            )
        if self.format == "sql" and not isinstance(self.rows, str):
            raise ValueError("rows of format sql are one SELECT statement as text (rows: |, then the query)")
        if self.format == "dict" and isinstance(self.rows, str):
            raise ValueError("rows is text: add `format: csv`, or write rows as a list of mappings")
        return self


class GivenProps(FixtureProps):
    """One input of a unit test: ``ref('x')``, ``source('s', 't')``, a bare name, or ``this``."""

    input: str


class OverridesProps(_Strict):
    """What a unit test changes in the model's environment."""

    vars: dict[str, Any] = Field(default_factory=dict)
    macros: dict[str, Any] = Field(default_factory=dict)


class UnitTestConfigProps(_Strict):
    """A unit test's ``config:``."""

    enabled: bool = True
    tags: list[str] | str = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


class UnitTestProps(_Strict):
    """A ``unit_tests:`` entry: a model run on fixture rows, compared to expected rows."""

    name: str
    model: str
    description: str = ""
    given: list[GivenProps] = Field(default_factory=list)
    expect: FixtureProps
    overrides: OverridesProps = Field(default_factory=OverridesProps)
    config: UnitTestConfigProps = Field(default_factory=UnitTestConfigProps)


class PropertiesFile(_Strict):
    """A whole YAML properties file."""

    version: int | None = None
    sources: list[SourceProps] = Field(default_factory=list)
    models: list[NodeProps] = Field(default_factory=list)
    seeds: list[NodeProps] = Field(default_factory=list)
    snapshots: list[SnapshotProps] = Field(default_factory=list)
    unit_tests: list[UnitTestProps] = Field(default_factory=list)
    exposures: list[dict[str, Any]] = Field(default_factory=list)
    semantic_models: list[dict[str, Any]] = Field(default_factory=list)
    metrics: list[dict[str, Any]] = Field(default_factory=list)
    saved_queries: list[dict[str, Any]] = Field(default_factory=list)
    groups: list[dict[str, Any]] = Field(default_factory=list)
    macros: list[dict[str, Any]] = Field(default_factory=list)
    analyses: list[dict[str, Any]] = Field(default_factory=list)


RESOURCE_LISTS = ("exposures", "semantic_models", "metrics", "saved_queries", "groups", "macros", "analyses")
"""Properties-file lists pyflow reads without building anything from them (kept for the manifest)."""


def versioned(props: NodeProps) -> list[NodeProps]:
    """The properties of each version of a versioned model (dbt's ``versions:``), else ``[props]``.

    Version ``v`` describes the model named by its ``defined_in``, else ``<name>_v<v>`` (its
    relation is ``<name>_v<v>`` either way, as in dbt). Its columns are the model's, narrowed by
    an ``{include: all | [...], exclude: [...]}`` entry (default: all), then its own entries with
    a ``name`` added or overriding; its ``config`` is merged over the model's.
    """
    if not props.versions:
        return [props]
    out = []
    for version in props.versions:
        name = str(version.get("defined_in") or f"{props.name}_v{version.get('v')}")
        columns = {c.name: c for c in props.columns}
        for raw in version.get("columns") or []:
            if isinstance(raw, dict) and ("include" in raw or "exclude" in raw):
                include = raw.get("include", "all")
                keep = set(columns) if include in ("all", "*") else {str(c) for c in include or []}
                keep -= {str(c) for c in raw.get("exclude") or []}
                columns = {k: c for k, c in columns.items() if k in keep}
        for raw in version.get("columns") or []:
            if isinstance(raw, dict) and "name" in raw:
                columns[raw["name"]] = ColumnProps.model_validate(raw)
        config = {**props.config, **(version.get("config") or {})}
        if version.get("defined_in"):
            config.setdefault("alias", f"{props.name}_v{version.get('v')}")
        out.append(
            props.model_copy(
                update={"name": name, "versions": [], "columns": list(columns.values()), "config": config}
            )
        )
    return out


def version_fields(props: NodeProps) -> dict[str, dict[str, str]]:
    """For each version's node name: its ``version``, ``latest_version`` and ``versioned_name``."""
    if not props.versions:
        return {}
    numbers = [str(v.get("v")) for v in props.versions]
    latest = str(props.latest_version) if props.latest_version is not None else latest_of(numbers)
    return {
        str(v.get("defined_in") or f"{props.name}_v{v.get('v')}"): {
            "version": str(v.get("v")),
            "latest_version": str(latest),
            "versioned_name": props.name,
        }
        for v in props.versions
    }


def allowed_keys() -> dict[tuple[str | int, ...], list[str]]:
    """Valid key names per nesting level, for "did you mean" on unknown keys."""

    def keys(cls: type[BaseModel]) -> list[str]:
        return [f.alias or n for n, f in cls.model_fields.items()]

    return {
        (): keys(PropertiesFile),
        ("sources",): keys(SourceProps),
        ("tables",): keys(SourceTableProps),
        ("columns",): keys(ColumnProps),
        ("models",): keys(NodeProps),
        ("seeds",): keys(NodeProps),
        ("snapshots",): keys(SnapshotProps),
        ("freshness",): keys(FreshnessProps),
        ("warn_after",): keys(FreshnessAfter),
        ("error_after",): keys(FreshnessAfter),
        ("unit_tests",): keys(UnitTestProps),
        ("given",): keys(GivenProps),
        ("expect",): keys(FixtureProps),
        ("overrides",): keys(OverridesProps),
        ("config",): keys(UnitTestConfigProps),
    }


def table_freshness(src: SourceProps, tbl: SourceTableProps) -> Freshness | None:
    """The freshness rule of one source table: the source's, key by key overridden by the table's.

    ``freshness: null`` on the table turns the source's rule off for it.
    """
    if tbl.freshness is None and "freshness" in tbl.model_fields_set:
        return None
    merged: dict[str, Any] = {}
    for layer in (src.freshness, tbl.freshness):
        if layer is not None:
            merged.update({k: getattr(layer, k) for k in layer.model_fields_set})
    warn, error = merged.get("warn_after"), merged.get("error_after")
    if warn is None and error is None:
        return None
    return Freshness(
        warn_after=(warn.count, warn.period) if warn else None,
        error_after=(error.count, error.period) if error else None,
        filter=merged.get("filter"),
    )
