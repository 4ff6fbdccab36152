"""Pointing production at a release: publish, rollback, and retention of old physical versions.

Production names are views (``CREATE OR REPLACE VIEW <prod> AS SELECT * FROM <physical>``) over
the physical relations a release built in its release schemas (:mod:`pyflow.runner.release`).
Publishing and rolling back only replace view definitions, never copy data. Where the adapter
has transactions (DuckDB) every view of a release is replaced in one transaction, so readers see
all of the old release or all of the new one; elsewhere (Trino, Athena) the views are replaced
one after another, each replacement atomic (docs/deploying-safely.md#what-readers-see).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pyflow.adapters.base import Adapter, TableOptions
from pyflow.adapters.releaseddl import drop_schema_sql
from pyflow.errors import ProjectError, PyflowError, closest
from pyflow.relation import Relation
from pyflow.runner.releaselog import DROPPED, PUBLISHED, ROLLBACK, Placement, Release, ReleaseLog

log = logging.getLogger(__name__)


def point_production(adapter: Adapter, placements: Mapping[str, Placement]) -> list[str]:
    """Make each production name a view over its physical relation; return the statements.

    Schemas are created first (DDL outside the transaction); then, in one transaction where the
    engine has them, a production name that is still a table (built before blue-green) is
    dropped and every view is created or replaced.
    """
    sent: list[str] = []

    def run(sql: str, model: str) -> None:
        sent.append(sql)
        adapter.execute(sql, model=model)

    schemas = sorted({(p.production.database, p.production.schema) for p in placements.values()}, key=str)
    for database, schema in schemas:
        if schema and not adapter.schema_exists(database, schema):
            run(adapter.create_schema_sql(database, schema), "release")
    kinds = adapter.relations_in([p.production for p in placements.values()])
    with adapter.transaction():  # BEGIN ... COMMIT where is_publish_atomic(adapter)
        for name, p in sorted(placements.items()):
            if kinds.get(p.production) == "table":
                run(adapter.drop_relation_sql(p.production, "table"), name)
            run(adapter.create_view_sql(p.production, f"SELECT * FROM {adapter.render(p.physical)}"), name)
    return sent


def changed(old: Mapping[str, Placement], new: Mapping[str, Placement]) -> dict[str, Placement]:
    """The placements of ``new`` that differ from ``old`` (only those views are replaced)."""
    return {n: p for n, p in new.items() if old.get(n) != p}


def previous_of(releases: list[Release], current: Release | None) -> Release | None:
    """The published release before ``current`` (whose tables are still kept), if any."""
    if current is None:
        return None
    ids = [r.release_id for r in releases]
    before = releases[: ids.index(current.release_id)]
    return next((r for r in reversed(before) if r.status == PUBLISHED), None)


def rollback(
    adapter: Adapter, releases_log: ReleaseLog, to: str | None, where: str
) -> tuple[Release, Release]:
    """Point production back at release ``to`` (default: the one before the current); return (from, to).

    ``where`` names the profiles file and target, for error messages. Every view of the chosen
    release is replaced, changed or not, so ``--to <current release>`` repairs a publish that
    stopped part way. Models that the chosen release does not know (added later) keep their
    current version.
    """
    releases = releases_log.releases()
    current = next((r for r in releases if r.current), None)
    if current is None:
        raise ProjectError(
            f"target {where} has no published release to roll back from",
            hint="publish one first: pyflow build --blue-green; `pyflow releases` lists them",
            code="no-previous-release",
            resource="target",
        )
    if to is None:
        chosen = previous_of(releases, current)
        if chosen is None:
            raise ProjectError(
                f"release {current.release_id} of target {where} is the oldest release kept: "
                "there is no previous release to return to",
                hint="`pyflow releases` lists the releases; raise `releases: {keep: N}` in the "
                "target to keep more of them for rollbacks",
                code="no-previous-release",
                resource="target",
            )
    else:
        found = {r.release_id: r for r in releases}
        chosen = found.get(to)
        if chosen is None or chosen.status != PUBLISHED:
            known = [r.release_id for r in releases if r.status == PUBLISHED]
            state = "unknown" if chosen is None else f"{chosen.status}, so it cannot be returned to"
            raise ProjectError(
                f"release '{to}' of target {where} is {state}",
                suggestions=closest(to, known),
                hint="pick a published release listed by `pyflow releases`",
                code="unknown-release",
                resource="target",
            )
    point_production(adapter, chosen.models)  # every view: a publish that stopped part way is repaired too
    releases_log.append(
        chosen.release_id, ROLLBACK, models=chosen.models, detail=f"from {current.release_id}"
    )
    return current, chosen


def prune(adapter: Adapter, releases_log: ReleaseLog, keep: int) -> list[str]:
    """Drop the physical relations no kept release uses; return the release ids dropped.

    Kept: the last ``keep`` published releases and the current one. A release's relations that
    a kept release still points at (a model it did not rebuild) stay, recorded as its
    ``leftover``, and are dropped by a later publish once no kept release uses them. Failures are logged and
    left for the next publish, never raised: the release is already published.
    """
    releases = releases_log.releases()
    published = [r for r in releases if r.status == PUBLISHED]
    kept = {r.release_id for r in published[-keep:]} | {r.release_id for r in releases if r.current}
    used = {p.physical for r in releases if r.release_id in kept for p in r.models.values()}
    dropped: list[str] = []
    for r in releases:
        if r.release_id in kept or (r.status == DROPPED and not r.leftover):
            continue
        names = r.leftover if r.status == DROPPED else r.built
        try:
            _drop(adapter, [r.models[n] for n in names if n in r.models], used)
            left = [n for n in names if n in r.models and r.models[n].physical in used]
            if r.status != DROPPED or left != r.leftover:
                releases_log.append(r.release_id, DROPPED, built=left, detail=f"kept {keep} release(s)")
        except PyflowError as exc:
            log.warning("could not drop the tables of release %s: %s", r.release_id, exc)
            continue
        if r.status != DROPPED:
            dropped.append(r.release_id)
    return dropped


def _drop(adapter: Adapter, placements: Iterable[Placement], used: set[Relation]) -> None:
    """Drop ``placements``' physical relations not in ``used``, views first; then emptied schemas."""
    items = [p for p in placements if p.physical not in used]
    kinds = adapter.relations_in([p.physical for p in items])
    for p in sorted(items, key=lambda p: p.kind != "view"):
        kind = kinds.get(p.physical)
        if kind == "view":
            adapter.execute(adapter.drop_relation_sql(p.physical, "view"), model=p.physical.identifier)
        elif kind == "table":
            options = TableOptions(table_type=p.table_type)  # Hive: its data goes too
            adapter.discard_table(p.physical, options, model=p.physical.identifier)
    still = {(u.database, u.schema) for u in used}
    for database, schema in sorted({(p.physical.database, p.physical.schema) for p in items}, key=str):
        if schema and (database, schema) not in still and adapter.schema_exists(database, schema):
            adapter.execute(drop_schema_sql(adapter, database, schema), model="release")
