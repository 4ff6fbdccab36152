"""What a project holds and what a selection picks, as lines: ``pyflow ls`` and the "Found" line.

For ``pyflow ls`` (after :meth:`pyflow.runner.session.Session.list_nodes` selected): keep the
asked-for resource types and render each node as a name, a path, a selector or a JSON object,
as dbt's ``ls`` does. :func:`found_line` counts what the loaded project holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pyflow.core.node import Node, SourceNode
from pyflow.core.project import Project
from pyflow.core.selectmethods import resource_type_of
from pyflow.errors import closest

OUTPUTS = ("name", "path", "json", "selector")
RESOURCE_TYPES = ("model", "seed", "snapshot", "source", "test", "unit_test")
"""``--resource-type`` values: dbt's names (``test`` is a data test); ``all`` means every one."""
JSON_KEYS = (
    "name",
    "resource_type",
    "package_name",
    "unique_id",
    "original_file_path",
    "fqn",
    "tags",
    "config",
    "depends_on",
)


def check_choices(output: str, resource_types: Sequence[str], keys: Sequence[str]) -> str | None:
    """The usage mistake among the options, or None."""
    if output not in OUTPUTS:
        return f"--output must be one of {', '.join(OUTPUTS)}, not '{output}'"
    for kind in resource_types:
        if kind not in (*RESOURCE_TYPES, "all"):
            near = closest(kind, RESOURCE_TYPES)
            also = f" (did you mean '{near[0]}'?)" if near else ""
            return f"--resource-type must be one of {', '.join(RESOURCE_TYPES)} or all, not '{kind}'{also}"
    for key in keys:
        if key not in JSON_KEYS:
            near = closest(key, JSON_KEYS)
            also = f" (did you mean '{near[0]}'?)" if near else ""
            return f"--output-keys: unknown key '{key}'{also}; keys: {', '.join(JSON_KEYS)}"
    if keys and output != "json":
        return "--output-keys needs --output json"
    return None


def split_keys(values: Iterable[str]) -> list[str]:
    """``["name resource_type", "fqn"]`` or ``["name,fqn"]`` -> the key names."""
    return [k for v in values for k in v.replace(",", " ").split()]


def keep(nodes: Iterable[Node], resource_types: Sequence[str]) -> list[Node]:
    """The nodes of the asked-for types (all when none or ``all`` is asked for)."""
    if not resource_types or "all" in resource_types:
        return list(nodes)
    return [n for n in nodes if resource_type_of(n) in resource_types]


def _fqn(node: Node) -> tuple[str, ...]:
    return tuple(getattr(node, "fqn", ())) or (node.package, node.name)


def _tags(node: Node) -> list[str]:
    if isinstance(node, SourceNode):
        return list(node.tags)
    return list(getattr(getattr(node, "config", None), "tags", ()) or ())


def _json(node: Node, parents: Mapping[str, Sequence[str]], keys: Sequence[str]) -> str:
    cfg = getattr(node, "config", None)
    row: dict[str, Any] = {
        "name": node.name,
        "resource_type": resource_type_of(node),
        "package_name": node.package,
        "unique_id": node.unique_id,
        "original_file_path": node.path,
        "fqn": list(_fqn(node)),
        "tags": _tags(node),
        "config": cfg.model_dump(mode="json", by_alias=True) if cfg is not None else {},
        "depends_on": list(parents.get(node.unique_id, [])),
    }
    if isinstance(node, SourceNode):
        row["source_name"] = node.source_name
    return json.dumps({k: row[k] for k in keys} if keys else row, default=str)


def lines(
    nodes: Iterable[Node], output: str, parents: Mapping[str, Sequence[str]], keys: Sequence[str] = ()
) -> Iterator[str]:
    """One line per node in ``output`` form.

    ``name``: the node's name (``source:<source>.<table>`` for a source); ``path``: its file;
    ``selector``: a selector that picks exactly it (its dotted fqn, ``source:<fqn>``); ``json``:
    an object with :data:`JSON_KEYS` (only ``keys`` when given).
    """
    for node in nodes:
        source = isinstance(node, SourceNode)
        if output == "name":
            yield f"source:{node.name}" if source else node.name
        elif output == "path":
            yield node.path
        elif output == "selector":
            yield ("source:" if source else "") + ".".join(_fqn(node))
        else:
            yield _json(node, parents, keys)


_KINDS = (
    ("model", "models"),
    ("seed", "seeds"),
    ("snapshot", "snapshots"),
    ("data test", "data tests"),
    ("unit test", "unit tests"),
    ("source", "sources"),
    ("macro", "macros"),
)


def found_line(project: Project) -> str:
    """``Found 7 models, 1 seed, 1 snapshot, 30 data tests, 5 unit tests, 2 sources, 3 macros``.

    Every kind with at least one node, in that order, pluralised as dbt does. After a partial
    load (:mod:`pyflow.config.partial`) the counts are of what was loaded, and the line says so.
    """
    units = sum(1 for t in project.tests.values() if t.test_type == "unit")
    counts = (
        len(project.models),
        len(project.seeds),
        len(project.snapshots),
        len(project.tests) - units,
        units,
        len(project.sources),
        len(project.jinja.macro_paths),
    )
    parts = [f"{n} {one if n == 1 else many}" for n, (one, many) in zip(counts, _KINDS, strict=True) if n]
    found = "Found " + (", ".join(parts) if parts else "0 models")
    return found + " (loaded what the selection needs)" if project.partial else found
