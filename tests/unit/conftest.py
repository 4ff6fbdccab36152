"""Unit-test fixtures: a recording adapter that executes nothing, and a project writer."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pyflow.adapters.base import Adapter, Capabilities, Column, RelationType, StatementLog
from pyflow.relation import Relation

INVOCATION_ID = "abcdef12-3456-7890-abcd-ef1234567890"


class RecordingCursor:
    """A DB-API cursor stand-in: remembers each statement, fails when told to."""

    def __init__(self, statements: list[str], fail_on: Callable[[str], bool]) -> None:
        self.statements = statements
        self.fail_on = fail_on

    def execute(self, sql: str, params: Any = None) -> RecordingCursor:
        self.statements.append(sql)
        if self.fail_on(sql):
            raise RuntimeError(f"simulated failure of: {sql.splitlines()[0]}")
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []


class RecordingAdapter(Adapter):
    """An adapter that records every statement (BEGIN/COMMIT included) and executes nothing.

    ``existing`` says which relations the fake catalog reports; ``fail_on`` makes matching
    statements raise like a driver error would.
    """

    type: ClassVar[str] = "recording"
    dialect: ClassVar[str] = "duckdb"
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(
        self,
        *,
        existing: dict[Relation, RelationType] | None = None,
        fail_on: Callable[[str], bool] = lambda sql: False,
    ) -> None:
        super().__init__(None, invocation_id=INVOCATION_ID)
        self.statements: list[str] = []
        self.existing = dict(existing or {})
        self.cursor = RecordingCursor(self.statements, fail_on)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def _cursor(self) -> Any:
        return self.cursor

    @property
    def database(self) -> str:
        return "db"

    @property
    def schema(self) -> str:
        return "main"

    def relation_type(self, relation: Relation) -> RelationType | None:
        return self.existing.get(relation)

    def schema_exists(self, database: str | None, schema: str) -> bool:
        return False  # the fake catalog has no schemas: CREATE SCHEMA shows in the log

    def get_columns(self, relation: Relation) -> list[Column]:
        return []

    def describe_query(self, sql: str) -> list[Column]:
        return []

    def file_scan_sql(self, location: str, file_format: str | None = None) -> str:
        return f"scan('{location}')"

    def csv_scan_sql(self, path: Path, column_types: dict[str, str], delimiter: str) -> str:
        return f"SELECT * FROM scan('{path}')"

    def create_table_from_dataframe(
        self, relation: Relation, frame: Any, *, record: StatementLog | None = None
    ) -> int:
        self.execute(self.create_table_as_sql(relation, "SELECT * FROM frame"), record=record)
        return 0


_classes = itertools.count()


def recording_adapter_class(**capabilities: bool) -> type[RecordingAdapter]:
    """A RecordingAdapter subclass declaring ``capabilities`` (e.g. ``transactions=True``)."""
    caps = replace(Capabilities(), **capabilities)
    return type(f"RecordingAdapter{next(_classes)}", (RecordingAdapter,), {"capabilities": caps})


@pytest.fixture
def recording_adapter() -> Callable[..., RecordingAdapter]:
    """``recording_adapter(transactions=False, existing={rel: "table"}, fail_on=...)``."""

    def factory(
        *,
        existing: dict[Relation, RelationType] | None = None,
        fail_on: Callable[[str], bool] = lambda sql: False,
        **capabilities: bool,
    ) -> RecordingAdapter:
        return recording_adapter_class(**capabilities)(existing=existing, fail_on=fail_on)

    return factory
