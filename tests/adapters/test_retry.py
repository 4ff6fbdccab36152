"""Retries, backoff and the shared rate limiter of the Trino/Athena adapters, on a recording connection."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.retry import RateLimiter, RetryPolicy, is_retryable
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import AthenaTarget, TrinoTarget
from pyflow.errors import AdapterError
from tests.adapters.recording import INVOCATION_A, DriverError, RecordingConnection


class ThrottlingException(Exception):
    """Named like the AWS error class."""


class ClientError(Exception):
    """Shaped like botocore's: the error code is in ``response``."""

    def __init__(self, code: str) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code}}


class HttpError(Exception):
    """An HTTP error carrying its status code."""

    def __init__(self, status_code: int) -> None:
        super().__init__("error")
        self.status_code = status_code


class Recorder:
    """An injectable sleep that records instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.delays.append(seconds)


def _athena(con: RecordingConnection, sleep: Recorder, **extra: Any) -> AthenaAdapter:
    config = AthenaTarget.model_validate(
        {
            "type": "athena",
            "s3_staging_dir": "s3://bucket/results/",
            "region_name": "eu-west-1",
            "schema": "shop",
            **extra,
        }
    )
    adapter = AthenaAdapter(
        config,
        invocation_id=INVOCATION_A,
        connect=lambda: con,
        sleep=sleep,
        clock=lambda: 0.0,
        rng=lambda: 0.5,
    )
    adapter.open()
    return adapter


def _trino(con: RecordingConnection, sleep: Recorder, clock: Any = lambda: 0.0, **extra: Any) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "hive", "schema": "analytics", **extra}
    )
    adapter = TrinoAdapter(
        config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=sleep, clock=clock, rng=lambda: 0.0
    )
    adapter.open()
    return adapter


@pytest.mark.parametrize(
    "exc",
    [
        DriverError(
            "An error occurred (ThrottlingException) when calling StartQueryExecution: Rate exceeded"
        ),
        DriverError("TooManyRequestsException: too many queries"),
        DriverError("Rate exceeded"),
        DriverError("ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table"),
        DriverError("TOO_MANY_REQUESTS: the cluster is busy"),
        DriverError("error 503: Service Unavailable"),
        DriverError("HTTP 429 Too Many Requests"),
        ThrottlingException("slow down"),
        ClientError("TooManyRequestsException"),
        HttpError(429),
        HttpError(503),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(e)[:30],
)
def test_retry_classifies_throttling_and_commit_conflicts_as_retryable(exc: Exception) -> None:
    assert is_retryable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        DriverError("TABLE_NOT_FOUND: Table 'x' does not exist"),
        DriverError("SYNTAX_ERROR: line 1:8: Column 'order_429' cannot be resolved"),
        HttpError(500),
        ClientError("AccessDeniedException"),
        ValueError("bad"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(e)[:30],
)
def test_retry_never_retries_other_errors(exc: Exception) -> None:
    assert not is_retryable(exc)


def test_retry_looks_at_the_cause_of_a_wrapped_error() -> None:
    try:
        try:
            raise ThrottlingException("slow down")
        except ThrottlingException as inner:
            raise DriverError("query failed") from inner
    except DriverError as outer:
        assert is_retryable(outer)


def test_retry_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(num_retries=10, base_delay=1.0, max_delay=30.0, rng=lambda: 0.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    policy.rng = lambda: 0.999
    assert policy.delay(1) == pytest.approx(0.9995)


def test_athena_throttled_twice_then_succeeds_after_three_attempts() -> None:
    throttled = "An error occurred (ThrottlingException) when calling StartQueryExecution: Rate exceeded"
    con = RecordingConnection(failures=[DriverError(throttled), DriverError(throttled)])
    sleep = Recorder()
    adapter = _athena(con, sleep)
    adapter.execute("INSERT INTO t VALUES (1)", model="orders")
    assert con.statements == ["INSERT INTO t VALUES (1)"] * 3
    # attempt n waits base * 2**(n-1) * (0.5 + 0.5 * rng()); rng() = 0.5
    assert sleep.delays == [0.75, 1.5]


def test_trino_commit_conflict_is_retried_for_fetchall_too() -> None:
    con = RecordingConnection(failures=[DriverError("ICEBERG_COMMIT_ERROR: conflict")])
    sleep = Recorder()
    adapter = _trino(con, sleep)
    assert adapter.fetchall("SELECT 1") == []
    assert con.statements == ["SELECT 1", "SELECT 1"]
    assert sleep.delays == [0.5]


def test_a_non_retryable_error_fails_after_one_attempt() -> None:
    con = RecordingConnection(failures=[DriverError("TABLE_NOT_FOUND: Table 'shop.x' does not exist")])
    sleep = Recorder()
    adapter = _athena(con, sleep)
    with pytest.raises(AdapterError) as info:
        adapter.execute("SELECT * FROM x", model="orders")
    assert con.statements == ["SELECT * FROM x"]
    assert sleep.delays == []
    assert info.value.code == "database-error"
    assert "TABLE_NOT_FOUND" in str(info.value)


def test_retries_exhausted_is_an_adapter_error_saying_how_many_attempts() -> None:
    con = RecordingConnection(failures=[DriverError("TOO_MANY_REQUESTS: busy")] * 4)
    sleep = Recorder()
    adapter = _trino(con, sleep, num_retries=2)
    with pytest.raises(AdapterError) as info:
        adapter.execute("INSERT INTO t VALUES (1)", model="orders")
    assert con.statements == ["INSERT INTO t VALUES (1)"] * 3
    assert sleep.delays == [0.5, 1.0]
    err = info.value
    assert err.code == "database-throttled"
    assert err.model == "orders"
    assert "gave up after 3 attempts" in str(err)
    assert "TOO_MANY_REQUESTS" in str(err)
    assert "INSERT INTO t VALUES (1)" in str(err)  # the start of the SQL
    assert "num_retries" in str(err)  # the fix
    assert isinstance(err.__cause__, DriverError)


def test_retry_defaults_come_from_the_profile() -> None:
    sleep = Recorder()
    assert _trino(RecordingConnection(), sleep).retry.num_retries == 3
    assert _trino(RecordingConnection(), sleep).rate_limiter.rate is None
    athena = _athena(RecordingConnection(), sleep)
    assert athena.retry.num_retries == 5
    assert athena.rate_limiter.rate == 10
    assert (
        _athena(RecordingConnection(), sleep, num_retries=0, max_queries_per_second=None).retry.num_retries
        == 0
    )


def test_rate_limiter_spaces_calls_across_threads() -> None:
    sleep = Recorder()
    limiter = RateLimiter(rate=10, burst=1, clock=lambda: 0.0, sleep=sleep)
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        limiter.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the first call goes at once; each later one is due 0.1 s after the one before
    assert sorted(sleep.delays) == pytest.approx([0.1 * n for n in range(1, 8)])


def test_rate_limiter_refills_as_the_clock_advances() -> None:
    now = [0.0]
    sleep = Recorder()
    limiter = RateLimiter(rate=2, burst=1, clock=lambda: now[0], sleep=sleep)
    assert limiter.acquire() == 0.0
    now[0] = 0.5  # one token refilled
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(0.5)
    assert RateLimiter(rate=None).acquire() == 0.0


def test_adapter_threads_share_one_rate_limiter() -> None:
    con = RecordingConnection()
    sleep = Recorder()
    adapter = _trino(con, sleep, max_queries_per_second=2)
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        barrier.wait()
        adapter.execute(f"SELECT {n}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(con.statements) == [f"SELECT {n}" for n in range(4)]
    # a bucket of 2 (one second's worth): two go at once, then one every 0.5 s
    assert sorted(sleep.delays) == pytest.approx([0.5, 1.0])


def test_athena_logs_query_ids_with_the_console_link(caplog: pytest.LogCaptureFixture) -> None:
    con = RecordingConnection()
    adapter = _athena(con, Recorder())
    with caplog.at_level(logging.DEBUG, logger="pyflow"):
        adapter.execute("SELECT 1", model="orders")
    assert (
        "athena query q1 for orders: https://eu-west-1.console.aws.amazon.com/athena/home"
        "?region=eu-west-1#/query-editor/history/q1"
    ) in caplog.messages


def test_trino_logs_query_ids_from_stats(caplog: pytest.LogCaptureFixture) -> None:
    class StatsCursor:
        stats = {"queryId": "20261127_000000_00001_abcde"}

        def execute(self, sql: str) -> None:
            pass

        def fetchall(self) -> list[tuple[Any, ...]]:
            return []

    class Con:
        def cursor(self) -> StatsCursor:
            return StatsCursor()

    config = TrinoTarget.model_validate({"type": "trino", "host": "h", "database": "hive", "schema": "s"})
    adapter = TrinoAdapter(config, connect=Con)
    with caplog.at_level(logging.DEBUG, logger="pyflow"):
        adapter.execute("SELECT 1", model="orders")
    assert "trino query 20261127_000000_00001_abcde for orders" in caplog.messages


def test_retry_log_lines_hide_secrets(caplog: pytest.LogCaptureFixture) -> None:
    canary = "canary-retry-secret"
    con = RecordingConnection(failures=[DriverError(f"HTTP 503 for https://etl:{canary}@trino.invalid")])
    config = TrinoTarget.model_validate(
        {
            "type": "trino",
            "host": "trino.invalid",
            "database": "hive",
            "schema": "analytics",
            "auth": {"method": "basic", "password": canary},
        }
    )
    adapter = TrinoAdapter(config, connect=lambda: con, sleep=Recorder(), rng=lambda: 0.0)
    with caplog.at_level(logging.DEBUG, logger="pyflow"):
        adapter.execute("SELECT 1", model="orders")
    assert any("retrying in 0.50s" in m and "**********" in m for m in caplog.messages)
    assert canary not in caplog.text
