"""Tests for pyflow.core.jinja: static ref/source discovery, macros and rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyflow.config.loader import load_project
from pyflow.core.jinja import JinjaProject, snippet
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.errors import CompileError

TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")

BRANCHES = """
select *
{% if var('use_new', false) %}
from {{ ref('orders_v2') }}
{% else %}
from {{ ref("orders_v1") }}
{% endif %}
join {{ source('raw', 'customers') }} using (id)
"""


def _render(jinja: JinjaProject, path: str, text: str, **extra: Any) -> str:
    jinja.add_template(path, text)
    ctx = base_context("m", {}, TARGET, datetime.now(UTC))
    ctx.update(extra)
    return jinja.render(path, ctx, model="m")


def test_jinja_static_refs_finds_refs_in_both_branches_of_an_if() -> None:
    found = JinjaProject({}).static_refs("models/m.sql", BRANCHES)

    assert found.refs == [("orders_v2", 4), ("orders_v1", 6)]
    assert found.sources == [("raw", "customers", 8)]


def test_jinja_static_refs_ignores_dynamic_calls_and_takes_the_last_ref_argument() -> None:
    text = "{{ ref(name) }} {{ ref('pkg', 'orders') }} {{ source('raw', table) }} {{ other('x') }}"

    found = JinjaProject({}).static_refs("m.sql", text)

    assert found.refs == [("orders", 1)]
    assert found.sources == []


def test_jinja_both_branches_become_graph_parents(make_project: Callable[..., Path]) -> None:
    root = make_project(
        {
            "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: customers\n",
            "models/orders_v1.sql": "select 1 as id\n",
            "models/orders_v2.sql": "select 2 as id\n",
            "models/m.sql": BRANCHES,
        },
        name="shop",
    )

    project = load_project(root)

    assert sorted(project.graph.parents["model.shop.m"]) == [
        "model.shop.orders_v1",
        "model.shop.orders_v2",
        "source.shop.raw.customers",
    ]


MACROS = {
    "macros/money.sql": """{% macro cents_to_dollars(col, digits=2) -%}
round({{ col }} / 100.0, {{ digits }})
{%- endmacro %}

{% macro total(col) -%}
sum({{ cents_to_dollars(col) }})
{%- endmacro %}
""",
    "macros/util.sql": """{% macro pick(flag) -%}
{% if flag %}{{ return('yes') }}{% endif %}{{ return(['n', 'o'] | join('')) }}
{%- endmacro %}
""",
}


def test_jinja_macros_call_macros_across_files() -> None:
    jinja = JinjaProject(MACROS)

    out = _render(jinja, "models/m.sql", "select {{ total('amount') }} as t")

    assert jinja.errors == []
    assert out == "select sum(round(amount / 100.0, 2)) as t"


def test_jinja_return_makes_the_macro_call_return_a_value() -> None:
    out = _render(
        JinjaProject(MACROS), "models/m.sql", "{{ pick(true) }} {{ pick(false) }} {{ pick(true) | length }}"
    )

    assert out == "yes no 3"


def test_jinja_duplicate_macro_names_across_files_name_both_paths() -> None:
    files = {
        "macros/a.sql": "{% macro fmt(x) %}{{ x }}{% endmacro %}\n",
        "macros/b.sql": "\n\n{% macro fmt(x) %}[{{ x }}]{% endmacro %}\n",
    }

    (err,) = JinjaProject(files).errors

    assert err.code == "duplicate-macro"
    assert (err.path, err.line) == ("macros/b.sql", 3)
    assert "macros/a.sql" in err.message and "macros/b.sql" in err.message
    assert err.hint


def test_jinja_macro_file_syntax_error_is_collected_with_a_snippet() -> None:
    (err,) = JinjaProject({"macros/bad.sql": "{% macro f() %}\n{{ x }\n{% endmacro %}\n"}).errors

    assert err.code == "jinja-syntax"
    assert err.path == "macros/bad.sql"
    assert err.line == 2
    assert err.detail is not None and "2 | {{ x }" in err.detail


def test_jinja_adapter_quote_uses_the_engine_quoting() -> None:
    jinja = JinjaProject({})
    jinja.add_template("m.sql", "select {{ adapter.quote('order') }}")
    ctx = base_context("m", {}, TARGET, datetime.now(UTC), quote=lambda s: f"`{s}`")

    assert jinja.render("m.sql", ctx) == "select `order`"
    assert _render(JinjaProject({}), "n.sql", "{{ adapter.quote('a\"b') }}") == '"a""b"'


def test_jinja_context_exposes_var_env_var_target_and_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFLOW_TEST_REGION", "eu")
    jinja = JinjaProject({})
    jinja.add_template(
        "m.sql",
        "{{ var('n') }} {{ var('x', 'dflt') }} {{ env_var('PYFLOW_TEST_REGION') }} "
        "{{ target.schema }} {{ modules.re.sub('a', 'b', 'aa') }}",
    )
    ctx = base_context("m", {"n": 5}, TARGET, datetime.now(UTC))

    assert jinja.render("m.sql", ctx) == "5 dflt eu main bb"


def test_jinja_runtime_error_names_the_template_line() -> None:
    with pytest.raises(CompileError) as info:
        _render(JinjaProject({}), "models/m.sql", "select\n{{ 1 / 0 }}\n")

    err = info.value
    assert err.code == "jinja-render"
    assert (err.model, err.path, err.line) == ("m", "models/m.sql", 2)
    assert "ZeroDivisionError" in err.message


def test_jinja_snippet_marks_the_line() -> None:
    assert snippet("a\nb\nc\nd", 2, width=1) == "     1 | a\n>    2 | b\n     3 | c"
    assert snippet("a", None) == ""
