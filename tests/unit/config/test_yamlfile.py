"""Tests for pyflow.config.yamlfile: YAML documents that know the line of every key."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from pyflow.config import yamlfile
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


REPO = Path(__file__).resolve().parents[3]


def _exact_reading(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """What the pure-Python loader (alias guard, worded errors) reads: data and key lines, or the error."""
    with monkeypatch.context() as patch:
        patch.setattr(yamlfile, "_CLoader", None)
        try:
            doc = load_yaml(None, "x.yml", text=text)
        except ProjectError as exc:
            return "error", str(exc)
    return doc.data, doc.lines


def test_libyaml_reads_what_the_python_loader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every YAML file of the repository, and random one-character edits of them.

    What both read, they read the same (values, types and the line of every key). LibYAML
    also reads some documents PyYAML's own parser refuses (a tab between tokens, a `?` in a
    flow mapping), as dbt does with LibYAML; documents with aliases are never read by it.
    """
    assert yamlfile._CLoader is not None, "PyYAML is built with LibYAML on the platforms CI runs"
    texts = [
        p.read_text()
        for base in ("examples", "tests", "docs")
        for p in sorted((REPO / base).rglob("*.y*ml"))
        if p.suffix in (".yml", ".yaml")
    ]
    rng = random.Random(7)
    edited = []
    candidates = [t for t in texts if t]
    for _ in range(1000):
        text = rng.choice(candidates)
        at = rng.randrange(len(text))
        edit = rng.choice(
            ["", "-", ":", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", '"', ",", "\n", " "]
        )
        edited.append(text[:at] + edit + text[at + (1 if not edit else 0) :])
    fast_reads = 0
    for text in [*texts, *edited]:
        fast = yamlfile._read_with_libyaml(text)
        if fast is None:
            continue
        fast_reads += 1
        exact = _exact_reading(text, monkeypatch)
        if exact[0] != "error":
            assert fast == exact, text

    assert len(texts) > 20
    assert all(yamlfile._read_with_libyaml(t) is not None for t in texts if "*" not in t and "&" not in t)
    assert fast_reads > 500


@pytest.mark.parametrize(
    "text",
    ["a: &x [1, 2]\nb: *x\n", "base: &d {k: 1}\nm:\n  <<: *d\n  j: 2\n", "a: !!python/name:os.system x\n"],
    ids=["alias", "merge-key", "python-tag"],
)
def test_libyaml_leaves_aliases_and_refusals_to_the_python_loader(text: str) -> None:
    assert yamlfile._read_with_libyaml(text) is None
