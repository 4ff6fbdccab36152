"""``pyflow docs generate`` and ``pyflow docs serve`` end to end on examples/shop (no browser)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def read_data(folder: Path) -> dict[str, Any]:
    text = (folder / "data.js").read_text(encoding="utf-8")
    return dict(json.loads(text.removeprefix("window.PYFLOW_DOCS = ").rstrip().removesuffix(";")))


def test_docs_generate_writes_catalog_types_of_built_nodes_and_declared_columns_of_others(
    copy_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = copy_project("examples/shop")
    pyflow("run", "--project-dir", project, "-s", "stg_orders")  # only this model is built
    out = pyflow("docs", "generate", "--project-dir", project)
    folder = project / "target" / "docs"
    assert f"to {folder}" in out.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "app.js", "catalog.json", "data.js", "favicon.svg", "index.html", "manifest.json", "style.css",
    ]  # fmt: skip

    catalog = json.loads((project / "target" / "catalog.json").read_text(encoding="utf-8"))
    assert set(catalog) == {"metadata", "nodes", "sources", "errors"}
    assert sorted(catalog["nodes"]) == ["model.shop.stg_orders"]
    stg = catalog["nodes"]["model.shop.stg_orders"]
    assert stg["metadata"]["type"] == "VIEW" and stg["metadata"]["name"] == "stg_orders"
    assert stg["columns"]["order_id"] == {"type": "BIGINT", "index": 1, "name": "order_id", "comment": None}
    assert json.loads((folder / "catalog.json").read_text(encoding="utf-8")) == catalog
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert (
        "model.shop.fct_orders" in manifest["nodes"]
        and manifest["nodes"]["model.shop.fct_orders"]["compiled_code"]
    )

    data = read_data(folder)
    built = data["nodes"]["model.shop.stg_orders"]
    assert built["built"] is True
    assert {c["name"]: (c["type"], c["type_source"]) for c in built["columns"]}["order_id"] == (
        "BIGINT",
        "catalog",
    )
    dim = data["nodes"]["model.shop.dim_customers"]
    assert dim["built"] is False
    declared = {c["name"]: c for c in dim["columns"]}
    assert declared["customer_id"]["description_html"] == "<p>Primary key.</p>\n"
    assert declared["customer_id"]["type_source"] in ("declared", "inferred")
    assert "def dim_customers(" in dim["raw_code"] and dim["compiled_code"].lstrip().upper().startswith(
        ("SELECT", "WITH")
    )
    assert "{{" in data["nodes"]["model.shop.stg_customers"]["raw_code"]  # SQL models keep their Jinja
    kinds = {n["resource_type"] for n in data["nodes"].values()}
    assert kinds == {"model", "seed", "snapshot", "source", "test"}
    assert data["lineage"]["model.shop.stg_orders"]["amount_dollars"]["up"] == [
        ["source.shop.ecommerce.orders", "total_amount_cents"]
    ]


def test_docs_site_assets_name_no_network_resource() -> None:
    assets = REPO / "pyflow" / "runner" / "docsite_assets"
    for path in assets.iterdir():
        text = path.read_text(encoding="utf-8")
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (path.name, urls)
        assert "fetch(" not in text and "XMLHttpRequest" not in text, path.name


def test_docs_serve_without_a_site_says_to_generate_it(
    copy_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = copy_project("examples/shop")
    out = pyflow("docs", "serve", "--project-dir", project, expect=1)
    assert "[docs-not-generated]" in out.output and "pyflow docs generate" in out.output
    assert str(project / "target" / "docs") in out.output


def test_docs_serve_on_a_busy_port_is_a_user_error(
    copy_project: Callable[..., Path], pyflow: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = pyflow("docs", "serve", "--folder", tmp_path / "site", "--port", str(port), expect=1)
    assert "[docs-serve-address]" in out.output and f"127.0.0.1:{port}" in out.output
    assert "--port" in out.output


def test_docs_serve_serves_the_site_and_stops_cleanly_on_ctrl_c(
    copy_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = copy_project("examples/shop")
    pyflow("docs", "generate", "--project-dir", project)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()",
         "docs", "serve", "--project-dir", str(project), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", first)
        assert match, first
        with urllib.request.urlopen(match.group(1), timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith("text/html")
            assert '<script src="data.js"></script>' in resp.read().decode()
        with urllib.request.urlopen(match.group(1) + "data.js", timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith("text/javascript")
            assert resp.read().startswith(b"window.PYFLOW_DOCS = ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err


def test_docs_server_answers_from_a_thread(tmp_path: Path) -> None:
    from pyflow.runner.docserve import make_server

    (tmp_path / "index.html").write_text("<p>site</p>", encoding="utf-8")
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.read() == b"<p>site</p>"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_docs_generate_documents_a_model_that_does_not_compile_then_exits_1(
    make_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = make_project(
        {
            "models/m.py": '''
                import ibis
                from pyflow import model

                @model()
                def a() -> ibis.Table:
                    """The **first** model."""
                    return ibis.memtable({"x": [1]})

                @model()
                def b(a: ibis.Table) -> ibis.Table:
                    return a.select(a.nope)
            ''',
        }
    )
    out = pyflow("docs", "generate", "--project-dir", project, expect=1)
    assert "Wrote the docs site for 2 node(s)" in out.output
    assert "[python-model-error]" in out.output and "models/m.py:11" in out.output
    data = read_data(project / "target" / "docs")
    assert data["nodes"]["model.proj.b"]["compiled_code"] == ""
    assert "def b(a: ibis.Table)" in data["nodes"]["model.proj.b"]["raw_code"]
    assert data["nodes"]["model.proj.a"]["description_html"] == "<p>The <strong>first</strong> model.</p>\n"


def test_docs_site_shows_each_nodes_run_history(
    make_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    # the docs site shows, per model, the runs `pyflow monitor` reads from the run history
    files = {"models/a.sql": "select 1 as x\n", "models/b.sql": "select x from {{ ref('a') }}\n"}
    project = make_project(files)
    pyflow("run", "--project-dir", project)
    pyflow("run", "--project-dir", project, "-s", "a")
    pyflow("docs", "generate", "--project-dir", project)

    nodes = read_data(project / "target" / "docs")["nodes"]

    a, b = nodes["model.proj.a"]["history"], nodes["model.proj.b"]["history"]
    assert (a["runs"], a["last_status"], len(a["durations"]), len(a["rows"])) == (2, "success", 2, 2)
    assert all(d is not None and d >= 0 for d in a["durations"])
    assert (b["runs"], len(b["durations"])) == (1, 1)


def test_docs_site_without_run_history_has_none(
    make_project: Callable[..., Path], pyflow: Callable[..., Any]
) -> None:
    project = make_project(
        {"models/a.sql": "select 1 as x\n"}, project_yml="name: proj\nrun-history: false\n"
    )
    pyflow("run", "--project-dir", project)
    pyflow("docs", "generate", "--project-dir", project)

    assert "history" not in read_data(project / "target" / "docs")["nodes"]["model.proj.a"]
