"""Tests for pyflow.core.nodeconfig: config models and how layers merge."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pyflow.core.nodeconfig import ModelConfig, SeedConfig, config_keys, merge_layers


def test_nodeconfig_merge_later_layers_override_earlier_ones() -> None:
    merged = merge_layers([{"materialized": "view", "schema": "a"}, {"schema": "b"}, {"alias": "x"}])

    assert merged == {"materialized": "view", "schema": "b", "alias": "x"}


def test_nodeconfig_merge_tags_union_keeps_first_seen_order() -> None:
    merged = merge_layers([{"tags": ["a", "b"]}, {"tags": "c"}, {"tags": ["b", "d"]}, {"tags": None}])

    assert merged["tags"] == ["a", "b", "c", "d"]


def test_nodeconfig_merge_meta_merges_dicts() -> None:
    merged = merge_layers([{"meta": {"owner": "a", "tier": 1}}, {"meta": {"owner": "b"}}])

    assert merged["meta"] == {"owner": "b", "tier": 1}


def test_nodeconfig_model_config_defaults_and_alias() -> None:
    cfg = ModelConfig.model_validate({"schema": "marts", "tags": ["x"]})

    assert cfg.materialized == "view"
    assert cfg.enabled is True
    assert cfg.schema_ == "marts"
    assert cfg.tags == ("x",)


def test_nodeconfig_rejects_unknown_keys_and_materializations() -> None:
    with pytest.raises(ValidationError):
        ModelConfig.model_validate({"materialzed": "table"})
    with pytest.raises(ValidationError):
        ModelConfig.model_validate({"materialized": "tabel"})


def test_nodeconfig_config_keys_use_the_names_users_write() -> None:
    keys = config_keys(ModelConfig)

    assert keys == sorted(keys)
    assert {"schema", "materialized", "tags", "enabled", "alias"} <= set(keys)
    assert "schema_" not in keys
    assert {"column_types", "delimiter"} <= set(config_keys(SeedConfig))
