"""Attach a model's memtables and Python UDFs to the connection that runs its SQL (DuckDB).

A Python model's SQL may name in-memory tables (``ibis.memtable``) and Python functions
(``@ibis.udf.scalar.python`` / ``.pyarrow`` / ``.pandas``) that exist only in pyflow's process;
the compiler hands them down as plain data (:mod:`pyflow.compile.runtime`). An adapter that can
make them visible to its statements implements :class:`AttachesPython`; :func:`attached` is how
callers use it.

On DuckDB, as Ibis's own DuckDB backend does: a memtable is registered as an Arrow view on the
calling thread's cursor, under the name the SQL uses, and unregistered afterwards; a UDF is
created with ``create_function`` (``native`` for row-at-a-time Python UDFs, ``arrow`` for pyarrow
UDFs, and for pandas UDFs through a wrapper converting Arrow arrays to pandas Series and back).
DuckDB functions are shared by every cursor of a connection, so they are counted and removed when
the last model using them finishes. An exception a UDF raises is kept and reported with the
user's frames (file:line) rather than DuckDB's one-line summary.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pyflow.adapters.base import Adapter
from pyflow.errors import (
    AdapterError,
    UnsupportedError,
    display_path,
    format_user_frames,
    user_frames,
)


class PythonFunction(Protocol):
    """A Python UDF as the engine must register it (see ``pyflow.compile.runtime.PythonUdf``)."""

    @property
    def name(self) -> str:
        """Its name in the SQL."""

    @property
    def function(self) -> str:
        """The Python function's name."""

    @property
    def kind(self) -> str:
        """``python``, ``pyarrow`` or ``pandas``."""

    @property
    def func(self) -> Callable[..., Any]:
        """The function."""

    @property
    def params(self) -> tuple[str, ...]:
        """Ibis dtype strings of its arguments."""

    @property
    def returns(self) -> str:
        """Ibis dtype string of its result."""

    @property
    def config(self) -> tuple[tuple[str, Any], ...]:
        """Extra ``create_function`` arguments."""


@runtime_checkable
class AttachesPython(Protocol):
    """An adapter that can attach in-memory tables and Python functions to its statements."""

    def attach_python(
        self,
        tables: Mapping[str, Any],
        functions: Sequence[PythonFunction],
        model: str | None,
        root: str | None = None,
    ) -> AbstractContextManager[None]:
        """Make ``tables`` (name -> pyarrow Table) and ``functions`` visible to this thread's statements.

        ``root``: the project folder, for paths in errors.
        """


class Attachments(Protocol):
    """What a compiled model carries to attach (see ``pyflow.compile.runtime.Runtime``)."""

    @property
    def tables(self) -> Mapping[str, Any]:
        """Memtable name -> pyarrow Table."""

    @property
    def udfs(self) -> Sequence[PythonFunction]:
        """Python UDFs."""

    @property
    def root(self) -> str | None:
        """The project folder (paths in errors are shown relative to it)."""


def attached(
    adapter: Adapter, runtime: Attachments | None, model: str | None
) -> AbstractContextManager[None]:
    """Attach a compiled model's memtables and UDFs to ``adapter`` for the statements run in the block."""
    if runtime is None or not (runtime.tables or runtime.udfs):
        return nullcontext()
    if not isinstance(adapter, AttachesPython):  # the compiler inlines/refuses them for such targets
        raise UnsupportedError(
            f"{adapter.type} cannot attach memtables or Python UDFs to its connection",
            model=model,
            hint="use seeds or DataFrame models for data, and built-in functions instead of Python UDFs",
            code="python-udf-unsupported",
        )
    return adapter.attach_python(runtime.tables, runtime.udfs, model, runtime.root)


