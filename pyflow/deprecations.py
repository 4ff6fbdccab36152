"""Deprecation warnings that pyflow's dependencies raise from their own code, silenced where pyflow calls them.

A user whose tests run with ``-W error`` must not fail on a deprecation that neither they nor
pyflow can fix: it is raised inside Ibis or DuckDB, about their use of DuckDB or pandas. Each call site of
pyflow that reaches one of these runs inside :func:`upstream_deprecations_silenced`, which
ignores exactly the messages listed in :data:`UPSTREAM` (each with its upstream cause) and
nothing else, and only while the call runs.

Unlike :class:`warnings.catch_warnings`, the context is safe to enter from several threads at
once (pyflow builds models in threads): the filters are installed by the first caller in and
removed by the last one out. A leaf module: it imports nothing from pyflow.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

UPSTREAM: tuple[tuple[str, type[Warning]], ...] = (
    # ibis 12's DuckDB backend calls DuckDBPyConnection.fetch_arrow_table() (in Backend.sql's
    # schema query, list_tables, to_pyarrow_batches ...), deprecated in duckdb 1.5 in favour of
    # to_arrow_table(). duckdb<2 keeps it working; tests/unit/test_compat.py fails on removal.
    (r"fetch_arrow_table\(\) is deprecated", DeprecationWarning),
    # ibis 12's pandas conversions (ibis/formats/pandas.py: to_pandas, execute, and the schema
    # of a memtable made from a DataFrame) read pd.options.future.infer_string, an option
    # pandas 3 deprecates (pandas.errors.Pandas4Warning, a DeprecationWarning).
    (r"The 'future\.infer_string' option is deprecated", DeprecationWarning),
    # duckdb 1.5's DuckDBPyResult.df() calls DataFrame.drop(inplace=True) for TIMESTAMPTZ
    # columns, which pandas 3.1 deprecates (Pandas4Warning); the frame it returns is unaffected.
    (r"The inplace keyword in DataFrame\.drop is deprecated", DeprecationWarning),
)
"""(message regex, category) of each silenced warning."""

_lock = threading.Lock()
_depth = 0
_installed: list[Any] = []


def _install() -> None:
    for message, category in UPSTREAM:
        warnings.filterwarnings("ignore", message=message, category=category)
        _installed.append(warnings.filters[0])


def _remove() -> None:
    filters = cast(list[Any], warnings.filters)  # a list at run time; typeshed says Sequence
    for entry in _installed:
        if entry in filters:
            filters.remove(entry)
    _installed.clear()


@contextmanager
def upstream_deprecations_silenced() -> Iterator[None]:
    """Ignore the :data:`UPSTREAM` deprecation warnings while the block runs."""
    global _depth
    with _lock:
        if _depth == 0:
            _install()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _remove()
