"""A recording DB-API connection for offline adapter tests, and a copier of examples/.

``RecordingConnection`` stands in for a ``trino`` / ``pyathena`` connection: every statement
sent through any of its cursors is appended to ``statements``; catalog queries are answered
from ``tables`` (``{(schema, name): "BASE TABLE" | "VIEW"}``), ``schemas`` and ``columns``;
``fail_on(sql)`` makes a statement raise like a driver error; ``failures`` are raised, in order,
by the next statements (one each); ``SELECT count(*) FROM ...`` answers ``row_count``. Each statement gets a ``query_id`` (``q1``, ``q2`` ...), as
``pyathena`` and ``trino`` cursors have. ``on_execute(sql)`` runs after each successful statement
(e.g. to register a CTAS's table in moto's Glue, as Athena would); ``answer(sql)`` may return
the rows of any other query (None: not this one). ``record_aws_calls`` appends
every boto3 call an ``AthenaAdapter`` makes to a list (e.g. ``statements``), so one ordered list
holds the SQL statements and the AWS calls.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INVOCATION_A = "aaaaaaaa-1111-2222-3333-444444444444"
INVOCATION_B = "bbbbbbbb-5555-6666-7777-888888888888"

_TABLES = re.compile(r"information_schema\.tables WHERE table_schema = '([^']*)' AND table_name = '([^']*)'")
_SCHEMATA = re.compile(r"information_schema\.schemata WHERE schema_name = '([^']*)'")
_COLUMNS = re.compile(
    r"information_schema\.columns WHERE table_schema = '([^']*)' AND table_name = '([^']*)'"
)


class DriverError(Exception):
    """What a driver raises."""


class RecordingCursor:
    """A DB-API cursor: records, answers catalog queries, fails on demand."""

    def __init__(self, con: RecordingConnection) -> None:
        self.con = con
        self._rows: list[tuple[Any, ...]] = []
        self.description: list[tuple[Any, ...]] | None = None
        self.query_id: str | None = None

    def execute(self, sql: str, params: Any = None) -> RecordingCursor:
        self.con.statements.append(sql)
        self.query_id = f"q{len(self.con.statements)}"
        if self.con.failures:
            raise self.con.failures.pop(0)
        if self.con.fail_on(sql):
            raise DriverError(f"TABLE_ALREADY_EXISTS: simulated failure of: {sql.splitlines()[0]}")
        self._rows, self.description = [], None
        if self.con.on_execute is not None:
            self.con.on_execute(sql)
        if m := _TABLES.search(sql):
            kind = self.con.tables.get((m[1], m[2]))
            self._rows = [(kind,)] if kind else []
        elif m := _SCHEMATA.search(sql):
            self._rows = [(m[1],)] if m[1] in self.con.schemas else []
        elif m := _COLUMNS.search(sql):
            self._rows = list(self.con.columns.get((m[1], m[2]), []))
        elif (rows := self.con.answer(sql)) is not None:
            self._rows = list(rows)
        elif sql.startswith("SELECT count(*) FROM"):
            self._rows = [(self.con.row_count,)]
        elif "LIMIT 0" in sql:
            self.description = [(n, t, None, None, None, None, None) for n, t in self.con.describe]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def cancel(self) -> None:
        self.con.cancelled.append(self.query_id)

    def close(self) -> None:
        pass


class RecordingConnection:
    """A DB-API connection whose cursors record into one ordered list."""

    def __init__(
        self,
        *,
        tables: dict[tuple[str, str], str] | None = None,
        schemas: set[str] | None = None,
        columns: dict[tuple[str, str], list[tuple[str, str]]] | None = None,
        describe: list[tuple[str, str]] | None = None,
        fail_on: Callable[[str], bool] = lambda sql: False,
        failures: list[BaseException] | None = None,
        row_count: int = 0,
        on_execute: Callable[[str], None] | None = None,
        answer: Callable[[str], list[tuple[Any, ...]] | None] = lambda sql: None,
    ) -> None:
        self.statements: list[str] = []
        self.on_execute = on_execute
        self.answer = answer
        self.row_count = row_count
        self.failures = list(failures or [])
        self.tables = dict(tables or {})
        self.schemas = set(schemas or ())
        self.columns = dict(columns or {})
        self.describe = list(describe or [])
        self.fail_on = fail_on
        self.closed = False
        self.cancelled: list[str | None] = []
        """Query ids of the cursors ``cancel()`` was called on."""

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self)

    def close(self) -> None:
        self.closed = True

    def sent(self) -> list[str]:
        """The statements sent, catalog queries excluded."""
        return [s for s in self.statements if "information_schema" not in s]


_GLUE_BATCHES = ("Entries", "PartitionInputList", "PartitionsToDelete", "PartitionsToGet")
"""Parameters of Glue batch calls: their length is recorded (``glue.BatchCreatePartition shop.t 100``)."""


def _aws_call(model: Any, params: dict[str, Any]) -> str:
    """``glue.GetTable shop.orders``, ``glue.BatchCreatePartition shop.events 100``, ``s3.ListObjectsV2 bucket/prefix/``, ``s3.DeleteObjects bucket 2``."""
    service, name = model.service_model.service_name, model.name
    if service == "glue":
        table = params.get("Name") or params.get("TableName") or params.get("TableInput", {}).get("Name")
        items = [params[k] for k in _GLUE_BATCHES if k in params]
        count = f" {len(items[0])}" if items else ""
        return f"glue.{name} {params.get('DatabaseName')}.{table}{count}"
    if name == "DeleteObjects":
        return f"s3.{name} {params['Bucket']} {len(params['Delete']['Objects'])}"
    return f"s3.{name} {params.get('Bucket')}/{params.get('Prefix', params.get('Key', ''))}"


_PAGE_TOKENS = ("NextToken", "ContinuationToken", "Marker")
"""Parameters that ask a listing for its next page."""


def record_aws_calls(monkeypatch: Any, sink: list[str], pages: list[str] | None = None) -> None:
    """Make every boto3 client an ``AthenaAdapter`` creates append its calls to ``sink``.

    A listing is recorded once, by its first call: how many pages the service (here moto, whose
    page size changes between releases) splits it into is the service's business, not pyflow's.
    The follow-up page calls go to ``pages`` when given (a test of paging itself reads them).
    """
    from pyflow.adapters.athena import AthenaAdapter

    real = AthenaAdapter.aws_client

    def record(model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        call = _aws_call(model, params)
        if not any(params.get(token) for token in _PAGE_TOKENS):
            sink.append(call)
        elif pages is not None:
            pages.append(call)

    def aws_client(self: AthenaAdapter, service: str) -> Any:
        client = real(self, service)
        client.meta.events.register("before-parameter-build", record)
        return client

    monkeypatch.setattr(AthenaAdapter, "aws_client", aws_client)


ATHENA = {
    "type": "athena",
    "s3_staging_dir": "s3://bucket/results/",
    "s3_data_dir": "s3://bucket/tables",
    "region_name": "eu-west-1",
    "schema": "shop",
}
"""The Athena target of the offline tests: tables under ``s3://bucket/tables``, schema ``shop``."""


def athena_config(**extra: Any) -> Any:
    """:data:`ATHENA` (with ``extra`` settings) as a validated target config."""
    from pyflow.config.profile import AthenaTarget

    return AthenaTarget.model_validate({**ATHENA, **extra})


def athena_adapter(con: RecordingConnection, invocation_id: str = INVOCATION_A, **extra: Any) -> Any:
    """An online ``AthenaAdapter`` on ``con`` that never sleeps between retries."""
    from pyflow.adapters.athena import AthenaAdapter

    adapter = AthenaAdapter(
        athena_config(**extra), invocation_id=invocation_id, connect=lambda: con, sleep=lambda seconds: None
    )
    adapter.open()
    return adapter


def copy_example(name: str, dest: Path) -> Path:
    """A copy of examples/<name> without build outputs (tests write only under tmp_path)."""
    ignore = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", ".pyflow", "__pycache__")
    return Path(shutil.copytree(EXAMPLES / name, dest / name, ignore=ignore))
