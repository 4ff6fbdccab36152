"""dbt's ``persist_docs`` and ``grants`` applied to a node's relation right after it is built.

Run inside the node's transaction (with its in-transaction post-hooks), as dbt's
materializations do, so on DuckDB a failing ``COMMENT ON`` rolls the build back too.

- ``persist_docs: {relation: true}`` comments the table or view with the node's description;
  ``{columns: true}`` comments each documented column that the relation has (names compared
  case-insensitively; columns without a description are left alone), as dbt does.
- ``grants: {select: [a, b]}`` runs ``GRANT SELECT ON <relation> TO a`` (one statement per
  grantee). Unlike dbt, grants the config no longer lists are not revoked: a table rebuilt by a
  run has none to revoke.

Where the engine has no ``COMMENT ON`` or ``GRANT`` (``capabilities``), or a Trino catalog answers
that it manages no permissions, the node gets one informational line saying what was skipped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pyflow.adapters.annotation import (
    column_comment_sql,
    comment_sql,
    grant_sql,
    is_privilege,
    is_unsupported,
)
from pyflow.core.node import Node
from pyflow.errors import AdapterError, ProjectError

if TYPE_CHECKING:
    from pyflow.materializers.base import Job

log = logging.getLogger("pyflow.sql")  # shown on the console, like {{ log(..., info=True) }}


def _docs(node: Node) -> dict[str, Any]:
    return dict(getattr(getattr(node, "config", None), "persist_docs", None) or {})


def _grants(node: Node) -> dict[str, Any]:
    return dict(getattr(getattr(node, "config", None), "grants", None) or {})


def has_annotations(node: Node) -> bool:
    """True when the node asks for ``persist_docs`` or ``grants``."""
    docs = _docs(node)
    return bool(docs.get("relation") or docs.get("columns") or _grants(node))


def annotate(node: Node, job: Job) -> None:
    """Apply the node's ``persist_docs`` and ``grants`` to ``job.relation``; note what was skipped."""
    adapter = job.adapter
    skipped: list[str] = []
    docs = _docs(node)
    if docs.get("relation") or docs.get("columns"):
        if adapter.capabilities.comments:
            _comment(node, job, relation=bool(docs.get("relation")), columns=bool(docs.get("columns")))
        else:
            skipped.append(f"persist_docs ({adapter.type} has no COMMENT ON)")
    grants = _entries(node)  # checked on every engine, so a project fails the same way everywhere
    if grants:
        if adapter.capabilities.grants:
            refused = _grant(job, grants)
            if refused:
                skipped.append(f"grants (the engine refused: {refused})")
        else:
            skipped.append(f"grants ({adapter.type} has no GRANT)")
    if skipped:
        log.info("%s '%s': not applied: %s", node.resource_type, node.name, "; ".join(skipped))


def _comment(node: Node, job: Job, *, relation: bool, columns: bool) -> None:
    adapter = job.adapter
    kind = adapter.relation_type(job.relation)
    if kind is None:  # an ephemeral model: nothing was built
        return
    description = str(getattr(node, "description", "") or "")
    if relation and description:
        job.execute(comment_sql(adapter, job.relation, kind, description))
    documented = {
        name: col for name, col in (getattr(node, "columns", None) or {}).items() if col.description
    }
    if not (columns and documented):
        return
    present = {c.name.lower(): c.name for c in adapter.get_columns(job.relation)}
    for name, col in documented.items():
        if name.lower() in present:
            job.execute(column_comment_sql(adapter, job.relation, present[name.lower()], col.description))


def _entries(node: Node) -> list[tuple[str, list[str]]]:
    """The node's grants as (privilege, grantees); a malformed entry is a project error."""
    entries: list[tuple[str, list[str]]] = []
    for privilege, value in _grants(node).items():
        grantees = [value] if isinstance(value, str) else [str(v) for v in (value or [])]
        if not is_privilege(str(privilege)) or not all(g.replace("_", "").isalnum() for g in grantees):
            raise ProjectError(
                f"grants entry {privilege!r}: {value!r} is not a privilege with a list of grantees",
                model=node.name,
                path=node.path,
                resource=node.resource_type,
                hint="write grants as {privilege: [grantee, ...]}, e.g. {select: [reporter]}",
                code="invalid-grants",
            )
        entries.append((str(privilege), grantees))
    return entries


def _grant(job: Job, entries: list[tuple[str, list[str]]]) -> str | None:
    """Run the GRANTs; the engine's first line when it manages no permissions here, else None."""
    for privilege, grantees in entries:
        for sql in grant_sql(job.adapter, job.relation, privilege, grantees):
            try:
                job.execute(sql)
            except AdapterError as exc:
                if not is_unsupported(exc.message):
                    raise
                return (exc.message.strip().splitlines() or ["not supported"])[0]
    return None
