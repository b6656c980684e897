"""Injected faults: latency, a random error rate and a rate limit.

Randomness here comes from one `random.Random` owned by the `FaultInjector` (seeded from `--seed`), never from
the module-level generator, so a run with the same seed injects the same faults in the same order.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from dataclasses import dataclass

from mockserver.config import LatencyRange
from mockserver.errors import ApiError

#: What `--error-rate` answers: a status every operation documents and a server produces on its own.
INJECTED_ERROR_STATUS = 503


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key (API and token): `rate` requests per second, bursts up to `rate`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                # Bounded: a limiter must not become the memory leak of a load test with many tokens.
                if len(self._buckets) > 10_000:
                    self._buckets.clear()
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = math.ceil((1.0 - bucket.tokens) / self.rate)
        raise ApiError(
            429,
            f"Rate limit of {self.rate:g} requests per second exceeded; retry after {wait} s",
            headers={
                "Retry-After": str(wait),
                "X-RateLimit-Limit": str(int(self.capacity)),
                "X-RateLimit-Remaining": "0",
            },
        )

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class FaultInjector:
    def __init__(
        self,
        *,
        seed: int,
        latency: LatencyRange | None,
        error_rate: float,
        rate_limit: float | None,
    ) -> None:
        self._random = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()
        self.latency = latency
        self.error_rate = error_rate
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        #: Whether any fault is configured: asked on every request, and fixed for the server's life.
        self.active = bool(latency or error_rate or self.limiter)

    async def delay(self, override_ms: float | None = None) -> None:
        if override_ms is not None:
            milliseconds = override_ms
        elif self.latency is not None:
            with self._lock:
                milliseconds = self._random.uniform(self.latency.low_ms, self.latency.high_ms)
        else:
            return
        if milliseconds > 0:
            await asyncio.sleep(milliseconds / 1000)

    def check_rate(self, key: str) -> None:
        if self.limiter is not None:
            self.limiter.check(key)

    def maybe_fail(self) -> None:
        if not self.error_rate:
            return
        with self._lock:
            failed = self._random.random() < self.error_rate
        if failed:
            raise ApiError(
                INJECTED_ERROR_STATUS,
                "Service temporarily unavailable (injected by --error-rate)",
                headers={"Retry-After": "1"},
            )

    def reset(self) -> None:
        if self.limiter is not None:
            self.limiter.reset()
