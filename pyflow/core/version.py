"""dbt's model versions: the key a versioned ``ref`` resolves by, and the names each version answers to.

A versioned model ``dim`` (YAML ``versions:``) has one node per version, named after its file
(``dim_v1``, ``dim_v2``, or a version's ``defined_in``) and built as the relation
``dim_v<v>``, as dbt does; its unique id is ``model.<project>.dim.v<v>``. ``ref('dim', v=1)``
(or ``version=1``) resolves by the key ``dim.v1``; ``ref('dim')`` resolves to the latest version
(``latest_version``, else the highest ``v``). dbt 1.11 creates no relation under the plain name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyflow.core.node import ModelNode


def ref_key(name: str, version: Any = None) -> str:
    """The name a ``ref`` resolves by: ``dim`` or, with a version, ``dim.v2``."""
    return name if version is None else f"{name}.v{version}"


def ref_call_key(args: Iterable[Any], kwargs: Mapping[str, Any]) -> str:
    """The key of a ``ref(...)`` call: its last positional argument with ``v=``/``version=``."""
    name = str(list(args)[-1])
    return ref_key(name, kwargs.get("v", kwargs.get("version")))


def version_aliases(models: Iterable[ModelNode]) -> dict[str, ModelNode]:
    """``{'dim.v1': node, 'dim.v2': node, 'dim': latest node}`` for every versioned model."""
    out: dict[str, ModelNode] = {}
    for node in models:
        if node.version is None or node.versioned_name is None:
            continue
        out[ref_key(node.versioned_name, node.version)] = node
        if node.version == node.latest_version:
            out[node.versioned_name] = node
    return out


def latest_of(versions: Iterable[Any]) -> str | None:
    """The latest version when none is set, as dbt picks it: the highest (numbers as numbers)."""
    found = [str(v) for v in versions if v is not None]
    if not found:
        return None

    def order(v: str) -> tuple[int, float, str]:
        try:
            return (1, float(v), v)
        except ValueError:
            return (0, 0.0, v)

    return max(found, key=order)
