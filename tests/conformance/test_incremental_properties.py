"""Property tests: keyed incremental strategies behave like a dict update.

Each example draws ``merge`` or ``delete+insert``, a one- or two-column key (NULL allowed in
any part: keys match NULL-safely) and 1-5 batches, each unique on the key, over at most 6 keys.
The first batch builds the table; after every later one the table must equal the reference
model, ``dict.update`` of all batches so far (key -> row). Applying the last batch again must
change nothing. Examples share one adapter and keep the table in place between batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyflow.adapters.base import Adapter
from pyflow.core.nodeconfig import ModelConfig
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer

from .conftest import property_settings
from .tables import TARGET, relation, select_rows, sorted_rows

SINGLE_KEYS: tuple[tuple[Any, ...], ...] = ((1,), (2,), (3,), (4,), (5,), (None,))
PAIR_KEYS: tuple[tuple[Any, ...], ...] = ((1, 1), (1, None), (2, 1), (2, None), (None, 1), (None, None))
VALUES = ("a", "b", None)
NUMBERS = (0, 1, None)


@dataclass(frozen=True)
class Batches:
    """A drawn scenario: strategy, key columns and the batches (rows = key parts + v + n)."""

    strategy: str
    keys: tuple[str, ...]
    batches: tuple[tuple[tuple[Any, ...], ...], ...]


@st.composite
def scenarios(draw: st.DrawFn) -> Batches:
    strategy = draw(st.sampled_from(["merge", "delete+insert"]))
    pair = draw(st.booleans())
    space = PAIR_KEYS if pair else SINGLE_KEYS
    batches = []
    for _ in range(draw(st.integers(1, 5))):
        chosen = draw(st.lists(st.sampled_from(space), unique=True, max_size=len(space)))
        batches.append(
            tuple((*k, draw(st.sampled_from(VALUES)), draw(st.sampled_from(NUMBERS))) for k in chosen)
        )
    return Batches(strategy, ("k1", "k2") if pair else ("k1",), tuple(batches))


def apply(adapter: Adapter, scenario: Batches, rows: tuple[tuple[Any, ...], ...], *, first: bool) -> None:
    columns = [*((k, "BIGINT") for k in scenario.keys), ("v", "VARCHAR"), ("n", "BIGINT")]
    job = Job(
        name=TARGET,
        relation=relation(adapter, TARGET),
        adapter=adapter,
        sql=select_rows(adapter, columns, rows),
        config=ModelConfig.model_validate(
            {
                "materialized": "incremental",
                "incremental_strategy": scenario.strategy,
                "unique_key": list(scenario.keys),
            }
        ),
        incremental=not first,
    )
    IncrementalMaterializer().build(job)


def read(adapter: Adapter, scenario: Batches) -> list[tuple[Any, ...]]:
    columns = [*scenario.keys, "v", "n"]
    sql = f"SELECT {adapter.column_list(columns)} FROM {adapter.render(relation(adapter, TARGET))}"
    return sorted_rows(adapter.fetchall(sql))


def test_incremental_keyed_batches_equal_a_dict_merge(
    engine_adapter: Adapter, request: pytest.FixtureRequest
) -> None:
    @property_settings(request)
    @given(scenario=scenarios())
    def check(scenario: Batches) -> None:
        adapter = engine_adapter
        adapter.execute(adapter.drop_relation_sql(relation(adapter, TARGET), "table"))
        width = len(scenario.keys)
        model: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for i, batch in enumerate(scenario.batches):
            apply(adapter, scenario, batch, first=i == 0)
            model.update({row[:width]: row for row in batch})
            assert read(adapter, scenario) == sorted_rows(model.values())
        before = read(adapter, scenario)
        apply(adapter, scenario, scenario.batches[-1], first=False)
        assert read(adapter, scenario) == before

    check()
