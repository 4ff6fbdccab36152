"""Tests for pyflow.core.selector: dbt's --select / --exclude grammar over a Graph."""

from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath

import pytest

from pyflow.core.graph import Graph, build_graph
from pyflow.core.node import DependencyRef, ModelNode, SeedNode, SourceNode
from pyflow.core.nodeconfig import ModelConfig
from pyflow.core.selector import Selection, select_nodes
from pyflow.errors import SelectionError

PKG = "shop"


def _model(path: str, *deps: str, **config: object) -> ModelNode:
    """A model at ``path``; a dep ``"s.t"`` is source('s', 't'), anything else ref('x')."""
    refs = tuple(
        DependencyRef(d.split(".")[0], i, "source", d.split(".")[1])
        if "." in d
        else DependencyRef(d, i, "ref")
        for i, d in enumerate(deps, start=1)
    )
    p = PurePosixPath(path)
    return ModelNode(
        name=p.stem,
        package=PKG,
        path=path,
        line=1,
        refs=refs,
        config=ModelConfig(**config),  # type: ignore[arg-type]
        fqn=(PKG, *p.parts[1:-1], p.stem),
    )


def _source(source_name: str, table_name: str, tags: tuple[str, ...] = ()) -> SourceNode:
    return SourceNode(
        name=table_name,
        package=PKG,
        path="models/sources.yml",
        line=3,
        source_name=source_name,
        table_name=table_name,
        tags=tags,
    )


@pytest.fixture
def graph() -> Graph:
    """Sources -> staging -> marts, plus a seed.

    ecommerce.orders    -> stg_orders    -> orders_enriched -> revenue
    ecommerce.customers -> stg_customers -> orders_enriched
    country_codes (seed)                 -> orders_enriched
    crm.accounts        -> stg_accounts  -> customer_accounts <- stg_customers
    """
    models = [
        _model("models/staging/stg_orders.py", "ecommerce.orders", tags=("daily",)),
        _model(
            "models/staging/stg_customers.py",
            "ecommerce.customers",
            tags=("daily", "pii"),
            materialized="table",
        ),
        _model("models/staging/crm/stg_accounts.sql", "crm.accounts"),
        _model(
            "models/marts/orders_enriched.py",
            "stg_orders",
            "stg_customers",
            "country_codes",
            tags=("daily",),
            materialized="table",
            meta={"owner": "ana"},
        ),
        _model(
            "models/marts/revenue.py", "orders_enriched", materialized="table", schema="finance", enabled=True
        ),
        _model("models/marts/customer_accounts.py", "stg_customers", "stg_accounts", tags=("weekly",)),
    ]
    seed = SeedNode(name="country_codes", package=PKG, path="seeds/country_codes.csv", line=1)
    sources = [
        _source("ecommerce", "orders"),
        _source("ecommerce", "customers"),
        _source("crm", "accounts", ("pii",)),
    ]
    g, errors = build_graph(
        {m.name: m for m in models},
        {seed.name: seed},
        {(s.source_name, s.table_name): s for s in sources},
    )
    assert errors == []
    return g


def _names(graph: Graph, selection: Selection) -> set[str]:
    """Model/seed names, and ``source_name.table_name`` for sources."""
    out = set()
    for uid in selection.ids:
        node = graph.nodes[uid]
        out.add(f"{node.source_name}.{node.table_name}" if isinstance(node, SourceNode) else node.name)
    return out


def _sel(
    graph: Graph, *select: str, exclude: tuple[str, ...] = (), types: set[str] | None = None
) -> set[str]:
    result = select_nodes(graph, list(select), list(exclude), resource_types=types)
    assert result.warnings == ()
    return _names(graph, result)


ALL_BUT_SOURCES = {
    "stg_orders",
    "stg_customers",
    "stg_accounts",
    "orders_enriched",
    "revenue",
    "customer_accounts",
    "country_codes",
}
ALL_SOURCES = {"ecommerce.orders", "ecommerce.customers", "crm.accounts"}
WITH_SOURCES = {"model", "seed", "source"}


# --- defaults --------------------------------------------------------------------------------


@pytest.mark.parametrize("select", [None, [], [""], ["  "]])
def test_select_nodes_without_select_returns_every_non_source_node(
    graph: Graph, select: list[str] | None
) -> None:
    result = select_nodes(graph, select)
    assert _names(graph, result) == ALL_BUT_SOURCES
    assert result.warnings == ()


