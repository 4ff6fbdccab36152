"""The result of ``run_query`` / ``load_result(...).table`` in Jinja: a small agate-like table.

dbt returns an ``agate.Table``; macros written for dbt use only a few of its members, all
supported here: ``table.columns[0].values()``, ``table.columns['name']``, ``table.column_names``,
``table.rows`` (each row indexable by position or name), iteration over rows, ``table[0][0]``,
``len(table)`` and ``table.print_table()`` (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

log = logging.getLogger("pyflow.sql")


class QueryRow(tuple[Any, ...]):
    """One row: a tuple also indexable by column name (``row['id']``), with ``.keys()``."""

    _names: tuple[str, ...]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...]) -> QueryRow:  # noqa: D102
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> tuple[str, ...]:
        """The column names."""
        return self._names

    def values(self) -> tuple[Any, ...]:
        """The values, as a plain tuple."""
        return tuple(self)

    def items(self) -> list[tuple[str, Any]]:
        """``(name, value)`` pairs."""
        return list(zip(self._names, self, strict=True))

    def get(self, key: str, default: Any = None) -> Any:
        """The value of column ``key``, or ``default``."""
        return self[key] if key in self._names else default


class QueryColumn:
    """One column: ``.name`` and ``.values()`` (agate's ``Column``)."""

    def __init__(self, name: str, values: tuple[Any, ...]) -> None:
        self.name = name
        self._values = values

    def values(self) -> tuple[Any, ...]:
        """The column's values, in row order."""
        return self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: int) -> Any:
        return self._values[index]


class QueryColumns(tuple[QueryColumn, ...]):
    """The columns, indexable by position or by name."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for column in self:
                if column.name == key:
                    return column
            raise KeyError(key)
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        """The column names."""
        return [c.name for c in self]


class QueryTable:
    """Rows and column names of a query run at render time."""

    def __init__(self, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.column_names: tuple[str, ...] = tuple(names)
        self.rows: tuple[QueryRow, ...] = tuple(QueryRow(r, self.column_names) for r in rows)
        self.columns = QueryColumns(
            QueryColumn(name, tuple(r[i] for r in self.rows)) for i, name in enumerate(self.column_names)
        )

    def __iter__(self) -> Iterator[QueryRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> QueryRow:
        return self.rows[index]

    def __repr__(self) -> str:
        return f"QueryTable(columns={list(self.column_names)}, rows={len(self.rows)})"

    def print_table(self, max_rows: int = 20, **_: Any) -> str:
        """Log the first rows (dbt prints them); renders as nothing."""
        log.info("%s", " | ".join(self.column_names))
        for row in self.rows[:max_rows]:
            log.info("%s", " | ".join(str(v) for v in row))
        return ""
