"""Tests for pyflow.config.selectorfile: dbt's selectors.yml read into selector specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config.selectorfile import load_selectors
from pyflow.core.selector import SelectorMethod, SelectorSet, SelectorText
from pyflow.errors import ProjectError, SelectionError


def _load(tmp_path: Path, text: str):
    (tmp_path / "selectors.yml").write_text(text, encoding="utf-8")
    return load_selectors(tmp_path)


def test_no_file_means_no_selectors(tmp_path: Path) -> None:
    selectors = load_selectors(tmp_path)
    assert selectors.by_name == {}
    assert selectors.default is None
    with pytest.raises(SelectionError, match=r"there is no selectors\.yml") as info:
        selectors.get("nightly")
    assert info.value.code == "unknown-selector"


def test_every_definition_form(tmp_path: Path) -> None:
    selectors = _load(
        tmp_path,
        """
selectors:
  - name: text
    definition: "tag:nightly stg_orders+"
  - name: shorthand
    description: one key
    definition:
      tag: nightly
  - name: full
    default: true
    definition:
      union:
        - method: path
          value: models/marts
          parents: true
          children_depth: 2
          indirect_selection: cautious
        - method: config.materialized
          value: table
          exclude: [stg_orders]
        - exclude:
            - method: tag
              value: deprecated
  - name: both
    definition:
      intersection:
        - method: selector
          value: shorthand
        - "config.materialized:table"
""",
    )
    assert selectors.by_name["text"].spec == SelectorText(
        "tag:nightly stg_orders+", "selector 'text' (selectors.yml:4)"
    )
    short = selectors.by_name["shorthand"]
    assert isinstance(short.spec, SelectorMethod)
    assert (short.spec.method, short.spec.value, short.description) == ("tag", "nightly", "one key")
    full = selectors.by_name["full"]
    assert selectors.default == full
    assert isinstance(full.spec, SelectorSet) and full.spec.op == "union"
    first, second = full.spec.items
    assert isinstance(first, SelectorMethod)
    assert (first.parents, first.children_depth, first.indirect_selection) == (True, 2, "cautious")
    assert isinstance(second, SelectorSet) and second.exclude[0].text == "stg_orders"  # type: ignore[union-attr]
    assert [e.value for e in full.spec.exclude] == ["deprecated"]  # type: ignore[union-attr]
    both = selectors.by_name["both"].spec
    assert isinstance(both, SelectorSet) and both.op == "intersection"
    assert both.items[0] == short.spec  # method: selector includes the other definition


def test_unknown_selector_name_suggests(tmp_path: Path) -> None:
    selectors = _load(tmp_path, "selectors:\n  - name: nightly\n    definition: 'tag:nightly'\n")
    with pytest.raises(SelectionError) as info:
        selectors.get("nighly")
    assert info.value.suggestions == ["nightly"]
    assert "--selector 'nighly' names no selector in selectors.yml" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("selectors: {a: 1}\n", "must hold one key, 'selectors', with a list", 1),
        ("selectors:\n  - name: a\n", "needs a 'name' and a 'definition'", 2),
        ("selectors:\n  - name: a\n    definiton: x\n    definition: x\n", "unknown key 'definiton'", 3),
        ("selectors:\n  - name: a\n    definition: {method: tag, valu: x}\n", "unknown key 'valu'", 3),
        (
            "selectors:\n  - name: a\n    definition: 'x'\n  - name: a\n    definition: 'y'\n",
            "defined twice",
            4,
        ),
        (
            "selectors:\n  - {name: a, default: true, definition: x}\n  - {name: b, default: true, definition: y}\n",
            "2 selectors are marked default: a, b",
            1,
        ),
        ("selectors:\n  - name: a\n    definition:\n      union: []\n", "must be a non-empty list", 4),
        (
            "selectors:\n  - name: a\n    definition: {method: tag, value: x, parents: 'yes'}\n",
            "'parents' must be true or false",
            3,
        ),
        (
            "selectors:\n  - name: a\n    definition: {method: tag, value: x, children_depth: -1}\n",
            "'children_depth' must be a whole number",
            3,
        ),
        (
            "selectors:\n  - name: a\n    definition: {method: tag, value: x, indirect_selection: eagre}\n",
            "'indirect_selection' must be one of eager, cautious, buildable, empty",
            3,
        ),
        (
            "selectors:\n  - name: a\n    definition: {method: selector, value: b}\n"
            "  - name: b\n    definition: {method: selector, value: a}\n",
            "cycle: a -> b -> a",
            5,
        ),
        (
            "selectors:\n  - name: a\n    definition: {method: selector, value: nope}\n",
            "names no selector",
            3,
        ),
    ],
)
def test_mistakes_name_file_line_and_fix(tmp_path: Path, text: str, message: str, line: int) -> None:
    with pytest.raises(ProjectError) as info:
        _load(tmp_path, text)
    err = info.value
    assert message in err.message
    assert err.path == "selectors.yml"
    assert err.line == line
    assert err.hint
    assert err.code in ("invalid-selectors", "invalid-yaml")
