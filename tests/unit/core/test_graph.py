"""Tests for pyflow.core.graph: resolving dependencies, order, ancestry and cycles."""

from __future__ import annotations

from pyflow.core.graph import Graph, build_graph
from pyflow.core.node import DependencyRef, ModelNode, SeedNode, SourceNode
from pyflow.errors import PyflowError

PKG = "shop"


def _model(name: str, *params: str, refs: tuple[DependencyRef, ...] = (), line: int = 1) -> ModelNode:
    deps = tuple(DependencyRef(p, line, "param") for p in params) + refs
    return ModelNode(name=name, package=PKG, path=f"models/{name}.py", line=line, refs=deps)


def _source(source_name: str, table_name: str) -> SourceNode:
    return SourceNode(
        name=f"{source_name}.{table_name}",
        package=PKG,
        path="models/sources.yml",
        line=1,
        source_name=source_name,
        table_name=table_name,
        identifier=table_name,
    )


def _graph(*nodes: ModelNode | SeedNode | SourceNode) -> tuple[Graph, list[PyflowError]]:
    models = {n.name: n for n in nodes if isinstance(n, ModelNode)}
    seeds = {n.name: n for n in nodes if isinstance(n, SeedNode)}
    sources = {(n.source_name, n.table_name): n for n in nodes if isinstance(n, SourceNode)}
    return build_graph(models, seeds, sources)


def _uid(name: str) -> str:
    return f"model.{PKG}.{name}"


DIAMOND = (
    _model("a"),
    _model("b", "a"),
    _model("c", "a"),
    _model("d", "b", "c"),
    _model("e", "d"),
    _model("z"),
)


def test_graph_topo_order_puts_parents_first_and_is_stable_by_name() -> None:
    graph, errors = _graph(*reversed(DIAMOND))

    assert errors == []
    assert graph.topo_order() == [_uid(n) for n in ("a", "b", "c", "d", "e", "z")]


def test_graph_topo_order_of_a_subset_ignores_other_nodes() -> None:
    graph, _ = _graph(*DIAMOND)

    assert graph.topo_order([_uid("e"), _uid("b"), _uid("z")]) == [_uid("b"), _uid("e"), _uid("z")]


def test_graph_ancestors_and_descendants_respect_depth() -> None:
    graph, _ = _graph(*DIAMOND)

    assert graph.ancestors(_uid("e")) == {_uid(n) for n in "abcd"}
    assert graph.ancestors(_uid("e"), 1) == {_uid("d")}
    assert graph.ancestors(_uid("e"), 2) == {_uid(n) for n in "bcd"}
    assert graph.descendants(_uid("a")) == {_uid(n) for n in "bcde"}
    assert graph.descendants(_uid("a"), 1) == {_uid("b"), _uid("c")}
    assert graph.descendants(_uid("z")) == set()
    assert graph.ancestors(_uid("a"), 0) == set()


def test_graph_model_name_wins_over_a_bare_source_table_name() -> None:
    graph, errors = _graph(_model("orders"), _source("raw", "orders"), _model("m", "orders"))

    assert errors == []
    assert graph.parents[_uid("m")] == [_uid("orders")]
    assert graph.param_map[_uid("m")] == {"orders": _uid("orders")}


def test_graph_source_double_underscore_table_parameter() -> None:
    graph, errors = _graph(_model("orders"), _source("raw", "orders"), _model("m", "raw__orders"))

    assert errors == []
    assert graph.parents[_uid("m")] == ["source.shop.raw.orders"]


def test_graph_bare_unique_source_table_name_resolves() -> None:
    graph, errors = _graph(_source("raw", "payments"), _model("m", "payments"))

    assert errors == []
    assert graph.parents[_uid("m")] == ["source.shop.raw.payments"]
    assert graph.children["source.shop.raw.payments"] == [_uid("m")]


def test_graph_ambiguous_bare_source_table_name_is_an_error() -> None:
    _, (err,) = _graph(_source("web", "orders"), _source("store", "orders"), _model("m", "orders"))

    assert err.code == "ambiguous-dependency"
    assert sorted(err.suggestions) == ["store__orders", "web__orders"]


def test_graph_ref_never_resolves_to_a_source() -> None:
    _, (err,) = _graph(_source("raw", "orders"), _model("m", refs=(DependencyRef("orders", 3, "ref"),)))

    assert err.code == "missing-dependency"
    assert (err.model, err.line) == ("m", 3)


def test_graph_source_call_resolves_by_source_and_table() -> None:
    ref = DependencyRef("raw", 2, "source", "orders")
    graph, errors = _graph(_source("raw", "orders"), _model("m", refs=(ref,)))

    assert errors == []
    assert graph.param_map[_uid("m")] == {"raw.orders": "source.shop.raw.orders"}


def test_graph_seed_resolves_by_name() -> None:
    seed = SeedNode(name="codes", package=PKG, path="seeds/codes.csv", line=1)
    graph, errors = _graph(seed, _model("m", "codes"))

    assert errors == []
    assert graph.parents[_uid("m")] == ["seed.shop.codes"]


def test_graph_missing_dependency_suggests_close_names() -> None:
    _, (err,) = _graph(_model("customers"), _model("m", "custmers", line=7))

    assert err.code == "missing-dependency"
    assert (err.model, err.path, err.line) == ("m", "models/m.py", 7)
    assert err.suggestions == ["customers"]


def test_graph_cycle_reports_the_full_path_and_every_file() -> None:
    _, (err,) = _graph(
        _model("a", "c", line=1), _model("b", "a", line=2), _model("c", "b", line=3), _model("x")
    )

    assert err.code == "dependency-cycle"
    assert err.message == "dependency cycle: a -> b -> c -> a"
    assert err.detail is not None
    assert err.detail.splitlines() == ["a: models/a.py:1", "b: models/b.py:2", "c: models/c.py:3"]


def test_graph_self_dependency_is_a_cycle() -> None:
    _, (err,) = _graph(_model("a", "a"))

    assert err.message == "dependency cycle: a -> a"


def test_graph_repeated_dependency_is_one_edge() -> None:
    refs = (DependencyRef("a", 1, "ref"), DependencyRef("a", 2, "ref"))
    graph, _ = _graph(_model("a"), _model("m", refs=refs))

    assert graph.parents[_uid("m")] == [_uid("a")]
    assert graph.children[_uid("a")] == [_uid("m")]


def test_graph_cycle_at_the_end_of_a_5000_deep_chain_needs_no_recursion(monkeypatch) -> None:
    # the cycle search recursed once per level and raised Python's recursion limit for it; a
    # deep project is a normal graph: the search must work under a small fixed limit
    import sys

    depth = 5000
    chain = [_model("m0", f"m{depth - 1}")] + [_model(f"m{i}", f"m{i - 1}") for i in range(1, depth)]
    monkeypatch.setattr(sys, "setrecursionlimit", lambda n: (_ for _ in ()).throw(AssertionError(n)))

    _, (err,) = _graph(*chain)
    graph, errors = _graph(*chain[1:], _model("m0"))

    assert err.code == "dependency-cycle"
    assert err.message.startswith("dependency cycle: m0 -> m") and err.message.count(" -> ") == depth
    assert errors == [] and len(graph.topo_order()) == depth