class DuckDBFunctions:
    """The Python UDFs registered on one DuckDB connection, counted by the models using them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, int] = {}
        self.raised: dict[str, BaseException] = {}
        """The last exception each UDF raised (it explains a statement that failed in that UDF).

        Keyed by function: DuckDB may call a UDF on its own threads, not the one running the model."""

    def acquire(self, con: Any, fn: PythonFunction, model: str | None) -> None:
        """Create ``fn`` on ``con`` unless a running model already did."""
        with self._lock:
            if self._users.get(fn.name, 0) == 0:
                self._create(con, fn, model)
            self._users[fn.name] = self._users.get(fn.name, 0) + 1

    def release(self, con: Any, name: str) -> None:
        """One model less uses ``name``; the last one removes it."""
        with self._lock:
            self._users[name] -= 1
            if self._users[name] == 0:
                del self._users[name]
                try:
                    con.remove_function(name)
                except Exception:  # already gone with the connection
                    pass

    def _create(self, con: Any, fn: PythonFunction, model: str | None) -> None:
        import duckdb
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        kind = fn.kind
        call = self._keeping_errors(fn.name, _pandas_over_arrow(fn) if kind == "pandas" else fn.func)
        try:
            con.create_function(
                name=fn.name,
                function=call,
                parameters=[DuckDBType.to_string(ibis.dtype(p)) for p in fn.params],
                return_type=DuckDBType.to_string(ibis.dtype(fn.returns)),
                type="native" if kind == "python" else "arrow",
                **dict(fn.config),
            )
        except (duckdb.Error, TypeError, ValueError) as exc:
            raise AdapterError(
                f"DuckDB cannot register the Python UDF '{fn.function}' ({kind}): {exc}",
                model=model,
                hint="give the UDF argument and return annotations of types DuckDB has "
                "(int, float, str, bool, dates, decimals, lists, structs)",
                code="python-udf-error",
            ) from exc

    def _keeping_errors(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        raised = self.raised

        def call(*args: Any) -> Any:
            try:
                return func(*args)
            except Exception as exc:
                raised[name] = exc
                raise

        return call


def _pandas_over_arrow(fn: PythonFunction) -> Callable[..., Any]:
    """A pandas UDF as an Arrow UDF: Arrow arrays in, pandas Series to the function, an Arrow array out."""
    import ibis
    import pyarrow as pa

    result_type = ibis.dtype(fn.returns).to_pyarrow()
    func = fn.func

    def call(*arrays: Any) -> Any:
        out = func(*(a.to_pandas() for a in arrays))
        return pa.array(out, type=result_type, from_pandas=True)

    return call


@contextmanager
def duckdb_attach(
    cursor: Any,
    con: Any,
    functions_registry: DuckDBFunctions,
    tables: Mapping[str, Any],
    functions: Sequence[PythonFunction],
    model: str | None,
    root: str | None = None,
) -> Iterator[None]:
    """Register ``tables`` on ``cursor`` and ``functions`` on ``con`` (its connection) for the block.

    Both are removed when the block ends. ``cursor`` comes first: getting it opens ``con``.
    """
    registered: list[str] = []
    created: list[str] = []
    try:
        for name, table in tables.items():
            cursor.register(name, table)
            registered.append(name)
        for fn in functions:
            functions_registry.acquire(con, fn, model)
            created.append(fn.name)
            functions_registry.raised.pop(fn.name, None)
        try:
            yield
        except Exception as exc:  # an AdapterError, or a driver error (``show`` runs the cursor)
            failed = [(f, functions_registry.raised.get(f.name)) for f in functions]
            culprit = next(((f, e) for f, e in failed if e is not None), None)
            if culprit is not None and "executing the UDF" in str(exc):
                raise _udf_failed(culprit[1], culprit[0], model, root) from culprit[1]
            raise
    finally:
        for name in registered:
            try:
                cursor.unregister(name)
            except Exception:  # the connection is closing
                pass
        for name in created:
            functions_registry.release(con, name)


def _udf_failed(exc: BaseException, udf: PythonFunction, model: str | None, root: str | None) -> AdapterError:
    frames = user_frames(exc)
    first = str(exc).strip().splitlines()
    where = frames[-1] if frames else None
    base = Path(root) if root else None
    return AdapterError(
        f"the Python UDF '{udf.function}' raised while DuckDB ran the model: {type(exc).__name__}: "
        f"{first[0] if first else ''}",
        model=model,
        path=display_path(where.filename, base) if where else None,
        line=where.lineno if where else None,
        detail=format_user_frames(frames, base) if frames else None,
        hint="fix the UDF at that line (it runs on every row or batch of the model's input)",
        code="python-udf-error",
    )
