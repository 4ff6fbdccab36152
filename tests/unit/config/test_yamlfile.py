"""Tests for pyflow.config.yamlfile: YAML documents that know the line of every key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from pyflow.config.yamlfile import YamlDoc, load_yaml, validation_errors
from pyflow.errors import ProjectError

TEXT = textwrap.dedent(
    """\
    name: shop
    vars:
      start: 2024-01-01

    models:
      shop:
        staging:
          +materialized: view
    sources:
      - name: raw
        tables:
          - name: orders
          - name: customers
    """
)


def _doc(tmp_path: Path, text: str = TEXT) -> YamlDoc:
    path = tmp_path / "doc.yml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path, display="doc.yml")


def test_yamlfile_maps_every_key_and_item_to_its_line(tmp_path: Path) -> None:
    doc = _doc(tmp_path)

    assert doc.lines[("name",)] == 1
    assert doc.lines[("vars", "start")] == 3
    assert doc.lines[("models", "shop", "staging", "+materialized")] == 8
    assert doc.lines[("sources", 0, "tables", 1)] == 13
    assert doc.lines[("sources", 0, "tables", 1, "name")] == 13
    assert doc.display == "doc.yml"


def test_yamlfile_line_of_falls_back_to_the_deepest_known_prefix(tmp_path: Path) -> None:
    doc = _doc(tmp_path)

    assert doc.line_of(("models", "shop", "staging", "+schema")) == 7
    assert doc.line_of(("vars", "missing", "deeper")) == 2
    assert doc.line_of(("nowhere",)) == 1


def test_yamlfile_parses_data_like_safe_load(tmp_path: Path) -> None:
    import yaml

    assert _doc(tmp_path).data == yaml.safe_load(TEXT)


def test_yamlfile_empty_document_is_an_empty_mapping(tmp_path: Path) -> None:
    assert _doc(tmp_path, "").data == {}


def test_yamlfile_text_argument_is_used_instead_of_the_file(tmp_path: Path) -> None:
    doc = load_yaml(tmp_path / "absent.yml", text="a: 1\n")

    assert doc.data == {"a": 1}


def test_yamlfile_syntax_error_names_file_line_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        _doc(tmp_path, "a: 1\nb:\n  - x\n   y: 2\n")

    err = info.value
    assert err.code == "invalid-yaml"
    assert (err.path, err.line) == ("doc.yml", 4)
    assert "invalid YAML" in str(err) and "Fix: " in str(err)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    count: int = 0


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[_Item]


def test_yamlfile_validation_errors_point_unknown_keys_at_their_line(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "items:\n  - name: a\n  - name: b\n    cuont: 3\n")
    with pytest.raises(ValidationError) as info:
        _Doc.model_validate(doc.data)

    (err,) = validation_errors(info.value, doc, allowed={("items",): ["name", "count"]}, what="item")

    assert err.code == "unknown-config-key"
    assert (err.path, err.line) == ("doc.yml", 4)
    assert err.message == "unknown item key 'cuont'"
    assert err.suggestions == ["count"]
    assert err.hint is not None and "count, name" in err.hint


def test_yamlfile_validation_errors_report_bad_values_with_their_path(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "top:\n  items:\n    - name: a\n      count: many\n")
    with pytest.raises(ValidationError) as info:
        _Doc.model_validate(doc.data["top"])

    (err,) = validation_errors(info.value, doc, base=("top",))

    assert err.code == "invalid-config"
    assert err.line == 4
    assert "'top.items.0.count'" in err.message
