"""pyflow.core.state and the ``state:`` selector method: new, modified.body/configs/relation, unmodified.

The graph::

    raw (seed) -> stg -> mart      src.t (source) -> stg
"""

from __future__ import annotations

import dataclasses

import pytest

from pyflow.core.graph import Graph, build_graph
from pyflow.core.node import DependencyRef, ModelNode, SeedNode, SourceNode
from pyflow.core.nodeconfig import ModelConfig
from pyflow.core.selector import select_nodes
from pyflow.core.state import State, StateNode, compare, node_config, relation_config
from pyflow.errors import SelectionError

PKG = "shop"


def _model(name: str, *deps: str, checksum: str = "c0", **config: object) -> ModelNode:
    refs = tuple(
        DependencyRef(d.split(".")[0], 1, "source", d.split(".")[1])
        if "." in d
        else DependencyRef(d, 1, "ref")
        for d in deps
    )
    return ModelNode(
        name=name, package=PKG, path=f"models/{name}.sql", line=1, refs=refs, language="sql",
        fqn=(PKG, name), checksum=checksum, config=ModelConfig(**config),  # type: ignore[arg-type]
    )  # fmt: skip


def _graph(*models: ModelNode) -> Graph:
    seed = SeedNode(name="raw", package=PKG, path="seeds/raw.csv", line=1, fqn=(PKG, "raw"), checksum="s0")
    source = SourceNode(
        name="src.t", package=PKG, path="models/sources.yml", line=2, source_name="src",
        table_name="t", identifier="t", schema="raw",
    )  # fmt: skip
    graph, errors = build_graph({m.name: m for m in models}, {seed.name: seed}, {("src", "t"): source})
    assert errors == []
    return graph


def _base() -> list[ModelNode]:
    return [_model("stg", "raw", "src.t"), _model("mart", "stg")]


def _state_of(graph: Graph, drop: str = "") -> State:
    """The state a manifest of ``graph`` would give (``drop``: a node it did not have)."""
    nodes = {
        uid: StateNode(getattr(n, "checksum", None), node_config(n), relation_config(n))
        for uid, n in graph.nodes.items()
        if uid != drop
    }
    return State(path="prod/manifest.json", nodes=nodes)


def _names(graph: Graph, state: State, criterion: str) -> set[str]:
    ids = select_nodes(graph, [criterion], state=state, resource_types={"model", "seed"}).ids
    return {graph.nodes[u].name for u in ids}


def test_unchanged_project_has_no_changes() -> None:
    graph = _graph(*_base())
    assert set(compare(graph, _state_of(graph)).values()) == {frozenset()}


@pytest.mark.parametrize(
    ("changed", "kinds"),
    [
        (_model("stg", "raw", "src.t", checksum="c1"), {"body"}),
        (_model("stg", "raw", "src.t", materialized="table"), {"configs"}),
        (_model("stg", "raw", "src.t", alias="staging_orders"), {"configs", "relation"}),
        (_model("stg", "raw", "src.t", schema="other"), {"configs", "relation"}),
    ],
)
def test_each_kind_of_change_is_found(changed: ModelNode, kinds: set[str]) -> None:
    before = _state_of(_graph(*_base()))
    graph = _graph(changed, _model("mart", "stg"))

    found = compare(graph, before)

    assert found["model.shop.stg"] == kinds
    assert found["model.shop.mart"] == frozenset()


def test_a_node_missing_from_the_state_is_new() -> None:
    graph = _graph(*_base())
    assert compare(graph, _state_of(graph, drop="model.shop.mart"))["model.shop.mart"] == {"new"}


def test_a_moved_source_is_a_relation_change() -> None:
    graph = _graph(*_base())
    before = _state_of(graph)
    source = graph.nodes["source.shop.src.t"]
    assert isinstance(source, SourceNode)
    moved = _graph(*_base())
    moved.nodes["source.shop.src.t"] = dataclasses.replace(source, schema="landing")

    assert compare(moved, before)["source.shop.src.t"] == {"relation"}


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("state:modified", {"stg", "fresh"}),
        ("state:modified+", {"stg", "mart", "fresh"}),
        ("state:new", {"fresh"}),
        ("state:old", {"stg", "mart", "raw"}),
        ("state:modified.body", {"stg"}),
        ("state:modified.configs", set()),
        ("state:modified.relation", set()),
        ("state:unmodified", {"mart", "raw"}),
        ("state:modified,tag:x", set()),
    ],
)
def test_state_method_selects(criterion: str, expected: set[str]) -> None:
    before = _state_of(_graph(*_base()))
    graph = _graph(_model("stg", "raw", "src.t", checksum="c1"), _model("mart", "stg"), _model("fresh"))

    assert _names(graph, before, criterion) == expected


