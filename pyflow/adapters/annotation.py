"""SQL that annotates a built relation: ``COMMENT ON`` (dbt's ``persist_docs``) and ``GRANT`` (``grants``).

The statements are the SQL standard's, which DuckDB and Trino share; an adapter says whether
its engine has them through ``capabilities.comments`` / ``capabilities.grants``. Trino's
``GRANT`` exists on some connectors only (Hive with ``sql-standard`` security ...): the others
answer NOT_SUPPORTED, which :func:`is_unsupported` recognizes so the runner can skip with a note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pyflow.adapters.base import Adapter, RelationType
from pyflow.relation import Relation

_PRIVILEGE = re.compile(r"^[A-Za-z][A-Za-z ]*$")


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_sql(adapter: Adapter, relation: Relation, kind: RelationType, text: str) -> str:
    """``COMMENT ON TABLE|VIEW relation IS 'text'``."""
    return f"COMMENT ON {'VIEW' if kind == 'view' else 'TABLE'} {adapter.render(relation)} IS {_string(text)}"


def column_comment_sql(adapter: Adapter, relation: Relation, column: str, text: str) -> str:
    """``COMMENT ON COLUMN relation.column IS 'text'``."""
    return f"COMMENT ON COLUMN {adapter.render(relation)}.{adapter.quote(column)} IS {_string(text)}"


def is_privilege(privilege: str) -> bool:
    """True when ``privilege`` reads as a SQL privilege (``select``, ``insert`` ...), not arbitrary SQL."""
    return bool(_PRIVILEGE.match(privilege.strip()))


def grant_sql(adapter: Adapter, relation: Relation, privilege: str, grantees: Sequence[str]) -> list[str]:
    """One ``GRANT privilege ON relation TO grantee`` per grantee (Trino takes one grantee a statement)."""
    target = adapter.render(relation)
    return [f"GRANT {privilege.strip().upper()} ON {target} TO {grantee}" for grantee in grantees]


def is_unsupported(message: str) -> bool:
    """True when an engine's error says the catalog cannot manage permissions (Trino's NOT_SUPPORTED)."""
    lowered = message.lower()
    return "not_supported" in lowered or "does not support" in lowered
