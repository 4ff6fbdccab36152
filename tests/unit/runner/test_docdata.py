"""The docs site's data from hand-written artifacts: columns and types, tests, graph, column lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyflow.runner.docdata import column_edges, columns, layout, site_data
from pyflow.runner.docmarkdown import render_markdown
from pyflow.runner.docsite import data_script

MANIFEST: dict[str, Any] = {
    "metadata": {"project_name": "shop", "generated_at": "2026-12-06T00:00:00+00:00", "adapter_type": "duckdb"},
    "nodes": {
        "model.shop.stg_orders": {
            "name": "stg_orders", "resource_type": "model", "language": "python",
            "description": "Orders, **cleaned**.", "original_file_path": "models/stg_orders.py", "line": 3,
            "config": {"materialized": "view"}, "tags": ["staging"],
            "depends_on": {"nodes": ["source.shop.raw.orders"]},
            "columns": {"order_id": {"description": "Key <b>one</b>", "data_type": None, "inferred_type": "int64"},
                        "amount": {"description": "", "data_type": "DECIMAL(10,2)", "inferred_type": "float64"}},
            "raw_code": "def stg_orders(raw__orders): ...", "compiled_code": "SELECT 1",
        },
        "model.shop.fct_orders": {
            "name": "fct_orders", "resource_type": "model", "language": "sql",
            "depends_on": {"nodes": ["model.shop.stg_orders"]},
            "columns": {"order_id": {"description": "", "data_type": None, "inferred_type": "int64"}},
        },
        "test.shop.not_null_stg_orders_order_id.abc": {
            "name": "not_null_stg_orders_order_id", "resource_type": "test",
            "depends_on": {"nodes": ["model.shop.stg_orders"]},
        },
    },
    "sources": {
        "source.shop.raw.orders": {
            "name": "raw.orders", "source_name": "raw", "resource_type": "source", "fqn": ["shop", "raw", "orders"],
            "depends_on": {"nodes": []}, "columns": {},
        }
    },
    "exposures": {
        "exposure.shop.dashboard": {
            "name": "dashboard", "resource_type": "exposure", "type": "dashboard",
            "owner": {"name": "Ana"}, "depends_on": {"nodes": ["model.shop.fct_orders"]},
        }
    },
}  # fmt: skip
CATALOG = {
    "nodes": {
        "model.shop.stg_orders": {
            "columns": {
                "AMOUNT": {"name": "AMOUNT", "type": "DECIMAL(12,2)", "index": 2},
                "ORDER_ID": {"name": "ORDER_ID", "type": "BIGINT", "index": 1},
            }
        }
    },
    "sources": {},
}
LINEAGE = {
    "nodes": {
        "model.shop.stg_orders": {
            "columns": {"order_id": [{"unique_id": "source.shop.raw.orders", "column": "id"}]}
        },
        "model.shop.fct_orders": {
            "columns": {"order_id": [{"unique_id": "model.shop.stg_orders", "column": "order_id"}]},
        },
        "model.shop.frame": {"columns": {}, "error": "the model returns a DataFrame"},
    }
}
TESTS = {
    "test.shop.not_null_stg_orders_order_id.abc": {
        "test_name": "not_null", "column_name": "order_id", "attached": "model.shop.stg_orders",
    }
}  # fmt: skip


def test_site_data_built_node_takes_types_from_the_catalog_in_table_order() -> None:
    data = site_data(MANIFEST, CATALOG, LINEAGE, TESTS)
    stg = data["nodes"]["model.shop.stg_orders"]
    assert [(c["name"], c["type"], c["type_source"]) for c in stg["columns"]] == [
        ("ORDER_ID", "BIGINT", "catalog"),
        ("AMOUNT", "DECIMAL(12,2)", "catalog"),
    ]
    assert stg["built"] is True
    assert stg["columns"][0]["description_html"] == "<p>Key &lt;b&gt;one&lt;/b&gt;</p>\n"


def test_site_data_unbuilt_node_shows_declared_then_inferred_types() -> None:
    entry = MANIFEST["nodes"]["model.shop.stg_orders"]
    assert [(c["name"], c["type"], c["type_source"]) for c in columns(entry, None)] == [
        ("order_id", "int64", "inferred"),
        ("amount", "DECIMAL(10,2)", "declared"),
    ]
    assert site_data(MANIFEST)["nodes"]["model.shop.fct_orders"]["built"] is False


def test_site_data_lists_tests_on_the_node_they_test_and_renders_descriptions() -> None:
    data = site_data(MANIFEST, CATALOG, LINEAGE, TESTS)
    stg = data["nodes"]["model.shop.stg_orders"]
    assert stg["tests"] == [
        {"unique_id": "test.shop.not_null_stg_orders_order_id.abc", "name": "not_null_stg_orders_order_id",
         "test_name": "not_null", "column": "order_id"}
    ]  # fmt: skip
    assert stg["description_html"] == "<p>Orders, <strong>cleaned</strong>.</p>\n"
    assert stg["raw_code"].startswith("def stg_orders(") and stg["compiled_code"] == "SELECT 1"
    assert stg["children"] == ["model.shop.fct_orders", "test.shop.not_null_stg_orders_order_id.abc"]
    assert data["nodes"]["source.shop.raw.orders"]["name"] == "raw.orders"
    exposure = data["nodes"]["exposure.shop.dashboard"]
    assert (exposure["exposure_type"], exposure["owner"], exposure["parents"]) == (
        "dashboard", {"name": "Ana"}, ["model.shop.fct_orders"],
    )  # fmt: skip


def test_column_edges_have_both_directions_and_drop_unknown_nodes() -> None:
    edges = column_edges(
        LINEAGE, ["model.shop.stg_orders", "model.shop.fct_orders", "source.shop.raw.orders"]
    )
    assert edges["model.shop.stg_orders"]["order_id"] == {
        "up": [["source.shop.raw.orders", "id"]],
        "down": [["model.shop.fct_orders", "order_id"]],
    }
    assert edges["source.shop.raw.orders"]["id"] == {
        "up": [],
        "down": [["model.shop.stg_orders", "order_id"]],
    }
    unknown = column_edges({"nodes": {"model.a": {"columns": {"x": [{"unique_id": "model.gone", "column": "y"}]}}}},
                           ["model.a"])  # fmt: skip
    assert unknown == {"model.a": {"x": {"up": [], "down": []}}}


def test_site_data_keeps_a_node_lineage_error_and_adds_lineage_only_columns() -> None:
    manifest = {
        **MANIFEST,
        "nodes": {**MANIFEST["nodes"], "model.shop.frame": {"name": "frame", "resource_type": "model"}},
    }
    data = site_data(manifest, {}, LINEAGE)
    assert data["nodes"]["model.shop.frame"]["lineage_error"] == "the model returns a DataFrame"
    src = data["nodes"]["source.shop.raw.orders"]
    assert [c["name"] for c in src["columns"]] == ["id"]  # known from lineage alone


def test_layout_puts_each_node_right_of_its_parents_and_leaves_tests_out() -> None:
    data = site_data(MANIFEST, CATALOG, LINEAGE, TESTS)
    pos = data["graph"]["positions"]
    assert set(pos) == {"source.shop.raw.orders", "model.shop.stg_orders", "model.shop.fct_orders",
                        "exposure.shop.dashboard"}  # fmt: skip
    xs = [pos[u]["x"] for u in ("source.shop.raw.orders", "model.shop.stg_orders", "model.shop.fct_orders",
                                "exposure.shop.dashboard")]  # fmt: skip
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert sorted(data["graph"]["edges"]) == [
        ["model.shop.fct_orders", "exposure.shop.dashboard"],
        ["model.shop.stg_orders", "model.shop.fct_orders"],
        ["source.shop.raw.orders", "model.shop.stg_orders"],
    ]


def test_layout_depth_is_the_longest_path_and_rows_do_not_overlap() -> None:
    nodes = {
        u: {"resource_type": "model", "parents": ps}
        for u, ps in {"a": [], "b": ["a"], "c": ["a", "b"], "d": [], "e": ["d"]}.items()
    }
    pos = layout(nodes)["positions"]
    assert pos["c"]["x"] == 2 * pos["b"]["x"] > 0  # c waits for b, not only for a
    assert len({(p["x"], p["y"]) for p in pos.values()}) == 5


def test_render_markdown_escapes_html_and_refuses_script_links() -> None:
    html = render_markdown("see [x](javascript:alert(1)) <script>alert(2)</script> | a |\n|---|\n| 1 |")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert render_markdown("| a |\n|---|\n| 1 |").startswith("<table>")
    assert render_markdown("   ") == "" and render_markdown(None) == ""


def test_data_script_cannot_close_a_script_tag_and_reads_back() -> None:
    data = {"nodes": {"m": {"description_html": "</script><script>alert(1)</script>", "x": "\u2028"}}}
    text = data_script(data)
    assert "</script>" not in text and "<" not in text and "\u2028" not in text
    assert text.startswith("window.PYFLOW_DOCS = ") and text.endswith(";\n")
    assert json.loads(text.removeprefix("window.PYFLOW_DOCS = ").rstrip().removesuffix(";")) == data


def test_site_assets_ship_in_the_wheel_and_the_page_loads_each_of_them(tmp_path: Path) -> None:
    import fnmatch
    import tomllib

    from pyflow.runner.docsite import ASSETS, write_site

    repo = Path(__file__).resolve().parents[3]
    globs = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["pyflow"]
    shipped = sorted(p.name for p in (repo / "pyflow" / "runner" / "docsite_assets").iterdir())
    assert shipped == sorted(ASSETS)
    for name in shipped:
        assert any(fnmatch.fnmatch(f"runner/docsite_assets/{name}", g) for g in globs), name
    write_site(tmp_path / "site", site_data(MANIFEST), MANIFEST, {"nodes": {}, "sources": {}})
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    for name in ("data.js", "app.js", "style.css", "favicon.svg"):
        assert f'"{name}"' in page
    assert page.index('src="data.js"') < page.index(
        'src="app.js"'
    )  # the data is there before the script runs
