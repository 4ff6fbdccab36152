"""A project built on the live Trino server, and a kill switch on the statements pyflow sends it.

The live counterpart of the emulated ``Lake`` of ``test_swap_recovery.py``: every connection the
Trino adapter opens is the real ``trino`` driver's, wrapped so that once ``kill(when)`` chose a
statement, that statement and every later one raise :class:`Killed` without reaching the server
(the process is gone: no error handler of pyflow gets to run any SQL either). Readers look at
the server through a connection of their own (:meth:`LiveSchema.rows`).
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.trino import TrinoAdapter


class Killed(Exception):
    """What every statement raises once the simulated process is dead."""


class KillSwitch:
    """``kill(when)``: the first statement for which ``when(sql)`` holds, and all after it, raise."""

    def __init__(self) -> None:
        self.when: Callable[[str], bool] = lambda sql: False
        self.dead = False
        self.sent: list[str] = []

    def kill(self, when: Callable[[str], bool] = lambda sql: False) -> None:
        self.when, self.dead, self.sent = when, False, []

    def wrap(self, con: Any) -> Any:
        switch = self

        class Cursor:
            def __init__(self, inner: Any) -> None:
                self._inner = inner

            def execute(self, sql: str, params: Any = None) -> Any:
                if not switch.dead and switch.when(sql):
                    switch.dead = True
                if switch.dead:
                    raise Killed(f"killed before: {sql.splitlines()[0]}")
                switch.sent.append(sql)
                return self._inner.execute(sql) if params is None else self._inner.execute(sql, params)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._inner, name)

        class Connection:
            def cursor(self) -> Cursor:
                return Cursor(con.cursor())

            def __getattr__(self, name: str) -> Any:
                return getattr(con, name)

        return Connection()


class LiveSchema:
    """A schema of its own in one catalog of the live server, and a project building into it."""

    def __init__(self, server: Any, catalog: str, project: Path) -> None:
        import trino

        self.server, self.catalog, self.project = server, catalog, project
        self.schema = f"pyflow_live_{uuid.uuid4().hex[:8]}"
        self.con = trino.dbapi.connect(host=server.host, port=server.port, user="pyflow")
        (project / "profiles.yml").write_text(
            textwrap.dedent(
                f"""
                live:
                  target: dev
                  outputs:
                    dev:
                      type: trino
                      host: {server.host}
                      port: {server.port}
                      user: pyflow
                      database: {catalog}
                      schema: {self.schema}
                """
            ),
            encoding="utf-8",
        )

    def fetch(self, sql: str) -> list[Any]:
        cur = self.con.cursor()
        cur.execute(sql)
        return cur.fetchall()

    def tables(self) -> list[str]:
        return sorted(
            str(name)
            for (name,) in self.fetch(
                f"SELECT table_name FROM {self.catalog}.information_schema.tables "
                f"WHERE table_schema = '{self.schema}'"
            )
        )

    def leftovers(self) -> list[str]:
        """Relations named ``*__pyflow_<role>_<run>``, with the run part as ``<run>``."""
        return [n.rsplit("_", 1)[0] + "_<run>" for n in self.tables() if "__pyflow_" in n]

    def rows(self, table: str, order: str = "1, 2") -> list[tuple[Any, ...]] | None:
        """The rows of the table as a reader sees them now; None when there is no such table."""
        if table not in self.tables():
            return None
        return [
            tuple(r)
            for r in self.fetch(f'SELECT * FROM {self.catalog}.{self.schema}."{table}" ORDER BY {order}')
        ]

    def drop(self) -> None:
        if self.schema not in [s for (s,) in self.fetch(f"SHOW SCHEMAS FROM {self.catalog}")]:
            return
        kinds = self.fetch(
            f"SELECT table_name, table_type FROM {self.catalog}.information_schema.tables "
            f"WHERE table_schema = '{self.schema}'"
        )
        for name, kind in kinds:
            self.fetch(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} {self.catalog}.{self.schema}."{name}"')
        self.fetch(f"DROP SCHEMA IF EXISTS {self.catalog}.{self.schema}")


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> KillSwitch:
    """The kill switch on every connection a Trino adapter of the test opens."""
    found = KillSwitch()
    real = TrinoAdapter.connect
    monkeypatch.setattr(TrinoAdapter, "connect", lambda adapter: found.wrap(real(adapter)))
    return found


def live_schema(
    server: Any, catalog: str, make_project: Callable[..., Path], files: dict[str, str]
) -> Iterator[LiveSchema]:
    """A project of ``files`` building into a fresh schema of ``catalog`` (dropped afterwards)."""
    if catalog not in server.catalogs:
        pytest.skip(f"the Trino server at {server.url} has no catalog {catalog!r}")
    project = make_project({"pyflow.yml": "name: live\nprofile: live\n", **files})
    side = LiveSchema(server, catalog, project)
    try:
        yield side
    finally:
        try:
            side.drop()
        finally:
            side.con.close()
