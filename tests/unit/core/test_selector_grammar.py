"""pyflow.core.selector: new methods, dbt's default methods, indirect selection, YAML specs, deep chains.

The graph::

    raw (seed) -> stg_a -> mart
    src.t      -> stg_b -> mart
    tests: unique_stg_a (stg_a), rel_a_b (stg_a, stg_b), unit_mart (unit test of mart),
           assert_mart (singular: mart, stg_b)
"""

from __future__ import annotations

import pytest

from pyflow.core.graph import Graph, build_graph
from pyflow.core.node import DependencyRef, ModelNode, SeedNode, SourceNode, TestNode
from pyflow.core.selector import SelectorMethod, SelectorSet, SelectorText, select_nodes
from pyflow.errors import SelectionError

PKG = "shop"


def _model(name: str, folder: str, *deps: str, package: str = PKG) -> ModelNode:
    refs = tuple(
        DependencyRef(d.split(".")[0], 1, "source", d.split(".")[1])
        if "." in d
        else DependencyRef(d, 1, "ref")
        for d in deps
    )
    return ModelNode(
        name=name, package=package, path=f"models/{folder}/{name}.sql", line=1, refs=refs,
        language="sql", fqn=(package, folder, name),
    )  # fmt: skip


def _test(name: str, *deps: str, test_type: str = "data", kind: str = "generic") -> TestNode:
    return TestNode(
        name=name, package=PKG, path="models/schema.yml", line=3,
        refs=tuple(DependencyRef(d, 1, "ref") for d in deps),
        test_name=name.split("_")[0], test_type=test_type, kind=kind,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def graph() -> Graph:
    models = [
        _model("stg_a", "staging", "raw"),
        _model("stg_b", "staging", "src.t"),
        _model("mart", "marts", "stg_a", "stg_b"),
        _model("vendored", "lib", package="other"),
    ]
    seed = SeedNode(name="raw", package=PKG, path="seeds/raw.csv", line=1, fqn=(PKG, "raw"))
    source = SourceNode(
        name="src.t", package=PKG, path="models/sources.yml", line=2, source_name="src", table_name="t"
    )
    tests = [
        _test("unique_stg_a", "stg_a"),
        _test("rel_a_b", "stg_a", "stg_b"),
        _test("unit_mart", "mart", test_type="unit", kind="singular"),
        _test("assert_mart", "mart", "stg_b", kind="singular"),
    ]
    g, errors = build_graph(
        {m.name: m for m in models},
        {seed.name: seed},
        {("src", "t"): source},
        tests={t.name: t for t in tests},
    )
    assert errors == []
    return g


def _names(
    graph: Graph, select: list[str] | None, exclude: list[str] | None = None, **kw: object
) -> set[str]:
    result = select_nodes(graph, select, exclude, **kw)  # type: ignore[arg-type]
    return {graph.nodes[u].name for u in result.ids}


# --- methods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("file:stg_a.sql", {"stg_a"}),
        ("file:stg_*", {"stg_a", "stg_b"}),
        ("file:raw", {"raw"}),
        ("stg_a.sql", {"stg_a"}),  # a bare file name is file:
        ("raw.csv", {"raw"}),
        ("package:other", {"vendored"}),
        (
            "package:sh*",
            {"stg_a", "stg_b", "mart", "raw", "unique_stg_a", "rel_a_b", "unit_mart", "assert_mart"},
        ),
        ("shop.staging", {"stg_a", "stg_b"}),  # a bare dotted name is fqn:
        ("shop.marts.mart", {"mart"}),
        ("resource_type:unit_test", {"unit_mart"}),
        ("resource_type:test", {"unique_stg_a", "rel_a_b", "assert_mart"}),
    ],
)
def test_method_selects(graph: Graph, criterion: str, expected: set[str]) -> None:
    assert _names(graph, [criterion]) == expected


@pytest.mark.parametrize("method", ["source_status", "exposure", "metric"])
def test_methods_pyflow_cannot_evaluate_yet_say_so(graph: Graph, method: str) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, [f"{method}:x+"])
    assert info.value.code == "unsupported-selector"
    assert f"'{method}:', which pyflow does not support yet" in info.value.message
    assert info.value.hint


def test_unknown_method_suggests_unsupported_ones_too(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["exposur:x"])
    assert info.value.code == "bad-selector"
    assert "exposure" in info.value.suggestions


