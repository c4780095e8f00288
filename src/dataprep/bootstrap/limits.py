"""Pacing: the one retry policy (backoff, jitter, Retry-After) and the RPM/TPM limiter."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["RateLimiter", "RetryPolicy", "TokenBucket"]


@dataclass
class RetryPolicy:
    """Bounded retries with exponential backoff and "equal jitter".

    A delay is half the exponential step plus a random share of the other half, so retries
    spread out but never collapse to zero. ``Retry-After`` from the server wins when given;
    a little jitter is added to it so that all waiting requests do not return at once.
    """

    max_retries: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return retry_after + self.rng.uniform(0, min(1.0, 0.1 * retry_after + 0.05))
        step = min(self.max_delay, self.base_delay * (2**attempt))
        return step / 2 + self.rng.uniform(0, step / 2)


@dataclass
class TokenBucket:
    """``rate`` units per second, holding at most ``capacity``; starts full.

    A request larger than the capacity is let through once the bucket is full and drives
    it negative, so one big request can never wait forever.
    """

    rate: float
    capacity: float
    level: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.level < 0:
            self.level = self.capacity

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, amount: float) -> float:
        needed = min(amount, self.capacity)
        if self.level >= needed:
            return 0.0
        return (needed - self.level) / self.rate

    def take(self, amount: float) -> None:
        self.level -= amount

    def give_back(self, amount: float) -> None:
        self.level = min(self.capacity, self.level + amount)


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits, plus a shared pause after a 429.

    Each bucket holds ``burst_seconds`` worth of its per-minute limit (at least one
    request), so a run starts without a long wait but cannot front-load a whole minute.
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        burst_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._requests = (
            TokenBucket(rpm / 60, max(1.0, rpm / 60 * burst_seconds), updated=now) if rpm else None
        )
        self._tokens = (
            TokenBucket(tpm / 60, max(1.0, tpm / 60 * burst_seconds), updated=now) if tpm else None
        )
        self._pause_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (the endpoint said Retry-After)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of about ``tokens`` tokens may be sent."""
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                wait = self._pause_until - now
                if wait <= 0:
                    wait = self._bucket_wait(now, tokens)
                    if wait <= 0:
                        if self._requests:
                            self._requests.take(1)
                        if self._tokens:
                            self._tokens.take(tokens)
                        return
                await self._sleep(wait)

    def _bucket_wait(self, now: float, tokens: int) -> float:
        wait = 0.0
        if self._requests:
            self._requests.refill(now)
            wait = max(wait, self._requests.wait_time(1))
        if self._tokens:
            self._tokens.refill(now)
            wait = max(wait, self._tokens.wait_time(tokens))
        return wait

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage of a request is known."""
        if self._tokens and actual < estimated:
            self._tokens.give_back(estimated - actual)
        elif self._tokens and actual > estimated:
            self._tokens.take(actual - estimated)
