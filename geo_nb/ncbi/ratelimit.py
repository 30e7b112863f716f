"""Process-wide request pacing for NCBI's rate limits.

NCBI counts requests per IP address (or per API key) over any one-second
window, whichever event loop or thread sends them. geo_nb's sync calls run a
fresh event loop per call in scripts and the caller's loop in Jupyter, so the
limiters must be shared across loops and threads. ``aiolimiter`` binds each
limiter to one event loop (it warns when reused across loops), so this module
keeps two small thread-safe schedulers instead:

* :class:`RateLimiter`, for E-utilities: a token bucket with burst 1; each
  request goes out at least ``1/rate`` seconds (plus a margin) after the
  previous one actually did.
* :class:`WindowLimiter`, for acc.cgi and the FTP tree: at most ``limit``
  slots in any ``window`` seconds, bursts allowed, so a batch starts at full
  concurrency and is only held back if it would go over the limit.

Example:
    >>> limiter = RateLimiter(rate=3.0)
    >>> round(limiter.interval, 3)
    0.35
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

__all__ = ["Limiter", "RateLimiter", "WindowLimiter", "shared_limiter"]


class RateLimiter:
    """At most ``rate`` acquisitions in any 1-second window (burst 1).

    Requests are spaced by ``(1 + margin) / rate`` seconds measured from when
    each one actually went out, not from a slot booked in advance: a waiter
    that wakes late (a busy event loop, another thread holding the GIL)
    pushes the next one back instead of letting it catch up, so late wake-ups
    can never bunch requests together. The margin (10%) absorbs the jitter
    between here and the server.

    Example:
        >>> limiter = RateLimiter(rate=3.0)
        >>> limiter.try_acquire(), limiter.try_acquire() > 0.3
        (0.0, True)
    """

    def __init__(self, rate: float, *, margin: float = 0.1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take the gate now and return 0.0, or return the seconds to wait first."""
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            if wait <= 0:
                self._next = now + self.interval
                return 0.0
            return wait

    def defer(self, seconds: float) -> None:
        """Hold every later request back for ``seconds`` (after a 429 Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    async def acquire(self) -> None:
        """Wait until this request may go out (cancelling the wait takes nothing)."""
        # Polling on purpose: the gate is shared across event loops and threads, which
        # an asyncio.Event cannot be; each wait ends when the gate is due to reopen.
        while (wait := self.try_acquire()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    def acquire_blocking(self) -> None:
        """:meth:`acquire` for worker threads."""
        while (wait := self.try_acquire()) > 0:
            time.sleep(wait)


class WindowLimiter:
    """At most ``limit`` acquisitions in any sliding ``window`` seconds.

    Example:
        >>> limiter = WindowLimiter(2, window=1.0)
        >>> [round(limiter.reserve(), 1) for _ in range(3)]
        [0.0, 0.0, 1.0]
    """

    def __init__(self, limit: int, *, window: float = 1.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window positive")
        self.rate = float(limit)
        self.window = window
        self._slots: deque[float] = deque(maxlen=limit)
        self._not_before = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free slot; return how many seconds until it starts."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._not_before)
            if self._slots:
                slot = max(slot, self._slots[-1])
                if len(self._slots) == self._slots.maxlen:
                    slot = max(slot, self._slots[0] + self.window)
            self._slots.append(slot)
            return slot - now

    def defer(self, seconds: float) -> None:
        """Hold every later request back for ``seconds`` (after a 429 Retry-After)."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    async def acquire(self) -> None:
        """Wait for this request's slot. A cancelled wait gives its slot up unused."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)

    def acquire_blocking(self) -> None:
        """:meth:`acquire` for worker threads."""
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)


Limiter = RateLimiter | WindowLimiter

_registry: dict[tuple[str, ...], Limiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: tuple[str, ...], rate: float, *, burst: bool = False) -> Limiter:
    """The process-wide limiter for ``key`` (created on first use).

    ``burst=False`` gives a :class:`RateLimiter` (burst 1, 10% margin);
    ``burst=True`` a :class:`WindowLimiter` of ``rate`` per second.
    """
    kind = WindowLimiter if burst else RateLimiter
    with _registry_lock:
        limiter = _registry.get(key)
        if not isinstance(limiter, kind) or limiter.rate != rate:
            limiter = _registry[key] = RateLimiter(rate) if not burst else WindowLimiter(int(rate))
        return limiter
