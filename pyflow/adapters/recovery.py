"""Recovery of a table swap that a kill interrupted, for engines without transactions.

Without transactions a table is built as ``<name>__pyflow_tmp_<run>`` and swapped in by renames:
the target is renamed to ``<name>__pyflow_old_<run>``, the new table to the target, and the old
one is dropped (:mod:`pyflow.materializers.table`). A process killed between the two renames
leaves no target at all, and a kill anywhere leaves temporaries that the next run, with another
``<run>`` part, would never look at. Before a run builds anything, :func:`recover_swaps` looks,
once per schema, for the temporaries named after each relation it is about to build, and the
leftovers are put back (engines that swap through a catalog first finish or undo those swaps in
:meth:`~pyflow.adapters.base.Adapter.recover_swap`):

1. the target is missing and exactly one ``__pyflow_old_*`` exists: it is renamed back to the
   target first (the swap had not completed, so that is the last good table);
2. every other temporary of the relation is dropped (``old``: the swap completed, the target is
   the new table; ``tmp`` and working tables: a build that never finished).

Only names derived from the relation being built are touched (``orders`` recovers
``orders__pyflow_old_1a2b3c4d``, never ``orders_daily__pyflow_old_...``), and never a relation the
project itself builds. Nothing here knows about models: callers pass a label for messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from pyflow.adapters.base import Adapter, Leftover, RelationType, StatementLog, TableOptions
from pyflow.errors import MaterializationError, PyflowError
from pyflow.relation import Relation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SwapTarget:
    """A relation a run is about to build, as :func:`recover_swaps` needs it."""

    label: str
    """Names the relation in messages (the model's name)."""
    relation: Relation
    options: TableOptions


def own_leftovers(target: Relation, found: Mapping[str, RelationType]) -> list[Leftover]:
    """The relations in ``found`` (name -> type, one schema) that are temporaries of ``target``.

    Names compare case-insensitively, as the engines store them; sorted by name.
    """
    pattern = re.compile(re.escape(target.identifier) + r"__pyflow_([a-z]+)_([0-9a-z-]{1,8})", re.IGNORECASE)
    out = []
    for name, kind in sorted(found.items()):
        match = pattern.fullmatch(name)
        if match:
            out.append(Leftover(target.with_identifier(name), match[1].lower(), kind))
    return out


def recover_renames(
    adapter: Adapter,
    target: Relation,
    leftovers: Sequence[Leftover],
    options: TableOptions,
    *,
    model: str | None = None,
    record: StatementLog | None = None,
) -> list[str]:
    """Restore ``target`` from its ``__pyflow_old_*`` table when it is missing, drop the rest.

    Returns what was done, one sentence per action. Several old tables and no target (left by
    runs of a pyflow without this recovery) are an error: which one is newest cannot be known.
    """
    if not leftovers:
        return []
    actions: list[str] = []
    rest = list(leftovers)
    olds = [item for item in leftovers if item.role == "old"]
    if olds and adapter.relation_type(target) is None:
        if len(olds) > 1:
            names = ", ".join(item.relation.dotted() for item in olds)
            raise MaterializationError(
                f"{target.dotted()} is missing and {len(olds)} tables swapped out of it remain ({names}); "
                "which one is the last good table cannot be told",
                model=model,
                hint=f"rename the one to keep to {target.identifier} and drop the others, then run again",
                code="swap-leftovers-ambiguous",
            )
        (old,) = olds
        adapter.execute(
            adapter.rename_relation_sql(old.relation, target.identifier, old.kind), model=model, record=record
        )
        rest.remove(old)
        actions.append(f"restored {target.dotted()} from {old.relation.dotted()} (a swap was interrupted)")
    for item in rest:
        if item.kind == "view":
            adapter.execute(adapter.drop_relation_sql(item.relation, "view"), model=model, record=record)
        else:
            adapter.discard_table(item.relation, options, beside=target, model=model, record=record)
        actions.append(f"dropped {item.relation.dotted()}")
    return actions


@dataclass
class Recovery:
    """What :func:`recover_swaps` did (label -> actions) and what it could not do (label -> error)."""

    actions: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, PyflowError] = field(default_factory=dict)


def recover_swaps(
    adapter: Adapter,
    targets: Sequence[SwapTarget],
    *,
    protected: Collection[Relation] = (),
) -> Recovery:
    """Recover every interrupted swap of ``targets``.

    One catalog listing per schema (:meth:`Adapter.leftover_relations`); relations in
    ``protected`` (every relation the project builds) are never touched even when their name
    looks like a temporary. A failure is kept with its target's label (that target must not be
    built on top of what is left); the other targets are still recovered.
    """
    listings: dict[tuple[str | None, str | None], Mapping[str, RelationType] | PyflowError] = {}
    keep = {(r.database, r.schema, r.identifier.lower()) for r in protected}
    out = Recovery()
    for item in targets:
        rel = item.relation
        key = (rel.database, rel.schema)
        if key not in listings:
            try:
                listings[key] = adapter.leftover_relations(rel.database, rel.schema or adapter.schema)
            except PyflowError as exc:
                listings[key] = exc
        found = listings[key]
        if isinstance(found, PyflowError):
            out.errors[item.label] = found
            continue
        mine = [
            left
            for left in own_leftovers(rel, found)
            if (rel.database, rel.schema, left.relation.identifier.lower()) not in keep
        ]
        if not mine:
            continue
        try:
            actions, rest = adapter.recover_swap(rel, mine, item.options, model=item.label)
            actions += recover_renames(adapter, rel, rest, item.options, model=item.label)
        except PyflowError as exc:
            out.errors[item.label] = exc
            continue
        if actions:
            out.actions[item.label] = actions
            log.warning("%s: recovered an interrupted build: %s", item.label, "; ".join(actions))
    return out
