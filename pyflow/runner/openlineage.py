"""OpenLineage run events for ``run``/``build``/``seed``/``snapshot``, built as plain JSON.

Each model, seed and snapshot a run executes is a job (namespace: ``openlineage.namespace``,
name: its unique id) with one run per invocation: ``START`` when it starts, then ``COMPLETE``,
``FAIL`` or ``ABORT`` (cancelled). Its run id is derived from the invocation id and the node, so
both events of a node share it; a ``parent`` facet points at the invocation's own run (job:
the project's name, run id: the invocation id), which gets ``START`` and ``COMPLETE``/``FAIL``/
``ABORT`` too. Inputs are the relations the node reads (through ephemeral models), outputs
its relation, each with a ``schema`` facet; the output has a ``columnLineage`` facet from
:mod:`pyflow.runner.columnlineage`.

Events follow OpenLineage 2-0-2; pyflow needs no OpenLineage package (the tests validate the
events with the ``openlineage-python`` client's models). Sending never fails a run: a failure
becomes one warning, and an HTTP endpoint that failed is not tried again in that invocation.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyflow.adapters.lineagename import dataset_name, dataset_namespace, file_dataset
from pyflow.core.node import ModelNode, SourceNode, TestNode
from pyflow.errors import PyflowError
from pyflow.runner.columnlineage import column_lineage
from pyflow.runner.events import Emit, Event
from pyflow.runner.lineagetransport import Transport, job_namespace, transport_for
from pyflow.secret import scrub

if TYPE_CHECKING:
    from pyflow.runner.session import Session

log = logging.getLogger(__name__)

SPEC = "https://openlineage.io/spec"
EVENT_SCHEMA = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACETS = {
    "parent": f"{SPEC}/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "schema": f"{SPEC}/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "columnLineage": f"{SPEC}/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
    "jobType": f"{SPEC}/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "sql": f"{SPEC}/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
    "errorMessage": f"{SPEC}/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
}
STATES = {"success": "COMPLETE", "pass": "COMPLETE", "warn": "COMPLETE", "error": "FAIL", "fail": "FAIL"}
STATES["cancelled"] = "ABORT"


def producer() -> str:
    """The ``producer`` URI of every event and facet."""
    from pyflow.version import __version__

    return f"https://pypi.org/project/pyflow/{__version__}"


def run_id(invocation_id: str, unique_id: str | None = None) -> str:
    """A node's run id (the invocation's own when ``unique_id`` is None): a stable UUID."""
    try:
        base = uuid.UUID(invocation_id)
    except ValueError:
        base = uuid.uuid5(uuid.NAMESPACE_URL, f"pyflow:{invocation_id}")
    return str(base if unique_id is None else uuid.uuid5(base, unique_id))


def facet(kind: str, **fields: Any) -> dict[str, Any]:
    """A facet with its ``_producer`` and ``_schemaURL``."""
    return {"_producer": producer(), "_schemaURL": FACETS[kind], **fields}


class OpenLineageEmitter:
    """Turns a session's events into OpenLineage run events and sends them."""

    def __init__(self, session: Session, transport: Transport, namespace: str, warn: Emit) -> None:
        self.session = session
        self.transport = transport
        self.namespace = namespace
        self.warn = warn
        self.project_job = session.project.config.name
        self._lock = threading.Lock()
        self._datasets: dict[str, dict[str, Any]] = {}
        self._failed = False
        self._node_failed = False
        self._warned = False

    # ---- session events --------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """React to one session event; never raises."""
        try:
            if event.kind == "run_start":
                self.send(self.parent_event("START"))
            elif event.kind == "run_finish":
                cancelled = bool((event.data or {}).get("cancelled"))
                state = "ABORT" if cancelled else "FAIL" if self._node_failed else "COMPLETE"
                self.send(self.parent_event(state))
            elif event.kind == "node_start" and event.unique_id and self.is_job(event.unique_id):
                self.send(self.node_event(event.unique_id, "START"))
            elif event.kind == "node_finish" and event.result is not None:
                result = event.result
                if result.status in ("error", "fail"):
                    self._node_failed = True
                node_state = STATES.get(result.status)
                if node_state and self.is_job(result.unique_id):
                    message = result.message if node_state == "FAIL" else None
                    self.send(self.node_event(result.unique_id, node_state, message))
        except Exception as exc:  # a bug in building an event must not fail the run either
            log.warning("OpenLineage event not built", exc_info=True)
            self._warn(f"OpenLineage event for {event.unique_id or event.kind} not built: {exc}")

    def is_job(self, uid: str) -> bool:
        """True for the nodes that get events: models (not ephemeral), seeds and snapshots."""
        node = self.session.project.node(uid)
        if isinstance(node, TestNode | SourceNode):
            return False
        return not (isinstance(node, ModelNode) and node.config.materialized == "ephemeral")

    def send(self, event: Mapping[str, Any]) -> None:
        """Send ``event`` unless an earlier send failed; a failure is one warning."""
        if self._failed:
            return
        try:
            self.transport.send(event)
        except Exception as exc:
            self._failed = True
            self._warn(
                f"OpenLineage events could not be sent to {self.transport.describe()} "
                f"({type(exc).__name__}: {exc}); no more are sent in this invocation"
            )

    def _warn(self, text: str) -> None:
        if not self._warned:
            self._warned = True
            self.warn(Event("message", level="warn", text=scrub(text)))

    # ---- events ----------------------------------------------------------------------------
    def _base(self, state: str, run: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventTime": datetime.now(UTC).isoformat(),
            "producer": producer(),
            "schemaURL": EVENT_SCHEMA,
            "eventType": state,
            "run": run,
            "job": job,
            "inputs": [],
            "outputs": [],
        }

    def parent_event(self, state: str) -> dict[str, Any]:
        """The invocation's own run event."""
        job = {
            "namespace": self.namespace,
            "name": self.project_job,
            "facets": {
                "jobType": facet("jobType", processingType="BATCH", integration="PYFLOW", jobType="JOB")
            },
        }
        return self._base(state, {"runId": run_id(self.session.invocation_id), "facets": {}}, job)

    def node_event(self, uid: str, state: str, message: str | None = None) -> dict[str, Any]:
        """A node's run event, with its datasets."""
        node = self.session.project.node(uid)
        parent = facet(
            "parent",
            run={"runId": run_id(self.session.invocation_id)},
            job={"namespace": self.namespace, "name": self.project_job},
        )
        run_facets: dict[str, Any] = {"parent": parent}
        if message:
            run_facets["errorMessage"] = facet(
                "errorMessage", message=scrub(message), programmingLanguage="python"
            )
        job_facets: dict[str, Any] = {
            "jobType": facet(
                "jobType", processingType="BATCH", integration="PYFLOW", jobType=node.resource_type.upper()
            )
        }
        with self._lock:
            sql = self._sql(uid)
            inputs, output = self._datasets_of(uid)
        if sql:
            job_facets["sql"] = facet("sql", query=sql, dialect=self.session.adapter.dialect)
        event = self._base(
            state,
            {"runId": run_id(self.session.invocation_id, uid), "facets": run_facets},
            {"namespace": self.namespace, "name": uid, "facets": job_facets},
        )
        event["inputs"] = inputs
        event["outputs"] = [output]
        return event

    # ---- datasets --------------------------------------------------------------------------
    def _sql(self, uid: str) -> str | None:
        node = self.session.project.node(uid)
        if not isinstance(node, ModelNode):
            return None
        try:
            return scrub(self.session.compiler.compile(uid).sql or "") or None
        except PyflowError:
            return None

    def _fields(self, uid: str) -> list[dict[str, Any]]:
        try:
            cols = self.session.compiler.columns(uid) or ()
        except PyflowError:
            cols = ()
        adapter = self.session.adapter
        return [{"name": name, "type": adapter.ibis_to_type(dtype)} for name, dtype in cols]

    def dataset(self, uid: str) -> dict[str, Any]:
        """``{namespace, name, facets: {schema}}`` of a node's relation (or files)."""
        if uid not in self._datasets:
            compiler, adapter = self.session.compiler, self.session.adapter
            node = self.session.project.node(uid)
            if isinstance(node, SourceNode) and compiler.reads_files(node):
                namespace, name = file_dataset(compiler.file_location(node))
            else:
                namespace = dataset_namespace(adapter)
                name = dataset_name(adapter, compiler.read_relation(node))
            self._datasets[uid] = {
                "namespace": namespace,
                "name": name,
                "facets": {"schema": facet("schema", fields=self._fields(uid))},
            }
        return self._datasets[uid]

    def _parents(self, uid: str) -> list[str]:
        """The nodes whose relations ``uid`` reads, looking through ephemeral models."""
        project = self.session.project
        out: list[str] = []
        stack = list(project.graph.param_map.get(uid, {}).values())
        seen: set[str] = set()
        while stack:
            parent = stack.pop(0)
            if parent in seen:
                continue
            seen.add(parent)
            node = project.node(parent)
            if isinstance(node, ModelNode) and node.config.materialized == "ephemeral":
                stack.extend(project.graph.param_map.get(parent, {}).values())
            else:
                out.append(parent)
        return sorted(out)

    def _datasets_of(self, uid: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        inputs = [self.dataset(p) for p in self._parents(uid)]
        output = dict(self.dataset(uid))
        entry = column_lineage(self.session, [uid], cached=False)["nodes"].get(uid, {"columns": {}})
        by_uid = {p: self.dataset(p) for p in self._parents(uid)}
        fields: dict[str, Any] = {}
        for column, edges in entry["columns"].items():
            found = [
                {
                    "namespace": by_uid[e["unique_id"]]["namespace"],
                    "name": by_uid[e["unique_id"]]["name"],
                    "field": e["column"],
                }
                for e in edges
                if e["unique_id"] in by_uid
            ]
            if found:
                fields[column] = {"inputFields": found}
        if fields:
            output["facets"] = {**output["facets"], "columnLineage": facet("columnLineage", fields=fields)}
        return inputs, output


COMMANDS = ("run", "build", "seed", "snapshot")
"""The commands that send events (``test`` runs no jobs that produce datasets)."""


def attach(
    session: Session, command: str, environ: Mapping[str, str] | None = None
) -> OpenLineageEmitter | None:
    """Send OpenLineage events for ``command`` when configured; None when not (or not sendable)."""
    if command not in COMMANDS:
        return None
    env = os.environ if environ is None else environ
    config = session.project.config.openlineage
    try:
        transport = transport_for(config, session.root, env)
    except PyflowError as exc:  # an env_var() that is not set: warn, run anyway
        session.emit(Event("message", level="warn", text=f"OpenLineage events are not sent: {exc}"))
        return None
    if transport is None:
        return None
    emitter = OpenLineageEmitter(session, transport, job_namespace(config, env), session.emit)
    inner = session.emit

    def emit(event: Event) -> None:
        inner(event)
        emitter.handle(event)

    session.emit = emit
    return emitter
