"""Reading, comparing and resetting the conformance suite's tables, engine-agnostically.

Everything here goes through the adapter interface (``fetchall``, ``get_columns``, the SQL
builders) and standard SQL, so it works on every engine. Frames returned by the step functions
are normalised to plain Python rows (``None`` for NULL, ``int`` for whole floats, naive
``datetime``) so results compare the same whatever dtypes an engine's driver produces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.relation import Relation

TARGET = "target"
SOURCE = "src"
SUITE_TABLES = frozenset({TARGET, "batch", "source_state", SOURCE})
"""Relations the suite (and pyflow.testing's step functions) create in the target schema."""


def relation(adapter: Adapter, name: str) -> Relation:
    """``name`` in the adapter's default database and schema."""
    return Relation(adapter.database, adapter.schema, name)


def relations(adapter: Adapter) -> dict[str, str]:
    """Tables and views in the adapter's schema: name -> ``table`` / ``view``."""
    sql = (
        "SELECT table_name, table_type FROM information_schema.tables "
        f"WHERE table_catalog = {quote_text(adapter.database)} AND table_schema = {quote_text(adapter.schema)}"
    )
    return {
        str(name): "view" if str(kind).upper() == "VIEW" else "table" for name, kind in adapter.fetchall(sql)
    }


def leftovers(adapter: Adapter) -> list[str]:
    """Temporary relations pyflow left behind (their names contain ``__pyflow_``)."""
    return sorted(name for name in relations(adapter) if "__pyflow_" in name)


def reset(adapter: Adapter) -> None:
    """Drop the suite's tables and any pyflow temporary relation."""
    for name, kind in relations(adapter).items():
        if name in SUITE_TABLES or "__pyflow_" in name:
            adapter.execute(adapter.drop_relation_sql(relation(adapter, name), kind))  # type: ignore[arg-type]


def quote_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# ---- values ---------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A driver or pandas value as a plain Python value (NULL-likes -> None)."""
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """Order rows with NULLs last in every column, without comparing NULL to values."""
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


def sorted_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Plain, sorted tuples."""
    return sorted((tuple(plain(v) for v in r) for r in rows), key=sort_key)


def frame(columns: str, rows: Sequence[Sequence[Any]], dtypes: dict[str, str] | None = None) -> Any:
    """A pandas DataFrame; integer columns with NULLs become nullable ``Int64``.

    ``dtypes`` names the pandas dtype of columns whose values do not show it (all NULL).
    """
    import pandas as pd

    names = columns.split()
    data: dict[str, Any] = {}
    for i, name in enumerate(names):
        values = [r[i] for r in rows]
        present = [v for v in values if v is not None]
        if dtypes and name in dtypes:
            data[name] = pd.array(values, dtype=dtypes[name])
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            data[name] = pd.array(values, dtype="Int64")
        elif present and all(isinstance(v, datetime) for v in present):
            data[name] = pd.to_datetime(values, utc=any(v.tzinfo for v in present))
        else:
            data[name] = values
    return pd.DataFrame(data, columns=names)


def rows_of(df: Any, columns: str | Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """The frame's rows (optionally only ``columns``), plain and sorted."""
    names = columns.split() if isinstance(columns, str) else list(columns or df.columns)
    return sorted_rows(df[names].itertuples(index=False, name=None))


def dicts_of(df: Any) -> list[dict[str, Any]]:
    """The frame's rows as dicts keyed by lower-cased column name, plain values."""
    names = columns_of(df)
    return [
        dict(zip(names, (plain(v) for v in r), strict=True)) for r in df.itertuples(index=False, name=None)
    ]


def columns_of(df: Any) -> list[str]:
    """The frame's column names, lower-cased (engines differ in case folding)."""
    return [str(c).lower() for c in df.columns]


# ---- tables ---------------------------------------------------------------------------------
def table_columns(adapter: Adapter, name: str = TARGET) -> list[tuple[str, str]]:
    """(name, type) of a table's columns, names lower-cased."""
    return [(c.name.lower(), c.data_type) for c in adapter.get_columns(relation(adapter, name))]


def table_rows(
    adapter: Adapter, name: str = TARGET, columns: Sequence[str] | None = None
) -> list[tuple[Any, ...]]:
    """A table's rows (optionally only ``columns``), plain and sorted."""
    names = list(columns) if columns else [c for c, _ in table_columns(adapter, name)]
    sql = f"SELECT {adapter.column_list(names)} FROM {adapter.render(relation(adapter, name))}"
    return sorted_rows(adapter.fetchall(sql))


def table_dicts(adapter: Adapter, name: str = TARGET) -> list[dict[str, Any]]:
    """A table's rows as dicts keyed by lower-cased column name."""
    names = [c for c, _ in table_columns(adapter, name)]
    return [dict(zip(names, r, strict=True)) for r in table_rows(adapter, name, names)]


def state(adapter: Adapter, name: str = TARGET) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """Everything that must survive a failed step: column names and types, and every row."""
    return table_columns(adapter, name), table_rows(adapter, name)


WRITE_VERBS = frozenset({"INSERT", "MERGE", "UPDATE", "DELETE", "ALTER", "DROP", "CREATE", "TRUNCATE"})


def writes_to(adapter: Adapter, statements: Sequence[str], name: str = TARGET) -> list[str]:
    """The statements that write to table ``name`` (temporary tables beside it do not count)."""
    rendered = adapter.render(relation(adapter, name))  # "target__pyflow_x" does not contain it
    return [s for s in statements if s.split()[0].upper() in WRITE_VERBS and rendered in s.splitlines()[0]]


# ---- SQL for sources ------------------------------------------------------------------------
def literal(value: Any, data_type: str) -> str:
    """A typed SQL literal in standard syntax."""
    if value is None:
        return f"CAST(NULL AS {data_type})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f"CAST({quote_text(value.strftime('%Y-%m-%d %H:%M:%S.%f'))} AS {data_type})"
    if isinstance(value, date):
        return f"CAST({quote_text(value.isoformat())} AS {data_type})"
    if isinstance(value, str):
        return f"CAST({quote_text(value)} AS {data_type})"
    return f"CAST({value} AS {data_type})"


def select_rows(adapter: Adapter, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> str:
    """A SELECT producing ``rows`` with typed ``columns`` ((name, type) pairs); any count."""
    if not rows:
        items = ", ".join(f"{literal(None, t)} AS {adapter.quote(c)}" for c, t in columns)
        return f"SELECT {items} FROM (SELECT 1 AS one) AS empty WHERE 1 = 0"
    selects = [
        "SELECT "
        + ", ".join(f"{literal(v, t)} AS {adapter.quote(c)}" for v, (c, t) in zip(r, columns, strict=True))
        for r in rows
    ]
    return "\nUNION ALL\n".join(selects)
