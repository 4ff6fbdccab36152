"""Config models: pyflow.yml's settings and per-node configuration (``+materialized``, ``+schema`` ...) and how its layers merge.

Precedence, lowest first: the ``models:``/``seeds:`` tree in pyflow.yml (outer folders first),
the ``config:`` of the node's YAML properties, then the file itself (``@model(...)`` keyword
arguments or ``{{ config(...) }}``). ``tags`` accumulate across layers; ``meta`` merges.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Materialized = Literal["view", "table", "ephemeral"]
MATERIALIZATIONS: tuple[str, ...] = ("view", "table", "ephemeral")


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


class ModelConfig(NodeConfig):
    """Config of a Python or SQL model."""

    materialized: Materialized = "view"


class SeedConfig(NodeConfig):
    """Config of a CSV seed."""

    column_types: dict[str, str] = Field(default_factory=dict)
    delimiter: str = ","
    quote_columns: bool | None = None


def config_keys(cls: type[BaseModel]) -> list[str]:
    """The names users write for ``cls`` (aliases included)."""
    return sorted(f.alias or name for name, f in cls.model_fields.items())


def merge_layers(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge raw config dicts lowest precedence first; ``tags`` union, ``meta`` dict-merge."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key == "tags":
                existing = list(out.get("tags", []))
                new = [value] if isinstance(value, str) else list(value or [])
                out["tags"] = existing + [t for t in new if t not in existing]
            elif key == "meta" and isinstance(value, dict):
                out["meta"] = {**out.get("meta", {}), **value}
            else:
                out[key] = value
    return out


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
    vars: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)
    seeds: dict[str, Any] = Field(default_factory=dict)
