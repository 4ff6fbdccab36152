"""Relation: the three-part name of an object in a warehouse (database.schema.identifier).

A leaf module usable by every layer. Quoting is passed in by the adapter, so this module knows
nothing about engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


def _double_quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


@dataclass(frozen=True)
class Relation:
    """A table or view name; ``database`` is the catalog (DuckDB file, Athena data catalog)."""

    database: str | None
    schema: str | None
    identifier: str

    def render(self, quote: Callable[[str], str] = _double_quote) -> str:
        """Return the quoted, dotted name, e.g. ``"shop"."main"."orders"``."""
        parts = [p for p in (self.database, self.schema, self.identifier) if p]
        return ".".join(quote(p) for p in parts)

    def with_identifier(self, identifier: str) -> Relation:
        """The same database and schema with another object name."""
        return replace(self, identifier=identifier)

    def __str__(self) -> str:
        return self.render()

    def dotted(self) -> str:
        """Unquoted ``schema.identifier`` as shown in log lines."""
        return ".".join(p for p in (self.schema, self.identifier) if p)
