"""Blue-green builds: build the selection into release schemas, test it there, publish at once.

:class:`ReleaseSession` is a :class:`~pyflow.runner.session.Session` whose ``run``, ``build``,
``seed`` and ``snapshot`` (with ``--blue-green`` or a target's ``blue_green: true``) work on a
*release*:

1. Every selected model, seed and snapshot is built into a release schema beside its production
   schema, ``<production schema>__<release id>`` (its relation is overridden in the compiler, so
   children and tests read the release's relations; unselected models are read through their
   production names, as they are now).
2. Incremental models and snapshots first get a copy of their current version (the physical
   table production points at, or the production table itself before the first release), so
   the release carries their history and applies only the increment (``--full-refresh``
   rebuilds incremental models instead).
3. Only when every node passed is the release published (:mod:`pyflow.runner.releasepublish`):
   production names become views over the release's relations, at once. Otherwise nothing in
   production changes and :attr:`ReleaseSession.note` (printed in the summary) says so.
4. The release is recorded in the target (:mod:`pyflow.runner.releaselog`) and old releases'
   tables beyond ``releases.keep`` are dropped.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyflow.adapters.base import TableOptions
from pyflow.adapters.releaseddl import is_publish_atomic
from pyflow.config.releaseconfig import RELEASES_TABLE, ReleaseSettings
from pyflow.core.node import ModelNode, SeedNode, SnapshotNode
from pyflow.errors import PyflowError, UnsupportedError
from pyflow.relation import Relation
from pyflow.runner.events import Emit, Event, RunOutcome, ignore
from pyflow.runner.releaselog import FAILED, PUBLISHED, Placement, Release, ReleaseLog, meta_schema
from pyflow.runner.releasepublish import changed, point_production, prune
from pyflow.runner.session import Options, Session

RELEASE_COMMANDS = ("run", "build", "seed", "snapshot")


def release_schema(production_schema: str, release_id: str) -> str:
    """The schema a release builds the models of ``production_schema`` in."""
    return f"{production_schema}__{release_id}"


def new_release_id(session: Session) -> str:
    """``r<UTC start of the run, to the second>_<4 hex>``: sortable, unique, a valid identifier."""
    return f"r{session.run_started_at.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(2)}"


def release_log(session: Session) -> ReleaseLog:
    """The release table of the session's target and project."""
    cfg = session.target.config
    assert isinstance(cfg, ReleaseSettings)
    rel = Relation(
        session.target.database, meta_schema(cfg.releases, session.target.schema_name), RELEASES_TABLE
    )
    return ReleaseLog(session.adapter, rel, session.project.name, session.target.name)


def target_where(session: Session) -> str:
    """``'prod' (profile 'shop', profiles.yml)``: the target, for error messages."""
    return f"'{session.target.name}' (profile '{session.target.profile}', {session.target.source})"


