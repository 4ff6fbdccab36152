"""The database a SQL model's Jinja may read while it renders for a run.

dbt lets templates query the target: ``run_query``, ``{% call statement(...) %}`` with
``load_result``, ``adapter.get_relation`` and ``adapter.get_columns_in_relation``. The runner
hands the compiler a :class:`RenderDatabase` (a plain object over its adapter), so this layer
never imports an adapter. During parsing (DAG discovery) there is no database: ``execute`` is
False, ``run_query`` and ``load_result`` return None, ``statement`` runs nothing and
``get_relation`` finds nothing, as in dbt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pyflow.core.querytable import QueryTable
from pyflow.errors import CompileError
from pyflow.relation import Relation


class RenderDatabase(Protocol):
    """What the runner offers a template: queries and catalog lookups on the target."""

    def query(self, sql: str, model: str | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql``; its column names and rows."""

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        """``(name, type)`` of an existing relation's columns (empty when it does not exist)."""

    def relation_type(self, relation: Relation) -> str | None:
        """``table``/``view``, or None when the relation does not exist."""

    def render(self, relation: Relation) -> str:
        """The relation's quoted name in the target's SQL."""


class RelationText(str):
    """What ``ref()``, ``source()`` and ``this`` render to: the quoted name, with its parts.

    A ``str`` (so ``{{ ref('x') }}`` and string operations work as before) that also has dbt's
    relation attributes: ``database``, ``schema``, ``identifier``/``name``, ``type``,
    ``is_table``/``is_view`` and ``render()``.
    """

    relation: Relation | None
    type: str | None

    def __new__(cls, text: str, relation: Relation | None, type: str | None = None) -> RelationText:  # noqa: D102
        out = super().__new__(cls, text)
        out.relation = relation
        out.type = type
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """Dbt's relation read as a mapping: ``metadata.type`` says it is a relation (dbt_utils checks it)."""
        if key == "metadata":
            return {"type": "Relation"}
        return getattr(self, key, default) if key in ("database", "schema", "identifier", "type") else default

    @property
    def database(self) -> str | None:
        """The catalog."""
        return self.relation.database if self.relation else None

    @property
    def schema(self) -> str | None:
        """The schema."""
        return self.relation.schema if self.relation else None

    @property
    def identifier(self) -> str | None:
        """The table or view name."""
        return self.relation.identifier if self.relation else None

    @property
    def name(self) -> str | None:
        """The table or view name (dbt's ``.name``)."""
        return self.identifier

    @property
    def is_cte(self) -> bool:
        """False: an ephemeral model's ``ref()`` is inlined, not named as a CTE relation."""
        return False

    @property
    def is_table(self) -> bool:
        """True for a table."""
        return self.type == "table"

    @property
    def is_view(self) -> bool:
        """True for a view."""
        return self.type == "view"

    def render(self) -> str:
        """The quoted name."""
        return str(self)


@dataclass(frozen=True)
class JinjaColumn:
    """A column as ``adapter.get_columns_in_relation`` returns it (dbt's ``Column``)."""

    name: str
    data_type: str

    @property
    def column(self) -> str:
        """The column name (dbt's ``.column``)."""
        return self.name

    @property
    def dtype(self) -> str:
        """The engine type (dbt's ``.dtype``)."""
        return self.data_type

    @property
    def quoted(self) -> str:
        """The name, double-quoted."""
        return '"' + self.name.replace('"', '""') + '"'

    def is_string(self) -> bool:
        """A text type (``varchar``, ``char``, ``string``, ``text``)."""
        return self.data_type.lower().split("(")[0].strip() in (
            "varchar",
            "char",
            "string",
            "text",
            "character varying",
        )

    def is_integer(self) -> bool:
        """An integer type."""
        return self.data_type.lower().split("(")[0].strip() in (
            "integer", "int", "bigint", "smallint", "tinyint", "hugeint", "int4", "int8", "int2",
            "ubigint", "uinteger", "usmallint", "utinyint",
        )  # fmt: skip

    def is_float(self) -> bool:
        """A floating-point type."""
        return self.data_type.lower().split("(")[0].strip() in ("double", "float", "real", "float4", "float8")

    def is_numeric(self) -> bool:
        """A fixed-point type (``decimal``/``numeric``)."""
        return self.data_type.lower().split("(")[0].strip() in ("decimal", "numeric")

    def is_number(self) -> bool:
        """Any numeric type."""
        return self.is_integer() or self.is_float() or self.is_numeric()

    def string_size(self) -> int:
        """The declared length of a text type (a large number when it has none, as DuckDB's text)."""
        found = re.search(r"\((\d+)\)", self.data_type)
        return int(found.group(1)) if found else 256**2


def _relation_of(value: Any) -> Relation:
    if isinstance(value, RelationText) and value.relation is not None:
        return value.relation
    if isinstance(value, Relation):
        return value
    raise CompileError(
        f"expected a relation (ref(), source(), this or adapter.get_relation()), got {value!r}",
        hint="pass ref('model') or source('src', 'table'); an inline input (ephemeral model, "
        "file source) has no relation in the database",
        code="jinja-render",
    )


