"""Which nodes a command acts on: ``--select``/``--exclude``, ``--selector`` and indirect selection.

Owns choosing between the command-line criteria, a named selector of ``selectors.yml`` and the
selector marked ``default: true``, and keeping the resource types a command handles. The
grammar itself is :mod:`pyflow.core.selector`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import cast

from pyflow.config.selectorfile import load_selectors
from pyflow.core.project import Project
from pyflow.core.selectmethods import resource_type_of
from pyflow.core.selector import INDIRECT_MODES, IndirectSelection, Selection, select_nodes
from pyflow.core.state import State
from pyflow.errors import SelectionError, closest

COMMAND_TYPES: dict[str, frozenset[str]] = {
    "run": frozenset({"model"}),
    "seed": frozenset({"seed"}),
    "snapshot": frozenset({"snapshot"}),
    "build": frozenset({"seed", "model", "snapshot", "test"}),
    "test": frozenset({"test"}),
    "compile": frozenset({"model", "snapshot"}),
    "ls": frozenset({"model", "seed", "source", "snapshot", "test"}),
    "clone": frozenset({"model", "seed", "snapshot"}),
}
"""Resource types each command acts on (``source freshness``: sources)."""
DBT_RESOURCE_TYPES = (
    "analysis", "exposure", "function", "metric", "model", "saved_query", "seed", "semantic_model",
    "snapshot", "source", "test", "unit_test",
)  # fmt: skip
"""The values of dbt's ``--resource-type`` / ``--exclude-resource-type`` (pyflow builds a subset:
the others select nothing)."""
NOTHING_TO_DO = "Nothing to do. Try checking your model configs and model specification args"
"""dbt's warning when a command's selection is empty."""


def check_resource_types(flag: str, values: Sequence[str]) -> str | None:
    """The usage mistake of a ``--resource-type``-like option's values, or None."""
    for kind in values:
        if kind not in DBT_RESOURCE_TYPES:
            near = closest(kind, DBT_RESOURCE_TYPES)
            also = f" (did you mean '{near[0]}'?)" if near else ""
            return f"{flag}: unknown resource type '{kind}'{also}; types: {', '.join(DBT_RESOURCE_TYPES)}"
    return None


def keep_types(
    project: Project, ids: Collection[str], wanted: Collection[str], unwanted: Collection[str]
) -> set[str]:
    """The nodes of ``ids`` of a type in ``wanted`` (any when empty) and not in ``unwanted``."""
    if not wanted and not unwanted:
        return set(ids)
    return {
        uid
        for uid in ids
        if ((kind := resource_type_of(project.node(uid))) in wanted or not wanted) and kind not in unwanted
    }


def check_indirect(mode: str) -> IndirectSelection:
    """``mode`` as an indirect-selection mode; a :class:`SelectionError` naming the choices otherwise."""
    if mode not in INDIRECT_MODES:
        raise SelectionError(
            f"--indirect-selection '{mode}' is not a mode",
            hint="use one of: " + ", ".join(INDIRECT_MODES),
            suggestions=closest(mode, INDIRECT_MODES),
        )
    return cast("IndirectSelection", mode)


def resolve_selection(
    project: Project,
    select: Sequence[str],
    exclude: Sequence[str],
    resource_types: Collection[str],
    *,
    selector: str | None = None,
    indirect_selection: str = "eager",
    state: State | None = None,
) -> Selection:
    """The nodes of ``resource_types`` selected by the criteria, ``selector`` or the default selector.

    Tests join through the nodes they test (``indirect_selection``) when ``resource_types``
    holds ``test``. ``state`` (``--state``) is the earlier manifest ``state:`` compares with.

    Raises:
        SelectionError: The criteria are malformed, ``selector`` is unknown, or it is combined
            with ``select``/``exclude``.
        ProjectError: ``selectors.yml`` is malformed.

    """
    mode = check_indirect(indirect_selection) if "test" in resource_types else None
    macros = project.macro_index if state is not None else None
    if selector is not None and (select or exclude):
        raise SelectionError(
            f"--selector '{selector}' cannot be combined with --select or --exclude",
            hint="put those criteria into the selector's definition (union:, exclude:), or drop --selector",
        )
    chosen = None
    if selector is not None:
        chosen = load_selectors(project.root).get(selector)
    elif not select and not exclude:
        chosen = load_selectors(project.root).default
    if chosen is not None:
        return select_nodes(
            project.graph,
            None,
            resource_types=resource_types,
            indirect_selection=mode,
            selector=chosen.spec,
            selector_name=chosen.name,
            state=state,
            macros=macros,
        )
    return select_nodes(
        project.graph,
        list(select) or None,
        list(exclude) or None,
        resource_types=resource_types,
        indirect_selection=mode,
        state=state,
        macros=macros,
    )


def only_selection(project: Project, only: Collection[str]) -> tuple[set[str], list[str]]:
    """The nodes of ``only`` still in the project, and a warning for those that are not."""
    ids = {uid for uid in only if uid in project.graph.nodes}
    gone = sorted(set(only) - ids)
    warnings = []
    if gone:
        warnings.append(
            f"{len(gone)} node(s) of the last invocation are no longer in the project and are not "
            f"retried: {', '.join(gone)}"
        )
    return ids, warnings
