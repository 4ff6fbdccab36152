"""The data the docs site shows, built from plain artifacts: no session, no engine.

:func:`site_data` turns ``manifest.json``, ``catalog.json`` and a column lineage mapping (the
shape of :func:`pyflow.runner.columnlineage.column_lineage`) into the one JSON object the
site's script reads: every node with its rendered description, columns and their types, tests,
config and code; the lineage graph with a layout worked out here; column lineage both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyflow.runner.docmarkdown import render_markdown

GRAPH_TYPES = ("source", "seed", "model", "snapshot", "exposure")
"""Resource types drawn in the lineage graph (tests are listed on their nodes' pages)."""
LAYER_WIDTH = 260
ROW_HEIGHT = 56

TestInfo = Mapping[str, Any]
"""Per test: ``test_name``, ``column_name``, ``attached`` (unique id of the node under test)."""


def site_data(
    manifest: Mapping[str, Any],
    catalog: Mapping[str, Any] | None = None,
    lineage: Mapping[str, Any] | None = None,
    tests: Mapping[str, TestInfo] | None = None,
    history: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The site's JSON: ``project``, ``generated_at``, ``nodes``, ``graph`` and ``lineage``.

    ``history`` holds, per built node, its recent runs from the run history (``pyflow
    monitor``'s figures); a node with some gets them as ``history``.
    """
    catalog = catalog or {}
    tests = tests or {}
    known = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
    entries: dict[str, Mapping[str, Any]] = {
        **manifest.get("nodes", {}),
        **manifest.get("sources", {}),
        **manifest.get("exposures", {}),
    }
    edges = column_edges(lineage or {}, entries)
    nodes = {
        uid: _node(uid, e, known.get(uid), edges.get(uid, {}), tests.get(uid)) for uid, e in entries.items()
    }
    for uid, runs in (history or {}).items():
        if uid in nodes:
            nodes[uid]["history"] = dict(runs)
    for uid, found in ((lineage or {}).get("nodes") or {}).items():
        if uid in nodes and found.get("error"):
            nodes[uid]["lineage_error"] = str(found["error"])
    for uid, node in nodes.items():  # each node lists the tests on it
        if node["resource_type"] == "test":
            target = (tests.get(uid) or {}).get("attached") or next(iter(node["parents"]), None)
            if target in nodes:
                nodes[target]["tests"].append(
                    {
                        "unique_id": uid,
                        "name": node["name"],
                        "test_name": node.get("test_name") or "",
                        "column": node.get("column_name"),
                    }
                )
    children: dict[str, list[str]] = {uid: [] for uid in nodes}
    for uid, node in nodes.items():
        for parent in node["parents"]:
            if parent in children:
                children[parent].append(uid)
    for uid, node in nodes.items():
        node["children"] = sorted(children[uid])
    meta = manifest.get("metadata", {})
    return {
        "project": meta.get("project_name", ""),
        "generated_at": meta.get("generated_at", ""),
        "adapter_type": meta.get("adapter_type"),
        "nodes": nodes,
        "graph": layout(nodes),
        "lineage": edges,
    }


def _node(
    uid: str,
    entry: Mapping[str, Any],
    built: Mapping[str, Any] | None,
    lineage: Mapping[str, Any],
    test: TestInfo | None,
) -> dict[str, Any]:
    kind = str(entry.get("resource_type", uid.split(".", 1)[0]))
    config = entry.get("config") or {}
    parents = (entry.get("depends_on") or {}).get("nodes") or []
    node: dict[str, Any] = {
        "unique_id": uid,
        "name": entry.get("name", uid.rsplit(".", 1)[-1]),
        "resource_type": "test" if kind == "unit_test" else kind,
        "package": entry.get("package_name", ""),
        "path": entry.get("original_file_path", ""),
        "line": entry.get("line"),
        "language": entry.get("language"),
        "materialized": config.get("materialized"),
        "relation": entry.get("relation_name"),
        "tags": list(entry.get("tags") or []),
        "description_html": render_markdown(entry.get("description")),
        "config": config,
        "parents": [str(p) for p in parents],
        "columns": columns(entry, built, lineage),
        "built": built is not None,
        "tests": [],
        "raw_code": entry.get("raw_code") or "",
        "compiled_code": entry.get("compiled_code") or "",
    }
    if kind == "source":
        node["source_name"] = entry.get("source_name", "")
        table = (entry.get("fqn") or [str(entry.get("name", ""))])[-1]
        node["name"] = f"{entry.get('source_name', '')}.{table}"
    if kind == "exposure":
        node.update(
            exposure_type=entry.get("type"),
            owner=entry.get("owner") or {},
            url=entry.get("url"),
            maturity=entry.get("maturity"),
        )
    if test is not None:
        node.update(test_name=test.get("test_name"), column_name=test.get("column_name"))
    return node


def columns(
    entry: Mapping[str, Any], built: Mapping[str, Any] | None, lineage: Mapping[str, Any] = {}
) -> list[dict[str, Any]]:
    """A node's columns, in the table's order when it is built.

    The type is the catalog's (the built relation) when there is one, else the declared
    ``data_type``, else the type pyflow inferred when compiling; ``type_source`` says which.
    """
    declared: Mapping[str, Any] = entry.get("columns") or {}
    out: dict[str, dict[str, Any]] = {}
    if built is not None:
        rows = sorted((built.get("columns") or {}).values(), key=lambda c: c.get("index") or 0)
        for col in rows:
            name = str(col["name"])
            out[name.lower()] = {"name": name, "type": col.get("type"), "type_source": "catalog"}
    for name, info in declared.items():
        item = out.setdefault(str(name).lower(), {"name": str(name), "type": None, "type_source": None})
        if item["type"] is None and info.get("data_type"):
            item.update(type=info["data_type"], type_source="declared")
        elif item["type"] is None and info.get("inferred_type"):
            item.update(type=info["inferred_type"], type_source="inferred")
        item["description_html"] = render_markdown(info.get("description"))
        if info.get("meta"):
            item["meta"] = info["meta"]
    for name in lineage:
        out.setdefault(name.lower(), {"name": name, "type": None, "type_source": None})
    for item in out.values():
        item.setdefault("description_html", "")
    return list(out.values())


def column_edges(lineage: Mapping[str, Any], entries: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Per node and column: ``up`` (the columns it is computed from) and ``down`` (those it feeds).

    ``lineage`` holds direct upstream edges only (``{"nodes": {uid: {"columns": {col: [{"unique_id",
    "column"}]}}}}``); the downstream side is their reverse. Each edge is ``[unique_id, column]``.
    """
    known = set(entries)
    out: dict[str, dict[str, Any]] = {}

    def slot(uid: str, col: str) -> dict[str, list[list[str]]]:
        return out.setdefault(uid, {}).setdefault(col, {"up": [], "down": []})  # type: ignore[no-any-return]

    for uid, node in sorted((lineage.get("nodes") or {}).items()):
        for col, parents in sorted((node.get("columns") or {}).items()):
            mine = slot(uid, col)
            for parent in parents:
                puid, pcol = str(parent["unique_id"]), str(parent["column"])
                if known and puid not in known:
                    continue
                if [puid, pcol] not in mine["up"]:
                    mine["up"].append([puid, pcol])
                    slot(puid, pcol)["down"].append([uid, col])
    return out


def layout(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Positions for the lineage graph: a layer per longest path from a root, left to right.

    Within a layer, nodes are ordered by the mean position of their parents (a few sweeps of
    the barycenter heuristic), which keeps most edges short and uncrossed.
    """
    ids = sorted(u for u, n in nodes.items() if n["resource_type"] in GRAPH_TYPES)
    shown = set(ids)
    parents = {u: [p for p in nodes[u]["parents"] if p in shown and p != u] for u in ids}
    depth = _depths(ids, parents)
    layers: dict[int, list[str]] = {}
    for uid in ids:
        layers.setdefault(depth[uid], []).append(uid)
    row: dict[str, float] = {}
    for _ in range(4):
        for d in sorted(layers):
            for i, uid in enumerate(layers[d]):
                row.setdefault(uid, float(i))
            layers[d].sort(key=lambda u: _mean([row[p] for p in parents[u] if p in row], row[u]))
            for i, uid in enumerate(layers[d]):
                row[uid] = float(i)
    tallest = max((len(v) for v in layers.values()), default=0)
    positions = {}
    for d, members in layers.items():
        offset = (tallest - len(members)) * ROW_HEIGHT / 2
        for i, uid in enumerate(members):
            positions[uid] = {"x": d * LAYER_WIDTH, "y": round(offset + i * ROW_HEIGHT)}
    edges = [[p, u] for u in ids for p in parents[u]]
    return {
        "positions": positions,
        "edges": edges,
        "width": (max(layers, default=0) + 1) * LAYER_WIDTH,
        "height": tallest * ROW_HEIGHT,
    }


def _depths(ids: list[str], parents: Mapping[str, list[str]]) -> dict[str, int]:
    """Longest path from a root to each node (Kahn's order; nodes on a cycle go last)."""
    waiting = {u: len(parents[u]) for u in ids}
    kids: dict[str, list[str]] = {u: [] for u in ids}
    for u in ids:
        for p in parents[u]:
            kids[p].append(u)
    depth = {u: 0 for u in ids}
    ready = [u for u in ids if waiting[u] == 0]
    while ready:
        uid = ready.pop()
        for kid in kids[uid]:
            depth[kid] = max(depth[kid], depth[uid] + 1)
            waiting[kid] -= 1
            if waiting[kid] == 0:
                ready.append(kid)
    return depth


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default