def test_select_nodes_without_select_includes_sources_when_requested(graph: Graph) -> None:
    assert (
        _names(graph, select_nodes(graph, None, resource_types=WITH_SOURCES)) == ALL_BUT_SOURCES | ALL_SOURCES
    )


def test_select_nodes_accepts_a_plain_string(graph: Graph) -> None:
    assert _names(graph, select_nodes(graph, "stg_orders revenue")) == {"stg_orders", "revenue"}


def test_selection_is_frozen(graph: Graph) -> None:
    result = select_nodes(graph, ["revenue"])
    assert isinstance(result.ids, frozenset)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ids = frozenset()  # type: ignore[misc]


# --- names -----------------------------------------------------------------------------------


def test_name_selects_one_model(graph: Graph) -> None:
    result = select_nodes(graph, ["revenue"])
    assert result.ids == frozenset({"model.shop.revenue"})


def test_name_selects_a_seed(graph: Graph) -> None:
    assert _sel(graph, "country_codes") == {"country_codes"}


def test_name_wildcard_matches_several_models(graph: Graph) -> None:
    assert _sel(graph, "stg_*") == {"stg_orders", "stg_customers", "stg_accounts"}
    assert _sel(graph, "stg_?rders") == {"stg_orders"}


def test_name_never_matches_a_source_table(graph: Graph) -> None:
    result = select_nodes(graph, ["orders"], resource_types=WITH_SOURCES)
    assert result.ids == frozenset()
    assert result.warnings == ("The selection criterion 'orders' does not match any enabled nodes",)


def test_name_explicit_method_matches_like_bare_name(graph: Graph) -> None:
    assert _sel(graph, "name:stg_*") == _sel(graph, "stg_*")


# --- graph operators -------------------------------------------------------------------------


def test_parents_operator_adds_all_ancestors(graph: Graph) -> None:
    expected = {"revenue", "orders_enriched", "stg_orders", "stg_customers", "country_codes"}
    assert _sel(graph, "+revenue") == expected


def test_parents_operator_reaches_sources_when_sources_are_requested(graph: Graph) -> None:
    assert _sel(graph, "+stg_orders", types=WITH_SOURCES) == {"stg_orders", "ecommerce.orders"}


def test_children_operator_adds_all_descendants(graph: Graph) -> None:
    assert _sel(graph, "stg_customers+") == {
        "stg_customers",
        "orders_enriched",
        "revenue",
        "customer_accounts",
    }


def test_both_operators_add_ancestors_and_descendants(graph: Graph) -> None:
    assert _sel(graph, "+orders_enriched+") == {
        "stg_orders",
        "stg_customers",
        "country_codes",
        "orders_enriched",
        "revenue",
    }


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("0+revenue", {"revenue"}),
        ("1+revenue", {"revenue", "orders_enriched"}),
        ("2+revenue", {"revenue", "orders_enriched", "stg_orders", "stg_customers", "country_codes"}),
        ("stg_orders+1", {"stg_orders", "orders_enriched"}),
        ("stg_orders+2", {"stg_orders", "orders_enriched", "revenue"}),
        (
            "1+orders_enriched+1",
            {"stg_orders", "stg_customers", "country_codes", "orders_enriched", "revenue"},
        ),
    ],
)
def test_depth_limits_the_walk(graph: Graph, criterion: str, expected: set[str]) -> None:
    assert _sel(graph, criterion) == expected


def test_depth_limit_stops_before_sources(graph: Graph) -> None:
    assert "ecommerce.orders" not in _sel(graph, "2+revenue", types=WITH_SOURCES)
    assert "ecommerce.orders" in _sel(graph, "3+revenue", types=WITH_SOURCES)


def test_at_operator_adds_descendants_and_their_ancestors(graph: Graph) -> None:
    # stg_accounts is no descendant of stg_customers, but customer_accounts needs it
    assert _sel(graph, "@stg_customers") == {
        "stg_customers",
        "orders_enriched",
        "revenue",
        "customer_accounts",
        "stg_accounts",
        "stg_orders",
        "country_codes",
    }


def test_at_operator_on_a_leaf_equals_parents_operator(graph: Graph) -> None:
    assert _sel(graph, "@revenue") == _sel(graph, "+revenue")


# --- methods ---------------------------------------------------------------------------------


def test_tag_selects_models_with_the_tag(graph: Graph) -> None:
    assert _sel(graph, "tag:daily") == {"stg_orders", "stg_customers", "orders_enriched"}


def test_tag_matches_source_tags(graph: Graph) -> None:
    assert _sel(graph, "tag:pii", types=WITH_SOURCES) == {"stg_customers", "crm.accounts"}


