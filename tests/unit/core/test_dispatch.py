"""Tests for pyflow.core.dispatch: adapter.dispatch's search order and the dbt namespace."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pyflow.config.dispatchconfig import dispatch_orders
from pyflow.config.yamlfile import YamlDoc
from pyflow.core.dispatch import DbtNamespace, Dispatcher
from pyflow.core.jinja import JinjaProject
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.errors import CompileError


def macro(label: str):
    return lambda *a: label


MACROS = {
    "duckdb__pick": macro("root duckdb"),
    "default__pick": macro("root default"),
    "default__dateadd": macro("root default dateadd"),
}
PACKAGES = {
    "pkg": {"default__only_pkg": macro("pkg default (in the package)"), "trino__only_pkg": macro("pkg trino")}
}


def dispatcher(adapter_type: str = "duckdb", orders=None) -> Dispatcher:
    return Dispatcher(
        MACROS,
        adapter_type=adapter_type,
        root="proj",
        search_orders=orders or {},
        packages=PACKAGES,
        builtins={"dateadd": macro("builtin dateadd"), "hash": macro("builtin hash")},
    )


def test_adapter_macro_before_default_in_the_same_package():
    assert dispatcher().resolve("pick", "pkg")() == "root duckdb"
    assert dispatcher("trino").resolve("pick", "pkg")() == "root default"


def test_default_search_order_is_root_then_the_namespace():
    assert dispatcher().search_order("pkg") == ["proj", "pkg"]
    assert dispatcher().resolve("only_pkg", "pkg")() == "pkg default (in the package)"
    assert dispatcher("trino").resolve("only_pkg", "pkg")() == "pkg trino"


def test_project_search_order_replaces_the_default():
    # searching only the package: the root project's duckdb__pick is not seen
    with pytest.raises(CompileError, match=re.escape("searched pkg.duckdb__pick, pkg.default__pick")):
        dispatcher(orders={"pkg": ["pkg"]}).resolve("pick", "pkg")
    assert dispatcher(orders={"pkg": ["pkg", "proj"]}).resolve("only_pkg", "pkg")() == (
        "pkg default (in the package)"
    )


def test_dbt_namespace_prefers_the_project_then_dbts_own():
    dbt = DbtNamespace(dispatcher())
    assert dbt.dateadd() == "root default dateadd"  # the project's default__ overrides dbt's
    assert dbt.hash() == "builtin hash"


def test_unknown_name_lists_every_candidate_and_missing_packages():
    with pytest.raises(CompileError) as info:
        dispatcher(orders={"dbt_utils": ["proj", "dbt_utils"]}).resolve("nope", "dbt_utils")
    err = info.value
    assert err.code == "dispatch-not-found"
    assert (
        "searched proj.duckdb__nope, proj.default__nope, dbt_utils.duckdb__nope, dbt_utils.default__nope"
        in (str(err))
    )
    assert "package(s) not installed: dbt_utils" in str(err)
    assert "default__nope" in str(err.hint)


def test_dispatch_orders_from_dbt_project_yml():
    doc = YamlDoc(
        Path("dbt_project.yml"),
        {"dispatch": [{"macro_namespace": "dbt_utils", "search_order": ["proj", "dbt_utils"]}]},
        display="dbt_project.yml",
    )
    assert dispatch_orders(doc) == ({"dbt_utils": ["proj", "dbt_utils"]}, [])


def test_dispatch_entry_without_search_order_is_an_error_naming_the_file():
    doc = YamlDoc(
        Path("dbt_project.yml"),
        {"dispatch": [{"macro_namespace": "dbt_utils"}]},
        {("dispatch", 0): 7},
        display="dbt_project.yml",
    )
    orders, errors = dispatch_orders(doc)
    assert orders == {}
    (err,) = errors
    assert (err.path, err.line, err.code) == ("dbt_project.yml", 7, "invalid-config")
    assert "search_order" in str(err)


def test_parse_time_render_runs_no_query_and_execute_is_false():
    jinja = JinjaProject({})
    jinja.add_template(
        "m.sql",
        "{{ execute }} {{ run_query('select 1') is none }} {{ load_result('x') is none }}"
        "{% call statement('x', fetch_result=True) %}select 1{% endcall %}"
        " {{ adapter.get_relation(none, 'main', 't') is none }} {{ adapter.get_columns_in_relation(this) }}",
    )
    ctx = base_context("m", {}, TargetInfo("dev", "duckdb", "main", None), datetime.now(UTC))
    ctx["this"] = "t"
    assert jinja.render("m.sql", ctx, model="m") == "False True True True []"
