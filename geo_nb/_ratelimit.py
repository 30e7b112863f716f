"""Process-wide request pacing for NCBI's rate limits.

NCBI counts requests per IP address (or per API key) over any one-second
window, whichever event loop or thread sends them. geo_nb's sync calls run a
fresh event loop per call in scripts and the caller's loop in Jupyter, so the
limiter must be shared across loops and threads. ``aiolimiter`` binds each
limiter to one event loop (and allows bursts up to the rate), so this module
keeps a small thread-safe scheduler instead: a token bucket with burst 1
(GCRA). Each request gets the next free slot, slots are ``1/rate`` seconds
apart, so no 1-second window ever holds more than ``rate`` requests.

Example:
    >>> limiter = RateLimiter(rate=3.0)
    >>> round(limiter.interval, 3)
    0.35
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = ["RateLimiter", "shared_limiter"]


class RateLimiter:
    """At most ``rate`` acquisitions in any 1-second window (burst 1).

    ``margin`` stretches the spacing (5% by default) so that network jitter
    between here and the server cannot squeeze ``rate + 1`` arrivals into
    one second at the server.
    """

    def __init__(self, rate: float, *, margin: float = 0.05) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free slot; return how many seconds until it starts."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now

    def defer(self, seconds: float) -> None:
        """Hold every later request back for ``seconds`` (after a 429 Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    async def acquire(self) -> None:
        """Wait for this request's slot. A cancelled wait gives its slot up unused."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


_registry: dict[tuple[str, ...], RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: tuple[str, ...], rate: float, *, margin: float = 0.05) -> RateLimiter:
    """The process-wide limiter for ``key`` (created on first use)."""
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None or limiter.rate != rate:
            limiter = _registry[key] = RateLimiter(rate, margin=margin)
        return limiter