class RenderCalls:
    """The database-reading names of one render: ``execute``, ``run_query``, ``statement``, ...

    ``database`` None is the parse-time render (nothing runs). ``used`` turns True when the
    render read the database, so its SQL must not be cached.
    """

    def __init__(self, database: RenderDatabase | None, model: str) -> None:
        self.database = database
        self.model = model
        self.results: dict[str, dict[str, Any] | None] = {}
        self.used = False

    @property
    def execute(self) -> bool:
        """True when rendering for a run, False while parsing (dbt's ``execute``)."""
        return self.database is not None

    def _run(self, sql: str) -> QueryTable:
        assert self.database is not None
        self.used = True
        names, rows = self.database.query(sql.strip().rstrip(";"), self.model)
        return QueryTable(names, rows)

    def run_query(self, sql: Any) -> QueryTable | None:
        """Run ``sql`` on the target and return its result (None while parsing)."""
        if self.database is None:
            return None
        return self._run(str(sql))

    def statement(
        self,
        name: str | None = None,
        fetch_result: bool = False,
        auto_begin: bool = True,
        language: str = "sql",
        caller: Callable[[], Any] | None = None,
    ) -> str:
        """Run the body of its ``{% call %}`` block; ``fetch_result=True`` keeps the rows for load_result."""
        if caller is None or self.database is None:
            return ""
        table = self._run(str(caller()))
        if name is not None:
            self.results[name] = {
                "data": [tuple(r) for r in table.rows] if fetch_result else [],
                "table": table if fetch_result else None,
                "response": {"rows_affected": len(table), "_message": f"SELECT {len(table)}"},
            }
        return ""

    def load_result(self, name: str) -> dict[str, Any] | None:
        """The result a ``statement`` block stored under ``name`` (None when none ran)."""
        return self.results.get(name)

    def get_relation(self, database: str | None, schema: str, identifier: str) -> RelationText | None:
        """The relation when it exists in the target, else None."""
        if self.database is None:
            return None
        self.used = True
        rel = Relation(database or None, schema, identifier)
        kind = self.database.relation_type(rel)
        return RelationText(self.database.render(rel), rel, kind) if kind else None

    def get_columns_in_relation(self, relation: Any) -> list[JinjaColumn]:
        """The columns of an existing relation (empty while parsing)."""
        if self.database is None:
            return []
        self.used = True
        return [JinjaColumn(n, t) for n, t in self.database.columns(_relation_of(relation))]


class RelationApi:
    """dbt's ``api.Relation``: ``api.Relation.create(database=..., schema=..., identifier=...)``.

    Macros that list relations (dbt_utils' ``get_relations_by_pattern``) build their results
    with it; the relation renders as the target quotes it (the adapter's rendering during a
    run, ``quote`` while parsing).
    """

    def __init__(
        self, quote: Callable[[str], str], calls: RenderCalls | None, target_type: str = "duckdb"
    ) -> None:
        self._quote = quote
        self._calls = calls
        self._type = target_type

    @property
    def Relation(self) -> RelationApi:  # dbt's name
        """``api.Relation`` (this object: ``create`` is its one method)."""
        return self

    @property
    def Column(self) -> ColumnApi:  # dbt's name
        """``api.Column``: dbt's type labels for the target (``translate_type('string')``)."""
        return ColumnApi(self._type)

    def create(
        self,
        database: str | None = None,
        schema: str | None = None,
        identifier: str | None = None,
        type: str | None = None,
    ) -> RelationText:
        """A relation of those parts (``type``: ``table`` or ``view``, when known)."""
        if not schema or not identifier:
            raise CompileError(
                "api.Relation.create() needs a schema and an identifier",
                hint="call api.Relation.create(database=target.database, schema='s', identifier='t')",
                code="jinja-render",
            )
        rel = Relation(database or None, schema, identifier)
        database_ = self._calls.database if self._calls is not None else None
        text = (
            database_.render(rel)
            if database_ is not None
            else ".".join(self._quote(p) for p in (database, schema, identifier) if p)
        )
        return RelationText(text, rel, type)


class ColumnApi:
    """dbt's ``api.Column``: ``translate_type``, ``create``, ``string_type``, ``numeric_type``.

    dbt's generic labels (``string``, ``integer``, ``float``, ``timestamp``, ``boolean``, any
    case) become the target's type names, as dbt's adapters' ``Column.TYPE_LABELS`` give them;
    any other type is returned as written.
    """

    _LABELS: ClassVar[dict[str, dict[str, str]]] = {
        "duckdb": {"STRING": "TEXT", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "INTEGER": "INT", "BOOLEAN": "BOOLEAN"},
        "trino": {"STRING": "VARCHAR", "TIMESTAMP": "TIMESTAMP", "FLOAT": "DOUBLE", "INTEGER": "INTEGER", "BOOLEAN": "BOOLEAN"},
    }  # fmt: skip

    def __init__(self, target_type: str) -> None:
        self._labels = self._LABELS["duckdb" if target_type == "duckdb" else "trino"]  # athena: trino's
        self._sized = "character varying" if target_type == "duckdb" else "varchar"

    def translate_type(self, dtype: str) -> str:
        """The target's name of a dbt type label; other types unchanged."""
        return self._labels.get(str(dtype).upper(), str(dtype))

    def create(self, name: str, label_or_dtype: str) -> JinjaColumn:
        """A column of that name and (translated) type."""
        return JinjaColumn(str(name), self.translate_type(label_or_dtype))

    def string_type(self, size: int) -> str:
        """A text type of ``size`` characters."""
        return f"{self._sized}({int(size)})"

    def numeric_type(self, dtype: str, precision: Any, scale: Any) -> str:
        """``dtype(precision,scale)``, or ``dtype`` alone when either is missing."""
        return str(dtype) if precision is None or scale is None else f"{dtype}({precision},{scale})"