@dataclass
class ReleaseNote:
    """What the release step did, for the run summary (``pyflow build`` prints it last)."""

    release_id: str
    published: bool
    text: str
    models: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class ReleaseSession(Session):
    """A session whose ``run``/``build`` publish a whole release when blue-green is on."""

    def __init__(self, options: Options, emit: Emit = ignore, *, blue_green: bool | None = None) -> None:
        super().__init__(options, emit)
        cfg = self.target.config
        assert isinstance(cfg, ReleaseSettings)
        self.settings = cfg
        self.blue_green = cfg.blue_green if blue_green is None else blue_green
        """Whether ``run``/``build`` deploy a release (flag, else the target's ``blue_green``)."""
        self.release_id = new_release_id(self)
        self.plan: dict[str, Placement] = {}
        """unique id -> where a selected node goes in production and in this release."""
        self.log = release_log(self)
        self.base: Release | None = None
        """The release production pointed at when this one started."""
        self.note: ReleaseNote | None = None
        self._command = ""

    # ---- planning ------------------------------------------------------------------------
    def selected(self, command: str) -> list[str]:
        """The selection; in a blue-green run each built node is redirected into the release."""
        ids = super().selected(command)
        if not (self.blue_green and command in RELEASE_COMMANDS and self._command == command):
            return ids
        if not self.adapter.capabilities.replace_view:
            raise UnsupportedError(
                f"blue-green deploys publish by replacing views, which the {self.adapter.type} "
                f"adapter of target {target_where(self)} cannot do",
                hint="build without --blue-green (or set blue_green: false in the target)",
                code="blue-green-unsupported",
                resource="target",
            )
        for uid in ids:
            node = self.project.node(uid)
            if not isinstance(node, ModelNode | SeedNode) or (
                isinstance(node, ModelNode) and node.config.materialized == "ephemeral"
            ):
                continue
            options = TableOptions.from_config(node.config)
            if options.external_location:
                raise UnsupportedError(
                    "blue-green builds every release beside production, but this "
                    f"{node.resource_type} sets external_location: each release would write its "
                    "data to that one location, over production's",
                    model=node.name,
                    path=node.path,
                    resource=node.resource_type,
                    hint="remove external_location (s3_data_naming gives each release its own "
                    "location), or build this model without --blue-green",
                    code="blue-green-unsupported",
                )
            prod = self.compiler.namer.relation(node)
            assert prod.schema, "a built relation always has a schema"
            physical = Relation(prod.database, release_schema(prod.schema, self.release_id), prod.identifier)
            kind = "view" if isinstance(node, ModelNode) and node.config.materialized == "view" else "table"
            kind = "table" if isinstance(node, ModelNode) and node.returns_dataframe else kind
            self.plan[uid] = Placement(prod, physical, kind, options.table_type)
            self.compiler.overrides[uid] = physical
        return ids

    def execute(self, command: str) -> RunOutcome:
        """Run the command; in a blue-green run publish the release when every node passed."""
        self._command = command
        if not (self.blue_green and command in RELEASE_COMMANDS):
            return super().execute(command)
        outcome = super().execute(command)
        if self.plan:
            self._finish(outcome)
        return outcome

    def _recover_swaps(self, ids: Sequence[str]) -> dict[str, PyflowError]:
        """After the usual recovery (connected, before compiling): carry history into the release.

        Outside a release, on a target set up for releases (``blue_green`` or ``releases`` set),
        an incremental model or snapshot whose production name is a view of the current release
        fails instead of being rebuilt from its sources in place.
        """
        errors = super()._recover_swaps(ids)
        if self.plan:
            self.base = self.log.current()
            self._carry(errors)
        elif self._command in RELEASE_COMMANDS and (
            self.settings.blue_green or "releases" in self.settings.model_fields_set
        ):  # a target set up for releases: worth a catalog query per incremental model
            errors.update(self._in_place_errors(ids, errors))
        return errors

    def _in_place_errors(self, ids: Sequence[str], errors: dict[str, PyflowError]) -> dict[str, PyflowError]:
        """Errors for in-place builds of released incremental models and snapshots."""
        out: dict[str, PyflowError] = {}
        current: Release | None = None
        for uid in ids:
            node = self.project.node(uid)
            if uid in errors or not isinstance(node, ModelNode):
                continue
            if not isinstance(node, SnapshotNode) and not (
                node.config.materialized == "incremental"
                and not (
                    self.options.full_refresh
                    if node.config.full_refresh is None
                    else node.config.full_refresh
                )
            ):
                continue
            prod = self.compiler.relation(node)
            if self.adapter.relation_type(prod) != "view":
                continue
            current = current or self.log.current()
            if current is None or node.name not in current.models:
                continue
            out[uid] = UnsupportedError(
                f"its production name is a view of release {current.release_id}: built in place "
                f"(without --blue-green) the {node.resource_type} would "
                + (
                    "fail"
                    if isinstance(node, SnapshotNode)
                    else "be rebuilt from its sources, losing its history"
                ),
                model=node.name,
                path=node.path,
                resource=node.resource_type,
                hint="build it with --blue-green (the release starts from a copy of its current rows)"
                + (
                    ""
                    if isinstance(node, SnapshotNode)
                    else ", or with --full-refresh to rebuild it in place on purpose"
                ),
                code="release-in-place",
            )
        return out

    def _carry(self, errors: dict[str, PyflowError]) -> None:
        """Copy each incremental model's and snapshot's current version into the release."""
        current = self.base.models if self.base else {}
        for uid, placement in self.plan.items():
            node = self.project.node(uid)
            if not isinstance(node, ModelNode) or uid in errors:
                continue
            if not isinstance(node, SnapshotNode):  # a snapshot's history is never rebuilt
                refresh = node.config.full_refresh
                refresh = self.options.full_refresh if refresh is None else refresh
                if node.config.materialized != "incremental" or refresh:
                    continue
            known = current.get(node.name)
            source = known.physical if known else placement.production
            if self.adapter.relation_type(source) != "table":
                continue  # first build of this model: nothing to carry
            target = placement.physical
            try:
                if target.schema and not self.adapter.schema_exists(target.database, target.schema):
                    self.adapter.execute(self.adapter.create_schema_sql(target.database, target.schema))
                select = f"SELECT * FROM {self.adapter.render(source)}"
                options = TableOptions.from_config(node.config)
                self.adapter.execute(
                    self.adapter.create_table_as_sql(target, select, options), model=node.name
                )
            except PyflowError as exc:
                errors[uid] = exc
                continue
            text = (
                f"{node.name}: release {self.release_id} starts from a copy of {self.adapter.render(source)}"
            )
            self.emit(Event("message", level="info", text=text))

    # ---- publishing ----------------------------------------------------------------------
    def _finish(self, outcome: RunOutcome) -> None:
        names = {uid: p for uid, p in self.plan.items()}
        built = sorted(self.project.node(uid).name for uid in names)
        placements = {self.project.node(uid).name: p for uid, p in names.items()}
        if not outcome.ok:
            self._record_failure(outcome, built, placements)
            return
        old = self.base.models if self.base else {}
        try:
            latest = self.log.current()
            if (latest and latest.release_id) != (self.base and self.base.release_id):
                raise UnsupportedError(
                    f"release {latest.release_id if latest else None} was published to target "
                    f"{target_where(self)} while this release was being built",
                    hint="run the blue-green build again: it starts from the release now in production",
                    code="release-conflict",
                    resource="target",
                )
        except PyflowError as exc:
            outcome.errors.append(exc)
            self._record_failure(outcome, built, placements, exc.message)
            return
        try:
            point_production(self.adapter, changed(old, placements))
        except PyflowError as exc:
            outcome.errors.append(exc)
            partial = not is_publish_atomic(self.adapter)
            self._record_failure(outcome, built, placements, exc.message, partial=partial)
            return
        try:
            self.log.append(self.release_id, PUBLISHED, built=built, models={**old, **placements})
        except PyflowError as exc:  # the views are replaced: production runs this release
            outcome.errors.append(exc)
            text = (
                f"Release {self.release_id} is in production, but recording it in "
                f"{self.adapter.render(self.log.relation)} failed: `pyflow releases` and "
                "`pyflow rollback` do not know it (run the build again once the table is writable)"
            )
            self.note = ReleaseNote(self.release_id, True, text, built)
            return
        dropped = prune(self.adapter, self.log, self.settings.releases.keep)
        text = f"Published release {self.release_id}: {len(built)} model(s) now in production"
        text += f"; dropped the tables of release(s) {', '.join(dropped)}" if dropped else ""
        self.note = ReleaseNote(self.release_id, True, text, built, dropped)

    def _record_failure(
        self,
        outcome: RunOutcome,
        built: list[str],
        placements: dict[str, Placement],
        why: str = "",
        *,
        partial: bool = False,
    ) -> None:
        """Record a release that was not published, and say so in :attr:`note`.

        ``partial``: publishing failed part way on an engine without transactions, so some
        production views may already read this release.
        """
        failed = [r.name for r in outcome.results if r.status in ("error", "fail", "cancelled", "skipped")]
        why = why or f"{len(failed)} node(s) did not pass: {', '.join(failed)}"
        try:
            self.log.append(self.release_id, FAILED, built=built, models=placements, detail=why)
        except PyflowError as exc:  # production is untouched either way; say why the log is short
            outcome.errors.append(exc)
        schemas = sorted({p.physical.schema or "" for p in placements.values()})
        state = (
            "publishing stopped part way, so some production views may read this release: run "
            f"the build again, or `pyflow rollback --to {self.base.release_id}`"
            if partial and self.base
            else "publishing stopped part way, so some production views may read this release: "
            "run the build again"
            if partial
            else "production is untouched"
        )
        text = (
            f"Release {self.release_id} was NOT published ({why}); {state}. "
            f"The release's relations are kept for inspection in {', '.join(schemas)} until the "
            "next published release drops them."
        )
        self.note = ReleaseNote(self.release_id, False, text, built)
