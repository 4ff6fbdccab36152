"""``pyflow clone``: make the selected nodes of the ``--state`` target readable in the current one.

Owns dbt's ``clone`` for engines without zero-copy table clones: for each selected model, seed
and snapshot that the state's manifest built, a view in the current target selects from the
state's relation. A relation that already exists in the current target is left alone unless
``--full-refresh`` replaces it. Nothing is copied; the views read the state's tables.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from pyflow.core.node import ModelNode, SeedNode
from pyflow.errors import ProjectError, PyflowError
from pyflow.runner.events import Event, NodeResult

if TYPE_CHECKING:
    from pyflow.runner.events import RunOutcome
    from pyflow.runner.session import Session


def clone(session: Session) -> RunOutcome:
    """Create the views of ``pyflow clone`` for the session's selection.

    Raises:
        ProjectError: ``state-required`` when the session has no ``--state``.

    """
    from pyflow.runner.events import RunOutcome

    state = session.state
    if state is None:
        raise ProjectError(
            "pyflow clone makes the relations of an earlier run's target readable here, "
            "but no --state was given",
            hint="pass --state DIR (the folder holding that run's manifest.json)",
            code="state-required",
        )
    started = time.perf_counter()
    project, adapter, compiler = session.project, session.adapter, session.compiler
    ids = [
        uid
        for uid in session.selected("clone")
        if isinstance(node := project.node(uid), ModelNode | SeedNode)
        and getattr(node.config, "materialized", "") != "ephemeral"
    ]
    adapter.open()
    session.emit(
        Event(
            "run_start",
            total=len(ids),
            data={"command": "clone", "threads": 1, "target": session.target.name},
        )
    )
    results: list[NodeResult] = []
    for index, uid in enumerate(ids, start=1):
        node = project.node(uid)
        rel = compiler.relation(node)
        desc = f"{node.resource_type} {rel.dotted()}"
        session.emit(Event("node_start", index=index, total=len(ids), description=desc, unique_id=uid))
        result = NodeResult(
            uid, node.name, "success", relation=adapter.render(rel), started_at=time.time(),
            thread_id=threading.current_thread().name,
        )  # fmt: skip
        before = state.nodes.get(uid)
        try:
            if before is None or before.relation is None:
                result.message = f"not in the state's manifest ({state.path}): nothing to clone"
                result.status = "skipped"
            elif before.relation == rel:
                result.message = "kept (it is the state's own relation)"
                result.response = "OK"
            elif adapter.relation_type(rel) is not None and not session.options.full_refresh:
                result.message = "kept existing"  # --full-refresh replaces it
                result.response = "OK"
            else:
                if rel.schema and not adapter.schema_exists(rel.database, rel.schema):
                    adapter.execute(adapter.create_schema_sql(rel.database, rel.schema))
                if adapter.relation_type(rel) == "table":
                    adapter.execute(adapter.drop_relation_sql(rel, "table"), model=node.name)
                sql = adapter.create_view_sql(rel, f"SELECT * FROM {adapter.render(before.relation)}")
                adapter.execute(sql, model=node.name)
                result.statements.append(sql)
                result.message = "cloned"  # a view of the state's relation
                result.response = "OK"
        except PyflowError as exc:
            exc.model, exc.path, exc.resource = exc.model or node.name, node.path, node.resource_type
            result.status, result.message, result.error = "error", str(exc), exc.to_dict()
        result.completed_at = time.time()
        result.execution_time = result.completed_at - result.started_at
        results.append(result)
        session.emit(Event("node_finish", index=index, total=len(ids), description=desc, result=result))
    outcome = RunOutcome(results, time.perf_counter() - started)
    session.emit(Event("run_finish", total=len(ids), data={"elapsed": outcome.elapsed, "cancelled": False}))
    return outcome