def test_tag_accepts_wildcards(graph: Graph) -> None:
    assert _sel(graph, "tag:*ly") == {"stg_orders", "stg_customers", "orders_enriched", "customer_accounts"}


def test_path_selects_a_folder_and_its_subfolders(graph: Graph) -> None:
    assert _sel(graph, "path:models/staging") == {"stg_orders", "stg_customers", "stg_accounts"}
    assert _sel(graph, "path:models/staging/crm/") == {"stg_accounts"}


def test_path_selects_an_exact_file(graph: Graph) -> None:
    assert _sel(graph, "path:models/marts/revenue.py") == {"revenue"}
    assert _sel(graph, "path:./seeds/country_codes.csv") == {"country_codes"}


def test_path_does_not_match_a_partial_folder_name(graph: Graph) -> None:
    result = select_nodes(graph, ["path:models/stag"])
    assert result.ids == frozenset()
    assert len(result.warnings) == 1


def test_path_accepts_wildcards(graph: Graph) -> None:
    assert _sel(graph, "path:models/marts/*.py") == {"orders_enriched", "revenue", "customer_accounts"}


def test_path_bare_value_with_slash_is_a_path(graph: Graph) -> None:
    assert _sel(graph, "models/marts") == {"orders_enriched", "revenue", "customer_accounts"}


def test_config_materialized_compares_the_value(graph: Graph) -> None:
    assert _sel(graph, "config.materialized:table") == {"stg_customers", "orders_enriched", "revenue"}


def test_config_schema_reads_the_aliased_field(graph: Graph) -> None:
    assert _sel(graph, "config.schema:finance") == {"revenue"}


def test_config_tags_checks_membership(graph: Graph) -> None:
    assert _sel(graph, "config.tags:pii") == {"stg_customers"}


def test_config_nested_meta_key(graph: Graph) -> None:
    assert _sel(graph, "config.meta.owner:ana") == {"orders_enriched"}


def test_config_boolean_is_case_insensitive(graph: Graph) -> None:
    assert _sel(graph, "config.enabled:True") == ALL_BUT_SOURCES
    assert select_nodes(graph, ["config.enabled:false"]).ids == frozenset()


def test_source_selects_every_table_of_a_source(graph: Graph) -> None:
    assert _sel(graph, "source:ecommerce", types={"source"}) == {"ecommerce.orders", "ecommerce.customers"}


def test_source_selects_one_table(graph: Graph) -> None:
    assert _sel(graph, "source:ecommerce.orders", types={"source"}) == {"ecommerce.orders"}
    assert _sel(graph, "source:shop.crm.accounts", types={"source"}) == {"crm.accounts"}


def test_source_with_children_selects_downstream_models(graph: Graph) -> None:
    downstream = {"stg_orders", "stg_customers", "orders_enriched", "revenue", "customer_accounts"}
    assert _sel(graph, "source:ecommerce+") == downstream
    assert _sel(graph, "source:ecommerce.orders+1") == {"stg_orders"}


def test_source_alone_returns_nothing_by_default(graph: Graph) -> None:
    result = select_nodes(graph, ["source:ecommerce"])
    assert result.ids == frozenset()
    assert result.warnings == ()  # the criterion matched; the resource-type filter dropped it


def test_resource_type_selects_by_kind(graph: Graph) -> None:
    assert _sel(graph, "resource_type:seed") == {"country_codes"}
    assert _sel(graph, "resource_type:source", types=WITH_SOURCES) == ALL_SOURCES


def test_fqn_selects_by_folder_prefix(graph: Graph) -> None:
    assert _sel(graph, "fqn:shop.staging") == {"stg_orders", "stg_customers", "stg_accounts"}
    assert _sel(graph, "fqn:shop.staging.crm.*") == {"stg_accounts"}


def test_fqn_selects_by_leaf_name(graph: Graph) -> None:
    assert _sel(graph, "fqn:revenue") == {"revenue"}


# --- set operations --------------------------------------------------------------------------


def test_intersection_keeps_nodes_matching_every_part(graph: Graph) -> None:
    assert _sel(graph, "tag:daily,config.materialized:table") == {"stg_customers", "orders_enriched"}


def test_intersection_applies_operators_per_part(graph: Graph) -> None:
    assert _sel(graph, "+revenue,config.materialized:view") == {"stg_orders"}


def test_union_within_one_value(graph: Graph) -> None:
    assert _sel(graph, "revenue country_codes") == {"revenue", "country_codes"}