def test_state_method_without_state_says_to_pass_it() -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(_graph(*_base()), ["state:modified+"])

    assert info.value.code == "state-required"
    assert "--select 'state:modified+'" in info.value.message
    assert "--state DIR" in (info.value.hint or "")


def test_unknown_state_value_suggests_the_closest() -> None:
    graph = _graph(*_base())
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["state:modifed"], state=_state_of(graph))

    assert info.value.code == "bad-selector"
    assert "modified" in info.value.suggestions


def test_result_method_selects_by_status_and_checks_the_value() -> None:
    graph = _graph(*_base())
    state = dataclasses.replace(
        _state_of(graph), results={"model.shop.stg": "error", "model.shop.mart": "skipped"}
    )

    assert _names(graph, state, "result:error+") == {"stg", "mart"}
    assert _names(graph, state, "result:skipped") == {"mart"}
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["result:erorr"], state=state)
    assert "error" in info.value.suggestions


def test_result_method_without_state_says_to_pass_it() -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(_graph(*_base()), ["result:error"])
    assert info.value.code == "state-required"


# ---- contracts (dbt's same_contract) --------------------------------------------------------
def _contracted(*columns: tuple[str, str | None, tuple], enforced: bool = True, materialized: str = "table",
                constraints: tuple = ()) -> ModelNode:  # fmt: skip
    from pyflow.core.node import ColumnInfo

    node = _model("stg", "raw", materialized=materialized, contract={"enforced": enforced})
    node.columns = {name: ColumnInfo(name, "", dtype, {}, cons) for name, dtype, cons in columns}
    node.constraints = constraints
    return node


def test_contract_checksum_ignores_column_order_and_sees_types_and_constraints() -> None:
    from pyflow.core.state import contract_checksum

    base = contract_checksum(_contracted(("a", "int", ()), ("b", "varchar", ())))

    assert contract_checksum(_contracted(("b", "varchar", ()), ("a", "int", ()))) == base
    assert contract_checksum(_contracted(("a", "bigint", ()), ("b", "varchar", ()))) != base
    assert contract_checksum(_contracted(("a", "int", ({"type": "not_null"},)), ("b", "varchar", ()))) != base
    assert contract_checksum(_contracted(("a", "int", ()))) != base


def test_model_constraints_count_only_for_materializations_that_enforce_them() -> None:
    from pyflow.core.state import contract_checksum

    pk = ({"type": "primary_key", "columns": ["a"]},)
    table = [_contracted(("a", "int", ()), constraints=c) for c in ((), pk)]
    view = [_contracted(("a", "int", ()), materialized="view", constraints=c) for c in ((), pk)]

    assert contract_checksum(table[0]) != contract_checksum(table[1])
    assert contract_checksum(view[0]) == contract_checksum(view[1])


@pytest.mark.parametrize(
    ("before", "now", "same"),
    [
        ({"enforced": False, "checksum": None}, {"enforced": False, "checksum": None}, True),
        ({"enforced": False, "checksum": None}, {"enforced": True, "checksum": "x"}, False),
        ({"enforced": True, "checksum": "x"}, {"enforced": False, "checksum": None}, False),
        ({"enforced": True, "checksum": "x"}, {"enforced": True, "checksum": "x"}, True),
        ({"enforced": True, "checksum": "x"}, {"enforced": True, "checksum": "y"}, False),
        (None, {"enforced": True, "checksum": "y"}, True),  # an older manifest stored no contract
    ],
)
def test_same_contract_follows_dbt(before, now, same) -> None:
    from pyflow.core.state import same_contract

    assert same_contract(now, before) is same
