"""Trino connections: one DB-API connection and cursor per thread, and statements sent on them.

:class:`TrinoConnection`, a mixin of :class:`~pyflow.adapters.trino.TrinoAdapter` (and so of
Athena), owns opening (the ``trino`` driver is imported only in :meth:`TrinoConnection.connect`;
Athena's ``connect`` opens a ``pyathena`` connection instead), closing, cancelling a run from the
signal handler's thread, sending a statement under the shared rate limit with retries of
throttling (:mod:`~pyflow.adapters.retry`), draining its result, and masking the target's secrets
in every error text. The attributes it reads are set by ``TrinoAdapter.__init__``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pyflow.adapters.base import Adapter
from pyflow.adapters.retry import RateLimiter, RetriesExhausted, RetryPolicy
from pyflow.errors import AdapterError, CancelledError, PyflowError, UnsupportedError

log = logging.getLogger(__name__)

Connect = Callable[[], Any]
"""Opens one DB-API connection (tests inject a recording fake)."""


def secret_values(config: Any) -> Iterator[str]:
    """Every non-empty SecretStr value in a (pydantic) target config, at any depth."""
    from pydantic import BaseModel, SecretStr

    if isinstance(config, SecretStr):
        if config.get_secret_value():
            yield config.get_secret_value()
    elif isinstance(config, BaseModel):
        for name in type(config).model_fields:
            yield from secret_values(getattr(config, name))


class TrinoConnection(Adapter):
    """Connections, cursors, sending statements and scrubbing secrets of a Trino-like adapter."""

    drains_results: ClassVar[bool]
    _connect: Connect | None
    _online: bool
    _reached: bool
    _connections: list[Any]
    _cursors: list[Any]
    _cancelled: bool
    retry: RetryPolicy
    rate_limiter: RateLimiter

    if TYPE_CHECKING:  # from RemoteQueries, mixed into the adapter after this class

        def execute_options(self, sql: str) -> dict[str, Any]:  # noqa: D102
            ...

        def _log_query_id(self, cursor: Any, model: str | None) -> None: ...

    # ---- connection ----------------------------------------------------------------------
    @property
    def connected(self) -> bool:  # noqa: D102
        return self._reached or self._online

    def open(self) -> None:
        """Connect the calling thread (idempotent); from now on catalog questions are asked."""
        self._online = True
        self._cursor()

    def close(self) -> None:  # noqa: D102
        with self._lock:
            for con in self._connections:
                try:
                    con.close()
                except Exception:
                    log.debug("closing a %s connection failed", self.type, exc_info=True)
            self._connections.clear()
            self._cursors.clear()
        self._local = threading.local()
        self._online = False

    def cancel(self) -> None:
        """Stop the run: statements not yet sent never start, running queries are cancelled.

        Called from the signal handler's thread: each thread's cursor is asked to cancel its
        query (the driver stops it on the engine; Athena through StopQueryExecution). A cursor
        with nothing running refuses, which is fine.
        """
        self._cancelled = True
        with self._lock:
            cursors = list(self._cursors)
        for cur in cursors:
            stop = getattr(cur, "cancel", None)
            if stop is None:
                continue
            try:
                stop()
            except Exception as exc:
                log.debug("%s: cancelling a query: %s", self.type, self.scrub(str(exc)))

    def _interrupted(self) -> CancelledError:
        return CancelledError(
            "interrupted: the run was cancelled", hint="run the command again", code="cancelled"
        )

    def _cursor(self) -> Any:
        if self._cancelled:
            raise self._interrupted()
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            self._online = self._reached = True
            try:
                con = self._connect() if self._connect is not None else self.connect()
            except PyflowError:
                raise
            except Exception as exc:
                lines = self.scrub(str(exc)).strip().splitlines()
                raise AdapterError(
                    f"cannot connect to the {self.type} target: {lines[0] if lines else type(exc).__name__}",
                    hint="check the target in profiles.yml (host, credentials); `pyflow debug` tests the connection",
                    code="connection-failed",
                ) from None
            with self._lock:
                self._connections.append(con)
            cur = con.cursor()
            self._local.cursor = cur
            with self._lock:
                self._cursors.append(cur)
        return cur

    def connect(self) -> Any:
        """A new DB-API connection through the ``trino`` driver."""
        try:
            import trino
        except ImportError:
            raise self.missing_driver("trino") from None
        cfg = self.config
        auth: Any = None
        if cfg.auth.method == "basic":
            auth = trino.auth.BasicAuthentication(cfg.user, cfg.auth.password.get_secret_value())
        elif cfg.auth.method == "jwt":
            auth = trino.auth.JWTAuthentication(cfg.auth.token.get_secret_value())
        return trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            catalog=cfg.database,
            schema=cfg.schema_,
            http_scheme=cfg.http_scheme,
            auth=auth if auth is not None else trino.constants.DEFAULT_AUTH,
            session_properties={k: str(v) for k, v in cfg.session_properties.items()},
            source="pyflow",
        )

    def missing_driver(self, package: str) -> UnsupportedError:
        """The error for a driver that is not installed."""
        return UnsupportedError(
            f"the {self.type} target needs the '{package}' package, which is not installed",
            hint=f'pip install "pyflow[{self.type}]" (or pip install {package}); pyflow compile works without it',
            code="missing-driver",
        )

    @property
    def is_online(self) -> bool:
        """True once a connection was asked for; before that catalog questions answer 'nothing'."""
        return self._online

    # ---- execution -----------------------------------------------------------------------
    def _send(self, sql: str, model: str | None) -> Any:
        """Execute with the shared rate limit and retries of throttling / commit conflicts.

        Each query id (and where to see the query) is logged at DEBUG.
        """

        def attempt() -> Any:
            cur = self._cursor()
            self.rate_limiter.acquire()
            try:
                cur.execute(sql, **self.execute_options(sql))
            finally:
                self._log_query_id(cur, model)
            return cur

        try:
            return self.retry.call(
                attempt, describe=f"{self.type} statement of {model or '-'}", scrub=self.scrub
            )
        except RetriesExhausted as exc:
            err = self.wrap_error(exc.last, sql, model)
            raise AdapterError(
                f"{err.message} (gave up after {exc.attempts} attempts)",
                model=model,
                detail=err.detail,
                hint=(
                    f"the engine kept throttling the query or conflicting on commit: raise `num_retries` "
                    f"(now {self.retry.num_retries}) or lower `max_queries_per_second` / `threads` in profiles.yml"
                ),
                code="database-throttled",
            ) from exc.last
        except Exception:
            if self._cancelled:  # the driver's error for a query that cancel() stopped
                raise self._interrupted() from None
            raise

    def _rows_affected(self, cursor: Any) -> int | None:
        """Read the statement's result to its end, then its update count.

        The ``trino`` driver's ``execute`` returns at the first row (the count of a CTAS or
        INSERT), before the query has finished and committed: the next statement could then
        miss the new table or rows. Reading to the end waits for the commit (and raises its error).
        """
        if not self.drains_results:
            return None
        cursor.fetchall()
        count = getattr(cursor, "rowcount", -1)
        return count if isinstance(count, int) and count >= 0 else None

    # ---- errors --------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """``text`` with every secret of the target masked."""
        for secret in secret_values(self.config):
            text = text.replace(secret, "**********")
        return text

    def wrap_error(self, exc: BaseException, sql: str, model: str | None) -> AdapterError:  # noqa: D102
        text = self.scrub(str(exc)) or type(exc).__name__
        return super().wrap_error(RuntimeError(text), self.scrub(sql), model)