def test_union_across_values(graph: Graph) -> None:
    assert _sel(graph, "revenue", "tag:weekly") == {"revenue", "customer_accounts"}


def test_exclude_removes_nodes(graph: Graph) -> None:
    assert _sel(graph, "stg_*", exclude=("stg_accounts",)) == {"stg_orders", "stg_customers"}


def test_exclude_with_operator_and_union(graph: Graph) -> None:
    remaining = _sel(graph, exclude=("stg_customers+ country_codes",))
    assert remaining == {"stg_orders", "stg_accounts"}


def test_exclude_intersection_removes_only_the_overlap(graph: Graph) -> None:
    remaining = _sel(graph, "tag:daily", exclude=("tag:daily,config.materialized:view",))
    assert remaining == {"stg_customers", "orders_enriched"}


def test_exclude_that_matches_nothing_gives_no_warning(graph: Graph) -> None:
    result = select_nodes(graph, ["revenue"], ["nothing_here"])
    assert _names(graph, result) == {"revenue"}
    assert result.warnings == ()


def test_resource_types_filters_the_result(graph: Graph) -> None:
    assert _sel(graph, "+orders_enriched", types={"seed"}) == {"country_codes"}


# --- warnings --------------------------------------------------------------------------------


def test_warning_for_each_criterion_that_matches_nothing(graph: Graph) -> None:
    result = select_nodes(graph, ["revenue nope", "tag:missing", "nope"])
    assert _names(graph, result) == {"revenue"}
    assert result.warnings == (
        "The selection criterion 'nope' does not match any enabled nodes",
        "The selection criterion 'tag:missing' does not match any enabled nodes",
    )


def test_warning_for_an_empty_intersection(graph: Graph) -> None:
    result = select_nodes(graph, ["tag:weekly,config.materialized:table"])
    assert result.ids == frozenset()
    assert result.warnings == (
        "The selection criterion 'tag:weekly,config.materialized:table' does not match any enabled nodes",
    )


# --- errors ----------------------------------------------------------------------------------


def test_unknown_method_raises_with_suggestion(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["tagg:daily"])
    err = info.value
    assert err.suggestions == ["tag"]
    assert err.hint is not None
    assert "tag" in err.hint
    assert "tagg:daily" in err.message
    assert "Did you mean 'tag'?" in str(err)
    assert err.code == "bad-selector"


def test_unknown_method_in_exclude_names_the_flag(graph: Graph) -> None:
    with pytest.raises(SelectionError, match="--exclude 'sorce:ecommerce'") as info:
        select_nodes(graph, None, ["sorce:ecommerce"])
    assert info.value.suggestions == ["source"]


@pytest.mark.parametrize(
    "criterion",
    ["++x", "x++", "+", "tag:", "@x+", "@+x", "a,,b", "a,", "config.:x", "bad-method:x", "x@y"],
)
def test_malformed_criterion_raises_with_hint(graph: Graph, criterion: str) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, [criterion])
    assert info.value.hint
    assert "Fix:" in str(info.value)


def test_config_without_key_raises(graph: Graph) -> None:
    with pytest.raises(SelectionError, match="names no config key") as info:
        select_nodes(graph, ["config:table"])
    assert info.value.hint is not None
    assert "config.<key>:<value>" in info.value.hint


def test_config_unknown_key_raises_with_suggestion(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["config.materialised:table"])
    assert info.value.suggestions[0] == "materialized"


def test_config_attribute_name_is_not_a_user_key(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["config.schema_:finance"])
    assert "schema" in info.value.suggestions


def test_method_without_arguments_rejects_a_dotted_name(graph: Graph) -> None:
    with pytest.raises(SelectionError, match=r"tag\.x"):
        select_nodes(graph, ["tag.x:daily"])


def test_source_with_too_many_parts_raises(graph: Graph) -> None:
    with pytest.raises(SelectionError, match="too many parts"):
        select_nodes(graph, ["source:a.b.c.d"])


def test_resource_type_unknown_value_raises_with_suggestion(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, ["resource_type:modle"])
    assert info.value.suggestions == ["model"]


def test_resource_types_unknown_value_raises_with_suggestion(graph: Graph) -> None:
    with pytest.raises(SelectionError) as info:
        select_nodes(graph, None, resource_types={"seeds"})
    assert info.value.suggestions == ["seed"]


def test_syntax_error_wins_over_no_match(graph: Graph) -> None:
    with pytest.raises(SelectionError):
        select_nodes(graph, ["nothing,tag:"])