# --- indirect selection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("eager", {"stg_a", "unique_stg_a", "rel_a_b"}),
        ("cautious", {"stg_a", "unique_stg_a"}),
        ("buildable", {"stg_a", "unique_stg_a"}),
        ("empty", {"stg_a"}),
        (None, {"stg_a"}),
    ],
)
def test_indirect_selection_of_one_model(graph: Graph, mode: str | None, expected: set[str]) -> None:
    assert _names(graph, ["stg_a"], indirect_selection=mode) == expected


def test_cautious_adds_a_test_once_every_parent_is_selected_by_the_union(graph: Graph) -> None:
    assert _names(graph, ["stg_a stg_b"], indirect_selection="cautious") == {
        "stg_a", "stg_b", "unique_stg_a", "rel_a_b",
    }  # fmt: skip


def test_buildable_adds_tests_whose_other_parents_are_ancestors(graph: Graph) -> None:
    # assert_mart reads stg_b, an ancestor of mart: buildable takes it, cautious does not
    assert _names(graph, ["mart"], indirect_selection="buildable") == {"mart", "unit_mart", "assert_mart"}
    assert _names(graph, ["mart"], indirect_selection="cautious") == {"mart", "unit_mart"}


def test_excluding_a_model_excludes_its_tests(graph: Graph) -> None:
    assert _names(graph, ["stg_a stg_b"], ["stg_b"], indirect_selection="eager") == {"stg_a", "unique_stg_a"}


def test_excluding_a_test_by_name_keeps_the_others(graph: Graph) -> None:
    assert _names(graph, ["stg_a"], ["rel_a_b"], indirect_selection="eager") == {"stg_a", "unique_stg_a"}


def test_tests_selected_directly_need_no_indirect_selection(graph: Graph) -> None:
    assert _names(graph, ["test_type:unit"], indirect_selection="eager") == {"unit_mart"}


# --- YAML specs ---------------------------------------------------------------------------------


def test_yaml_method_with_children_and_exclude(graph: Graph) -> None:
    spec = SelectorSet(
        "union",
        (SelectorMethod("name", "stg_b", "selector 'x'", children=True),),
        (SelectorText("resource_type:test", "selector 'x'"),),
    )
    assert _names(graph, None, selector=spec, indirect_selection="eager") == {"stg_b", "mart", "unit_mart"}


def test_yaml_depth_implies_direction(graph: Graph) -> None:
    spec = SelectorMethod("name", "mart", "selector 'x'", parents_depth=1)
    assert _names(graph, None, selector=spec) == {"mart", "stg_a", "stg_b"}


def test_yaml_intersection_and_per_criterion_indirect_selection(graph: Graph) -> None:
    spec = SelectorSet(
        "intersection",
        (
            SelectorText("fqn:shop.staging", "s"),
            SelectorMethod("name", "stg_a", "s", indirect_selection="empty"),
        ),
    )
    assert _names(graph, None, selector=spec, indirect_selection="eager") == {"stg_a"}


def test_yaml_selector_matching_nothing_warns_with_its_name(graph: Graph) -> None:
    result = select_nodes(graph, None, selector=SelectorText("tag:none", "s"), selector_name="nightly")
    assert result.ids == frozenset()
    assert result.warnings == ("The selector 'nightly' does not match any enabled nodes",)


def test_yaml_config_method_with_dotted_key(graph: Graph) -> None:
    spec = SelectorMethod("config.materialized", "view", "s")
    assert _names(graph, None, selector=spec) == {"stg_a", "stg_b", "mart", "vendored"}


# --- deep chains (issue 15): no recursion --------------------------------------------------------


def test_graph_operators_walk_a_5000_deep_chain() -> None:
    n = 5000
    models = {f"m{i}": _model(f"m{i}", "chain", *([f"m{i - 1}"] if i else [])) for i in range(n)}
    models["m0"].refs = ()
    g = Graph(nodes={m.unique_id: m for m in models.values()})
    for i in range(1, n):
        g.parents[f"model.shop.m{i}"] = [f"model.shop.m{i - 1}"]
        g.children[f"model.shop.m{i - 1}"].append(f"model.shop.m{i}")

    assert len(select_nodes(g, [f"+m{n - 1}"]).ids) == n
    assert len(select_nodes(g, ["m0+"]).ids) == n
    assert len(select_nodes(g, ["@m2500"]).ids) == n
    assert len(select_nodes(g, ["m0+10"]).ids) == 11
    assert len(select_nodes(g, ["m0+"], indirect_selection="buildable").ids) == n
