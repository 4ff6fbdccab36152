"""A snapshot of an engine's catalog (relations and schemas), read once and kept current.

Before every build a materializer asks whether the target relation exists and what it is, and
whether its schema exists. Answered by a catalog query each time, that is one or two queries
per node, and on DuckDB each scans the whole catalog (``information_schema.tables`` lists every
relation), so a run of N models paid O(N^2). :class:`CatalogSnapshot` reads the catalog once
and then applies the effect of each DDL statement the adapter itself built
(:meth:`TrackedCatalogAdapter.create_table_as_sql` and the other builders record what their
statement does), once that statement succeeded:

- inside a transaction, a thread's effects are kept aside (visible to that thread) and applied
  at COMMIT, dropped at ROLLBACK, as the engine does;
- any other statement that may change the catalog (a hook's DDL, ATTACH, DROP SCHEMA, ...: a
  statement of a kind outside :data:`READ_ONLY_KINDS`, as the engine's parser tells
  :meth:`TrackedCatalogAdapter._statement_kinds`) drops the snapshot, and the next question
  reads it again; so does handing the raw cursor to other code;
- transaction control other than the adapter's own (a hook's ``BEGIN`` or ``COMMIT``) turns the
  snapshot off for the adapter's life: effects could no longer be matched to the transaction
  that makes them visible, so every question is a catalog query again, as without a snapshot.

Answers are those of a catalog query made outside any transaction at the same moment: names
compare exactly, as ``table_name = '...'`` does, while DDL resolves names case-insensitively,
as the engine does. Relations of the connection-private ``temp`` catalog are never kept: they
are always queried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from pyflow.adapters.base import Adapter, RelationType, TableOptions
from pyflow.relation import Relation

Key = tuple[str, str, str]
"""(database, schema, identifier) exactly as the engine stores them."""
SchemaKey = tuple[str, str]
UNCACHED_DATABASES = frozenset({"temp"})
"""Catalogs private to each connection: never snapshotted (nor any the load does not list)."""
Loaded = tuple[list[tuple[Key, RelationType]], list[SchemaKey], set[str]]
"""What a load returns: relations with their kinds, schemas, and the catalogs it covers."""
READ_ONLY_KINDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE_INTO", "EXPLAIN"})
"""Statement kinds that leave the catalog's relations and schemas as they are (SET and USE are
not: they change how unqualified names resolve; COPY may copy a whole database; CALL may run
anything)."""
OWN_TRANSACTION_SQL = frozenset({"BEGIN TRANSACTION", "COMMIT"})
"""What :meth:`pyflow.adapters.base.Adapter.transaction` sends to begin and end a transaction."""
MAX_BUILT = 4096
"""Statements built but not run yet whose effect is remembered (a statement run after it was
forgotten drops the snapshot instead: slower, never wrong)."""


@dataclass(frozen=True)
class Effect:
    """What one successful DDL statement does to the catalog."""

    op: Literal["create", "drop", "rename", "schema"]
    key: tuple[str, ...]
    kind: RelationType | None = None
    new_identifier: str | None = None


def _fold(key: Iterable[str]) -> tuple[str, ...]:
    return tuple(part.lower() for part in key)


class CatalogSnapshot:
    """Relations and schemas, loaded by ``load`` on first use; effects applied as statements succeed."""

    def __init__(self, load: Callable[[], Loaded]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._relations: dict[tuple[str, ...], tuple[Key, RelationType]] | None = None
        self._schemas: dict[tuple[str, ...], SchemaKey] | None = None
        self._generation = 0
        self._local = threading.local()
        self._disabled = False
        self._catalogs: frozenset[str] = frozenset()

    # ---- reading -------------------------------------------------------------------------
    def _pending(self) -> list[Effect] | None:
        pending: list[Effect] | None = getattr(self._local, "pending", None)
        return pending

    @property
    def holds(self) -> bool:
        """Whether a snapshot is loaded now (the next question is answered without a query)."""
        return self._relations is not None and not self._disabled

    def in_transaction(self) -> bool:
        """Whether the calling thread is inside :meth:`transaction`."""
        return self._pending() is not None

    def disable(self) -> None:
        """Stop answering for good: every question is a catalog query from now on."""
        with self._lock:
            self._disabled = True
        self.invalidate()

    def _loaded(self) -> bool:
        """Load the snapshot if needed; False when it cannot be trusted now (query directly)."""
        if self._disabled:
            return False
        if self._relations is not None:
            return True
        if self._pending() is not None:
            return False  # a load inside a transaction would see its uncommitted changes
        with self._lock:
            generation = self._generation
        relations, schemas, catalogs = self._load()
        with self._lock:
            if self._generation != generation or self._disabled:  # a commit landed during the load
                return False
            self._relations = {_fold(k): (k, kind) for k, kind in relations}
            self._schemas = {_fold(k): k for k in schemas}
            self._catalogs = frozenset(c.lower() for c in catalogs)
        return True

    def relation_type(self, key: Key) -> RelationType | Literal["unknown"] | None:
        """The relation's type, None when absent, ``"unknown"`` when the caller must query."""
        if key[0] in UNCACHED_DATABASES or not self._loaded() or key[0].lower() not in self._catalogs:
            return "unknown"
        pending = self._pending()
        with self._lock:
            if self._relations is None or self._schemas is None:
                return "unknown"  # dropped by another thread since _loaded()
            if pending:  # this thread's uncommitted changes, on a copy
                relations, schemas = dict(self._relations), dict(self._schemas)
                for effect in pending:
                    _apply(effect, relations, schemas)
            else:
                relations = self._relations
            found = relations.get(_fold(key))
        return found[1] if found is not None and found[0] == key else None

    def schema_exists(self, key: SchemaKey) -> bool | Literal["unknown"]:
        """Whether the schema exists, ``"unknown"`` when the caller must query."""
        if key[0] in UNCACHED_DATABASES or not self._loaded() or key[0].lower() not in self._catalogs:
            return "unknown"
        pending = self._pending()
        with self._lock:
            if self._schemas is None:
                return "unknown"  # dropped by another thread since _loaded()
            found = self._schemas.get(_fold(key))
            if pending:
                schemas = dict(self._schemas)
                for effect in pending:
                    _apply(effect, {}, schemas)
                found = schemas.get(_fold(key))
        return found == key

    # ---- changing ------------------------------------------------------------------------
    def applied(self, effect: Effect) -> None:
        """``effect``'s statement succeeded: now, or at COMMIT inside a transaction."""
        if effect.key[0] in UNCACHED_DATABASES:
            return
        pending = self._pending()
        if pending is not None:
            pending.append(effect)
            return
        with self._lock:
            self._generation += 1
            if self._relations is not None and self._schemas is not None:
                _apply(effect, self._relations, self._schemas)

    def invalidate(self) -> None:
        """Forget everything: the next question reads the catalog again."""
        with self._lock:
            self._generation += 1
            self._relations = None
            self._schemas = None
        pending = self._pending()
        if pending is not None:  # COMMIT must not trust a snapshot read before it either
            pending.append(Effect("schema", ("", ""), None, "invalidate"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The calling thread's transaction: its effects apply when the block ends without error."""
        self._local.pending = []
        try:
            yield
        except BaseException:
            self._local.pending = None
            self.invalidate()  # a failed COMMIT may or may not have landed: read again
            raise
        pending, self._local.pending = self._local.pending, None
        for effect in pending:
            if effect.new_identifier == "invalidate":
                self.invalidate()
            else:
                self.applied(effect)


def _apply(
    effect: Effect,
    relations: dict[tuple[str, ...], tuple[Key, RelationType]],
    schemas: dict[tuple[str, ...], SchemaKey],
) -> None:
    folded = _fold(effect.key)
    if effect.op == "schema":
        if effect.new_identifier == "invalidate":
            return
        db, schema = effect.key[0], effect.key[1]
        schemas.setdefault(folded, (db, schema))  # IF NOT EXISTS: an existing name keeps its case
        return
    db, schema, name = effect.key
    stored = schemas.get(folded[:2])  # the engine resolves the schema whatever its case
    if stored is not None:
        db, schema = stored
    if effect.op == "create":
        assert effect.kind is not None
        relations[folded] = ((db, schema, name), effect.kind)
    elif effect.op == "drop":
        relations.pop(folded, None)
    elif effect.op == "rename":
        old = relations.pop(folded, None)
        assert effect.new_identifier is not None
        kind = old[1] if old is not None else effect.kind
        if kind is not None:
            new = (db, schema, effect.new_identifier)
            relations[_fold(new)] = (new, kind)


class TrackedCatalogAdapter(Adapter):
    """An adapter whose ``relation_type``/``schema_exists`` answer from a :class:`CatalogSnapshot`.

    Subclasses implement the ``_query_*`` methods (the catalog queries), ``_load_catalog`` (all
    of it in one query) and ``_statement_kinds``, and call :meth:`_after_statement` for
    every statement that succeeded.
    """

    def __init__(self, config: object, *, invocation_id: str = "local") -> None:
        super().__init__(config, invocation_id=invocation_id)
        self.catalog = CatalogSnapshot(self._load_catalog)
        self._effects: dict[str, Effect] = {}
        """SQL built by this adapter -> what it does once it succeeds (at most MAX_BUILT)."""
        self._effects_lock = threading.Lock()

    # ---- what subclasses provide ---------------------------------------------------------
    def _load_catalog(self) -> Loaded:
        raise NotImplementedError

    def _query_relation_type(self, relation: Relation) -> RelationType | None:
        raise NotImplementedError

    def _query_schema_exists(self, database: str | None, schema: str) -> bool:
        raise NotImplementedError

    def _statement_kinds(self, sql: str) -> set[str]:
        """The kinds of the statements in ``sql``, as the engine's parser names them.

        ``SELECT``, ``CREATE``, ``TRANSACTION`` ...
        """
        raise NotImplementedError

    # ---- answers -------------------------------------------------------------------------
    def _key(self, relation: Relation) -> Key:
        return (relation.database or self.database, relation.schema or self.schema, relation.identifier)

    def relation_type(self, relation: Relation) -> RelationType | None:  # noqa: D102
        found = self.catalog.relation_type(self._key(relation))
        return self._query_relation_type(relation) if found == "unknown" else found

    def schema_exists(self, database: str | None, schema: str) -> bool:  # noqa: D102
        found = self.catalog.schema_exists((database or self.database, schema))
        return self._query_schema_exists(database, schema) if found == "unknown" else found

    def _after_statement(self, sql: str) -> None:
        """``sql`` succeeded: apply what it did to the snapshot (or drop the snapshot)."""
        with self._effects_lock:
            effect = self._effects.pop(sql, None)
        if effect is not None:
            self.catalog.applied(effect)
            return
        kinds = self._statement_kinds(sql)
        if sql in OWN_TRANSACTION_SQL and self.catalog.in_transaction():
            return  # the adapter's own BEGIN/COMMIT: catalog.transaction() keeps the effects aside
        if "TRANSACTION" in kinds:
            self.catalog.disable()  # a hook's BEGIN/COMMIT: see the module's docstring
        elif kinds - READ_ONLY_KINDS:
            self.catalog.invalidate()

    def _failed_statement(self, sql: str) -> None:
        """``sql`` failed: it changed nothing, and the same text run again is checked again."""
        with self._effects_lock:
            self._effects.pop(sql, None)

    @contextmanager
    def transaction(self) -> Iterator[None]:  # noqa: D102
        if getattr(self._local, "in_transaction", False):
            with super().transaction():
                yield
            return
        with self.catalog.transaction(), super().transaction():
            yield

    # ---- builders that record their effect ----------------------------------------------
    def _built(self, sql: str, effect: Effect) -> str:
        with self._effects_lock:
            self._effects[sql] = effect
            if len(self._effects) > MAX_BUILT:  # built and never run (a dry run, say): forget the oldest
                del self._effects[next(iter(self._effects))]
        return sql

    def create_schema_sql(self, database: str | None, schema: str) -> str:  # noqa: D102
        sql = super().create_schema_sql(database, schema)
        return self._built(sql, Effect("schema", (database or self.database, schema)))

    def create_view_sql(self, relation: Relation, select: str) -> str:  # noqa: D102
        return self._built(
            super().create_view_sql(relation, select), Effect("create", self._key(relation), "view")
        )

    def create_table_as_sql(  # noqa: D102
        self, relation: Relation, select: str, options: TableOptions | None = None
    ) -> str:
        sql = super().create_table_as_sql(relation, select, options)
        return self._built(sql, Effect("create", self._key(relation), "table"))

    def drop_relation_sql(self, relation: Relation, kind: RelationType) -> str:  # noqa: D102
        return self._built(
            super().drop_relation_sql(relation, kind), Effect("drop", self._key(relation), kind)
        )

    def rename_relation_sql(self, relation: Relation, new_identifier: str, kind: RelationType) -> str:  # noqa: D102
        sql = super().rename_relation_sql(relation, new_identifier, kind)
        return self._built(sql, Effect("rename", self._key(relation), kind, new_identifier))
