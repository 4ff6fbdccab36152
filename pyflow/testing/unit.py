"""YAML unit tests (``unit_tests:``, dbt 1.8 shape): run a model on fixture rows, compare to ``expect``.

One code path serves ``pyflow test`` / ``pyflow build`` (through the runner) and plain pytest
(through :mod:`pyflow.testing.plugin`): :func:`run_unit_test` builds each ``given`` input as an
Arrow table, runs the model with :class:`~pyflow.testing.model.ProjectHarness` on a private
in-memory DuckDB (never the warehouse), then compares only the columns named in ``expect`` as a
multiset, cast to the types the model produced (:mod:`pyflow.testing.frames`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pyflow.config.unitspec import THIS
from pyflow.core.node import TestNode
from pyflow.errors import ProjectError, PyflowError
from pyflow.relation import Relation
from pyflow.testing.frames import FrameDiff, compare
from pyflow.testing.model import ProjectHarness

ACTUAL = Relation("memory", "main", "__pyflow_actual")
EXPECTED = "__pyflow_expected"


@dataclass(frozen=True)
class UnitTestResult:
    """The outcome of one unit test: ``pass`` or ``fail`` with a readable message."""

    status: Literal["pass", "fail"]
    message: str
    diff: FrameDiff | None = None

    @property
    def ok(self) -> bool:
        """True when the test passed."""
        return self.status == "pass"


def _fixture_error(node: TestNode, line: int | None, message: str, hint: str) -> ProjectError:
    return ProjectError(
        message,
        model=node.name,
        resource="unit test",
        path=node.path,
        line=line or node.line,
        hint=hint,
        code="invalid-unit-test",
    )


def _csv_rows(
    node: TestNode, text: str, line: int | None
) -> tuple[list[str], list[tuple[int, list[str | None]]]]:
    """The header and the rows of CSV fixture text, each row with the line (of the text) it starts on.

    Read strictly, like seeds: a quote never closed or text after a closing quote is an error.
    """
    reader = csv.reader(io.StringIO(text.strip()), skipinitialspace=True, strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            raise _fixture_error(
                node,
                line,
                f"line {end + 1} of the CSV rows cannot be parsed: {exc}",
                'close every quote; inside a quoted value write a quote as two ("")',
            ) from None
        if record is None:
            break
        if record:
            records.append((end + 1, record))
        end = reader.line_num
    if not records:
        return [], []
    header = [h.strip() for h in records[0][1]]
    return header, [(n, [v if v != "" else None for v in row]) for n, row in records[1:]]


def _column(values: list[Any]) -> Any:
    """An Arrow array of one fixture column; mixed scalar kinds become text (cast later)."""
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, float} and float in kinds:
        values = [float(v) if v is not None else None for v in values]
    elif len(kinds) > 1:
        values = [None if v is None else _text(v) for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else _text(v) for v in values])


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fixture_table(
    node: TestNode, rows: Any, fmt: str, line: int | None = None, dialect: str | None = None
) -> Any:
    """Rows of a ``given`` or ``expect`` block as an Arrow table (no row decides the types).

    Dict rows may leave keys out (NULL there); the columns are every key, in order of first
    appearance. CSV text has a header line; an empty field is NULL. SQL is one SELECT in
    ``dialect`` (the target's; transpiled when not DuckDB's), run on a private DuckDB.
    """
    import pyarrow as pa

    if fmt == "sql":
        return _sql_fixture(node, str(rows), line, dialect)
    if fmt == "csv":
        header, numbered = _csv_rows(node, str(rows), line)
        body = [row for _, row in numbered]
        for n, row in numbered:
            if len(row) != len(header):
                raise _fixture_error(
                    node,
                    line,
                    f"CSV row {n} has {len(row)} value(s) but the header names {len(header)} column(s)",
                    "give every row one value per header column (leave a field empty for NULL)",
                )
        return pa.table({h: _column([row[i] for row in body]) for i, h in enumerate(header)})
    columns: dict[str, None] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise _fixture_error(
                node,
                line,
                f"a row must be a mapping of column to value, not {row!r}",
                "write rows as `- {id: 1, name: ann}`",
            )
        columns.update(dict.fromkeys(str(k) for k in row))
    return pa.table({c: _column([row.get(c) for row in rows]) for c in columns})


def _sql_fixture(node: TestNode, sql: str, line: int | None, dialect: str | None) -> Any:
    """The rows a ``format: sql`` fixture's SELECT returns, as an Arrow table."""
    import duckdb
    import sqlglot
    from sqlglot.errors import SqlglotError

    query = sql.strip().rstrip(";")
    try:
        if dialect not in (None, "duckdb"):
            statements = sqlglot.transpile(
                query, read=dialect, write="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE
            )
            if len(statements) != 1:
                raise ValueError(f"{len(statements)} statements, not one SELECT")
            query = statements[0]
        with duckdb.connect() as con:
            return con.sql(query).to_arrow_table()
    except (SqlglotError, duckdb.Error, ValueError) as exc:
        first = str(exc).strip().splitlines()
        raise _fixture_error(
            node,
            line,
            f"the format: sql rows ({dialect or 'duckdb'} SQL) do not run: {first[0] if first else exc}",
            "write one SELECT that returns the fixture's rows, in the target's SQL dialect "
            "(e.g. `select 1 as id, 'a' as name union all select 2, 'b'`)",
        ) from None


