"""``pyflow docs generate``: one offline folder with the project's documentation site.

The folder holds ``index.html`` with the site's own script, style and icon (no CDN, nothing
fetched: it opens from ``file://``), ``data.js`` (the site's data as a script assigning
``window.PYFLOW_DOCS``, since a page opened from disk may not ``fetch()`` a JSON file), and
copies of ``manifest.json`` and ``catalog.json``. The two artifacts are also written to
``target/`` as dbt does. Everything shown is computed here: Markdown is rendered to HTML at
generate time (:mod:`pyflow.runner.docmarkdown`), the graph is laid out in Python
(:mod:`pyflow.runner.docdata`).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.core.node import TestNode
from pyflow.errors import PyflowError
from pyflow.jsonfile import write_json, write_text
from pyflow.runner import artifacts
from pyflow.runner.doccatalog import build_catalog
from pyflow.runner.docdata import site_data
from pyflow.secret import scrub_data

if TYPE_CHECKING:
    from pyflow.runner.session import Session

log = logging.getLogger(__name__)

ASSETS = ("index.html", "app.js", "style.css", "favicon.svg")
"""The site's static files (package data in ``pyflow/runner/docsite_assets/``)."""

LineageFn = Callable[["Session"], Mapping[str, Any]]


@dataclass
class DocsResult:
    """What ``docs generate`` wrote, and the nodes that did not compile."""

    folder: Path
    nodes: int
    built: int
    errors: list[PyflowError] = field(default_factory=list)


def generate(session: Session, out: Path | None = None, lineage: LineageFn | None = None) -> DocsResult:
    """Compile every node, read the catalog, and write the site to ``out`` (``target/docs/``).

    A node that fails to compile is still documented (without compiled SQL); its error is
    returned for the command to report.
    """
    project = session.project
    folder = out if out is not None else project.target_dir / "docs"
    compiled = session.compile_nodes(project.graph.topo_order())
    errors = [e for e in compiled.values() if isinstance(e, PyflowError)]
    session.write_manifest(compiled)
    manifest = json.loads((project.target_dir / "manifest.json").read_text(encoding="utf-8"))
    meta = artifacts.metadata(project, session.invocation_id, session.target.public_dict())
    catalog = build_catalog(session, meta)
    with artifacts.reporting_full_disk(project.target_dir / "catalog.json"):
        write_json(project.target_dir / "catalog.json", catalog)
    edges = column_lineage_of(session, lineage)
    data = site_data(manifest, catalog, edges, tests_of(session), history_of(session))
    write_site(folder, data, manifest, catalog)
    built = len(catalog["nodes"]) + len(catalog["sources"])
    return DocsResult(folder=folder, nodes=len(data["nodes"]), built=built, errors=errors)


def column_lineage_of(session: Session, lineage: LineageFn | None) -> Mapping[str, Any]:
    """Direct column lineage edges of every node (``{"nodes": {uid: {"columns": ...}}}``).

    Computed by :func:`pyflow.runner.columnlineage.column_lineage` from the compiled SQL, unless
    another ``lineage`` function is passed.
    """
    if lineage is None:
        from pyflow.runner.columnlineage import column_lineage

        return column_lineage(session)
    return lineage(session)


HISTORY_RUNS = 10
"""How many of the latest invocations a node page shows from the run history."""
HISTORY_KEYS: tuple[str, ...] = ("runs", "last_status", "last_run_at", "durations", "rows", "bytes_scanned")
HISTORY_KEYS += ("mean_seconds", "duration_trend", "rows_trend")


def history_of(session: Session) -> dict[str, dict[str, Any]]:
    """Per built node: its last runs from the run history, as ``pyflow monitor`` shows them.

    Empty when the history is off or not written yet. Reading it never fails the site: an
    unreadable history is a warning and the pages go without it.
    """
    history = session.history
    if history is None:
        return {}
    from pyflow.runner.monitorreport import build_report

    try:
        report = build_report(history, HISTORY_RUNS, stale_after_hours=24.0)
    except Exception as exc:  # the site documents the project whatever the history's state
        log.warning("the docs site goes without the run history: %s", exc)
        return {}
    return {m["unique_id"]: {k: m.get(k) for k in HISTORY_KEYS} for m in report["models"]}


def tests_of(session: Session) -> dict[str, dict[str, Any]]:
    """Per test: its generic test name, tested column and the unique id of the node under test."""
    graph = session.project.graph
    out: dict[str, dict[str, Any]] = {}
    for uid, node in graph.nodes.items():
        if not isinstance(node, TestNode):
            continue
        attached = graph.param_map.get(uid, {}).get(node.attached or "") if node.attached else None
        out[uid] = {
            "test_name": node.test_name or node.name,
            "column_name": node.column_name,
            "attached": attached,
        }
    return out


def data_script(data: Mapping[str, Any]) -> str:
    """``data.js``: the site's data as a script (secrets masked; ``<`` escaped, so no text closes a tag)."""
    text = json.dumps(scrub_data(data), sort_keys=True, default=str).replace("<", "\\u003c")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.PYFLOW_DOCS = {text};\n"


def write_site(
    folder: Path, data: Mapping[str, Any], manifest: Mapping[str, Any], catalog: Mapping[str, Any]
) -> None:
    """Write the site's files into ``folder`` (created; files of an earlier site replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    assets = resources.files("pyflow.runner").joinpath("docsite_assets")
    for name in ASSETS:
        with resources.as_file(assets.joinpath(name)) as src, artifacts.reporting_full_disk(folder / name):
            shutil.copyfile(src, folder / name)
    with artifacts.reporting_full_disk(folder / "data.js"):
        write_text(folder / "data.js", data_script(data))
        write_json(folder / "manifest.json", manifest)
        write_json(folder / "catalog.json", catalog)
