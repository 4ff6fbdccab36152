"""YAML property files under model/seed paths: ``sources:``, ``models:``, ``seeds:`` (dbt shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    freshness: dict[str, Any] | None = None
    tests: list[Any] = Field(default_factory=list)
    data_tests: list[Any] = Field(default_factory=list)


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
    freshness: dict[str, Any] | None = None
    tables: list[SourceTableProps] = Field(default_factory=list)


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


class PropertiesFile(_Strict):
    """A whole YAML properties file."""

    version: int | None = None
    sources: list[SourceProps] = Field(default_factory=list)
    models: list[NodeProps] = Field(default_factory=list)
    seeds: list[NodeProps] = Field(default_factory=list)
    snapshots: list[NodeProps] = Field(default_factory=list)


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
        ("snapshots",): keys(NodeProps),
    }
