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


def test_nodeconfig_hooks_accumulate_across_layers_in_every_spelling() -> None:
    from pyflow.core.nodeconfig import ModelConfig, merge_layers

    merged = merge_layers(
        [
            {"pre-hook": "select 'tree'"},
            {"pre_hook": ["select 'yaml'", {"sql": "select 'mapping'", "transaction": False}]},
            {"pre_hook": "select 'file'", "post-hook": None},
        ]
    )
    config = ModelConfig.model_validate(merged)

    assert [(h.sql, h.transaction) for h in config.pre_hook] == [
        ("select 'tree'", True),
        ("select 'yaml'", True),
        ("select 'mapping'", False),
        ("select 'file'", True),
    ]
    assert config.post_hook == ()
    dumped = config.model_dump(mode="json", by_alias=True)
    assert dumped["pre-hook"][0] == {"sql": "select 'tree'", "transaction": True}
    assert "pre_hook" not in dumped


def test_nodeconfig_on_run_end_splits_sql_hooks_from_alerts() -> None:
    from pyflow.core.nodeconfig import ProjectConfig

    config = ProjectConfig.model_validate(
        {"name": "p", "on-run-start": "select 1", "on-run-end": ["select 2", {"file": "a.jsonl"}]}
    )

    assert config.on_run_start == ("select 1",)
    assert config.run_end_hooks == ("select 2",)
    assert [a.file for a in config.alerts] == ["a.jsonl"]


def test_nodeconfig_an_on_run_end_entry_of_another_type_says_what_it_may_be() -> None:
    from pydantic import ValidationError

    from pyflow.core.nodeconfig import ProjectConfig

    with pytest.raises(ValidationError) as info:
        ProjectConfig.model_validate({"name": "p", "on-run-end": [5]})

    assert "a SQL string (a hook) or a mapping (an alert)" in str(info.value)
