"""Tests for pyflow.config.project (pyflow.yml) and the ProjectConfig defaults it validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config.project import load_project_config, tree_layers
from pyflow.core.nodeconfig import ProjectConfig
from pyflow.errors import ErrorGroup, ProjectError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyflow.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_project_config_defaults_follow_dbt_folders() -> None:
    cfg = ProjectConfig(name="shop")

    assert cfg.model_paths == ("models",)
    assert cfg.seed_paths == ("seeds",)
    assert cfg.macro_paths == ("macros",)
    assert cfg.target_path == "target"
    assert cfg.log_path == "logs"
    assert cfg.clean_targets == ("target", "logs")
    assert cfg.profile is None
    assert cfg.vars == {} and cfg.models == {} and cfg.seeds == {}


def test_project_config_reads_dashed_keys(tmp_path: Path) -> None:
    root = _write(tmp_path, "name: shop\nmodel-paths: [transform]\ntarget-path: out\nvars: {n: 1}\n")

    cfg, doc = load_project_config(root)

    assert cfg.name == "shop"
    assert cfg.model_paths == ("transform",)
    assert cfg.target_path == "out"
    assert cfg.vars == {"n": 1}
    assert doc.line_of(("vars",)) == 4


def test_project_config_is_frozen(tmp_path: Path) -> None:
    from pydantic import ValidationError

    cfg, _ = load_project_config(_write(tmp_path, "name: shop\n"))

    with pytest.raises(ValidationError):
        cfg.name = "other"


def test_project_config_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project_config(tmp_path)

    err = info.value
    assert err.code == "no-project"
    assert err.path == str(tmp_path / "pyflow.yml")
    assert err.hint is not None and "pyflow init" in err.hint


def test_project_config_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project_config(_write(tmp_path, "- name\n"))

    assert (info.value.path, info.value.line) == ("pyflow.yml", 1)


def test_project_config_reports_all_tree_mistakes_together(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        "name: shop\nmodels:\n  shop:\n    +materialzed: table\n    staging:\n      schema: raw\n",
    )

    with pytest.raises(ErrorGroup) as info:
        load_project_config(root)

    first, second = info.value.errors
    assert (first.line, first.suggestions) == (4, ["+materialized"])
    assert second.line == 6
    assert "'schema'" in second.message and "has no '+'" in second.message
    assert second.suggestions == ["+schema"]


def test_project_config_missing_name_is_an_invalid_value(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_project_config(_write(tmp_path, "version: '1'\n"))

    assert info.value.code == "invalid-config"
    assert "name" in info.value.message


def test_tree_layers_rooted_at_the_project_name_apply_outer_folders_first() -> None:
    tree = {"shop": {"+materialized": "view", "marts": {"+materialized": "table", "+tags": ["m"]}}}

    layers = tree_layers(tree, "shop", ("marts", "finance", "revenue"))

    assert layers == [{"materialized": "view"}, {"materialized": "table", "tags": ["m"]}]


def test_tree_layers_accept_a_tree_rooted_at_the_folders() -> None:
    tree = {"+schema": "base", "staging": {"+schema": "stg"}}

    assert tree_layers(tree, "shop", ("staging", "stg_orders")) == [{"schema": "base"}, {"schema": "stg"}]
    assert tree_layers(tree, "shop", ("marts", "revenue")) == [{"schema": "base"}]
