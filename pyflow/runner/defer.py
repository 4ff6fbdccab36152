"""``--defer``: read unselected parents from the relations of the ``--state`` manifest's target.

Owns dbt's rule for which parents are deferred: a model, seed or snapshot that a selected node
reads, that is not selected itself, that the state manifest built (it has a relation there),
and that does not exist in the current target (``--favor-state``: whether it exists or not).
Ephemeral parents are inlined, so their own parents are looked at instead; sources are never
deferred. The compiler then hands those relations to :mod:`pyflow.compile` as plain inputs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pyflow.core.node import ModelNode, SourceNode, TestNode
from pyflow.core.state import State
from pyflow.errors import ProjectError
from pyflow.relation import Relation
from pyflow.runner.state import read_state

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler


def check_defer(defer: bool, favor_state: bool, state: State | None) -> None:
    """``--defer`` and ``--favor-state`` need ``--state`` (or ``--defer-state``).

    Raises:
        ProjectError: ``state-required`` when they are given without it.

    """
    if (defer or favor_state) and state is None:
        flag = "--defer" if defer else "--favor-state"
        raise ProjectError(
            f"{flag} reads unselected parents from an earlier run's target, but no --state was given",
            hint=f"pass --state DIR (the folder holding that run's manifest.json) together with {flag}, "
            "or --defer-state DIR to defer to another run than the one state: compares with",
            code="state-required",
        )


def read_states(
    state: Path | None, defer_state: Path | None, defer: bool, favor_state: bool
) -> tuple[State | None, State | None]:
    """The manifests of ``--state`` (for ``state:``/``result:``) and the one ``--defer`` reads.

    ``--defer-state`` (dbt's) names a manifest to defer to other than ``--state``'s; without
    it, ``--defer`` reads ``--state``'s.

    Raises:
        ProjectError: A folder or manifest is missing or unreadable, or ``--defer`` /
            ``--favor-state`` come with neither ``--state`` nor ``--defer-state``.

    """
    compared = read_state(state) if state is not None else None
    deferred = read_state(defer_state) if defer_state is not None else compared
    check_defer(defer, favor_state, deferred)
    return compared, deferred


def deferred_relations(
    compiler: ProjectCompiler, state: State, selected: Collection[str], *, favor_state: bool = False
) -> dict[str, Relation]:
    """Unselected parents of ``selected`` to read from the state's relations, by unique id."""
    project = compiler.project
    params = project.graph.param_map
    chosen = set(selected)
    out: dict[str, Relation] = {}
    seen: set[str] = set()
    frontier: list[str] = list(_parents(params, chosen))
    while frontier:
        uid = frontier.pop()
        if uid in seen or uid in chosen:
            continue
        seen.add(uid)
        node = project.node(uid)
        if isinstance(node, SourceNode | TestNode):
            continue
        if isinstance(node, ModelNode) and node.config.materialized == "ephemeral":
            frontier.extend(_parents(params, [uid]))  # inlined into the child: its inputs are read
            continue
        before = state.nodes.get(uid)
        if before is None or before.relation is None:
            continue
        if not favor_state and compiler.adapter.relation_type(compiler.relation(node)) is not None:
            continue  # built in the current target: read it there
        out[uid] = before.relation
    return out


def _parents(params: dict[str, dict[str, str]], ids: Iterable[str]) -> list[str]:
    return [p for uid in ids for p in params.get(uid, {}).values()]
