"""What a project sets that pyflow accepts without acting on it, for ``pyflow debug`` (one line each).

dbt configs and YAML resources are accepted so a dbt project loads unchanged; the ones pyflow
does not act on (yet) are named here, with how many nodes or entries use them, so nobody relies
on them unknowingly. The list is documented in docs/coming-from-dbt.md.
"""

from __future__ import annotations

from pyflow.core.project import Project

_NODE_CONFIGS = ("access", "group")
"""Node config keys kept in the manifest but not applied (``grants`` and ``persist_docs`` are
applied where the engine can, else noted per node by :mod:`pyflow.runner.annotate`)."""


def node_notes(project: Project) -> list[str]:
    """One line listing the node configs and YAML resources that pyflow keeps but does not apply."""
    counts: dict[str, int] = {}
    nodes = [*project.models.values(), *project.seeds.values(), *project.snapshots.values()]
    for node in nodes:
        for key in _NODE_CONFIGS:
            value = getattr(getattr(node, "config", None), key, None)
            if value:
                counts["+" + key] = counts.get("+" + key, 0) + 1
    for key, entries in sorted(project.resources.items()):
        if entries:
            counts[key] = len(entries)
    if not counts:
        return []
    parts = [f"{key} ({n})" for key, n in counts.items()]
    return [f"accepted, not applied by pyflow: {', '.join(parts)} (see docs/coming-from-dbt.md)"]
