"""Resilience for remote engines: which driver errors are worth retrying, backoff, rate limiting.

Used by :class:`~pyflow.adapters.trino.TrinoAdapter` (and so by Athena). Only throttling and
Iceberg commit conflicts are retried (:func:`is_retryable`); any other error fails at once. The
sleep function, the clock and the random source are injectable so tests never sleep. No driver
import here: errors are classified by class name, status code and message.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], float]
Random = Callable[[], float]

RETRYABLE_MARKERS = (
    "ThrottlingException",
    "TooManyRequestsException",
    "Rate exceeded",
    "ICEBERG_COMMIT_ERROR",
    "TOO_MANY_REQUESTS",
)
"""Texts in a driver error (class name or message) that mean "try again later"."""

NEVER_RETRYABLE = ("Cannot change column type",)
"""Texts of errors that carry a retryable code but fail the same way every time: Iceberg refusing
a column type change (``ICEBERG_COMMIT_ERROR: Failed to set column type: Cannot change column
type: v: string -> long``, seen on Trino 476) is a schema rule, not a commit conflict."""

RETRYABLE_STATUS = frozenset({429, 503})
_HTTP_STATUS = re.compile(r"\b(?:HTTP|status(?: code)?|error)\s*[:=]?\s*(429|503)\b", re.IGNORECASE)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from (cause or context), without loops."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def is_retryable(exc: BaseException) -> bool:
    """True for throttling (Athena, AWS, HTTP 429/503) and Iceberg commit conflicts."""
    if any(text in str(err) for err in _chain(exc) for text in NEVER_RETRYABLE):
        return False
    for err in _chain(exc):
        names = {cls.__name__ for cls in type(err).__mro__}
        if any(marker in names for marker in RETRYABLE_MARKERS):
            return True
        if (
            getattr(err, "status_code", None) in RETRYABLE_STATUS
            or getattr(err, "status", None) in RETRYABLE_STATUS
        ):
            return True
        response = getattr(err, "response", None)  # botocore ClientError
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code", "")
            if any(marker in str(code) for marker in RETRYABLE_MARKERS):
                return True
        text = str(err)
        if any(marker in text for marker in RETRYABLE_MARKERS) or _HTTP_STATUS.search(text):
            return True
    return False


class RetriesExhausted(Exception):
    """Every attempt failed with a retryable error; ``__cause__`` is the last one."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempts")
        self.attempts = attempts
        self.last = last


@dataclass
class RetryPolicy:
    """Jittered exponential backoff for retryable errors.

    After failed attempt ``n`` (1-based) it waits ``min(max_delay, base_delay * 2**(n-1))`` times a
    factor in ``[0.5, 1)`` drawn from ``rng`` ("equal jitter": never zero, spreads threads apart).
    """

    num_retries: int
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Sleep = time.sleep
    rng: Random = random.random

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        cap = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(cap * (0.5 + 0.5 * self.rng()))

    def call(
        self, fn: Callable[[], T], *, describe: str = "statement", scrub: Callable[[str], str] = str
    ) -> T:
        """Run ``fn``, retrying retryable errors up to ``num_retries`` times.

        Raises :class:`RetriesExhausted` when every attempt failed; other errors propagate at once.
        ``scrub`` masks secrets in the error text before it is logged.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                if attempt > self.num_retries:
                    raise RetriesExhausted(attempt, exc) from exc
                wait = self.delay(attempt)
                log.info(
                    "%s failed with a retryable error (attempt %d of %d), retrying in %.2fs: %s",
                    describe,
                    attempt,
                    self.num_retries + 1,
                    wait,
                    (scrub(str(exc)).splitlines() or [type(exc).__name__])[0],
                )
                self.sleep(wait)


@dataclass
class RateLimiter:
    """A token bucket shared by every thread of an adapter.

    At most ``rate`` queries per second, in bursts of up to ``burst``; ``rate=None`` is unlimited.

    A caller that finds the bucket empty reserves the next token (the balance goes negative)
    and sleeps outside the lock until it is due, so concurrent callers are spaced ``1/rate`` apart.
    """

    rate: float | None
    burst: float = 1.0
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    _tokens: float = field(init=False)
    _last: float | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tokens = self.burst

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; return the seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self.clock()
            if self._last is not None:
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self.sleep(wait)
        return wait