def target_dialect(project_dir: str | Path) -> str | None:
    """The SQL dialect of the project's default target, when its profile can be read."""
    from pyflow.adapters import adapter_class
    from pyflow.config.profile import load_target
    from pyflow.config.project import load_project_config

    root = Path(project_dir).resolve()
    try:
        cfg, _ = load_project_config(root)
        return adapter_class(load_target(root, cfg.profile, None, None).type).dialect
    except PyflowError:
        return None


def run_unit_test(harness: ProjectHarness, node: TestNode) -> UnitTestResult:
    """Run one YAML unit test; raise PyflowError when it cannot run (bad fixture, SQL error)."""
    spec = node.kwargs
    overrides = spec.get("overrides", {})
    if overrides.get("vars"):
        harness = harness.with_vars(overrides["vars"])
    inputs: dict[str, Any] = {}
    this = None
    for given in spec.get("given", []):
        table = fixture_table(node, given["rows"], given["format"], given.get("line"), harness.dialect)
        if given["key"] == THIS:
            this = table
        else:
            inputs[given["key"]] = table
    expect = spec["expect"]
    expected = fixture_table(node, expect["rows"], expect["format"], expect.get("line"), harness.dialect)
    model = spec["model"]
    try:
        with harness.prepared(
            model, inputs, is_incremental=bool(overrides.get("is_incremental")), this=this
        ) as run:
            run.create(ACTUAL)
            cur = run.adapter._cursor()
            columns = list(expected.column_names)
            if columns:
                cur.register(EXPECTED, expected)
                try:
                    diff = compare(
                        cur, run.adapter.render(ACTUAL), EXPECTED, columns, expected_columns=columns
                    )
                except Exception as exc:  # a comparison DuckDB refuses (types it cannot compare)
                    what = f"-- comparing the rows of '{model}' with the expect rows of unit test {node.name}"
                    raise run.adapter.wrap_error(exc, what, model) from exc
                finally:
                    cur.unregister(EXPECTED)
            else:  # `expect: {rows: []}`: the model must return no rows
                count = int(cur.execute(f"SELECT count(*) FROM {run.adapter.render(ACTUAL)}").fetchone()[0])
                names = tuple(c.name for c in run.adapter.get_columns(ACTUAL))
                rows = cur.execute(f"SELECT * FROM {run.adapter.render(ACTUAL)} LIMIT 20").fetchall()
                diff = FrameDiff(columns=names, unexpected=list(rows), actual_rows=count)
            model_node = run.model
    except PyflowError as exc:
        _locate(exc, node)
        raise
    if diff.ok:
        return UnitTestResult("pass", "passed")
    message = (
        f"Failure in unit test {node.name} ({node.path}:{node.line})\n"
        f"  model '{model}' ({model_node.path}:{model_node.line}) does not return the expected rows\n"
        f"{diff.render('  ')}"
    )
    return UnitTestResult("fail", message.rstrip(), diff)


def _locate(exc: PyflowError, node: TestNode) -> None:
    """Name the unit test in an error raised while running it (the model is named already)."""
    where = f"in unit test '{node.name}' ({node.path}:{node.line})"
    if where not in (exc.detail or ""):
        exc.detail = f"{where}\n{exc.detail}" if exc.detail else where


def unit_tests_of(harness: ProjectHarness, path: str | None = None) -> Sequence[TestNode]:
    """The project's enabled unit tests (declared in ``path``, project-relative, when given)."""
    tests = [t for t in harness.project.tests.values() if t.test_type == "unit"]
    return [t for t in tests if path is None or t.path == path]
