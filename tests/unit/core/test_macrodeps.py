"""pyflow.core.macrodeps: which macros a node and a macro call, and each macro's text."""

from __future__ import annotations

from pyflow.core.jinja import JinjaProject
from pyflow.core.macrodeps import macro_index
from pyflow.core.node import ModelNode

ROOT = {
    "macros/a.sql": "{% macro a() %}{{ b() }}{% endmacro %}\n{% macro b() %}1{% endmacro %}\n",
    "macros/d.sql": "{% macro d(x) %}{{ return(adapter.dispatch('d', 'pkg')(x)) }}{% endmacro %}\n"
    "{% macro duckdb__d(x) %}{{ x }}{% endmacro %}\n",
}
PKG = {"dbt_packages/pkg/macros/p.sql": "{% macro p() %}{{ own() }}{% endmacro %}{% macro own() %}2{% endmacro %}"
       "{% macro default__d(x) %}{{ x }}{% endmacro %}"}  # fmt: skip


def _index(*models: tuple[str, str]):
    jinja = JinjaProject(ROOT)
    jinja.add_package("pkg", PKG)
    nodes = [ModelNode(name=n, package="shop", path=f"models/{n}.sql", line=1, language="sql", raw_code=code)
             for n, code in models]  # fmt: skip
    return macro_index(jinja, "shop", nodes)


def test_macro_text_and_calls_with_package_macros_calling_their_own() -> None:
    index = _index()

    assert index.macros["macro.shop.a"].macro_sql == "{% macro a() %}{{ b() }}{% endmacro %}"
    assert index.macros["macro.shop.a"].calls == ("macro.shop.b",)
    assert index.macros["macro.pkg.p"].calls == ("macro.pkg.own",)
    assert index.macros["macro.shop.d"].calls == ("macro.pkg.default__d", "macro.shop.duckdb__d")


def test_a_node_reaches_macros_through_other_macros_and_packages() -> None:
    index = _index(("m", "select {{ a() }}, {{ pkg.p() }} from {{ ref('x') }}"), ("plain", "select 1"))

    assert index.node_macros["model.shop.m"] == ("macro.pkg.p", "macro.shop.a")
    assert index.reached("model.shop.m") == {"macro.shop.a", "macro.shop.b", "macro.pkg.p", "macro.pkg.own"}
    assert "model.shop.plain" not in index.node_macros and index.reached("model.shop.plain") == set()
