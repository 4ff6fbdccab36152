"""dbt's model constraints: enforced in the table's DDL where the engine can, else noted.

A model with an enforced contract (``contract: {enforced: true}``) and ``constraints:`` (on the
model or its columns) is built, when it is a ``table`` or ``incremental`` model, by creating the
table empty with its declared columns, types and the constraints the engine enforces
(``capabilities.constraints``), then ``INSERT ... SELECT`` from the model's query: a row that
breaks a constraint fails the insert, so the model fails and (the build being atomic) its
previous table stays. Later incremental batches go into that table and are checked by it too.

Constraints the engine does not enforce are left out of the DDL and named in one
informational line per model, unless the constraint sets dbt's ``warn_unsupported: false``
(``warn_unenforced: false`` is accepted too). Constraints of other materializations (views,
ephemeral models, DataFrame models, partitioned tables) are noted the same way. Without an
enforced contract, constraints are ignored, as in dbt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pyflow.adapters.base import TableOptions
from pyflow.adapters.constraint import (
    CONSTRAINT_TYPES,
    ContractColumn,
    create_constrained_table_sql,
    insert_contract_sql,
)
from pyflow.core.node import ModelNode, Node, SnapshotNode
from pyflow.errors import ProjectError, closest
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.materializers.base import Job

log = logging.getLogger("pyflow.sql")  # shown on the console
_TABLE_KINDS = ("table", "incremental")
_NEEDS_EXPRESSION = ("check", "custom")


def plan_constraints(node: Node, kind: str, job: Job) -> Callable[[Relation], list[str]] | None:
    """The statements that create and fill the node's table with its constraints, or None.

    None when the node has no enforced contract with constraints, or none the engine enforces
    here (what is left out is noted). Malformed constraints raise ``invalid-constraint``.
    """
    if not isinstance(node, ModelNode) or isinstance(node, SnapshotNode):
        return None
    contract = getattr(node.config, "contract", None)
    column_level = [(c, dict(k)) for c in node.columns.values() for k in c.constraints]
    if contract is None or not contract.enforced or not (column_level or node.constraints):
        return None
    for _, constraint in column_level:
        _check(node, constraint, table_level=False)
    for constraint in node.constraints:
        _check(node, constraint, table_level=True)
    adapter = job.adapter
    options = TableOptions.from_config(job.config)
    why: str | None = None
    if kind == "microbatch":
        why = "a microbatch model's table is built batch by batch"
    elif kind not in _TABLE_KINDS:
        why = f"a {kind} model has no table to constrain"
    elif job.frame is not None or job.sql is None:
        why = "a DataFrame model is loaded from its frame"
    elif options.partitioned_by or options.bucketed_by or options.external_location:
        why = "partitioned or external tables are created by CREATE TABLE AS"
    enforced = set() if why else adapter.capabilities.constraints
    kept = [(c, k) for c, k in column_level if k["type"] in enforced]
    kept_tables = [k for k in node.constraints if k["type"] in enforced]
    left = [k for _, k in column_level if k["type"] not in enforced] + [
        k for k in node.constraints if k["type"] not in enforced
    ]
    noted = [k for k in left if k.get("warn_unsupported", True) and k.get("warn_unenforced", True)]
    if noted:
        types = ", ".join(sorted({str(k["type"]) for k in noted}))
        reason = why or f"{adapter.type} does not enforce them"
        log.info("model '%s': constraints not enforced: %s (%s)", node.name, types, reason)
    if not (kept or kept_tables):
        return None
    columns = [
        ContractColumn(
            c.name,
            str(c.data_type),
            tuple(k for cc, k in kept if cc.name == c.name),
        )
        for c in node.columns.values()
    ]
    sql = job.sql
    assert sql is not None

    def statements(relation: Relation) -> list[str]:
        return [
            create_constrained_table_sql(adapter, relation, columns, kept_tables),
            insert_contract_sql(adapter, relation, [c.name for c in columns], sql),
        ]

    return statements


def _check(node: ModelNode, constraint: Mapping[str, Any], *, table_level: bool) -> None:
    kind = constraint.get("type")
    problem: str | None = None
    if kind not in CONSTRAINT_TYPES:
        problem = f"has an unknown type {kind!r}"
    elif kind in _NEEDS_EXPRESSION and not constraint.get("expression"):
        problem = f"of type {kind} needs an expression"
    elif table_level and kind in ("primary_key", "unique", "foreign_key") and not constraint.get("columns"):
        problem = f"of type {kind} on the model needs columns: [...]"
    if problem is None:
        return
    raise ProjectError(
        f"constraint {dict(constraint)} {problem}",
        model=node.name,
        path=node.path,
        line=node.line,
        suggestions=closest(str(kind), CONSTRAINT_TYPES) if kind not in CONSTRAINT_TYPES else (),
        hint="write constraints as dbt does: {type: not_null | unique | primary_key | foreign_key | check "
        "| custom}, with expression: for check and custom, and columns: for model-level keys",
        code="invalid-constraint",
    )
