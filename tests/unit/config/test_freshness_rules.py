"""Freshness rules in sources YAML: strict keys, merged key by key from source to table."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from pyflow.config.properties import PropertiesFile, table_freshness
from pyflow.core.node import Freshness


def rule(
    source: dict[str, Any] | None, table: dict[str, Any] | None, *, table_sets: bool = True
) -> Freshness | None:
    src: dict[str, Any] = {
        "name": "s",
        "tables": [{"name": "t", **({"freshness": table} if table_sets else {})}],
    }
    if source is not None:
        src["freshness"] = source
    props = PropertiesFile.model_validate({"sources": [src]})
    return table_freshness(props.sources[0], props.sources[0].tables[0])


HOUR = {"count": 1, "period": "hour"}
DAY = {"count": 1, "period": "day"}


def test_table_inherits_the_source_rule() -> None:
    assert rule({"warn_after": HOUR, "error_after": DAY}, None, table_sets=False) == Freshness(
        (1, "hour"), (1, "day")
    )


def test_table_overrides_key_by_key() -> None:
    merged = rule(
        {"warn_after": HOUR, "error_after": DAY, "filter": "a"},
        {"error_after": {"count": 7, "period": "day"}},
    )
    assert merged == Freshness((1, "hour"), (7, "day"), "a")
    assert rule({"warn_after": HOUR, "error_after": DAY}, {"warn_after": None}) == Freshness(None, (1, "day"))


def test_null_turns_the_rule_off() -> None:
    assert rule({"warn_after": HOUR}, None) is None
    assert rule(None, None, table_sets=False) is None
    assert rule(None, {"filter": "x > 1"}) is None  # a filter alone checks nothing


@pytest.mark.parametrize(
    ("freshness", "where"),
    [
        ({"warn_after": {"count": 1, "period": "hours"}}, "period"),
        ({"warn_after": {"count": 0, "period": "hour"}}, "count"),
        ({"warn_afer": HOUR}, "warn_afer"),
        ({"warn_after": {"count": 1}}, "period"),
        ({"error_after": {"count": 1, "period": "day", "every": 2}}, "every"),
    ],
)
def test_rules_are_strict(freshness: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        PropertiesFile.model_validate({"sources": [{"name": "s", "freshness": freshness}]})
    assert where in str(info.value.errors()[0]["loc"])
